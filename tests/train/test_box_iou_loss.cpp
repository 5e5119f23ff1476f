// GIoU and DIoU box losses (src/train/box_iou_loss.cpp): values worked by
// hand, the analytic gradient against finite differences on random boxes,
// and the names the CLI accepts.
#include <gtest/gtest.h>

#include <cmath>
#include <algorithm>
#include <random>

#include "ifq/error.hpp"
#include "ifq/train/box_iou_loss.hpp"

namespace ifq {
namespace {

using trainer::BoxLoss;
using detect::box_from_centre;
using trainer::box_iou_loss;

TEST(BoxIouLoss, PerfectBoxCostsNothing) {
  const detect::Box b = box_from_centre(0.3, 0.6, 0.2, 0.25);
  EXPECT_NEAR(box_iou_loss(BoxLoss::kGiou, b, b).loss, 0, 1e-12);
  EXPECT_NEAR(box_iou_loss(BoxLoss::kDiou, b, b).loss, 0, 1e-12);
}

TEST(BoxIouLoss, OverlappingBoxesByHand) {
  // 2x2 boxes one apart in x: intersection 2, union 6, IoU 1/3; the
  // enclosing box is 3x2 (area 6 = the union, diagonal² 13); centres 1 apart.
  const detect::Box p = box_from_centre(0, 0, 2, 2), g = box_from_centre(1, 0, 2, 2);
  EXPECT_NEAR(box_iou_loss(BoxLoss::kGiou, p, g).loss, 2.0 / 3, 1e-12);
  EXPECT_NEAR(box_iou_loss(BoxLoss::kDiou, p, g).loss, 2.0 / 3 + 1.0 / 13, 1e-12);
}

TEST(BoxIouLoss, DisjointBoxesStillHaveAGradient) {
  // Unit boxes 3 apart: IoU 0; enclosing 4x1 (area 4, union 2; diagonal² 17).
  const detect::Box p = box_from_centre(0, 0, 1, 1), g = box_from_centre(3, 0, 1, 1);
  const auto giou = box_iou_loss(BoxLoss::kGiou, p, g), diou = box_iou_loss(BoxLoss::kDiou, p, g);
  EXPECT_NEAR(giou.loss, 1 + 2.0 / 4, 1e-12);
  EXPECT_NEAR(diou.loss, 1 + 9.0 / 17, 1e-12);
  // Moving towards the truth lowers both.
  EXPECT_LT(giou.d_cx, 0);
  EXPECT_LT(diou.d_cx, 0);
}

TEST(BoxIouLoss, GradientMatchesFiniteDifferences) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> centre(0.2, 0.8), size(0.05, 0.5);
  int checked = 0;
  for (BoxLoss kind : {BoxLoss::kGiou, BoxLoss::kDiou})
    for (int trial = 0; trial < 300; ++trial) {
      // Centre x, y and size w, h of the predicted box and of the truth.
      const double pc[4] = {centre(rng), centre(rng), size(rng), size(rng)};
      const double gc[4] = {centre(rng), centre(rng), size(rng), size(rng)};
      auto box = [](const double* c) { return box_from_centre(c[0], c[1], c[2], c[3]); };
      const detect::Box g = box(gc);
      const auto r = box_iou_loss(kind, box(pc), g);
      const double eps = 1e-7;
      double numeric[4];
      for (int k = 0; k < 4; ++k) {
        double up[4], down[4];
        std::copy(pc, pc + 4, up);
        std::copy(pc, pc + 4, down);
        up[k] += eps;
        down[k] -= eps;
        numeric[k] = (box_iou_loss(kind, box(up), g).loss - box_iou_loss(kind, box(down), g).loss) / (2 * eps);
      }
      const double analytic[4] = {r.d_cx, r.d_cy, r.d_w, r.d_h};
      for (int k = 0; k < 4; ++k)
        EXPECT_NEAR(analytic[k], numeric[k], 1e-5 * (1 + std::fabs(numeric[k])))
            << trainer::box_loss_name(kind) << " trial " << trial << " coordinate " << k;
      checked += r.loss > 0 && r.loss < 2;
    }
  EXPECT_EQ(checked, 600);
}

TEST(BoxIouLoss, NamesAndBadInput) {
  EXPECT_EQ(trainer::parse_box_loss("mse"), BoxLoss::kSquaredError);
  EXPECT_EQ(trainer::parse_box_loss("giou"), BoxLoss::kGiou);
  EXPECT_EQ(trainer::parse_box_loss("diou"), BoxLoss::kDiou);
  EXPECT_STREQ(trainer::box_loss_name(BoxLoss::kDiou), "diou");
  try {
    trainer::parse_box_loss("ciou");
    ADD_FAILURE() << "no error for ciou";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not one of mse, giou, diou"), std::string::npos) << e.what();
  }
  EXPECT_THROW(box_iou_loss(BoxLoss::kGiou, {0, 0, 0, 1}, {0, 0, 1, 1}), Error);
  EXPECT_THROW(box_iou_loss(BoxLoss::kSquaredError, {0, 0, 1, 1}, {0, 0, 1, 1}), Error);
}

}  // namespace
}  // namespace ifq
