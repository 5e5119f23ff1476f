// FDDB evaluator on hand-computed fixtures: a perfect detection, a shifted
// one below 0.5 overlap, duplicates, the threshold sweep, an ellipse at an
// angle; plus the Hungarian matching against brute force.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>

#include "ifq/detect/fddb_eval.hpp"
#include "ifq/error.hpp"

using namespace ifq::detect;

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr EllipseRaster kPixel = EllipseRaster::PixelCentre;

FddbEvalImage image_with(std::vector<FaceRegion> faces, std::vector<Detection> dets, int w = 100, int h = 100) {
  return FddbEvalImage{"im", w, h, std::move(faces), std::move(dets), {}};
}

// Independent pixel test of the documented ellipse rasterisation.
bool inside_ellipse(const Ellipse& e, int x, int y) {
  const double dx = x - std::nearbyint(e.cx), dy = y - std::nearbyint(e.cy);
  const double u = dx * std::cos(e.angle) + dy * std::sin(e.angle);
  const double v = -dx * std::sin(e.angle) + dy * std::cos(e.angle);
  const double a = std::trunc(e.major), b = std::trunc(e.minor);
  return (u * u) / (a * a) + (v * v) / (b * b) <= 1 + 1e-9;
}

long long brute_area(const Ellipse& e, int w, int h) {
  long long n = 0;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) n += inside_ellipse(e, x, y);
  return n;
}

}  // namespace

TEST(FddbOverlap, RectangleRasterisationIsInclusiveOfBothCorners) {
  // cvRectangle from (2, 3) to (2 + 4, 3 + 5) filled: 5 x 6 pixels.
  EXPECT_EQ(rasterise(Box{2, 3, 4, 5}, 100, 100).area(), 30);
  // (int) truncation: x 2.9 -> 2, x + w = 6.8 -> 6.
  EXPECT_EQ(rasterise(Box{2.9, 3, 3.9, 5}, 100, 100).area(), 30);
  // Clipped to the image.
  EXPECT_EQ(rasterise(Box{-10, -10, 14, 14}, 100, 100).area(), 25);
  EXPECT_EQ(rasterise(Box{200, 200, 5, 5}, 100, 100).area(), 0);
}

TEST(FddbOverlap, AxisAlignedEllipseHandCounted) {
  // Circle of radius 2 at (10, 10): the 13 pixel centres with dx^2 + dy^2 <= 4.
  EXPECT_EQ(rasterise(Ellipse{2, 2, 0, 10, 10}, 100, 100, kPixel).area(), 13);
  // Radii 3 (major, horizontal for angle 0) and 1: rows dy=-1: x=0; dy=0: |dx|<=3; dy=1: x=0.
  EXPECT_EQ(rasterise(Ellipse{3, 1, 0, 10, 10}, 100, 100, kPixel).area(), 9);
  // angle = pi/2: the major axis vertical: same count, transposed.
  const RowSpans v = rasterise(Ellipse{3, 1, kPi / 2, 10, 10}, 100, 100, kPixel);
  EXPECT_EQ(v.area(), 9);
  EXPECT_EQ(v.y0, 7);
}

TEST(FddbOverlap, EllipseAtAnAngleMatchesPixelCount) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> U(0, 1);
  for (int trial = 0; trial < 300; ++trial) {
    const Ellipse e{1 + 40 * U(rng), 1 + 25 * U(rng), (U(rng) - 0.5) * 2 * kPi, 80 * U(rng), 60 * U(rng)};
    const int w = 90, h = 70;
    const Box d{60 * U(rng), 40 * U(rng), 5 + 40 * U(rng), 5 + 40 * U(rng)};
    long long inter = 0, ea = 0, da = rasterise(d, w, h).area();
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const bool in_e = inside_ellipse(e, x, y);
        const bool in_d = x >= int(d.x) && x <= int(d.x + d.w) && y >= int(d.y) && y <= int(d.y + d.h);
        ea += in_e;
        inter += in_e && in_d;
      }
    ASSERT_EQ(rasterise(e, w, h, kPixel).area(), ea) << "trial " << trial;
    const double expected = double(inter) / double(ea + da - inter);
    EXPECT_DOUBLE_EQ(region_overlap(e, d, w, h, kPixel), expected) << "trial " << trial;
  }
}

