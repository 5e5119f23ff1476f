// Integrated conversion is exact (paper §3.2, Table 2 "integrated" row): the
// integer runtime's levels equal the double-precision float reference's, on
// random networks with odd channel counts, k = 1..4, negative and zero BN
// scales, pooling before BN, after BN and after the quantizer.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <set>
#include <random>

#include "ifq/convert.hpp"
#include "level_compare.hpp"
#include "random_networks.hpp"

namespace ifq {
namespace {

using testing::LevelCount;

constexpr int kNetworks = 50;
constexpr int kImagesPerNetwork = 100;

TEST(IntegratedExact, AllQuantizedNetworkEndToEnd) {
  // The first conv is binary on the image (uniform std), so every quantized
  // level in the network is reproduced without any teacher forcing.
  std::mt19937 rng(1234);
  LevelCount total;
  int64_t inputs = 0;
  // Coverage of the cases the test exists for, so it cannot pass vacuously.
  int pools_with_min = 0, zero_scale_notes = 0, negative_notes = 0;
  std::set<int> bits_seen;
  std::map<int, std::vector<int64_t>> histogram;  // bits -> count per level
  for (int n = 0; n < kNetworks; ++n) {
    testing::RandomNetworkSpec spec;
    spec.quantized_first = true;
    spec.quantized_blocks = 1 + n % 4;
    spec.fc_last = n % 2 == 0;
    spec.binary_last = n % 3 == 0;
    const FloatModel fm = testing::random_network(rng, spec);
    const auto converted = convert(fm);
    const IntModel& im = converted.model;
    for (const auto& note : converted.notes) {
      zero_scale_notes += note.text.find("zero scale") != std::string::npos;
      negative_notes += note.text.find("negative") != std::string::npos;
    }
    for (const auto& op : im.ops)
      if (auto* p = std::get_if<IntMaxPoolOp>(&op)) pools_with_min += !p->take_min.empty();
    ReferenceRuntime rt(im);
    rt.set_record(true);
    for (int i = 0; i < kImagesPerNetwork; ++i) {
      const auto image = testing::random_image(rng, std::get<InputLayer>(fm.layers[0]).shape);
      const auto trace = evaluate_float(fm, image);
      rt.run(image);
      size_t q = 0;
      for (size_t op = 0; op < im.ops.size(); ++op)
        if (auto* thr = std::get_if<IntThresholdOp>(&im.ops[op])) {
          ASSERT_LT(q, trace.quant_levels.size());
          bits_seen.insert(thr->bits);
          auto& h = histogram[thr->bits];
          h.resize(size_t(1) << thr->bits);
          for (int32_t level : trace.quant_levels[q]) ++h[size_t(level)];
          total.add(testing::count_mismatches(rt.recorded()[op].data, trace.quant_levels[q++]));
        }
      ASSERT_EQ(q, trace.quant_levels.size()) << "every HWGQ layer must become one threshold op";
      ++inputs;
    }
  }
  std::printf("integrated, all layers quantized: %lld mismatched levels of %lld over %lld inputs\n",
              (long long)total.mismatched, (long long)total.compared, (long long)inputs);
  EXPECT_GT(total.compared, 100000);
  EXPECT_EQ(total.mismatched, 0);
  EXPECT_GT(pools_with_min, 0) << "no pool-before-BN with a negated channel was generated";
  EXPECT_GT(zero_scale_notes, 0) << "no zero BN scale was generated";
  EXPECT_GT(negative_notes, 0) << "no negative BN scale was generated";
  EXPECT_EQ(bits_seen, (std::set<int>{1, 2, 3, 4}));
  for (const auto& [bits, h] : histogram) {
    std::printf("  k=%d level histogram:", bits);
    for (int64_t c : h) std::printf(" %lld", (long long)c);
    std::printf("\n");
    for (size_t level = 0; level < h.size(); ++level) EXPECT_GT(h[level], 0) << "k=" << bits << " never reached level " << level;
  }
}

TEST(IntegratedExact, QuantizedSubstructuresWithFloatFirstAndLastLayers) {
  std::mt19937 rng(98765);
  LevelCount total;
  int64_t inputs = 0;
  for (int n = 0; n < kNetworks; ++n) {
    testing::RandomNetworkSpec spec;
    spec.quantized_blocks = 1 + n % 4;
    spec.fc_last = n % 2 == 1;
    const FloatModel fm = testing::random_network(rng, spec);
    const IntModel im = convert(fm).model;
    ReferenceRuntime rt(im);
    for (int i = 0; i < kImagesPerNetwork; ++i) {
      const auto image = testing::random_image(rng, std::get<InputLayer>(fm.layers[0]).shape);
      const auto trace = evaluate_float(fm, image, -1, /*record_layers=*/true);
      total.add(testing::compare_substructures(fm, im, rt, trace, SubstructureKind::Quantized));
      ++inputs;
    }
  }
  std::printf("integrated, quantized substructures (first/last kept float): %lld mismatched levels of %lld over %lld inputs\n",
              (long long)total.mismatched, (long long)total.compared, (long long)inputs);
  EXPECT_GT(total.compared, 50000);
  EXPECT_EQ(total.mismatched, 0);
}

// DupNet (issue 12): duplicated filters share one accumulator and each copy
// keeps its own alpha, BN (negative and zero scales included) and quantizer,
// so each copy gets its own thresholds; repeated inputs add their blocks.
// Levels must equal the float reference's (the fast runtime on the same
// networks: FastRuntimePaths.DupNetConvertedNetworksMatchTheReference).
TEST(IntegratedExact, DupNetSharedWeightsEndToEnd) {
  std::mt19937 rng(777);
  LevelCount total;
  int duplicated = 0, repeated = 0, negated_copies = 0, pools_with_min = 0;
  for (int n = 0; n < kNetworks; ++n) {
    testing::RandomNetworkSpec spec;
    spec.quantized_first = true;
    spec.share_weights = true;
    spec.quantized_blocks = 1 + n % 4;
    spec.fc_last = n % 2 == 0;
    const FloatModel fm = testing::random_network(rng, spec);
    const IntModel im = convert(fm).model;
    for (const auto& op : im.ops) {
      if (auto* c = std::get_if<IntConvOp>(&op)) {
        duplicated += c->duplicate > 1;
        repeated += c->input_repeat > 1;
        negated_copies += !c->negate.empty();
      }
      if (auto* p = std::get_if<IntMaxPoolOp>(&op)) pools_with_min += !p->take_min.empty();
    }
    // Every duplicated float conv is stored once in the integer model.
    int float_dups = 0, int_dups = 0;
    for (const auto& l : fm.layers)
      if (auto* c = std::get_if<ConvLayer>(&l)) float_dups += c->duplicate > 1;
    for (const auto& op : im.ops)
      if (auto* c = std::get_if<IntConvOp>(&op)) int_dups += c->duplicate > 1;
    EXPECT_EQ(int_dups, float_dups) << "network " << n;
    ReferenceRuntime rt(im);
    rt.set_record(true);
    for (int i = 0; i < kImagesPerNetwork; ++i)
      total.add(testing::compare_every_quantizer(
          fm, im, rt, testing::random_image(rng, std::get<InputLayer>(fm.layers[0]).shape)));
  }
  std::printf("integrated, DupNet sharing: %lld mismatched levels of %lld\n", (long long)total.mismatched,
              (long long)total.compared);
  EXPECT_GT(total.compared, 100000);
  EXPECT_EQ(total.mismatched, 0);
  EXPECT_GT(duplicated, 10);
  EXPECT_GT(repeated, 10);
  EXPECT_GT(negated_copies, 0) << "no duplicated copy with a negative BN scale was generated";
  EXPECT_GT(pools_with_min, 0);
}

// Fixed (multi-bit) weights (issue 13): the integer conv multiplies by
// q - zero_point and each output's alpha is folded into its thresholds, so
// integrated conversion is exact as for binary weights, for every bit width,
// with zero points, DupNet sharing, negative/zero BN scales and pools before BN,
// from the 8-bit image on (a fixed first conv on pixels is integrated too).
TEST(IntegratedExact, FixedWeightsEndToEnd) {
  std::mt19937 rng(4242);
  LevelCount total;
  int with_zero_point = 0, shared = 0, widest_bits = 0;
  for (int n = 0; n < kNetworks; ++n) {
    testing::RandomNetworkSpec spec;
    spec.fixed_weight_bits = 2 + n % 7;
    spec.quantized_first = true;  // every level reproduced without teacher forcing
    spec.share_weights = n % 4 == 1;
    spec.binary_last = n % 5 == 0;
    spec.quantized_blocks = 1 + n % 3;
    spec.fc_last = n % 2 == 0;
    const FloatModel fm = testing::random_network(rng, spec);
    for (const auto& l : fm.layers)
      if (auto* c = std::get_if<ConvLayer>(&l); c && c->weight_kind == WeightKind::Fixed) {
        with_zero_point += c->fixed.zero_point != 0;
        shared += c->duplicate > 1 || c->input_repeat > 1;
      }
    const IntModel im = convert(fm).model;
    for (const auto& op : im.ops)
      if (auto* c = std::get_if<IntConvOp>(&op)) widest_bits = std::max(widest_bits, c->weight_bits);
    ReferenceRuntime rt(im);
    rt.set_record(true);
    for (int i = 0; i < kImagesPerNetwork; ++i)
      total.add(testing::compare_every_quantizer(
          fm, im, rt, testing::random_image(rng, std::get<InputLayer>(fm.layers[0]).shape)));
  }
  std::printf("integrated, fixed weights of 2..8 bits: %lld mismatched levels of %lld\n", (long long)total.mismatched,
              (long long)total.compared);
  EXPECT_GT(total.compared, 50000);
  EXPECT_EQ(total.mismatched, 0);
  EXPECT_GT(with_zero_point, 5);
  EXPECT_GT(shared, 5);
  EXPECT_GE(widest_bits, 9) << "an 8-bit code minus a zero point needs 9 bits";
}

}  // namespace
}  // namespace ifq
