#include <gtest/gtest.h>

#include "ifq/detect/box.hpp"

using namespace ifq::detect;

TEST(Box, IouOfIdenticalDisjointAndHalfOverlappingBoxes) {
  EXPECT_DOUBLE_EQ(iou(Box{0, 0, 10, 10}, Box{0, 0, 10, 10}), 1.0);
  EXPECT_DOUBLE_EQ(iou(Box{0, 0, 10, 10}, Box{10, 0, 10, 10}), 0.0);
  // 5x10 shared of 10x10 + 10x10 - 50 = 150.
  EXPECT_DOUBLE_EQ(iou(Box{0, 0, 10, 10}, Box{5, 0, 10, 10}), 50.0 / 150.0);
  EXPECT_DOUBLE_EQ(iou(Box{0, 0, 0, 10}, Box{0, 0, 0, 10}), 0.0);
}

TEST(Box, ClipKeepsInsideAndEmptiesOutside) {
  const Box c = clip_box(Box{-5, 10, 20, 100}, 50, 60);
  EXPECT_DOUBLE_EQ(c.x, 0);
  EXPECT_DOUBLE_EQ(c.w, 15);
  EXPECT_DOUBLE_EQ(c.y, 10);
  EXPECT_DOUBLE_EQ(c.h, 50);
  const Box out = clip_box(Box{70, 70, 5, 5}, 50, 60);
  EXPECT_EQ(out.area(), 0.0);
}

TEST(Nms, SuppressesOverlapsAboveThresholdKeepsBestFirst) {
  std::vector<Detection> d = {
      {Box{0, 0, 10, 10}, 0.6, 0},
      {Box{1, 0, 10, 10}, 0.9, 0},   // IoU with the first 90/110 = 0.82
      {Box{50, 50, 10, 10}, 0.3, 0},
      {Box{5, 0, 10, 10}, 0.8, 0},   // IoU with the best 60/140 = 0.43 < 0.45
  };
  const auto kept = nms(d, 0.45);
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_DOUBLE_EQ(kept[0].score, 0.9);
  EXPECT_DOUBLE_EQ(kept[1].score, 0.8);
  EXPECT_DOUBLE_EQ(kept[2].score, 0.3);
}

TEST(Nms, DifferentClassesDoNotSuppressEachOther) {
  std::vector<Detection> d = {{Box{0, 0, 10, 10}, 0.9, 0}, {Box{0, 0, 10, 10}, 0.8, 1}};
  EXPECT_EQ(nms(d, 0.45).size(), 2u);
}

TEST(Nms, EqualScoresKeepInputOrder) {
  std::vector<Detection> d = {{Box{0, 0, 10, 10}, 0.5, 0}, {Box{0, 0, 10, 11}, 0.5, 0}};
  const auto kept = nms(d, 0.45);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_DOUBLE_EQ(kept[0].box.h, 10);
}