TEST(FddbOverlap, TiltedFaceEllipseAgainstUprightAndTiltedBoxes) {
  // An FDDB-like tilted face: major 40, minor 25, major axis at 60 degrees.
  const Ellipse e{40, 25, kPi / 3, 100, 100};
  EXPECT_EQ(rasterise(e, 200, 200, kPixel).area(), brute_area(e, 200, 200));
  // The upright bounding box of the ellipse contains it entirely, so the
  // overlap is area(ellipse) / area(box).
  const double hw = std::sqrt(40.0 * 40 * std::cos(kPi / 3) * std::cos(kPi / 3) + 25.0 * 25 * std::sin(kPi / 3) * std::sin(kPi / 3));
  const double hh = std::sqrt(40.0 * 40 * std::sin(kPi / 3) * std::sin(kPi / 3) + 25.0 * 25 * std::cos(kPi / 3) * std::cos(kPi / 3));
  const Box bound{100 - hw - 1, 100 - hh - 1, 2 * hw + 2, 2 * hh + 2};
  const double o = region_overlap(e, bound, 200, 200, kPixel);
  EXPECT_NEAR(o, double(brute_area(e, 200, 200)) / double(rasterise(bound, 200, 200).area()), 1e-12);
  // Area of a continuous ellipse pi*a*b ~ 3141.6; the pixel count is close.
  EXPECT_NEAR(double(rasterise(e, 200, 200, kPixel).area()), kPi * 40 * 25, 40);
  // The tilt matters: the same ellipse at -60 degrees is a mirror image, and
  // a box covering only the lower-right quadrant overlaps the two differently.
  const Box quadrant{100, 100, 40, 40};
  const double tilted_down = region_overlap(e, quadrant, 200, 200, kPixel);
  const double tilted_up = region_overlap(Ellipse{40, 25, -kPi / 3, 100, 100}, quadrant, 200, 200, kPixel);
  EXPECT_GT(tilted_down, 1.5 * tilted_up);  // 0.267 vs 0.147  // angle > 0 turns the major axis clockwise on screen (y down)
  // Radii are truncated as cvSize((int)ra, (int)rb) does: 2.9 draws like 2.
  EXPECT_EQ(rasterise(Ellipse{2.9, 2.9, 0, 10, 10}, 100, 100, kPixel).area(), 13);
}

TEST(Hungarian, MatchesBruteForceOnRandomMatrices) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 400; ++trial) {
    const int r = 1 + int(rng() % 5), c = 1 + int(rng() % 5);
    std::vector<std::vector<double>> w(r, std::vector<double>(c));
    for (auto& row : w)
      for (double& x : row) x = (rng() % 3 == 0) ? 0.0 : double(rng() % 1000) / 1000.0;
    // Brute force over permutations of the larger side.
    double best = 0;
    const int n = std::max(r, c);
    std::vector<int> perm(n);
    std::iota(perm.begin(), perm.end(), 0);
    do {
      double s = 0;
      for (int i = 0; i < r; ++i)
        if (perm[i] < c) s += w[i][perm[i]];
      best = std::max(best, s);
    } while (std::next_permutation(perm.begin(), perm.end()));
    const std::vector<int> m = max_weight_matching(w);
    double got = 0;
    std::vector<int> used(c, 0);
    for (int i = 0; i < r; ++i) {
      if (m[i] < 0) continue;
      ASSERT_LT(m[i], c);
      ASSERT_EQ(used[m[i]]++, 0) << "column used twice";
      got += w[i][m[i]];
    }
    EXPECT_NEAR(got, best, 1e-12) << "trial " << trial;
  }
}

TEST(Hungarian, PrefersTheOneToOneOptimumOverGreedy) {
  // Greedy would pair row 0 with column 0 (0.9) and leave row 1 with 0.1;
  // the optimum pairs 0-1 and 1-0 for 0.8 + 0.8.
  const std::vector<std::vector<double>> w = {{0.9, 0.8}, {0.8, 0.1}};
  EXPECT_EQ(max_weight_matching(w), (std::vector<int>{1, 0}));
}

