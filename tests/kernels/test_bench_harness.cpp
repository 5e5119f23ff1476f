// The benchmark harness's bookkeeping (not its timings, which are not
// tested: machines are noisy): the interleaved runs give every thread count
// its own full set of runs and stages, on the runtime it names.
#include <gtest/gtest.h>

#include <random>

#include "ifq/error.hpp"
#include "ifq/kernels/bench_harness.hpp"
#include "ifq/kernels/isa.hpp"
#include "random_int_models.hpp"

namespace {

using ifq::kernels::bench_runtimes_interleaved;
using ifq::kernels::Roofline;

ifq::IntModel small_net() {
  std::mt19937 rng(5);
  ifq::testing::RandomNetSpec spec;
  spec.layers = {{16, 3, 1, 1, 2, 2, 0}};
  return ifq::testing::random_int_net(spec, rng);
}

// Binary ops are the popcount kernels' only: a path whose int8 kernel is
// cheaper for a conv (AVX2 without AVX-512) runs that conv with none, so the
// count is checked against the stages, and on the portable path, where every
// binary conv is a popcount stage, it must be positive.
TEST(BenchHarness, InterleavedRunsGiveEveryThreadCountAllRunsAndStages) {
  const ifq::IntModel model = small_net();
  Roofline roof;
  roof.binary_ops_per_second = 1e12;
  for (const auto isa : {ifq::kernels::selected_isa(), ifq::kernels::Isa::portable})
    for (const int runs : {1, 16, 37}) {  // less than, exactly and past one block
      SCOPED_TRACE(ifq::kernels::isa_name(isa));
      const auto b = bench_runtimes_interleaved(model, isa, {2, 1}, runs, 1, {roof, roof});
      ASSERT_EQ(b.size(), 2u);
      EXPECT_EQ(b[0].threads, 2);
      EXPECT_EQ(b[1].threads, 1);
      for (const auto& r : b) {
        EXPECT_EQ(r.isa, isa);
        EXPECT_EQ(r.runs, runs);
        EXPECT_GT(r.median_ms, 0);
        EXPECT_LE(r.min_ms, r.median_ms);
        EXPECT_GE(r.max_ms, r.median_ms);
        EXPECT_EQ(r.stages.size(), b[0].stages.size());
        int64_t popcount_ops = 0;
        for (const auto& s : r.stages) {
          EXPECT_EQ(s.binary_ops > 0, s.kind == "bconv") << s.label;
          popcount_ops += s.binary_ops;
        }
        EXPECT_EQ(r.binary_ops, popcount_ops);
        if (isa == ifq::kernels::Isa::portable) EXPECT_GT(r.binary_ops, 0);
      }
      EXPECT_EQ(b[0].binary_ops, b[1].binary_ops);  // the same network
    }
}

// Variants keep their own options: the same multi-bit network on the digit
// planes and on the int8 kernel, and another model of the same input.
TEST(BenchHarness, VariantsRunWithTheirOwnOptionsAndModels) {
  std::mt19937 rng(6);
  ifq::testing::RandomNetSpec spec;
  spec.layers = {{16, 3, 1, 1}};
  spec.layers[0].weight_bits = 8;
  const ifq::IntModel multibit = ifq::testing::random_int_net(spec, rng), binary = small_net();
  std::vector<ifq::kernels::BenchVariant> v(3);
  for (auto& x : v) {
    x.model = &multibit;
    x.options.isa = ifq::kernels::selected_isa();
  }
  v[0].options.int8_weights = false;
  v[1].options.int8_weights = true;
  v[2].model = &binary;
  const auto b = ifq::kernels::bench_variants_interleaved(v, 20, 1);
  ASSERT_EQ(b.size(), 3u);
  const auto kinds = [](const ifq::kernels::RuntimeBench& r) {
    std::string k;
    for (const auto& s : r.stages) k += s.kind + " ";
    return k;
  };
  EXPECT_EQ(kinds(b[0]).find("i8conv"), std::string::npos) << kinds(b[0]);
  EXPECT_NE(kinds(b[1]).find("i8conv"), std::string::npos) << kinds(b[1]);
  EXPECT_EQ(b[0].macs, b[1].macs);  // one network, two kernels
  for (const auto& r : b) EXPECT_EQ(r.runs, 20);
  ifq::IntModel other_input = binary;
  std::get<ifq::IntInputOp>(other_input.ops[0]).shape.w += 1;
  v[2].model = &other_input;
  EXPECT_THROW(ifq::kernels::bench_variants_interleaved(v, 4, 0), ifq::Error);
}

TEST(BenchHarness, RefusesMismatchedRooflinesAndNoRuns) {
  const ifq::IntModel model = small_net();
  const auto isa = ifq::kernels::selected_isa();
  EXPECT_THROW(bench_runtimes_interleaved(model, isa, {2, 1}, 4, 0, {Roofline{}}), ifq::Error);
  EXPECT_THROW(bench_runtimes_interleaved(model, isa, {1}, 0, 0, {Roofline{}}), ifq::Error);
}

}  // namespace
