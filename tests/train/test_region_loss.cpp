// YOLOv2 region loss (trainer/src/region_loss.cpp): hand-computed cases on a
// 2x2 grid with two anchors, a finite-difference check of the gradient, and
// bad input. No LibTorch here.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ifq/error.hpp"
#include "ifq/train/region_loss.hpp"

namespace ifq {
namespace {

using trainer::RegionLossParams;
using trainer::TruthBox;

double sig(double x) { return 1 / (1 + std::exp(-x)); }

// 2x2 grid, anchors (1, 1) and (2, 0.5) in cells, `classes` classes.
RegionLossParams params(int classes = 1) {
  RegionLossParams p;
  p.classes = classes;
  p.num = 2;
  p.anchors = {1, 1, 2, 0.5};
  p.object_scale = 5;
  p.noobject_scale = 1;
  p.class_scale = 1;
  p.coord_scale = 1;
  p.bias_match = true;
  p.warmup_images = 0;  // no prior term unless a test asks for it
  return p;
}

constexpr int G = 2;
int entries(const RegionLossParams& p) { return 5 + p.classes; }
int64_t at(const RegionLossParams& p, int n, int e, int j, int i) {
  return (int64_t(n) * entries(p) + e) * G * G + j * G + i;
}

// Truth at cell (i=1, j=0): x*2 = 1.4, y*2 = 0.6; shape 0.5 x 0.5 equals
// anchor 0 (1/2 x 1/2 of the image) exactly, anchor 1 has shape IoU 1/3.
const TruthBox kTruth{0.7, 0.3, 0.5, 0.5, 0};

TEST(RegionLoss, ResponsibleAnchorGetsCoordObjectnessDeltas) {
  const RegionLossParams p = params();
  std::vector<float> raw(size_t(p.num * entries(p) * G * G), 0.0f);
  raw[size_t(at(p, 0, 2, 0, 1))] = 0.2f;  // tw of the responsible prediction
  const auto r = trainer::region_loss(raw.data(), 1, G, G, p, {{kTruth}}, 0);
  const double cs = 1.0 * (2 - 0.25);  // coord_scale * (2 - w*h)
  // x: target 0.4, σ(0) = 0.5, gradient -cs (t - a) σ'(0).
  EXPECT_NEAR(r.grad[size_t(at(p, 0, 0, 0, 1))], -cs * (0.4 - 0.5) * 0.25, 1e-6);
  EXPECT_NEAR(r.grad[size_t(at(p, 0, 1, 0, 1))], -cs * (0.6 - 0.5) * 0.25, 1e-6);
  // w: target log(0.5 * 2 / 1) = 0, linear.
  EXPECT_NEAR(r.grad[size_t(at(p, 0, 2, 0, 1))], -cs * (0.0 - 0.2), 1e-6);
  EXPECT_NEAR(r.grad[size_t(at(p, 0, 3, 0, 1))], 0.0, 1e-7);
  // Objectness target 1 with object_scale 5.
  EXPECT_NEAR(r.grad[size_t(at(p, 0, 4, 0, 1))], -5 * (1 - 0.5) * 0.25, 1e-6);
  // Anchor 1 of the same cell is not responsible: no coord gradient.
  for (int e = 0; e < 4; ++e) EXPECT_EQ(r.grad[size_t(at(p, 1, e, 0, 1))], 0.0f) << e;
  EXPECT_EQ(r.truths, 1);
}

TEST(RegionLoss, WideTruthPicksTheWideAnchor) {
  const RegionLossParams p = params();
  std::vector<float> raw(size_t(p.num * entries(p) * G * G), 0.0f);
  // 0.9 x 0.2 is closer in shape to anchor 1 (1.0 x 0.25) than to anchor 0.
  const TruthBox wide{0.3, 0.8, 0.9, 0.2, 0};
  const auto r = trainer::region_loss(raw.data(), 1, G, G, p, {{wide}}, 0);
  EXPECT_NE(r.grad[size_t(at(p, 1, 2, 1, 0))], 0.0f);  // tw target log(0.9*2/2) != 0
  EXPECT_NEAR(r.grad[size_t(at(p, 1, 2, 1, 0))], -(2 - 0.18) * (std::log(0.9) - 0), 1e-5);
  EXPECT_EQ(r.grad[size_t(at(p, 0, 2, 1, 0))], 0.0f);
}

TEST(RegionLoss, NoObjectTermIsMaskedAboveThreshold) {
  RegionLossParams p = params();
  std::vector<float> raw(size_t(p.num * entries(p) * G * G), 0.0f);
  // Anchor 1 at cell (1, 0): box (0.75, 0.25, 1.0, 0.25); its IoU with the
  // truth is 0.125 / 0.375 = 1/3. Anchor 1 at cell (0, 0): 0.075 / 0.425.
  const int64_t masked = at(p, 1, 4, 0, 1), unmasked = at(p, 1, 4, 0, 0);
  p.thresh = 0.6;
  auto r = trainer::region_loss(raw.data(), 1, G, G, p, {{kTruth}}, 0);
  EXPECT_NEAR(r.grad[size_t(masked)], -1 * (0 - 0.5) * 0.25, 1e-7);
  EXPECT_NEAR(r.grad[size_t(unmasked)], 0.125, 1e-7);
  p.thresh = 0.3;  // 1/3 > 0.3: this prediction already fits a face
  r = trainer::region_loss(raw.data(), 1, G, G, p, {{kTruth}}, 0);
  EXPECT_EQ(r.grad[size_t(masked)], 0.0f);
  EXPECT_NEAR(r.grad[size_t(unmasked)], 0.125, 1e-7);
  // The no-object loss: 6 unmasked predictions of ½·1·0.5² (8 minus the
  // responsible one minus the masked one).
  EXPECT_NEAR(r.noobject, 6 * 0.125, 1e-9);
}

TEST(RegionLoss, RescoreTargetsTheIoU) {
  RegionLossParams p = params();
  p.rescore = true;
  std::vector<float> raw(size_t(p.num * entries(p) * G * G), 0.0f);
  raw[size_t(at(p, 0, 2, 0, 1))] = 0.2f;
  const auto r = trainer::region_loss(raw.data(), 1, G, G, p, {{kTruth}}, 0);
  // Prediction (0.75, 0.25, 0.5 e^0.2, 0.5) against (0.7, 0.3, 0.5, 0.5).
  const double pw = 0.5 * std::exp(double(0.2f));
  const double ix = std::min(0.75 + pw / 2, 0.95) - std::max(0.75 - pw / 2, 0.45);
  const double iy = std::min(0.5, 0.55) - std::max(0.0, 0.05);
  const double iou = ix * iy / (pw * 0.5 + 0.25 - ix * iy);
  EXPECT_NEAR(r.avg_iou, iou, 1e-9);
  EXPECT_NEAR(r.grad[size_t(at(p, 0, 4, 0, 1))], -5 * (iou - 0.5) * 0.25, 1e-6);
}

// A teacher-scored face: objectness target = its score, coord terms
// weighted by it, left out of the IoU/recall statistics.
TEST(RegionLoss, SoftTruthTargetsTheTeachersScore) {
  const RegionLossParams p = params();
  std::vector<float> raw(size_t(p.num * entries(p) * G * G), 0.0f);
  TruthBox soft = kTruth;
  soft.objectness = 0.4;
  const auto hard = trainer::region_loss(raw.data(), 1, G, G, p, {{kTruth}}, 0);
  const auto r = trainer::region_loss(raw.data(), 1, G, G, p, {{soft}}, 0);
  EXPECT_NEAR(r.grad[size_t(at(p, 0, 4, 0, 1))], -5 * (0.4 - 0.5) * 0.25, 1e-6);  // pushed down towards 0.4
  EXPECT_NEAR(r.grad[size_t(at(p, 0, 0, 0, 1))], 0.4 * hard.grad[size_t(at(p, 0, 0, 0, 1))], 1e-7);
  EXPECT_EQ(r.truths, 0);
  EXPECT_EQ(hard.truths, 1);
  for (double bad : {0.0, 1.5}) {
    soft.objectness = bad;
    EXPECT_THROW(trainer::region_loss(raw.data(), 1, G, G, p, {{soft}}, 0), Error) << bad;
  }
}

TEST(RegionLoss, LossValueAndBatchAveraging) {
  RegionLossParams p;
  p.classes = 1;
  p.num = 1;
  p.anchors = {1, 1};
  p.object_scale = 5;
  p.warmup_images = 0;
  std::vector<float> raw(6 * 2, 0.0f);  // batch of 2 on a 1x1 grid
  const TruthBox t{0.5, 0.5, 0.5, 0.5, 0};
  const auto r = trainer::region_loss(raw.data(), 2, 1, 1, p, {{t}, {}}, 0);
  // Image 0: objectness ½·5·0.5², coords ½·1.75·ln(0.5)² for w and h;
  // image 1: no-object ½·1·0.5². Both divided by the batch (2).
  const double want = (0.625 + 1.75 * std::log(0.5) * std::log(0.5) + 0.125) / 2;
  EXPECT_NEAR(r.loss, want, 1e-9);
  EXPECT_NEAR(r.coord, 1.75 * std::log(0.5) * std::log(0.5) / 2, 1e-9);
  EXPECT_NEAR(r.grad[4], -5 * 0.5 * 0.25 / 2, 1e-7);
  EXPECT_NEAR(r.grad[6 + 4], 0.5 * 0.25 / 2, 1e-7);
}

TEST(RegionLoss, ClassTermIsSoftmaxCrossEntropy) {
  const RegionLossParams p = params(2);
  std::vector<float> raw(size_t(p.num * entries(p) * G * G), 0.0f);
  raw[size_t(at(p, 0, 5, 0, 1))] = 1.0f;  // logits (1, 0); truth class 1
  TruthBox t = kTruth;
  t.class_id = 1;
  const auto r = trainer::region_loss(raw.data(), 1, G, G, p, {{t}}, 0);
  const double p0 = sig(1.0);  // softmax of (1, 0)
  EXPECT_NEAR(r.grad[size_t(at(p, 0, 5, 0, 1))], p0, 1e-6);
  EXPECT_NEAR(r.grad[size_t(at(p, 0, 6, 0, 1))], (1 - p0) - 1, 1e-6);
  EXPECT_NEAR(r.class_term, -std::log(1 - p0), 1e-9);
  // Non-responsible predictions get no class gradient.
  EXPECT_EQ(r.grad[size_t(at(p, 0, 5, 0, 0))], 0.0f);
}

TEST(RegionLoss, PriorWarmupOnlyForTheFirstImages) {
  RegionLossParams p = params();
  p.warmup_images = 12800;
  std::vector<float> raw(size_t(p.num * entries(p) * G * G), 0.0f);
  raw[size_t(at(p, 1, 0, 1, 1))] = 1.0f;  // tx away from the cell centre
  raw[size_t(at(p, 1, 3, 1, 1))] = -0.5f; // th away from the anchor
  auto r = trainer::region_loss(raw.data(), 1, G, G, p, {{kTruth}}, 12799);
  EXPECT_NEAR(r.grad[size_t(at(p, 1, 0, 1, 1))], -0.01 * (0.5 - sig(1)) * sig(1) * (1 - sig(1)), 1e-7);
  EXPECT_NEAR(r.grad[size_t(at(p, 1, 3, 1, 1))], -0.01 * (0 - -0.5), 1e-7);
  EXPECT_GT(r.prior, 0);
  r = trainer::region_loss(raw.data(), 1, G, G, p, {{kTruth}}, 12800);
  EXPECT_EQ(r.grad[size_t(at(p, 1, 0, 1, 1))], 0.0f);
  EXPECT_EQ(r.prior, 0);
}

// A batch of two on the 2x2 grid with random raw outputs and three truths.
constexpr int kBatch = 2;
const std::vector<std::vector<TruthBox>> kTruths = {{kTruth, {0.2, 0.7, 0.3, 0.4, 1}}, {{0.6, 0.6, 0.8, 0.3, 0}}};
std::vector<float> random_raw(const RegionLossParams& p, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0, 0.7f);
  std::vector<float> raw(size_t(kBatch * p.num * entries(p) * G * G));
  for (auto& v : raw) v = nd(rng);
  return raw;
}

// Every entry of the gradient against central differences of the whole loss;
// returns how many entries have a non-zero gradient.
int expect_gradient_matches_finite_differences(std::vector<float> raw, const RegionLossParams& p) {
  const auto r = trainer::region_loss(raw.data(), kBatch, G, G, p, kTruths, 0);
  int nonzero = 0;
  for (size_t k = 0; k < raw.size(); ++k) {
    const float keep = raw[k], eps = 1e-2f;
    raw[k] = keep + eps;
    const double up = trainer::region_loss(raw.data(), kBatch, G, G, p, kTruths, 0).loss;
    raw[k] = keep - eps;
    const double down = trainer::region_loss(raw.data(), kBatch, G, G, p, kTruths, 0).loss;
    raw[k] = keep;
    const double numeric = (up - down) / (double(keep + eps) - double(keep - eps));
    EXPECT_NEAR(r.grad[k], numeric, 2e-3 + 1e-2 * std::fabs(numeric))
        << trainer::box_loss_name(p.box_loss) << " entry " << k;
    nonzero += r.grad[k] != 0;
  }
  return nonzero;
}

TEST(RegionLoss, GradientMatchesFiniteDifferences) {
  RegionLossParams p = params(2);
  p.warmup_images = 100;  // include the prior term
  const std::vector<float> raw = random_raw(p, 3);
  EXPECT_GT(expect_gradient_matches_finite_differences(raw, p), int(raw.size()) / 2);
}

// With an IoU box loss the whole loss, coordinate term included, still has
// the gradient the function returns, and only the responsible anchors'
// coordinates differ from the squared-error run.
TEST(RegionLoss, IouBoxLossGradientMatchesFiniteDifferences) {
  for (trainer::BoxLoss kind : {trainer::BoxLoss::kGiou, trainer::BoxLoss::kDiou}) {
    RegionLossParams p = params(2);
    p.warmup_images = 100;
    const std::vector<float> raw = random_raw(p, 5);
    const auto mse = trainer::region_loss(raw.data(), kBatch, G, G, p, kTruths, 0);
    p.box_loss = kind;
    p.box_loss_weight = 0.7;
    const auto r = trainer::region_loss(raw.data(), kBatch, G, G, p, kTruths, 0);
    EXPECT_NE(r.coord, mse.coord);
    EXPECT_EQ(r.object, mse.object);
    EXPECT_EQ(r.noobject, mse.noobject);
    EXPECT_GT(expect_gradient_matches_finite_differences(raw, p), int(raw.size()) / 2);
    int differ = 0, coord_entries = 0;
    for (size_t k = 0; k < raw.size(); ++k) differ += r.grad[k] != mse.grad[k];
    for (int b = 0; b < kBatch; ++b)
      for (int n = 0; n < p.num; ++n)
        for (int e = 0; e < 4; ++e)
          for (int c = 0; c < G * G; ++c) {
            const size_t k = size_t(b * p.num * entries(p) * G * G + at(p, n, e, c / G, c % G));
            coord_entries += r.grad[k] != mse.grad[k];
          }
    // Three truths, four coordinates each.
    EXPECT_EQ(differ, 12) << trainer::box_loss_name(kind);
    EXPECT_EQ(coord_entries, 12) << trainer::box_loss_name(kind);
  }
}

// scale_x_y = 2 (YOLOv5's grid): the truth's own cell (1, 0), its nearest
// horizontal neighbour (0, 0) (x·2 = 1.4: left half) and its nearest
// vertical neighbour (1, 1) (y·2 = 0.6: lower half) learn it, with centre
// targets relative to each cell; the diagonal cell (0, 1) does not.
TEST(RegionLoss, CentreScaleAssignsTheNearestNeighbourCells) {
  RegionLossParams p = params();
  p.scale_x_y = 2;
  const std::vector<float> raw(size_t(p.num * entries(p) * G * G), 0.0f);
  const auto r = trainer::region_loss(raw.data(), 1, G, G, p, {{kTruth}}, 0);
  const double cs = 2 - 0.25;
  // Offset 2σ(0) − ½ = ½, derivative 2σ'(0) = ½.
  auto expect_centre = [&](int j, int i, double tx, double ty) {
    EXPECT_NEAR(r.grad[size_t(at(p, 0, 0, j, i))], -cs * (tx - 0.5) * 0.5, 1e-6) << i << "," << j;
    EXPECT_NEAR(r.grad[size_t(at(p, 0, 1, j, i))], -cs * (ty - 0.5) * 0.5, 1e-6) << i << "," << j;
    EXPECT_NEAR(r.grad[size_t(at(p, 0, 4, j, i))], -5 * (1 - 0.5) * 0.25, 1e-6) << i << "," << j;
  };
  expect_centre(0, 1, 0.4, 0.6);
  expect_centre(0, 0, 1.4, 0.6);
  expect_centre(1, 1, 0.4, -0.4);
  for (int e = 0; e < 4; ++e) EXPECT_EQ(r.grad[size_t(at(p, 0, e, 1, 0))], 0.0f) << e;
  EXPECT_NEAR(r.grad[size_t(at(p, 0, 4, 1, 0))], 1 * (0.5 - 0) * 0.25, 1e-6);  // no-object term
  EXPECT_EQ(r.truths, 1);  // statistics count the own cell only

  // The default scale 1 keeps YOLOv2's single cell.
  const auto one = trainer::region_loss(raw.data(), 1, G, G, params(), {{kTruth}}, 0);
  EXPECT_EQ(one.grad[size_t(at(p, 0, 0, 0, 0))], 0.0f);
  EXPECT_GT(one.grad[size_t(at(p, 0, 4, 0, 0))], 0.0f);
}

// A truth's own cell keeps it when another truth's neighbour claims the same
// anchor, whatever the order of the truths.
TEST(RegionLoss, CentreScaleOwnCellWinsOverANeighbour) {
  RegionLossParams p = params();
  p.scale_x_y = 2;
  const std::vector<float> raw(size_t(p.num * entries(p) * G * G), 0.0f);
  const TruthBox middle{0.25, 0.25, 0.5, 0.5, 0};  // the middle of cell (0, 0): offset target ½, as predicted
  for (const auto& truths : {std::vector<TruthBox>{kTruth, middle}, std::vector<TruthBox>{middle, kTruth}}) {
    const auto r = trainer::region_loss(raw.data(), 1, G, G, p, {truths}, 0);
    EXPECT_EQ(r.grad[size_t(at(p, 0, 0, 0, 0))], 0.0f);  // kTruth's neighbour target would be 1.4
    EXPECT_EQ(r.truths, 2);
  }
}

// (Seed 3: with seeds 2, 4 and 7 a predicted box edge crosses a truth's edge
// within the ±0.01 step, a kink of the IoU loss, where the one-sided
// differences at 1e-4 agree with the analytic gradient instead.)
TEST(RegionLoss, CentreScaleGradientMatchesFiniteDifferences) {
  for (trainer::BoxLoss kind : {trainer::BoxLoss::kSquaredError, trainer::BoxLoss::kDiou}) {
    RegionLossParams p = params(2);
    p.warmup_images = 100;
    p.scale_x_y = 2;
    p.box_loss = kind;
    const std::vector<float> raw = random_raw(p, 3);
    EXPECT_GT(expect_gradient_matches_finite_differences(raw, p), int(raw.size()) / 2);
  }
}

TEST(RegionLoss, BadInputIsNamed) {
  const RegionLossParams p = params();
  std::vector<float> raw(size_t(p.num * entries(p) * G * G), 0.0f);
  auto expect_error = [&](const std::vector<std::vector<TruthBox>>& t, const char* what) {
    try {
      trainer::region_loss(raw.data(), 1, G, G, p, t, 0);
      ADD_FAILURE() << "no error for " << what;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  expect_error({{{0.5, 0.5, 0.0, 0.2, 0}}}, "outside the image or empty");
  expect_error({{{1.5, 0.5, 0.1, 0.2, 0}}}, "outside the image or empty");
  expect_error({{{0.5, 0.5, 0.1, 0.2, 3}}}, "truth class 3");
  expect_error({{}, {}}, "truth lists for a batch of 1");
  RegionLayer layer;
  layer.num = 2;
  layer.anchors = {1, 1, 2};
  EXPECT_THROW(trainer::region_loss_params(layer, {}), Error);
  layer.anchors = {1, 1, 2, 2};
  EXPECT_THROW(trainer::region_loss_params(layer, {{"object_scale", -1.0}}), Error);
  const auto q = trainer::region_loss_params(layer, {{"object_scale", 5.0}, {"rescore", 1.0}, {"bias_match", 1.0}});
  EXPECT_EQ(q.object_scale, 5.0);
  EXPECT_TRUE(q.rescore);
  EXPECT_TRUE(q.bias_match);
  EXPECT_EQ(q.thresh, 0.6);
}

}  // namespace
}  // namespace ifq
