// Zero-centred fixed-point weights (ifq/train/weight_quantizers.hpp): the
// format fits the centred weights without clipping, every code is within half
// a step of its weight, and a quantized network converts exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "error_text.hpp"
#include "ifq/convert.hpp"
#include "ifq/runtime.hpp"
#include "ifq/reference_eval.hpp"
#include "ifq/train/weight_quantizers.hpp"
#include "level_compare.hpp"
#include "random_networks.hpp"

namespace ifq {
namespace {

std::vector<float> gaussian_weights(std::mt19937& rng, size_t n, double mean, double sd) {
  std::normal_distribution<double> g(mean, sd);
  std::vector<float> w(n);
  for (float& x : w) x = float(g(rng));
  return w;
}

TEST(ZeroCentred, FormatIsAPowerOfTwoThatFitsTheCentredRange) {
  std::mt19937 rng(5);
  for (int bits = 2; bits <= 8; ++bits)
    for (double mean : {0.0, 0.03, -0.2}) {
      const auto w = gaussian_weights(rng, 500, mean, 0.1);
      const FixedFormat f = zero_centred_format(w, bits);
      int exponent = 0;
      EXPECT_EQ(std::frexp(f.step, &exponent), 0.5) << "step " << f.step << " is not a power of two";
      // The mean is kept as the zero point, to within half a step.
      EXPECT_LE(std::fabs(mean + f.zero_point * f.step), 0.5 * f.step + 0.02) << bits << " bits, mean " << mean;
      double worst = 0;
      int lowest = 1 << 10, highest = -(1 << 10);
      for (float x : w) {
        const int q = fixed_code(x, f, bits);
        lowest = std::min(lowest, q), highest = std::max(highest, q);
        worst = std::max(worst, std::fabs(double(x) - f.step * (q - f.zero_point)));
      }
      EXPECT_GE(lowest, fixed_code_min(bits));
      EXPECT_LE(highest, fixed_code_max(bits));
      // No clipping beyond the zero point's rounding: every weight within a step.
      EXPECT_LE(worst, f.step * 1.0 + 1e-12) << bits << " bits";
      // The smallest such power of two: at half the step the centred
      // maximum or minimum would not fit.
      double sum = 0;
      for (float x : w) sum += x;
      const double m = sum / double(w.size()), half = std::ldexp(1.0, bits - 1), finer = f.step / 2;
      const double hi = *std::max_element(w.begin(), w.end()) - m, lo = *std::min_element(w.begin(), w.end()) - m;
      EXPECT_TRUE(hi / finer > half - 0.5 || -lo / finer > half + 0.5) << bits << " bits: a finer step would fit";
    }
}

TEST(ZeroCentred, CodesRoundHalfToEvenLikeTorch) {
  const FixedFormat f{0.25, 0};
  EXPECT_EQ(fixed_code(0.125, f, 4), 0);   // 0.5 -> 0
  EXPECT_EQ(fixed_code(0.375, f, 4), 2);   // 1.5 -> 2
  EXPECT_EQ(fixed_code(-0.375, f, 4), -2);
  EXPECT_EQ(fixed_code(100.0, f, 4), 7);   // clamped
  EXPECT_EQ(fixed_code(-100.0, f, 4), -8);
  EXPECT_EQ(fixed_code(0.0, FixedFormat{0.25, 3}, 4), 3);
}

TEST(ZeroCentred, BadInputIsRefused) {
  EXPECT_NE(testing::error_of([] { zero_centred_format({0.1f}, 1); }).find("2..8 bits"), std::string::npos);
  EXPECT_NE(testing::error_of([] { zero_centred_format({}, 4); }).find("empty"), std::string::npos);
  EXPECT_NE(testing::error_of([] { zero_centred_format({NAN}, 4); }).find("not finite"), std::string::npos);
}

// A random binary network made zero-centred b-bit: every binary layer becomes
// fixed, and its integrated conversion reproduces the float levels exactly.
TEST(ZeroCentred, QuantizedNetworkConvertsExactly) {
  std::mt19937 rng(77);
  testing::LevelCount total;
  for (int n = 0; n < 12; ++n) {
    testing::RandomNetworkSpec spec;
    spec.quantized_first = true;
    spec.quantized_blocks = 2;
    const int bits = 2 + n % 7;
    const FloatModel fm = with_zero_centred_weights(testing::random_network(rng, spec), bits);
    int fixed = 0;
    for (const auto& l : fm.layers)
      if (auto* c = std::get_if<ConvLayer>(&l)) {
        EXPECT_NE(c->weight_kind, WeightKind::Binary);
        fixed += c->weight_kind == WeightKind::Fixed && c->fixed.bits == bits;
      }
    EXPECT_EQ(fixed, 3);
    const IntModel im = convert(fm).model;
    ReferenceRuntime rt(im);
    rt.set_record(true);
    for (int i = 0; i < 20; ++i)
      total.add(testing::compare_every_quantizer(
          fm, im, rt, testing::random_image(rng, std::get<InputLayer>(fm.layers[0]).shape)));
  }
  EXPECT_GT(total.compared, 10000);
  EXPECT_EQ(total.mismatched, 0);
}

// Empirical mean squared quantization error of `weights` in `f`.
double empirical_mse(const std::vector<float>& weights, const FixedFormat& f, int bits) {
  double s = 0;
  for (float w : weights) {
    const double e = double(w) - f.step * (fixed_code(w, f, bits) - f.zero_point);
    s += e * e;
  }
  return s / double(weights.size());
}

// On skewed weights (two half-Gaussians of different spread) the chosen step
// is near the minimum of the actual error, and better than the zero-centred
// power-of-two format.
TEST(PiecewiseGaussian, WeightStepMinimizesTheQuantizationError) {
  std::mt19937 rng(11);
  std::normal_distribution<double> g(0, 1);
  for (int bits : {2, 4, 8}) {
    std::vector<float> w(200000);
    for (float& x : w) {
      const double z = g(rng);
      x = float(0.02 + (z < 0 ? 0.05 * z : 0.11 * z));
    }
    const FixedFormat f = piecewise_gaussian_format(w, bits);
    const double best = empirical_mse(w, f, bits);
    // The fit splits at the mean, these weights at their mode: near the
    // optimum, not exactly at it (within 5 % of the error of steps 0.8-1.25x,
    // each with its better zero point).
    double mean = 0;
    for (float x : w) mean += x;
    mean /= double(w.size());
    for (double k : {0.8, 0.9, 1.1, 1.25}) {
      // The other step with its better zero point of the two around the mean.
      const double step = f.step * k;
      const double other = std::min(empirical_mse(w, {step, int(std::floor(-mean / step))}, bits),
                                    empirical_mse(w, {step, int(std::ceil(-mean / step))}, bits));
      EXPECT_LT(best, 1.05 * other) << bits << " bits, step x" << k;
    }
    EXPECT_LT(best, empirical_mse(w, zero_centred_format(w, bits), bits)) << bits << " bits";
    EXPECT_LE(std::fabs(mean + f.zero_point * f.step), f.step + 1e-9) << "the zero point within a step of the mean";
  }
}

// For a unit half-Gaussian input, the fitted rule finds HWGQ's own step
// (optimal for exactly that density, algorithms.md §1) to within 2 %; for
// an input twice as wide, twice the step.
TEST(PiecewiseGaussian, HwgqStepOfAGaussianIsHwgqsStep) {
  std::mt19937 rng(12);
  std::normal_distribution<double> g(0, 1);
  std::vector<float> x(200000), wide(200000);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(g(rng)), wide[i] = 2 * x[i];
  for (int bits = 1; bits <= 4; ++bits) {
    const double want = hwgq_default_step(bits);
    EXPECT_NEAR(piecewise_gaussian_hwgq_step(x, bits), want, 0.02 * want) << bits << " bits";
    EXPECT_NEAR(piecewise_gaussian_hwgq_step(wide, bits), 2 * want, 0.04 * want) << bits << " bits";
  }
  EXPECT_NE(testing::error_of([] { piecewise_gaussian_hwgq_step({-1.f, 0.f, 0.5f}, 2); }).find("fewer than 16"),
            std::string::npos);
}

}  // namespace
}  // namespace ifq
