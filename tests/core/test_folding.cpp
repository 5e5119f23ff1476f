// Hand-checked cases of the threshold folding (convert/folding.hpp).
#include <gtest/gtest.h>

#include <climits>

#include "convert/folding.hpp"
#include "ifq/float_model.hpp"

namespace ifq {
namespace {

TEST(HwgqThresholds, FirstThresholdIsZeroNotHalfStep) {
  const auto t = hwgq_thresholds(2, 0.5);
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0], 0.0);
  EXPECT_EQ(t[1], 0.75);
  EXPECT_EQ(t[2], 1.25);
  EXPECT_EQ(hwgq_level(0.0, 2, 0.5), 0);     // x <= 0 -> 0
  EXPECT_EQ(hwgq_level(1e-9, 2, 0.5), 1);    // any positive x reaches level 1
  EXPECT_EQ(hwgq_level(0.75, 2, 0.5), 1);    // bounds are inclusive below
  EXPECT_EQ(hwgq_level(0.7500001, 2, 0.5), 2);
  EXPECT_EQ(hwgq_level(100, 2, 0.5), 3);
  EXPECT_EQ(hwgq_thresholds(1, 0.8).size(), 1u);
  EXPECT_EQ(hwgq_thresholds(4, 0.18).size(), 15u);
}

TEST(Folding, PositiveScaleFloorsEachThreshold) {
  // a = 0.25, no BN: z = 0.25*acc + 0.1; thresholds 0, 0.75, 1.25.
  fold::ChannelAffine ch;
  ch.a = 0.25;
  ch.bias = 0.1;
  const auto f = fold::fold_channel(ch, {0, 0.75, 1.25});
  EXPECT_FALSE(f.negate);
  // T = (t - 0.1)/0.25 = -0.4, 2.6, 4.6 -> floors -1, 2, 4.
  EXPECT_EQ(f.thresholds, (std::vector<int32_t>{-1, 2, 4}));
}

TEST(Folding, NegativeScaleNegatesAndStaysAscending) {
  fold::ChannelAffine ch;
  ch.a = 0.25;
  ch.gamma = -1;  // z = -(0.25*acc)
  const auto f = fold::fold_channel(ch, {0, 0.75, 1.25});
  EXPECT_TRUE(f.negate);
  // z > t <=> acc < -4t <=> -acc > 4t: T on -acc = 0, 3, 5; -acc > 0 etc.
  EXPECT_EQ(f.thresholds, (std::vector<int32_t>{0, 3, 5}));
  // Check against the definition for every acc in a range.
  for (int acc = -20; acc <= 20; ++acc) {
    const double z = -0.25 * acc;
    int want = (z > 0) + (z > 0.75) + (z > 1.25);
    int got = (-acc > f.thresholds[0]) + (-acc > f.thresholds[1]) + (-acc > f.thresholds[2]);
    EXPECT_EQ(got, want) << "acc " << acc;
  }
}

TEST(Folding, ZeroScaleGivesConstantLevel) {
  fold::ChannelAffine ch;
  ch.a = 0.3;
  ch.gamma = 0;
  ch.beta = 0.9;  // z = 0.9 for every input: level 2 of {0, 0.75, 1.25}
  const auto f = fold::fold_channel(ch, {0, 0.75, 1.25});
  EXPECT_TRUE(f.constant);
  EXPECT_EQ(f.thresholds, (std::vector<int32_t>{INT32_MIN, INT32_MIN, INT32_MAX}));
}

TEST(Folding, SaturatesOutOfRangeThresholds) {
  EXPECT_EQ(fold::floor_to_int32(1e300), INT32_MAX);
  EXPECT_EQ(fold::floor_to_int32(-1e300), INT32_MIN);
  EXPECT_EQ(fold::floor_to_int32(-0.5), -1);
  EXPECT_EQ(fold::floor_to_int32(2.0), 2);
}

}  // namespace
}  // namespace ifq
