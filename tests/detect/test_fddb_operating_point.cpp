// The FDDB operating point read per image (src/detect/fddb_operating_point.cpp):
// a hand-counted fixture at two budgets, random sets against evaluating each
// image alone with the detections the threshold keeps, and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <utility>

#include "ifq/detect/fddb_operating_point.hpp"
#include "ifq/error.hpp"

using namespace ifq::detect;

namespace {

constexpr EllipseRaster kPixel = EllipseRaster::PixelCentre;

FddbEvalImage named(const std::string& name, std::vector<FaceRegion> faces, std::vector<Detection> dets) {
  return FddbEvalImage{name, 100, 100, std::move(faces), std::move(dets), {}};
}

// A: two faces found at 0.9 and 0.5, a false positive at 0.3. B: one face
// found at 0.7, a false positive at 0.5. C: one face, no detections.
std::vector<FddbEvalImage> three_images() {
  const Box a1{10, 10, 20, 20}, a2{50, 50, 20, 20}, b1{30, 30, 25, 25}, c1{5, 5, 10, 10};
  return {named("a", {a1, a2}, {{a1, 0.9, 0}, {a2, 0.5, 0}, {Box{80, 0, 10, 10}, 0.3, 0}}),
          named("b", {b1}, {{b1, 0.7, 0}, {Box{0, 80, 10, 10}, 0.5, 0}}), named("c", {c1}, {})};
}

using Counts = std::vector<std::pair<long long, long long>>;  // per image: found, false positives

Counts per_image(const OperatingPoint& op) {
  Counts counts;
  for (const ImageAtOperatingPoint& im : op.images) counts.emplace_back(im.found, im.false_positives);
  return counts;
}

}  // namespace

TEST(FddbOperatingPoint, HandCountedAtTwoBudgets) {
  const auto images = three_images();
  const auto r = evaluate_fddb(images, kPixel);
  // FP <= 0: the best rate is 2 of 4 (a1 and b1 at 0.7; 0.9 alone finds 1 of
  // 4), so the operating threshold is 0.7.
  const auto zero = operating_point(images, r, 0);
  EXPECT_DOUBLE_EQ(zero.threshold, 0.7);
  EXPECT_DOUBLE_EQ(zero.detection_rate, 0.5);
  EXPECT_EQ(zero.found, 2);
  EXPECT_EQ(zero.false_positives, 0);
  EXPECT_EQ(per_image(zero), (Counts{{1, 0}, {1, 0}, {0, 0}}));
  ASSERT_EQ(zero.images.size(), 3u);
  EXPECT_EQ(zero.images[0].image, "a");
  EXPECT_EQ(zero.images[0].faces, 2);
  EXPECT_EQ(zero.images[2].faces, 1);
  // FP <= 1: 3 of 4 at 0.5, where B's 0.5 box is the one false positive.
  const auto one = operating_point(images, r, 1);
  EXPECT_DOUBLE_EQ(one.threshold, 0.5);
  EXPECT_DOUBLE_EQ(one.detection_rate, 0.75);
  EXPECT_EQ(per_image(one), (Counts{{2, 0}, {1, 1}, {0, 0}}));
  EXPECT_EQ(one.found, 3);
  EXPECT_EQ(one.false_positives, 1);
  // A budget larger than every false positive: 0.3 finds no more than 0.5,
  // so the operating point stays at 0.5, without A's false positive.
  const auto all = operating_point(images, r, 10);
  EXPECT_DOUBLE_EQ(all.threshold, 0.5);
  EXPECT_EQ(all.found, 3);
  EXPECT_EQ(all.false_positives, 1);
}

TEST(FddbOperatingPoint, EachImageCountsWhatItsKeptDetectionsFindAlone) {
  std::mt19937 rng(17);
  std::uniform_real_distribution<double> pos(0, 80), size(8, 20), score(0, 1), jitter(-4, 4);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<FddbEvalImage> images;
    const int n = 3 + int(rng() % 8);
    for (int k = 0; k < n; ++k) {
      FddbEvalImage im = named("im" + std::to_string(k), {}, {});
      const int faces = int(rng() % 5), clutter = int(rng() % 4);
      for (int f = 0; f < faces; ++f) {
        const Box b{pos(rng), pos(rng), size(rng), size(rng)};
        im.faces.push_back(b);
        if (rng() % 3) im.detections.push_back({Box{b.x + jitter(rng), b.y + jitter(rng), b.w, b.h}, score(rng), 0});
      }
      for (int c = 0; c < clutter; ++c)
        im.detections.push_back({Box{pos(rng), pos(rng), size(rng), size(rng)}, score(rng), 0});
      images.push_back(im);
    }
    const auto r = evaluate_fddb(images, kPixel);
    for (double budget : {0.0, 1.0, 2.0, double(r.fp_budget), 5.0}) {
      const auto op = operating_point(images, r, budget);
      EXPECT_DOUBLE_EQ(op.detection_rate, detection_rate_at(r.disc, budget));
      EXPECT_EQ(op.found, std::llround(op.detection_rate * double(r.faces))) << trial << " " << budget;
      EXPECT_LE(double(op.false_positives), budget);
      for (size_t k = 0; k < images.size(); ++k) {
        // The image alone, with only the detections the threshold keeps,
        // counted at its lowest score (every detection kept).
        FddbEvalImage kept = images[k];
        kept.detections.clear();
        for (const Detection& d : images[k].detections)
          if (d.score >= op.threshold) kept.detections.push_back(d);
        const FddbImageCurve alone = evaluate_fddb({kept}, kPixel).image_curves.at(0);
        const bool none = alone.scores.empty();
        EXPECT_EQ(op.images[k].faces, (long long)kept.faces.size());
        EXPECT_EQ(op.images[k].found, none ? 0 : std::llround(alone.tp_disc[0])) << trial << " " << k;
        EXPECT_EQ(op.images[k].false_positives, none ? 0 : std::llround(alone.fp[0])) << trial << " " << k;
      }
    }
  }
}

TEST(FddbOperatingPoint, NothingWithinTheBudgetKeepsNothing) {
  // The best-scored detection is a false positive: no ROC point has FP <= 0.
  const Box face{10, 10, 20, 20};
  const std::vector<FddbEvalImage> images = {named("a", {face}, {{Box{60, 60, 20, 20}, 0.9, 0}, {face, 0.4, 0}})};
  const auto r = evaluate_fddb(images, kPixel);
  const auto op = operating_point(images, r, 0);
  EXPECT_EQ(op.threshold, std::numeric_limits<double>::infinity());
  EXPECT_EQ(op.found, 0);
  EXPECT_EQ(op.false_positives, 0);
  EXPECT_EQ(operating_point(images, r, 1).found, 1);
}

TEST(FddbOperatingPoint, RefusesOtherImagesOrANegativeBudget) {
  const auto images = three_images();
  const auto r = evaluate_fddb(images, kPixel);
  const std::vector<FddbEvalImage> fewer(images.begin(), images.begin() + 2);
  EXPECT_THROW(operating_point(fewer, r, 1), ifq::Error);
  EXPECT_THROW(operating_point(images, r, -1), ifq::Error);
}
