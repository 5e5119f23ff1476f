// Bootstrap intervals of the FDDB detection rate (src/detect/fddb_bootstrap.cpp):
// the weighted merge against evaluating repeated images, degenerate and
// paired cases with known answers, a random set against a direct resampling,
// and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ifq/detect/fddb_bootstrap.hpp"
#include "ifq/error.hpp"

using namespace ifq::detect;

namespace {

constexpr EllipseRaster kPixel = EllipseRaster::PixelCentre;

// A 100x100 image with `faces` faces in a row, the first `found` detected
// exactly (score 0.9, 0.8, ...) and `false_positives` boxes on empty ground.
FddbEvalImage image(int faces, int found, int false_positives, double fp_score = 0.5) {
  FddbEvalImage im{"im", 100, 100, {}, {}, {}};
  for (int f = 0; f < faces; ++f) {
    const Box b{double(2 + 12 * f), 5, 10, 10};
    im.faces.push_back(b);
    if (f < found) im.detections.push_back({b, 0.9 - 0.05 * f, 0});
  }
  for (int k = 0; k < false_positives; ++k) im.detections.push_back({Box{double(2 + 12 * k), 70, 10, 10}, fp_score, 0});
  return im;
}

std::vector<FddbEvalImage> random_set(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<FddbEvalImage> set;
  for (int i = 0; i < n; ++i) {
    const int faces = 1 + int(rng() % 6);
    set.push_back(image(faces, int(rng() % (faces + 1)), int(rng() % 3), 0.2 + 0.1 * double(rng() % 7)));
  }
  return set;
}

TEST(FddbBootstrap, WeightedMergeEqualsEvaluatingTheRepeatedImages) {
  const auto set = random_set(12, 3);
  const FddbResult once = evaluate_fddb(set, kPixel);
  ASSERT_EQ(once.image_curves.size(), set.size());
  std::vector<int> m(set.size());
  std::vector<FddbEvalImage> repeated;
  for (size_t k = 0; k < set.size(); ++k) {
    m[k] = int(k % 3);  // 0, 1 or 2 copies
    for (int c = 0; c < m[k]; ++c) repeated.push_back(set[k]);
  }
  const FddbResult direct = evaluate_fddb(repeated, kPixel);
  std::vector<RocPoint> disc, cont;
  merge_fddb_curves(once.image_curves, m, disc, cont);
  ASSERT_EQ(disc.size(), direct.disc.size());
  for (size_t i = 0; i < disc.size(); ++i) {
    EXPECT_DOUBLE_EQ(disc[i].tpr, direct.disc[i].tpr) << i;
    EXPECT_DOUBLE_EQ(disc[i].fp, direct.disc[i].fp) << i;
    EXPECT_DOUBLE_EQ(disc[i].threshold, direct.disc[i].threshold) << i;
    EXPECT_NEAR(cont[i].tpr, direct.cont[i].tpr, 1e-12) << i;
  }
  // No multiplicity: evaluate_fddb's own merge.
  merge_fddb_curves(once.image_curves, {}, disc, cont);
  ASSERT_EQ(disc.size(), once.disc.size());
  for (size_t i = 0; i < disc.size(); ++i) EXPECT_DOUBLE_EQ(disc[i].tpr, once.disc[i].tpr) << i;
}

TEST(FddbBootstrap, IdenticalImagesLeaveNothingToResample) {
  const std::vector<FddbEvalImage> set(20, image(4, 3, 0));
  const FddbResult r = evaluate_fddb(set, kPixel);
  const Interval i = bootstrap_detection_rate(r.image_curves, double(r.fp_budget), 200);
  EXPECT_DOUBLE_EQ(r.detection_rate_at_fp, 0.75);
  EXPECT_DOUBLE_EQ(i.low, 0.75);
  EXPECT_DOUBLE_EQ(i.high, 0.75);
}

TEST(FddbBootstrap, IntervalMatchesAStraightResampling) {
  const auto set = random_set(40, 9);
  const FddbResult r = evaluate_fddb(set, kPixel);
  const Interval i = bootstrap_detection_rate(r.image_curves, double(r.fp_budget), 400, 5);
  EXPECT_LE(i.low, i.high);
  EXPECT_LE(i.low, r.detection_rate_at_fp);
  EXPECT_GE(i.high, r.detection_rate_at_fp);
  EXPECT_GT(i.high - i.low, 0.02);  // 40 mixed images: a real spread
  // The same draws made by hand (the documented scheme: mt19937_64(seed),
  // uniform image index, 2.5th/97.5th nearest-rank percentiles), each
  // resample evaluated from scratch.
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<size_t> pick(0, set.size() - 1);
  std::vector<double> rates;
  for (int d = 0; d < 400; ++d) {
    std::vector<int> m(set.size(), 0);
    for (size_t k = 0; k < set.size(); ++k) ++m[pick(rng)];
    std::vector<FddbEvalImage> draw;
    for (size_t k = 0; k < set.size(); ++k)
      for (int c = 0; c < m[k]; ++c) draw.push_back(set[k]);
    rates.push_back(evaluate_fddb(draw, kPixel).detection_rate_at_fp);
  }
  std::sort(rates.begin(), rates.end());
  EXPECT_DOUBLE_EQ(i.low, rates[9]);     // ceil(0.025 * 400) - 1
  EXPECT_DOUBLE_EQ(i.high, rates[389]);  // ceil(0.975 * 400) - 1
}

TEST(FddbBootstrap, PairedDifferenceSeesWhatTwoIntervalsHide) {
  // Detector B finds one face more than A on every fifth image (about 4
  // points): the two intervals overlap, yet the paired difference is
  // positive unless a draw misses all six of those images (p = 0.8^30).
  std::vector<FddbEvalImage> a, b;
  std::mt19937_64 rng(2);
  for (int k = 0; k < 30; ++k) {
    const int faces = 2 + int(rng() % 7), found = int(rng() % (faces - 1));
    a.push_back(image(faces, found, 0));
    b.push_back(image(faces, found + (k % 5 == 0 ? 1 : 0), 0));
  }
  const FddbResult ra = evaluate_fddb(a, kPixel), rb = evaluate_fddb(b, kPixel);
  const Interval ia = bootstrap_detection_rate(ra.image_curves, 3, 500);
  const Interval ib = bootstrap_detection_rate(rb.image_curves, 3, 500);
  EXPECT_LT(ib.low, ia.high);  // overlapping
  const Interval d = bootstrap_detection_rate_difference(rb.image_curves, ra.image_curves, 3, 500);
  EXPECT_GT(d.low, 0.0);
  EXPECT_LE(d.low, rb.detection_rate_at_fp - ra.detection_rate_at_fp);
  EXPECT_GE(d.high, rb.detection_rate_at_fp - ra.detection_rate_at_fp);
  const Interval self = bootstrap_detection_rate_difference(ra.image_curves, ra.image_curves, 3, 500);
  EXPECT_EQ(self.low, 0.0);
  EXPECT_EQ(self.high, 0.0);
}

TEST(FddbBootstrap, RejectsBadInput) {
  const FddbResult r = evaluate_fddb(random_set(5, 1), kPixel);
  const FddbResult other = evaluate_fddb(random_set(6, 1), kPixel);
  EXPECT_THROW(bootstrap_detection_rate({}, 0), ifq::Error);
  EXPECT_THROW(bootstrap_detection_rate(r.image_curves, 0, 0), ifq::Error);
  EXPECT_THROW(bootstrap_detection_rate_difference(r.image_curves, other.image_curves, 0), ifq::Error);
  auto shifted = r.image_curves;
  shifted[2].faces += 1;
  EXPECT_THROW(bootstrap_detection_rate_difference(r.image_curves, shifted, 0), ifq::Error);
  std::vector<RocPoint> disc, cont;
  EXPECT_THROW(merge_fddb_curves(r.image_curves, {1, 1}, disc, cont), ifq::Error);
  EXPECT_THROW(merge_fddb_curves(r.image_curves, {1, 1, -1, 1, 1}, disc, cont), ifq::Error);
}

}  // namespace