TEST(FddbEval, PerfectDetection) {
  const Box face{20, 20, 30, 40};
  const auto r = evaluate_fddb({image_with({face}, {{face, 0.9, 0}})});
  ASSERT_EQ(r.disc.size(), 1u);
  EXPECT_DOUBLE_EQ(r.disc[0].tpr, 1.0);
  EXPECT_DOUBLE_EQ(r.disc[0].fp, 0.0);
  EXPECT_DOUBLE_EQ(r.disc[0].threshold, 0.9);
  EXPECT_DOUBLE_EQ(r.cont[0].tpr, 1.0);
  EXPECT_EQ(r.fp_budget, 0);
  EXPECT_DOUBLE_EQ(r.detection_rate_at_fp, 1.0);
}

TEST(FddbEval, ShiftedBelowHalfOverlapIsAFalsePositive) {
  // Truth 11 x 11 pixels (x 0..10); detection shifted by 4: pixels 4..14.
  // Intersection 7 x 11 = 77, union 121 + 121 - 77 = 165: 0.467 < 0.5.
  const Box face{0, 0, 10, 10}, det{4, 0, 10, 10};
  EXPECT_DOUBLE_EQ(region_overlap(face, det, 100, 100), 77.0 / 165.0);
  const auto r = evaluate_fddb({image_with({face}, {{det, 0.7, 0}})});
  ASSERT_EQ(r.disc.size(), 1u);
  EXPECT_DOUBLE_EQ(r.disc[0].tpr, 0.0);
  EXPECT_DOUBLE_EQ(r.disc[0].fp, 1.0);
  EXPECT_NEAR(r.cont[0].tpr, 77.0 / 165.0, 1e-12);  // continuous score keeps the overlap
  // Shifted by 3: intersection 8 x 11 = 88, union 154: 0.571 > 0.5 -> true positive.
  const auto ok = evaluate_fddb({image_with({face}, {{Box{3, 0, 10, 10}, 0.7, 0}})});
  EXPECT_DOUBLE_EQ(ok.disc[0].tpr, 1.0);
  EXPECT_DOUBLE_EQ(ok.disc[0].fp, 0.0);
}

TEST(FddbEval, DuplicatesAreFalsePositives) {
  const Box face{20, 20, 30, 30};
  const auto r = evaluate_fddb({image_with({face}, {{face, 0.9, 0}, {Box{21, 20, 30, 30}, 0.8, 0}, {face, 0.6, 0}})});
  // Thresholds ascending: 0.6 (3 dets), 0.8 (2), 0.9 (1). One face matched each time.
  ASSERT_EQ(r.disc.size(), 3u);
  EXPECT_DOUBLE_EQ(r.disc[0].threshold, 0.6);
  EXPECT_DOUBLE_EQ(r.disc[0].tpr, 1.0);
  EXPECT_DOUBLE_EQ(r.disc[0].fp, 2.0);
  EXPECT_DOUBLE_EQ(r.disc[1].fp, 1.0);
  EXPECT_DOUBLE_EQ(r.disc[2].fp, 0.0);
  EXPECT_DOUBLE_EQ(r.disc[2].tpr, 1.0);
}

