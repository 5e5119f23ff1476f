// Float-teacher distillation terms (src/train/region_distill.cpp): zero when
// the student equals the teacher, the gradient against finite differences of
// the loss, the objectness pull towards the teacher's confidence, and bad
// input. No LibTorch here.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ifq/error.hpp"
#include "ifq/train/region_distill.hpp"

namespace ifq {
namespace {

using trainer::DistillWeights;
using trainer::RegionLossParams;
using trainer::RegionLossResult;

RegionLossParams params(int classes) {
  RegionLossParams p;
  p.classes = classes;
  p.num = 2;
  p.anchors = {1, 1, 2, 0.5};
  return p;
}

constexpr int kBatch = 2, kH = 2, kW = 3;
size_t values(const RegionLossParams& p) { return size_t(kBatch * p.num * (5 + p.classes) * kH * kW); }

std::vector<float> random_raw(const RegionLossParams& p, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.5f);
  std::vector<float> v(values(p));
  for (float& x : v) x = d(rng);
  return v;
}

RegionLossResult distill(const std::vector<float>& s, const std::vector<float>& t, const RegionLossParams& p,
                         DistillWeights w = {}) {
  RegionLossResult r;
  r.grad.assign(s.size(), 0.0f);
  trainer::add_region_distillation(s.data(), t.data(), kBatch, kH, kW, p, w, r);
  return r;
}

TEST(RegionDistill, NothingToLearnWhenTheStudentIsTheTeacher) {
  for (int classes : {1, 3}) {
    const RegionLossParams p = params(classes);
    const auto t = random_raw(p, 7);
    const RegionLossResult r = distill(t, t, p);
    EXPECT_NEAR(r.distill, 0.0, 1e-9) << classes;
    for (float g : r.grad) EXPECT_NEAR(g, 0.0f, 1e-7f) << classes;
  }
}

TEST(RegionDistill, GradientMatchesFiniteDifferences) {
  for (int classes : {1, 3}) {
    const RegionLossParams p = params(classes);
    const auto t = random_raw(p, 11);
    auto s = random_raw(p, 12);
    const DistillWeights w{0.7, 1.3};
    const RegionLossResult r = distill(s, t, p, w);
    EXPECT_GT(r.distill, 0.0);
    EXPECT_DOUBLE_EQ(r.loss, r.distill);
    for (size_t k = 0; k < s.size(); ++k) {
      const float keep = s[k];
      const float h = 1e-2f;
      s[k] = keep + h;
      const double up = distill(s, t, p, w).distill;
      s[k] = keep - h;
      const double down = distill(s, t, p, w).distill;
      s[k] = keep;
      EXPECT_NEAR(r.grad[k], (up - down) / (2 * double(h)), 2e-4) << "classes " << classes << " entry " << k;
    }
  }
}

TEST(RegionDistill, ObjectnessMovesTowardsTheTeachersConfidence) {
  const RegionLossParams p = params(1);
  std::vector<float> s(values(p), 0.0f), t(values(p), 0.0f);
  const int64_t hw = kH * kW;
  const size_t sure = size_t(4 * hw), doubt = size_t(4 * hw + 1);  // image 0, anchor 0, objectness of cells 0 and 1
  t[sure] = 4.0f;    // the teacher sees a face: the student's logit must rise
  t[doubt] = -4.0f;  // it sees none: the student's logit must fall
  const RegionLossResult r = distill(s, t, p, {1, 0});
  EXPECT_LT(r.grad[sure], 0.0f);
  EXPECT_GT(r.grad[doubt], 0.0f);
  EXPECT_NEAR(r.grad[sure], (0.5 - 1 / (1 + std::exp(-4.0))) / kBatch, 1e-6);
  // Without coord weight the box entries stay untouched.
  for (int e = 0; e < 4; ++e) EXPECT_EQ(r.grad[size_t(e * hw)], 0.0f) << e;
  // The terms add to what the region loss already put there.
  RegionLossResult before;
  before.loss = 2.5;
  before.grad.assign(s.size(), 1.0f);
  trainer::add_region_distillation(s.data(), t.data(), kBatch, kH, kW, p, {1, 0}, before);
  EXPECT_NEAR(before.loss, 2.5 + r.distill, 1e-12);
  EXPECT_NEAR(before.grad[sure], 1.0f + r.grad[sure], 1e-7);
}

TEST(RegionDistill, RejectsBadInput) {
  const RegionLossParams p = params(1);
  const auto t = random_raw(p, 3);
  EXPECT_THROW(distill(t, t, p, {-1, 1}), Error);
  EXPECT_THROW(distill(t, t, p, {1, std::nan("")}), Error);
  RegionLossResult shortgrad;
  shortgrad.grad.assign(t.size() - 1, 0.0f);
  EXPECT_THROW(trainer::add_region_distillation(t.data(), t.data(), kBatch, kH, kW, p, {}, shortgrad), Error);
}

}  // namespace
}  // namespace ifq
