// LibTorch's forward pass (the trainer's network in evaluation mode) computes
// what the double-precision reference evaluator specifies: identical HWGQ
// levels at every quantizer and the same logits, over random networks and
// images (random BN statistics, negative gamma, exact-zero weights).
#include <gtest/gtest.h>

#include <cmath>

#include "ifq/cfg.hpp"
#include "ifq/reference_eval.hpp"
#include "ifq/train/weight_quantizers.hpp"
#include "ifq_trainer/trainer.hpp"
#include "synthetic_data.hpp"

namespace ifq {
namespace {

// Random BN statistics and affine parameters (some gamma negative) so that
// levels are spread out instead of saturated.
void randomise_bn(FloatModel& m, uint64_t seed) {
  uint64_t s = seed;
  auto u = [&](double lo, double hi) { return lo + (hi - lo) * double(trainer::splitmix64(s) >> 11) * 0x1.0p-53; };
  for (Layer& l : m.layers)
    if (auto* bn = std::get_if<BatchNormLayer>(&l)) {
      for (auto& v : bn->mean) v = float(u(-1.0, 1.0));
      for (auto& v : bn->var) v = float(u(0.2, 3.0));
      for (auto& v : bn->gamma) v = float(u(-0.5, 1.5));
      for (auto& v : bn->beta) v = float(u(-0.5, 0.5));
    }
}

class TorchParity : public ::testing::TestWithParam<std::tuple<bool, int>> {};

TEST_P(TorchParity, LevelsAndLogitsEqualTheReferenceEvaluator) {
  const auto [first_last_float, bits] = GetParam();
  for (uint64_t seed : {1u, 2u, 3u, 4u, 5u}) {
    CfgOptions o;
    o.seed = seed;
    const bool dupnet = seed == 4;  // duplicated filters and repeated inputs
    FloatModel m = parse_cfg(testing::tiny_cfg(first_last_float, bits, dupnet), "tiny.cfg", o).model;
    randomise_bn(m, seed * 77);
    // Exact zeros in a binary layer: sign(0) must be +1 in both worlds.
    auto& conv = std::get<ConvLayer>(m.layers[first_last_float ? 5 : 1]);
    for (size_t i = 0; i < conv.weight.size(); i += 5) conv.weight[i] = 0.0f;
    // Fixed (multi-bit) weights with zero points: alpha * (q - zero_point).
    if (seed == 5) m = with_zero_centred_weights(m, 3 + bits);
    const trainer::Dataset data = testing::synthetic_bars(40, 4, {1, 8, 8}, seed);
    const trainer::TorchEvaluation ev = trainer::torch_evaluate(m, data, /*float64=*/true, /*record_levels=*/true, 1);
    ASSERT_EQ(ev.levels.size(), 3u);
    int64_t compared = 0;
    for (int64_t i = 0; i < data.size(); ++i) {
      const FloatTrace tr = evaluate_float(m, data.image(i));
      ASSERT_EQ(tr.quant_layer, ev.quant_layer);
      for (size_t q = 0; q < tr.quant_levels.size(); ++q) {
        const size_t n = tr.quant_levels[q].size();
        const std::vector<int32_t> torch_levels(ev.levels[q].begin() + long(size_t(i) * n),
                                                ev.levels[q].begin() + long(size_t(i + 1) * n));
        ASSERT_EQ(torch_levels, tr.quant_levels[q]) << "image " << i << " quantizer " << q << " seed " << seed;
        compared += int64_t(n);
      }
      for (int c = 0; c < ev.classes; ++c)
        EXPECT_NEAR(ev.logits[size_t(i) * size_t(ev.classes) + size_t(c)], tr.output[size_t(c)],
                    1e-5 * (1 + std::fabs(tr.output[size_t(c)])));
    }
    EXPECT_GT(compared, 0);
    // The levels are not degenerate (all one value).
    int64_t distinct_mask = 0;
    for (int32_t v : ev.levels[1]) distinct_mask |= int64_t(1) << v;
    EXPECT_GE(__builtin_popcountll(uint64_t(distinct_mask)), 2);
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, TorchParity,
                         ::testing::Combine(::testing::Bool(), ::testing::Values(1, 2, 3, 4)));

TEST(TorchParity, AccuracyCountsTopOneAndTopFive) {
  // 2 images, 6 classes.
  const std::vector<float> logits = {0, 1, 2, 3, 4, 5,  /**/ 9, 8, 7, 6, 5, 4};
  const auto a = trainer::accuracy_from_logits(logits, 6, {5, 5});
  EXPECT_DOUBLE_EQ(a.top1, 0.5);
  EXPECT_DOUBLE_EQ(a.top5, 0.5);  // label 5 ranks 6th in the second image
  const auto b = trainer::accuracy_from_logits(logits, 6, {1, 4});
  EXPECT_DOUBLE_EQ(b.top1, 0.0);
  EXPECT_DOUBLE_EQ(b.top5, 1.0);
}

}  // namespace
}  // namespace ifq
