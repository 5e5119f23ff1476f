#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ifq/detect/region.hpp"
#include "ifq/error.hpp"

using namespace ifq;
using namespace ifq::detect;

namespace {

RegionInfo one_class_region(int num) {
  RegionInfo r;
  r.present = true;
  r.classes = 1;
  r.num = num;
  r.coords = 4;
  for (int n = 0; n < num; ++n) {
    r.anchors.push_back(1.0f + n);
    r.anchors.push_back(1.5f + 0.5f * n);
  }
  return r;
}

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

}  // namespace

TEST(RegionDecode, HandComputedSingleCell) {
  // 1 anchor (2 x 3 cells), 1 class, grid 4 x 4, fixed point with 8 fraction bits.
  RegionInfo r = one_class_region(1);
  r.anchors = {2.0f, 3.0f};
  IntTensor t{Shape3{6, 4, 4}, std::vector<int32_t>(6 * 16, -2048)};  // objectness sigmoid(-8) ~ 0
  auto set = [&](int c, int j, int i, double real) { t.data[(c * 4 + j) * 4 + i] = int32_t(std::lround(real * 256)); };
  // Cell (i=1, j=2): tx = ty = 0 -> centre (1.5, 2.5) cells; tw = th = 0 -> 2 x 3 cells; to = 2.
  set(0, 2, 1, 0);
  set(1, 2, 1, 0);
  set(2, 2, 1, 0);
  set(3, 2, 1, 0);
  set(4, 2, 1, 2.0);
  set(5, 2, 1, 0.7);  // single-class softmax is 1 whatever the logit
  IntOutputInfo info;
  info.frac_bits = 8;
  const auto dets = decode_region(t, info, r, 400, 200, RegionDecodeOptions{0.5, 0.45});
  ASSERT_EQ(dets.size(), 1u);
  // Image 400 x 200, grid 4 x 4: cell = 100 x 50 px. Box centre (150, 125),
  // size 200 x 150 -> left 50, top 50.
  EXPECT_NEAR(dets[0].box.x, 50, 1e-9);
  EXPECT_NEAR(dets[0].box.y, 50, 1e-9);
  EXPECT_NEAR(dets[0].box.w, 200, 1e-9);
  EXPECT_NEAR(dets[0].box.h, 150, 1e-9);
  EXPECT_NEAR(dets[0].score, sigmoid(2.0), 1e-12);
}

TEST(RegionDecode, BoxesAreClippedToTheImage) {
  RegionInfo r = one_class_region(1);
  r.anchors = {8.0f, 8.0f};  // twice the grid
  IntTensor t{Shape3{6, 4, 4}, std::vector<int32_t>(6 * 16, 0)};
  IntOutputInfo info;
  info.frac_bits = 4;
  for (const Detection& d : decode_region(t, info, r, 64, 64, RegionDecodeOptions{0.4, -1})) {
    EXPECT_GE(d.box.x, 0);
    EXPECT_GE(d.box.y, 0);
    EXPECT_LE(d.box.right(), 64 + 1e-9);
    EXPECT_LE(d.box.bottom(), 64 + 1e-9);
  }
}

TEST(RegionDecode, ObjectnessGateNeverDropsADetection) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 20000; ++trial) {
    const int frac = int(rng() % 20);
    const double thr = std::uniform_real_distribution<double>(1e-6, 1 - 1e-6)(rng);
    const int64_t gate = objectness_gate(thr, frac);
    // Every v at or below the gate must fail the real test.
    for (int64_t v : {gate, gate - 1}) {
      if (v < INT32_MIN) continue;
      EXPECT_LE(sigmoid(std::ldexp(double(v), -frac)), thr + 1e-15) << "frac " << frac << " thr " << thr;
    }
    // And the gate is tight: two above it passes (the gate is one below the floor).
    if (gate + 2 <= INT32_MAX) {
      EXPECT_GT(sigmoid(std::ldexp(double(gate + 2), -frac)), thr - 1e-12);
    }
  }
}

// The integer path (with its integer gate) and the real path on the same
// values give identical detections, for random tensors of several shapes.
TEST(RegionDecode, IntegerAndRealPathsAgreeOnRandomTensors) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 200; ++trial) {
    const int num = 1 + int(rng() % 5), classes = 1 + int(rng() % 3);
    const int gh = 1 + int(rng() % 9), gw = 1 + int(rng() % 9), frac = 4 + int(rng() % 12);
    RegionInfo r = one_class_region(num);
    r.classes = classes;
    const int channels = num * (5 + classes);
    IntTensor t{Shape3{channels, gh, gw}, std::vector<int32_t>(size_t(channels) * gh * gw)};
    std::vector<double> real(t.data.size());
    std::uniform_int_distribution<int32_t> dist(-6 << frac, 3 << frac);
    for (size_t k = 0; k < t.data.size(); ++k) {
      t.data[k] = dist(rng);
      real[k] = std::ldexp(double(t.data[k]), -frac);
    }
    IntOutputInfo info;
    info.frac_bits = frac;
    const RegionDecodeOptions opt{std::uniform_real_distribution<double>(0.001, 0.9)(rng), 0.45};
    const auto a = decode_region(t, info, r, 320, 240, opt);
    const auto b = decode_region_real(real, channels, gh, gw, r, 320, 240, opt);
    ASSERT_EQ(a.size(), b.size()) << "trial " << trial;
    for (size_t k = 0; k < a.size(); ++k) {
      EXPECT_EQ(a[k].score, b[k].score);
      EXPECT_EQ(a[k].box.x, b[k].box.x);
      EXPECT_EQ(a[k].box.w, b[k].box.w);
      EXPECT_EQ(a[k].class_id, b[k].class_id);
    }
  }
}