TEST(FddbEval, ThresholdSweepOverSeveralImages) {
  // Image A: two faces; detections 0.9 on face 1, 0.5 on face 2, 0.3 false.
  // Image B: one face; detection 0.7 on it, 0.5 false.
  // Image C: one face, no detections.
  const Box a1{10, 10, 20, 20}, a2{50, 50, 20, 20}, b1{30, 30, 25, 25}, c1{5, 5, 10, 10};
  std::vector<FddbEvalImage> images = {
      image_with({a1, a2}, {{a1, 0.9, 0}, {a2, 0.5, 0}, {Box{80, 0, 10, 10}, 0.3, 0}}),
      image_with({b1}, {{b1, 0.7, 0}, {Box{0, 80, 10, 10}, 0.5, 0}}),
      image_with({c1}, {}),
  };
  const auto r = evaluate_fddb(images);
  EXPECT_EQ(r.faces, 4);
  EXPECT_EQ(r.fp_budget, 0);  // floor(0.1 * 3)
  // Global thresholds 0.3, 0.5, 0.7, 0.9 and DBL_MAX (image C has no detections).
  ASSERT_EQ(r.disc.size(), 5u);
  const double tpr[] = {3 / 4.0, 3 / 4.0, 2 / 4.0, 1 / 4.0, 0};
  const double fp[] = {2, 1, 0, 0, 0};
  const double thr[] = {0.3, 0.5, 0.7, 0.9, std::numeric_limits<double>::max()};
  for (int i = 0; i < 5; ++i) {
    EXPECT_DOUBLE_EQ(r.disc[i].tpr, tpr[i]) << i;
    EXPECT_DOUBLE_EQ(r.disc[i].fp, fp[i]) << i;
    EXPECT_DOUBLE_EQ(r.disc[i].threshold, thr[i]) << i;
  }
  EXPECT_DOUBLE_EQ(r.detection_rate_at_fp, 0.5);  // best TPR with FP <= 0
  EXPECT_DOUBLE_EQ(detection_rate_at(r.disc, 1), 0.75);
}

TEST(FddbEval, TopFalsePositivesAreThoseTheRocCountsFirst) {
  // Image A: a face detected well (0.9), the same face boxed off-centre
  // (0.8: overlap 77/165 < 0.5 with it, a duplicate in any case), and a
  // background box (0.4). Image B: a background box (0.6), and a box on an
  // ignore region (0.95), never a false positive.
  const Box face{0, 0, 10, 10}, ignored{60, 60, 20, 20};
  FddbEvalImage a = image_with({face}, {{face, 0.9, 0}, {Box{4, 0, 10, 10}, 0.8, 0}, {Box{50, 50, 10, 10}, 0.4, 0}});
  a.name = "a";
  FddbEvalImage b = image_with({Box{20, 20, 10, 10}}, {{Box{70, 0, 10, 10}, 0.6, 0}, {ignored, 0.95, 0}});
  b.name = "b";
  b.ignore = {ignored};
  const std::vector<FddbEvalImage> images = {a, b};
  const auto r = evaluate_fddb(images, kPixel);

  EXPECT_TRUE(top_false_positives(images, r, 0, kPixel).empty());
  const auto first = top_false_positives(images, r, 1, kPixel);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].image, "a");
  EXPECT_DOUBLE_EQ(first[0].detection.score, 0.8);
  EXPECT_DOUBLE_EQ(first[0].best_overlap, 77.0 / 165.0);  // a face boxed too loosely

  const auto two = top_false_positives(images, r, 2, kPixel);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[1].image, "b");
  EXPECT_DOUBLE_EQ(two[1].detection.score, 0.6);
  EXPECT_DOUBLE_EQ(two[1].best_overlap, 0.0);  // background

  // More than the ROC ever counts: all three, best first, and as many as
  // its last point says.
  const auto all = top_false_positives(images, r, 10, kPixel);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_DOUBLE_EQ(r.disc.front().fp, 3.0);
  EXPECT_DOUBLE_EQ(all[2].detection.score, 0.4);
  for (size_t i = 1; i < all.size(); ++i) EXPECT_GE(all[i - 1].detection.score, all[i].detection.score);
}

