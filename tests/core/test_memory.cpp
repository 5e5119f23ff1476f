// Memory accounting (paper §4.1.3, Table 4) and substructure division
// (Table 1) on AlexNet's first layer geometry and a small network.
#include <gtest/gtest.h>

#include <random>

#include "ifq/convert.hpp"
#include "ifq/memory.hpp"
#include "ifq/substructure.hpp"
#include "ifq/verify.hpp"
#include "random_networks.hpp"

namespace ifq {
namespace {

// conv1 of AlexNet-HWGQ (96 filters 11x11/4 on 3x227x227, float weights),
// pool 3/2, BN, HWGQ k; then a binary fc head.
FloatModel alexnet_conv1(int bits) {
  std::mt19937 rng(3);
  std::normal_distribution<float> g(0, 0.1f);
  FloatModel m;
  m.layers.push_back(InputLayer{{3, 227, 227}, {124, 117, 104}, {58.4f, 57.1f, 57.4f}});
  ConvLayer c;
  c.out_channels = 96, c.kernel = 11, c.stride = 4;
  for (int i = 0; i < 96 * 3 * 11 * 11; ++i) c.weight.push_back(g(rng));
  m.layers.push_back(c);
  m.layers.push_back(MaxPoolLayer{3, 2, 0});
  BatchNormLayer bn;
  bn.mean.assign(96, 0.f), bn.var.assign(96, 1.f);
  m.layers.push_back(bn);
  m.layers.push_back(HwgqLayer{bits, 0.5f});
  m.layers.push_back(FlattenLayer{});
  FcLayer fc;
  fc.out_features = 10;
  fc.weight_kind = WeightKind::Binary;
  fc.weight.assign(size_t(10) * 96 * 27 * 27, 0.5f);
  fc.alpha.assign(10, 0.1f);
  m.layers.push_back(fc);
  return m;
}

TEST(Memory, FeatureMapPeakFollowsThePaperDefinition) {
  // Paper Table 4: 0.6 Mbit (k=2) and 1.1 Mbit (k=4): conv1's 55x55x96 map
  // at k bits. We compute 580,800 and 1,161,600 bits.
  EXPECT_EQ(account_memory(convert(alexnet_conv1(2)).model).feature_map_peak_bits, 55 * 55 * 96 * 2);
  EXPECT_EQ(account_memory(convert(alexnet_conv1(4)).model).feature_map_peak_bits, 55 * 55 * 96 * 4);
}

TEST(Memory, ModelSizeCountsEveryStoredBit) {
  const IntModel im = convert(alexnet_conv1(2)).model;
  const MemoryReport rep = account_memory(im);
  int64_t weight_bits = 0, binary_weights = 0;
  for (const auto& op : rep.ops) {
    weight_bits += op.weights * op.weight_bits;
    if (op.weight_bits == 1) binary_weights += op.weights;
  }
  EXPECT_EQ(binary_weights, int64_t(10) * 96 * 27 * 27);  // the fc: 1 bit each
  EXPECT_GT(rep.model_size_bits, weight_bits);            // plus thresholds, biases
  int64_t sum = 0;
  for (const auto& op : rep.ops) sum += op.model_bits;
  EXPECT_EQ(rep.model_size_bits, sum);
  EXPECT_EQ(rep.model_size_bytes, (rep.model_size_bits + 7) / 8);
  // conv1's weights at m=9 take about 9 bits (paper Table 3: 9).
  const auto& conv1 = rep.ops[1];
  EXPECT_EQ(conv1.name, "conv");
  EXPECT_GE(conv1.weight_bits, 6);
  EXPECT_LE(conv1.weight_bits, 10);
  EXPECT_GT(rep.arena_bytes, 0);
}

TEST(Memory, SignedBits) {
  EXPECT_EQ(signed_bits_for(0, 0), 1);
  EXPECT_EQ(signed_bits_for(-1, 0), 1);
  EXPECT_EQ(signed_bits_for(-1, 1), 2);
  EXPECT_EQ(signed_bits_for(-128, 127), 8);
  EXPECT_EQ(signed_bits_for(-129, 0), 9);
  EXPECT_EQ(signed_bits_for(0, 128), 9);
}

TEST(Division, AlexNetStyleFirstLayerIsNonQuantized) {
  const auto subs = divide_substructures(alexnet_conv1(2));
  ASSERT_EQ(subs.size(), 2u);
  EXPECT_EQ(subs[0].kind, SubstructureKind::NonQuantized);  // float conv1 (Table 1: substructure1)
  EXPECT_EQ(subs[0].pool_before_bn, 2);
  EXPECT_EQ(subs[0].describe(alexnet_conv1(2)), "input,conv,maxpool,batchnorm,hwgq,flatten");
  EXPECT_EQ(subs[1].kind, SubstructureKind::NonQuantized);  // binary fc with no quantizer: the output part
}

TEST(Division, BinaryConvOnLevelsIsQuantized) {
  std::mt19937 rng(5);
  testing::RandomNetworkSpec spec;
  spec.quantized_blocks = 3;
  const FloatModel m = testing::random_network(rng, spec);
  const auto subs = divide_substructures(m);
  ASSERT_EQ(subs.size(), 5u);  // first, three quantized, output
  EXPECT_EQ(subs[0].kind, SubstructureKind::NonQuantized);
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(subs[size_t(i)].kind, SubstructureKind::Quantized) << i;
  EXPECT_EQ(subs[4].kind, SubstructureKind::NonQuantized);
  EXPECT_EQ(subs[4].quant, -1);
}

TEST(Verify, IntegratedConversionAgreesOnEveryQuantizedLevel) {
  std::mt19937 rng(21);
  for (int n = 0; n < 10; ++n) {
    testing::RandomNetworkSpec spec;
    spec.quantized_first = n % 2 == 0;
    const FloatModel m = testing::random_network(rng, spec);
    std::vector<std::vector<uint8_t>> images;
    for (int i = 0; i < 20; ++i) images.push_back(testing::random_image(rng, std::get<InputLayer>(m.layers[0]).shape));
    const auto rep = verify_conversion(m, convert(m).model, images);
    EXPECT_GT(rep.quantized_compared(), 0);
    EXPECT_EQ(rep.quantized_mismatched(), 0);
    if (spec.quantized_first) {
      EXPECT_EQ(rep.end_to_end_mismatched, 0);
    }
    ConvertOptions sep;
    sep.quantized = ConversionKind::Separated;
    sep.quantized_m = 4;  // coarse enough to lose levels
    EXPECT_GT(verify_conversion(m, convert(m, sep).model, images).quantized_mismatched(), 0);
  }
}

}  // namespace
}  // namespace ifq
