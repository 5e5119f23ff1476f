// Separated conversion (paper §2.2, Eq. 5) loses information as m falls: the
// shape of the paper's Table 2 (quantized substructures) and Fig. 4 (first
// and last substructures), measured on random networks.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "ifq/convert.hpp"
#include "level_compare.hpp"
#include "random_networks.hpp"

namespace ifq {
namespace {

using testing::LevelCount;

struct Case {
  FloatModel model;
  std::vector<FloatTrace> traces;
};

std::vector<Case> make_cases(uint32_t seed, int networks, int images) {
  std::mt19937 rng(seed);
  std::vector<Case> cases;
  for (int n = 0; n < networks; ++n) {
    testing::RandomNetworkSpec spec;
    spec.quantized_blocks = 1 + n % 4;
    spec.fc_last = n % 2 == 0;
    Case c{testing::random_network(rng, spec), {}};
    const Shape3 in = std::get<InputLayer>(c.model.layers[0]).shape;
    for (int i = 0; i < images; ++i) c.traces.push_back(evaluate_float(c.model, testing::random_image(rng, in), -1, true));
    cases.push_back(std::move(c));
  }
  return cases;
}

LevelCount quantized_mismatches(const std::vector<Case>& cases, const ConvertOptions& opt) {
  LevelCount total;
  for (const auto& c : cases) {
    const IntModel im = convert(c.model, opt).model;
    ReferenceRuntime rt(im);
    for (const auto& t : c.traces) total.add(testing::compare_substructures(c.model, im, rt, t, SubstructureKind::Quantized));
  }
  return total;
}

TEST(SeparatedSweep, QuantizedSubstructureMismatchesFallAsMGrows) {
  const auto cases = make_cases(424242, 40, 60);
  ConvertOptions integrated;
  const LevelCount exact = quantized_mismatches(cases, integrated);
  std::printf("quantized substructures, levels differing from the float network (%lld levels compared):\n",
              (long long)exact.compared);
  std::printf("  %-16s %10s %9s\n", "conversion", "mismatches", "rate");
  std::vector<int64_t> by_m;
  for (int m : {8, 9, 10, 12, 14}) {
    ConvertOptions opt;
    opt.quantized = ConversionKind::Separated;
    opt.quantized_m = m;
    const LevelCount c = quantized_mismatches(cases, opt);
    ASSERT_EQ(c.compared, exact.compared);
    std::printf("  separated m=%-4d %10lld %8.4f%%\n", m, (long long)c.mismatched, 100.0 * double(c.mismatched) / double(c.compared));
    by_m.push_back(c.mismatched);
  }
  std::printf("  %-16s %10lld %8.4f%%\n", "integrated", (long long)exact.mismatched, 100.0 * double(exact.mismatched) / double(exact.compared));
  EXPECT_EQ(exact.mismatched, 0);
  for (size_t i = 1; i < by_m.size(); ++i) EXPECT_LE(by_m[i], by_m[i - 1]) << "mismatches must not grow with m";
  EXPECT_GT(by_m.front(), 10 * std::max<int64_t>(by_m.back(), 1)) << "m=8 must lose clearly more than m=14";
}

TEST(SeparatedSweep, FirstSubstructureLevelsApproachFloatAsMGrows) {
  // Fig. 4b: the first substructure (float weights on the 8-bit image)
  // converted with floor(W * 2^m); the rest of it folded exactly.
  std::mt19937 rng(777);
  std::vector<std::pair<FloatModel, std::vector<std::vector<uint8_t>>>> nets;
  for (int n = 0; n < 30; ++n) {
    testing::RandomNetworkSpec spec;
    spec.quantized_blocks = 1;
    auto model = testing::random_network(rng, spec);
    std::vector<std::vector<uint8_t>> images;
    for (int i = 0; i < 40; ++i) images.push_back(testing::random_image(rng, std::get<InputLayer>(model.layers[0]).shape));
    nets.emplace_back(std::move(model), std::move(images));
  }
  std::printf("first substructure, levels differing from the float network:\n");
  std::vector<int64_t> by_m;
  for (int m : {3, 5, 7, 9, 12}) {
    ConvertOptions opt;
    opt.first_m = m;
    LevelCount total;
    for (const auto& [model, images] : nets) {
      const IntModel im = convert(model, opt).model;
      const auto& span = im.substructures.front();
      ReferenceRuntime rt(im);
      rt.set_record(true);
      const double step = testing::step_at(model, span.layer_end - 1);
      for (const auto& image : images) {
        const auto trace = evaluate_float(model, image, span.layer_end);
        rt.run(image);
        const auto& out = rt.recorded()[size_t(span.op_end) - 1];
        total.add(testing::count_mismatches(out.data, testing::levels_of(trace.output, step, out.shape).data));
      }
    }
    std::printf("  first_m=%-3d %8lld of %lld (%.4f%%)\n", m, (long long)total.mismatched, (long long)total.compared,
                100.0 * double(total.mismatched) / double(total.compared));
    by_m.push_back(total.mismatched);
  }
  for (size_t i = 1; i < by_m.size(); ++i) EXPECT_LE(by_m[i], by_m[i - 1]);
  EXPECT_GT(by_m.front(), by_m.back());
}

TEST(SeparatedSweep, LastSubstructureOutputErrorFallsAsMGrows) {
  // Fig. 4a: the output substructure produces fixed point with m fractional
  // bits; fed the float network's levels, its error shrinks with m.
  const auto cases = make_cases(31337, 30, 40);
  std::printf("last substructure, max |integer/2^m - float| over all outputs:\n");
  std::vector<double> by_m;
  for (int m : {4, 6, 8, 10, 14}) {
    ConvertOptions opt;
    opt.last_m = m;
    double worst = 0;
    for (const auto& c : cases) {
      const IntModel im = convert(c.model, opt).model;
      const auto& span = im.substructures.back();
      ASSERT_EQ(im.output.frac_bits, m);
      ReferenceRuntime rt(im);
      const auto shapes = infer_int_shapes(im);
      for (const auto& t : c.traces) {
        const auto in = testing::levels_of(t.layer_outputs[size_t(span.layer_begin) - 1],
                                           testing::step_at(c.model, span.layer_begin - 1), shapes[size_t(span.op_begin) - 1]);
        const auto out = rt.run_range(in, span.op_begin, span.op_end);
        for (size_t i = 0; i < out.data.size(); ++i)
          worst = std::max(worst, std::fabs(std::ldexp(double(out.data[i]), -m) - t.output[i]));
      }
    }
    std::printf("  last_m=%-3d %.6f\n", m, worst);
    by_m.push_back(worst);
  }
  for (size_t i = 1; i < by_m.size(); ++i) EXPECT_LT(by_m[i], by_m[i - 1]);
  EXPECT_LT(by_m.back(), 0.05);
}

}  // namespace
}  // namespace ifq
