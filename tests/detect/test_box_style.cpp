// Box styles (box_style.hpp): applying one, fitting one back from noisy
// detection-face pairs (boxes and FDDB ellipses), the ellipse output, and the
// style file's handling of bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>

#include "ifq/detect/box_style.hpp"
#include "ifq/detect/datasets.hpp"
#include "ifq/error.hpp"
#include "../core/temp_dir.hpp"

using namespace ifq::detect;

namespace {

constexpr double kPi = 3.14159265358979323846;

// The box a detector in the raw style reports for a face of the target
// style: apply_box_style's inverse.
Box raw_box_for(const Box& face, const BoxStyle& s) {
  const double w = face.w / s.sw, h = face.h / s.sh;
  return box_from_centre(face.x + face.w / 2 - s.dx * w, face.y + face.h / 2 - s.dy * h, w, h);
}

// Photos of 1-4 faces; every face found in the raw style with 3 % noise on
// each coordinate, plus one false positive per photo away from the faces.
std::vector<BoxStyleFitImage> noisy_photos(const BoxStyle& truth_style, int photos, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> size(20, 120), noise(-0.03, 0.03), score(0.3, 1.0);
  std::vector<BoxStyleFitImage> out;
  for (int p = 0; p < photos; ++p) {
    BoxStyleFitImage im;
    const int faces = 1 + int(rng() % 4);
    for (int k = 0; k < faces; ++k) {
      const double s = size(rng);
      const Box face{300.0 * k, 50, s, s * 1.3};
      im.faces.push_back(face);
      Box d = raw_box_for(face, truth_style);
      d = {d.x + noise(rng) * d.w, d.y + noise(rng) * d.h, d.w * (1 + noise(rng)), d.h * (1 + noise(rng))};
      im.detections.push_back({d, score(rng), 0});
    }
    im.detections.push_back({{2000, 2000, 40, 40}, 0.9, 0});
    out.push_back(std::move(im));
  }
  return out;
}

}  // namespace

TEST(BoxStyle, ApplyShiftsTheCentreAndScalesInUnitsOfTheBox) {
  const Box b{10, 20, 40, 50};
  const Box same = apply_box_style(b, BoxStyle{});
  EXPECT_EQ(same.x, 10);
  EXPECT_EQ(same.h, 50);
  EXPECT_TRUE(BoxStyle{}.identity());
  const Box s = apply_box_style(b, BoxStyle{0.25, -0.1, 1.5, 1.2});
  EXPECT_DOUBLE_EQ(s.w, 60);
  EXPECT_DOUBLE_EQ(s.h, 60);
  EXPECT_DOUBLE_EQ(s.x + s.w / 2, 30 + 10);  // centre 30 + 0.25 x 40
  EXPECT_DOUBLE_EQ(s.y + s.h / 2, 45 - 5);   // centre 45 - 0.1 x 50
  EXPECT_FALSE((BoxStyle{0.25, -0.1, 1.5, 1.2}).identity());
}

TEST(BoxStyle, FitRecoversAKnownStyleFromNoisyDetections) {
  // FDDB-like: the faces reach higher (forehead) and are larger than the
  // boxes, so that about half the raw boxes miss the protocol's IoU 0.5.
  const BoxStyle truth{0.02, -0.1, 1.25, 1.6};
  const BoxStyleFit fit = fit_box_style(noisy_photos(truth, 200, 7));
  EXPECT_NEAR(fit.style.dx, truth.dx, 0.01);
  EXPECT_NEAR(fit.style.dy, truth.dy, 0.01);
  EXPECT_NEAR(fit.style.sw, truth.sw, 0.01);
  EXPECT_NEAR(fit.style.sh, truth.sh, 0.01);
  EXPECT_GE(fit.pairs, 400);  // every face of ~500 that its detection reaches at IoU >= 0.3
  EXPECT_LT(fit.median_iou_before, 0.8);
  EXPECT_GT(fit.median_iou_after, 0.9);
  EXPECT_LT(fit.share_over_half_before, 0.7);
  EXPECT_GT(fit.share_over_half_after, 0.99);
}

TEST(BoxStyle, FitOfBoxesAlreadyInTheStyleIsTheIdentity) {
  const BoxStyleFit fit = fit_box_style(noisy_photos(BoxStyle{}, 100, 8));
  EXPECT_NEAR(fit.style.dx, 0, 0.01);
  EXPECT_NEAR(fit.style.dy, 0, 0.01);
  EXPECT_NEAR(fit.style.sw, 1, 0.01);
  EXPECT_NEAR(fit.style.sh, 1, 0.01);
}

TEST(BoxStyle, LowScoresAndTooFewPairsAreLeftOutOrRefused) {
  auto photos = noisy_photos(BoxStyle{}, 10, 9);
  for (auto& p : photos)
    for (auto& d : p.detections) d.score = 0.1;
  EXPECT_THROW(fit_box_style(photos), ifq::Error);  // nothing at the default min_score 0.25
  BoxStyleFitOptions o;
  o.min_score = 0.05;
  o.min_pairs = 1000;
  try {
    fit_box_style(photos, o);
    FAIL() << "a fit on too few pairs";
  } catch (const ifq::Error& e) {
    EXPECT_NE(std::string(e.what()).find("at least 1000"), std::string::npos) << e.what();
  }
  o.min_iou = 0;
  EXPECT_THROW(fit_box_style(photos, o), ifq::Error);
}