TEST(RegionDecode, LevelsOutputUsesTheLevelStep) {
  RegionInfo r = one_class_region(1);
  IntTensor t{Shape3{6, 1, 1}, {0, 0, 0, 0, 3, 0}};
  IntOutputInfo info;
  info.is_levels = true;
  info.bits = 2;
  info.level_step = 0.5;
  const auto dets = decode_region(t, info, r, 10, 10, RegionDecodeOptions{0.1, 0.45});
  ASSERT_EQ(dets.size(), 1u);
  EXPECT_NEAR(dets[0].score, sigmoid(1.5), 1e-12);
}

TEST(RegionDecode, MismatchedChannelsOrAnchorsAreErrors) {
  RegionInfo r = one_class_region(5);
  IntTensor t{Shape3{29, 2, 2}, std::vector<int32_t>(29 * 4)};
  IntOutputInfo info;
  EXPECT_THROW(decode_region(t, info, r, 10, 10), ifq::Error);
  r.anchors.pop_back();
  IntTensor u{Shape3{30, 2, 2}, std::vector<int32_t>(30 * 4)};
  try {
    decode_region(u, info, r, 10, 10);
    FAIL();
  } catch (const ifq::Error& e) {
    EXPECT_NE(std::string(e.what()).find("anchor"), std::string::npos);
  }
}

// A model file's anchors are checked before decoding (issue 15 finding:
// negative anchors were accepted and gave boxes of negative size).
TEST(RegionDecode, NonPositiveAnchorsAreRejected) {
  IntTensor t{Shape3{6, 2, 2}, std::vector<int32_t>(24, 0)};
  IntOutputInfo info;
  info.frac_bits = 8;
  for (float bad : {-1.0f, 0.0f, std::nanf("")}) {
    RegionInfo r = one_class_region(1);
    r.anchors[1] = bad;
    EXPECT_THROW(decode_region(t, info, r, 64, 64, RegionDecodeOptions{0.5, 0.45}), Error) << bad;
  }
}

// scale_x_y = s widens a cell's centre offset to s·σ(t) − (s − 1)/2: σ = ½
// still decodes to the cell's middle, and the extremes reach (s − 1)/2 of a
// cell beyond its edges. Scales outside [1, 4] are refused.
TEST(RegionDecode, CentreScaleWidensTheOffsetRange) {
  RegionInfo r = one_class_region(1);
  r.anchors = {1.0f, 1.0f};
  r.scale_x_y = 2;
  // Grid 4 x 4 on a 400 x 400 image: cells of 100 px. One cell (i=1, j=2).
  for (const auto& [t, offset] : {std::pair{0.0, 0.5}, {std::log(3.0), 1.0}, {-std::log(3.0), 0.0}}) {
    std::vector<double> out(6 * 16, -10.0);
    auto set = [&](int c, double v) { out[size_t((c * 4 + 2) * 4 + 1)] = v; };
    set(0, t);
    set(1, -t);
    set(2, 0);
    set(3, 0);
    set(4, 3);
    const auto dets = decode_region_real(out, 6, 4, 4, r, 400, 400, RegionDecodeOptions{0.5, 0.45});
    ASSERT_EQ(dets.size(), 1u);
    // σ(log 3) = ¾ -> 2·¾ − ½ = 1 (the cell's right edge); σ(−log 3) = ¼ -> 0.
    EXPECT_NEAR(dets[0].box.x + 50, (1 + offset) * 100, 1e-9) << t;
    EXPECT_NEAR(dets[0].box.y + 50, (2 + 1 - offset) * 100, 1e-9) << t;
    EXPECT_NEAR(region_offset(t, 2), offset, 1e-12);
    EXPECT_NEAR(region_offset(t, 1), sigmoid(t), 1e-15);
  }
  EXPECT_NEAR(region_offset(50, 2), 1.5, 1e-12);
  EXPECT_NEAR(region_offset(-50, 2), -0.5, 1e-12);
  IntTensor t{Shape3{6, 2, 2}, std::vector<int32_t>(24, 0)};
  IntOutputInfo info;
  info.frac_bits = 8;
  for (float bad : {0.5f, 4.5f, std::nanf("")}) {
    r.scale_x_y = bad;
    EXPECT_THROW(decode_region(t, info, r, 64, 64), Error) << bad;
  }
}