TEST(FddbEval, EllipseTruthAtAnAngleWithRectangleDetections) {
  // The tilted ellipse's best upright box is a match; a box rotated 90 degrees
  // around the centre (swapped sides) overlaps less. Both rasterisations.
  std::vector<EllipseRaster> ways = {kPixel};
  if (opencv_ellipse_raster_available()) ways.push_back(EllipseRaster::OpenCv);
  for (EllipseRaster how : ways) {
    SCOPED_TRACE(ellipse_raster_name(how));
    const Ellipse e{30, 18, 1.2, 60, 60};
    const Box tight{60 - 15, 60 - 28, 30, 56};
    const Box swapped{60 - 28, 60 - 15, 56, 30};
    const double o1 = region_overlap(e, tight, 120, 120, how), o2 = region_overlap(e, swapped, 120, 120, how);
    EXPECT_GT(o1, 0.5);
    EXPECT_LT(o2, 0.5);
    const auto r = evaluate_fddb({image_with({e}, {{tight, 0.8, 0}, {swapped, 0.9, 0}}, 120, 120)}, how);
    EXPECT_EQ(r.raster, how);
    ASSERT_EQ(r.disc.size(), 2u);
    EXPECT_DOUBLE_EQ(r.disc[1].tpr, 0.0);  // only the swapped box above 0.9
    EXPECT_DOUBLE_EQ(r.disc[1].fp, 1.0);
    EXPECT_DOUBLE_EQ(r.disc[0].tpr, 1.0);  // both: the matching takes the better pair
    EXPECT_DOUBLE_EQ(r.disc[0].fp, 1.0);
  }
}

// The official masks (OpenCV's polygon fill, angle rounded to whole degrees)
// and the pixel-centre ellipse differ only at the boundary.
TEST(FddbOverlap, OpenCvMasksStayCloseToThePixelCentreEllipse) {
  if (!opencv_ellipse_raster_available()) GTEST_SKIP() << "built without OpenCV";
  EXPECT_EQ(default_ellipse_raster(), EllipseRaster::OpenCv);
  std::mt19937_64 rng(4);
  std::uniform_real_distribution<double> U(0, 1);
  double worst = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const Ellipse e{15 + 100 * U(rng), 10 + 60 * U(rng), (U(rng) - 0.5) * 3.2, 40 + 300 * U(rng), 30 + 250 * U(rng)};
    const Box d{e.cx - 60 + 40 * U(rng), e.cy - 80 + 40 * U(rng), 60 + 60 * U(rng), 80 + 60 * U(rng)};
    const long long a_cv = rasterise(e, 400, 320, EllipseRaster::OpenCv).area();
    const long long a_px = rasterise(e, 400, 320, kPixel).area();
    // OpenCV also strokes the polygon's outline: up to about one perimeter
    // of extra pixels.
    const double a = std::trunc(e.major), b = std::trunc(e.minor);
    const double perimeter = 2 * kPi * std::sqrt((a * a + b * b) / 2);
    EXPECT_NEAR(double(a_cv), double(a_px), perimeter + 10) << trial;
    worst = std::max(worst, std::fabs(region_overlap(e, d, 400, 320, EllipseRaster::OpenCv) -
                                      region_overlap(e, d, 400, 320, kPixel)));
  }
  EXPECT_LT(worst, 0.08);
  // Clipping: an ellipse half outside the image keeps only its inside part.
  const Ellipse edge{30, 20, 0, 0, 50};
  const RowSpans r = rasterise(edge, 100, 100, EllipseRaster::OpenCv);
  for (const auto& [b, e] : r.spans) EXPECT_GE(b, 0);
  EXPECT_NEAR(double(r.area()), kPi * 30 * 20 / 2, 60);
}

TEST(FddbEval, RocFilesUseTheOfficialLineFormat) {
  const Box face{20, 20, 30, 30};
  const auto r = evaluate_fddb({image_with({face}, {{face, 0.9, 0}, {Box{0, 70, 10, 10}, 0.25, 0}})});
  const std::string prefix = (std::filesystem::temp_directory_path() / ("ifq_roc_" + std::to_string(::getpid()) + "_")).string();
  save_roc_files(r, prefix);
  std::ifstream disc(prefix + "DiscROC.txt"), cont(prefix + "ContROC.txt");
  std::stringstream d, c;
  d << disc.rdbuf();
  c << cont.rdbuf();
  EXPECT_EQ(d.str(), "1 1 0.25\n1 0 0.9\n");
  EXPECT_EQ(c.str(), "1 1\n1 0\n");
  std::filesystem::remove(prefix + "DiscROC.txt");
  std::filesystem::remove(prefix + "ContROC.txt");
}