TEST(BoxStyle, EllipsesEnterAsTheirBoundingBoxAndBoxesLeaveAsInscribedEllipses) {
  const Box flat = region_bounding_box(Ellipse{30, 20, 0, 100, 50});
  EXPECT_DOUBLE_EQ(flat.w, 60);
  EXPECT_DOUBLE_EQ(flat.h, 40);
  EXPECT_DOUBLE_EQ(flat.x, 70);
  const Box upright = region_bounding_box(Ellipse{30, 20, kPi / 2, 100, 50});
  EXPECT_NEAR(upright.w, 40, 1e-9);
  EXPECT_NEAR(upright.h, 60, 1e-9);
  const Box diagonal = region_bounding_box(Ellipse{30, 20, kPi / 4, 0, 0});
  EXPECT_NEAR(diagonal.w, 2 * std::sqrt((900.0 + 400.0) / 2), 1e-9);
  EXPECT_NEAR(diagonal.h, diagonal.w, 1e-9);
  const Box b{10, 20, 30, 50};
  EXPECT_EQ(region_bounding_box(FaceRegion{b}).w, 30);
  const Ellipse e = ellipse_in_box(b);
  EXPECT_DOUBLE_EQ(e.major, 25);
  EXPECT_DOUBLE_EQ(e.minor, 15);
  EXPECT_DOUBLE_EQ(e.angle, kPi / 2);
  const Box back = region_bounding_box(e);
  EXPECT_NEAR(back.x, b.x, 1e-9);
  EXPECT_NEAR(back.y, b.y, 1e-9);
  EXPECT_NEAR(back.w, b.w, 1e-9);
  EXPECT_NEAR(back.h, b.h, 1e-9);
  EXPECT_EQ(ellipse_in_box(Box{0, 0, 50, 30}).angle, 0.0);
}

TEST(BoxStyle, EllipseDetectionFileReadsBackAsTheInscribedEllipses) {
  ifq::testing::TempDir dir;
  save_detections_as_ellipses({{"img/a", {{{10, 20, 30, 50}, 0.75, 0}}}, {"img/b", {}}}, dir.file("e.txt"));
  const std::vector<FddbImage> back = load_fddb_ellipses(dir.file("e.txt"));  // the same line shape
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].name, "img/a");
  ASSERT_EQ(back[0].faces.size(), 1u);
  EXPECT_DOUBLE_EQ(back[0].faces[0].major, 25);
  EXPECT_DOUBLE_EQ(back[0].faces[0].cy, 45);
  EXPECT_NEAR(back[0].faces[0].angle, kPi / 2, 1e-6);
  EXPECT_TRUE(back[1].faces.empty());
  std::ifstream in(dir.file("e.txt"));
  std::string line;
  for (int k = 0; k < 3; ++k) std::getline(in, line);
  EXPECT_EQ(line, "25.00 15.00 1.570796 25.00 45.00 0.75");
}

TEST(BoxStyle, StyleFileRoundTripsAndBadFilesAreNamed) {
  ifq::testing::TempDir dir;
  BoxStyleFit fit;
  fit.style = {0.01, -0.2, 1.05, 1.4};
  fit.pairs = 99;
  save_box_style(dir.file("s.json"), fit, {{"model", "m.ifqi"}});
  const BoxStyle back = load_box_style(dir.file("s.json"));
  EXPECT_EQ(back.dx, 0.01);
  EXPECT_EQ(back.dy, -0.2);
  EXPECT_EQ(back.sw, 1.05);
  EXPECT_EQ(back.sh, 1.4);
  const auto refused = [&](const std::string& text, const std::string& why) {
    ifq::testing::write_bytes(dir.file("bad.json"), text);
    try {
      load_box_style(dir.file("bad.json"));
      ADD_FAILURE() << "accepted: " << text;
    } catch (const ifq::Error& e) {
      EXPECT_NE(std::string(e.what()).find("bad.json"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
    }
  };
  refused("{not json", "not JSON");
  refused("{\"dx\": 0, \"dy\": 0, \"sw\": 1, \"sh\": 1}", "ifq-box-style");
  refused("{\"format\": 5, \"dx\": 0, \"dy\": 0, \"sw\": 1, \"sh\": 1}", "ifq-box-style");
  refused("[1, 2]", "ifq-box-style");
  refused("{\"format\": \"ifq-box-style\", \"dx\": 0, \"dy\": 0, \"sw\": 1}", "\"sh\"");
  refused("{\"format\": \"ifq-box-style\", \"dx\": \"0\", \"dy\": 0, \"sw\": 1, \"sh\": 1}", "\"dx\"");
  refused("{\"format\": \"ifq-box-style\", \"dx\": 0, \"dy\": 0, \"sw\": 0, \"sh\": 1}", "> 0");
  EXPECT_THROW(load_box_style(dir.file("missing.json")), ifq::Error);
}
