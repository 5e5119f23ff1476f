// Whole networks: FastRuntime output identical to ReferenceRuntime on every
// path and thread count; static memory plan (no allocation per inference);
// clear errors on bad input.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <random>

#include "ifq/convert.hpp"
#include "ifq/error.hpp"
#include "ifq/fast_runtime.hpp"
#include "ifq/kernels/bench_models.hpp"
#include "ifq/kernels/kernel_list.hpp"
#include "ifq/runtime.hpp"
#include "core/random_networks.hpp"
#include "op_samples/op_samples.hpp"
#include "random_int_models.hpp"

// Counts heap allocations made by this process (for the no-allocation test).
// Replacing the global operator new/delete pair with malloc/free is valid;
// GCC cannot see that the pair is replaced together.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
namespace {
std::atomic<int64_t> g_allocations{0};
}
void* operator new(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace ifq {
namespace {

using kernels::Isa;

std::vector<uint8_t> random_image(Shape3 s, std::mt19937& rng) {
  std::vector<uint8_t> img(size_t(s.elements()));
  for (auto& v : img) v = uint8_t(rng());
  return img;
}

class FastRuntimePaths : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    if (!kernels::isa_supported(GetParam())) GTEST_SKIP() << kernels::isa_name(GetParam()) << " not supported";
  }
};

testing::RandomNetSpec spec_variant(int v, std::mt19937& rng) {
  testing::RandomNetSpec s;
  s.bits = 1 + v % 4;
  s.input = {1 + v % 3, 17 + int(rng() % 20), 19 + int(rng() % 24)};
  s.first_binary = v % 2 == 0;
  s.first_kernel = v % 5 == 4 ? 5 : 3;
  s.first_pad = v % 5 == 4 ? 2 : 1;
  s.first_stride = v % 7 == 3 ? 2 : 1;
  s.first_out = 8 + int(rng() % 9);
  s.first_pool = v % 3 != 2;
  const int n = 2 + v % 3;
  for (int l = 0; l < n; ++l) {
    testing::RandomNetSpec::Layer layer;
    layer.out = 5 + int(rng() % 40);
    layer.kernel = l % 2 ? 1 : 3;
    layer.stride = (v + l) % 5 == 1 ? 2 : 1;
    layer.pad = layer.kernel / 2 + (v % 4 == 3 ? 1 : 0);
    if ((v + l) % 3 == 0) {
      layer.pool_size = 2;
      layer.pool_stride = (v + l) % 2 ? 1 : 2;
      layer.pool_pad = layer.pool_stride == 1 ? 1 : 0;
      layer.pool_after_threshold = (v + l) % 4 == 0;
    }
    s.layers.push_back(layer);
  }
  s.last_out = 3 + int(rng() % 30);
  return s;
}

TEST_P(FastRuntimePaths, RandomNetworksMatchReferenceExactly) {
  std::mt19937 rng(2024);
  for (int v = 0; v < 24; ++v) {
    const testing::RandomNetSpec spec = spec_variant(v, rng);
    const IntModel model = testing::random_int_net(spec, rng);
    ReferenceRuntime ref(model);
    for (int threads : {1, 2, 3}) {
      FastRuntime fast(model, {threads, GetParam(), false, std::nullopt});
      for (int img = 0; img < 2; ++img) {
        const auto image = random_image(spec.input, rng);
        const IntTensor expect = ref.run(image);
        const IntTensor& got = fast.run(image);
        ASSERT_EQ(got.shape, expect.shape);
        ASSERT_EQ(got.data, expect.data) << "variant " << v << " threads " << threads;
      }
    }
  }
}

TEST_P(FastRuntimePaths, IntermediateLevelsAreDiverse) {
  // Guards the tests above against trivial networks: the reference levels
  // after each threshold must use more than one value.
  std::mt19937 rng(5);
  const IntModel model = testing::random_int_net(spec_variant(1, rng), rng);
  ReferenceRuntime ref(model);
  ref.set_record(true);
  ref.run(random_image(std::get<IntInputOp>(model.ops[0]).shape, rng));
  for (size_t i = 0; i < model.ops.size(); ++i)
    if (std::holds_alternative<IntThresholdOp>(model.ops[i])) {
      const auto& d = ref.recorded()[i].data;
      EXPECT_GT(*std::max_element(d.begin(), d.end()), *std::min_element(d.begin(), d.end())) << "op " << i;
    }
}

TEST_P(FastRuntimePaths, ConvertedTinierYoloMatchesReference) {
  // The benchmark network (all binary convs, 2-bit HWGQ), converted by the
  // core converter, at a small input so the reference runs quickly.
  const auto spec = kernels::tinier_yolo_spec(64, 2, 17);
  const IntModel model = convert(kernels::random_quant_net(spec)).model;
  ReferenceRuntime ref(model);
  std::mt19937 rng(8);
  for (int threads : {1, 2}) {
    FastRuntime fast(model, {threads, GetParam(), false, std::nullopt});
    for (const auto& st : fast.stages())
      EXPECT_NE(st.kind, "reference") << "stage " << st.label << " fell back to the reference op";
    const auto image = random_image(spec.input, rng);
    EXPECT_EQ(fast.run(image).data, ref.run(image).data) << "threads " << threads;
  }
}

TEST_P(FastRuntimePaths, TinierYoloAtAnotherInputSizeStaysExact) {
  // ifq detect --input-size: the converted network moved to another (here
  // non-square) input equals the network converted at that size, and the fast
  // runtime equals the reference there.
  const auto spec = kernels::tinier_yolo_spec(64, 2, 23);
  const FloatModel float_net = kernels::random_quant_net(spec);
  const IntModel moved = with_input_size(convert(float_net).model, 96, 160);
  const IntModel converted_there = convert(with_input_size(float_net, 96, 160)).model;
  ASSERT_EQ(infer_int_shapes(moved), infer_int_shapes(converted_there));
  EXPECT_EQ(infer_int_shapes(moved).back(), (Shape3{infer_int_shapes(moved).back().c, 3, 5}));
  ReferenceRuntime ref(moved), ref_there(converted_there);
  std::mt19937 rng(31);
  for (int threads : {1, 2}) {
    FastRuntime fast(moved, {threads, GetParam(), false, std::nullopt});
    const auto image = random_image(Shape3{3, 96, 160}, rng);
    const IntTensor expect = ref.run(image);
    EXPECT_EQ(ref_there.run(image).data, expect.data);
    EXPECT_EQ(fast.run(image).data, expect.data) << "threads " << threads;
  }
}

TEST_P(FastRuntimePaths, KernelsAndPoolWindowsAtTheFastLimitsMatchTheReference) {
  // Binary kernels of 16 (the bit-packed kernels' largest) and 17 (the
  // reference op) on 8-bit levels; pool windows of 16 (fused) and 17.
  std::mt19937 rng(77);
  testing::RandomNetSpec wide;
  wide.input = {2, 40, 44};
  wide.bits = 8;
  wide.layers = {{6, 16, 1, 8}, {5, 17, 1, 8}};
  testing::RandomNetSpec pools;
  pools.input = {3, 40, 40};
  pools.bits = 3;
  pools.layers = {{6, 3, 1, 1, 16, 1, 15}, {7, 1, 1, 0, 17, 2, 0, true}};
  for (const auto& spec : {wide, pools}) {
    const IntModel model = testing::random_int_net(spec, rng);
    ReferenceRuntime ref(model);
    for (int threads : {1, 2}) {
      FastRuntime fast(model, {threads, GetParam(), false, std::nullopt});
      std::string kinds;
      for (const auto& st : fast.stages()) kinds += st.kind + " ";
      const auto image = random_image(spec.input, rng);
      EXPECT_EQ(fast.run(image).data, ref.run(image).data) << kinds << "threads " << threads;
      if (spec.bits == 8) {
        EXPECT_NE(kinds.find("reference"), std::string::npos) << kinds;
        EXPECT_NE(kinds.find("bconv"), std::string::npos) << kinds;
      }
    }
  }
}

// Every op of the registry (tests/op_samples), on every path: an op added to
// the registry runs in the fast runtime exactly, through a kernel or the
// pointwise / reference stages.
TEST_P(FastRuntimePaths, EveryRegistryOpMatchesTheReference) {
  std::mt19937 rng(4242);
  for (int round = 0; round < 3; ++round)
    for (const auto& sample : testing::op_samples(rng)) {
      ReferenceRuntime ref(sample.model);
      for (int threads : {1, 2}) {
        FastRuntime fast(sample.model, {threads, GetParam(), false, std::nullopt});
        std::string variants;
        for (const auto& st : fast.stages()) variants += st.variant + " ";
        for (int k = 0; k < 3; ++k) {
          const auto image = random_image(ref.shapes()[0], rng);
          EXPECT_EQ(fast.run(image).data, ref.run(image).data) << sample.op << ": " << variants;
        }
      }
    }
}

// DupNet (issue 12): integrated conversions of random networks with
// duplicated filters (negated copies, pools before BN) and repeated inputs;
// the shared convs must run on the conv kernels (accumulators once per
// stored filter), not fall back to the reference op.
TEST_P(FastRuntimePaths, DupNetConvertedNetworksMatchTheReference) {
  std::mt19937 rng(31337);
  int shared_stages = 0;
  for (int n = 0; n < 16; ++n) {
    testing::RandomNetworkSpec spec;
    spec.quantized_first = n % 2 == 0;
    spec.share_weights = true;
    spec.quantized_blocks = 1 + n % 4;
    spec.fc_last = n % 3 == 0;
    const FloatModel fm = testing::random_network(rng, spec);
    const IntModel model = convert(fm).model;
    ReferenceRuntime ref(model);
    for (int threads : {1, 2}) {
      FastRuntime fast(model, {threads, GetParam(), false, std::nullopt});
      for (const auto& st : fast.stages()) shared_stages += st.variant.find("_shared") != std::string::npos;
      for (int img = 0; img < 4; ++img) {
        const auto image = testing::random_image(rng, ref.shapes()[0]);
        ASSERT_EQ(fast.run(image).data, ref.run(image).data) << "network " << n << " threads " << threads;
      }
    }
  }
  EXPECT_GT(shared_stages, 20);
}

// Multi-bit hidden convs (issue: digit planes on the binary kernel). Variant
// v sweeps weight bits 2..8, kernels 1..kMaxBinaryKernel, strides, pads,
// pools before / after the threshold, level bits 1..kMaxPackedBits and
// duplicate / input_repeat / negate.
testing::RandomNetSpec multibit_variant(int v, std::mt19937& rng) {
  testing::RandomNetSpec s;
  s.bits = 1 + v % kernels::kMaxPackedBits;
  s.input = {1 + v % 3, 18 + int(rng() % 16), 20 + int(rng() % 16)};
  s.first_binary = v % 2 == 0;
  s.first_out = 6 + int(rng() % 11);
  s.first_pool = v % 3 == 0;
  const int n = 1 + v % 2;
  for (int l = 0; l < n; ++l) {
    testing::RandomNetSpec::Layer layer;
    layer.weight_bits = 2 + (v + 3 * l) % 7;
    layer.kernel = l == 0 ? 1 + v % kernels::kMaxBinaryKernel : 1 + (7 * v + l) % 3;
    layer.stride = (v + l) % 4 == 1 ? 2 : 1;
    layer.pad = layer.kernel / 2 + (v % 5 == 3 ? 1 : 0);
    layer.duplicate = 1 + (v + l) % 3;
    layer.input_repeat = 1 + (v / 3 + l) % 3;
    layer.negate = (v + l) % 2 == 1;
    layer.out = layer.duplicate * (2 + int(rng() % 12));
    if ((v + l) % 3 == 1) {
      layer.pool_size = 2 + (v + l) % 2;
      layer.pool_stride = (v + l) % 2 ? 1 : 2;
      layer.pool_pad = layer.pool_stride == 1 ? layer.pool_size - 1 : 0;
      layer.pool_after_threshold = (v / 2) % 2 == 0;
    }
    s.layers.push_back(layer);
  }
  s.last_out = 3 + int(rng() % 20);
  return s;
}

TEST_P(FastRuntimePaths, MultiBitHiddenConvsMatchReferenceExactly) {
  std::mt19937 rng(8086);
  for (int v = 0; v < 48; ++v) {
    const testing::RandomNetSpec spec = multibit_variant(v, rng);
    const IntModel model = testing::random_int_net(spec, rng);
    ReferenceRuntime ref(model);
    for (int threads : {1, 3}) {
      FastRuntime fast(model, {threads, GetParam(), false, false});  // digit planes only
      // Every multi-bit layer runs on the binary kernel with exactly its B.
      std::string variants;
      int digit_stages = 0;
      for (const auto& st : fast.stages()) {
        variants += st.variant + " ";
        digit_stages += st.variant.find("_w") != std::string::npos;
      }
      ASSERT_EQ(digit_stages, int(spec.layers.size())) << "variant " << v << ": " << variants;
      for (const auto& l : spec.layers)
        ASSERT_NE(variants.find("_w" + std::to_string(l.weight_bits) + "_"), std::string::npos)
            << "variant " << v << ": " << variants;
      for (int img = 0; img < 2; ++img) {
        const auto image = random_image(spec.input, rng);
        const IntTensor expect = ref.run(image);
        const IntTensor& got = fast.run(image);
        ASSERT_EQ(got.shape, expect.shape);
        ASSERT_EQ(got.data, expect.data) << "variant " << v << " threads " << threads << ": " << variants;
      }
    }
  }
}

// The op index of a random network's first conv on levels (its second conv).
int first_level_conv(const IntModel& m) {
  int seen = 0;
  for (size_t i = 0; i < m.ops.size(); ++i)
    if (std::holds_alternative<IntConvOp>(m.ops[i]) && ++seen == 2) return int(i);
  throw Error("no conv on levels");
}

// The stage covering op `op` of a fast runtime.
const FastStageInfo& stage_of(const FastRuntime& fast, int op) {
  for (const auto& st : fast.stages())
    if (st.op_begin <= op && op < st.op_end) return st;
  throw Error("no stage covers op " + std::to_string(op));
}

// The same networks on the int8 kernel (FastRuntimeOptions::int8_weights),
// on every path: channel counts made multiples of 4 and no input_repeat
// (so each output's weights span at most 256 values), every multi-bit layer
// then runs on i8conv where the path's kernel is exact for the level width
// (and so does every binary conv, the head among them), on the digit planes
// elsewhere; equal to the reference either way.
TEST_P(FastRuntimePaths, MultiBitHiddenConvsOnTheInt8KernelMatchReferenceExactly) {
  std::mt19937 rng(8087);
  const int max_level = kernels::kernel_table(GetParam()).i8conv_max_level;
  int int8_stages = 0;
  for (int v = 0; v < 48; ++v) {
    testing::RandomNetSpec spec = multibit_variant(v, rng);
    spec.first_out = 4 * (2 + int(rng() % 4));
    for (auto& l : spec.layers) {
      l.input_repeat = 1;
      l.out = l.duplicate * 4 * (1 + int(rng() % 4));
    }
    const IntModel model = testing::random_int_net(spec, rng);
    ReferenceRuntime ref(model);
    const bool exact_here = (1 << spec.bits) - 1 <= max_level;
    const int level_convs = int(std::count_if(model.ops.begin(), model.ops.end(), [](const IntOp& op) {
                              return std::holds_alternative<IntConvOp>(op);
                            })) - 1;
    for (int threads : {1, 3}) {
      FastRuntime fast(model, {threads, GetParam(), false, true});
      std::string variants;
      int on_int8 = 0, on_digits = 0;
      for (const auto& st : fast.stages()) {
        variants += st.variant + " ";
        on_int8 += st.kind == "i8conv";
        on_digits += st.variant.find("_w") != std::string::npos;
      }
      ASSERT_EQ(exact_here ? on_int8 : on_digits, exact_here ? level_convs : int(spec.layers.size()))
          << "variant " << v << ": " << variants;
      int8_stages += on_int8;
      for (int img = 0; img < 2; ++img) {
        const auto image = random_image(spec.input, rng);
        const IntTensor expect = ref.run(image);
        const IntTensor& got = fast.run(image);
        ASSERT_EQ(got.shape, expect.shape);
        ASSERT_EQ(got.data, expect.data) << "variant " << v << " threads " << threads << ": " << variants;
      }
    }
  }
  EXPECT_GT(int8_stages, 40);
}

// Weights the int8 kernel cannot hold exactly stay on the digit planes:
// 8-bit weights with three input blocks summed span up to 3 * 255 values, and
// a channel count not a multiple of 4 does not unpack into whole dwords.
TEST_P(FastRuntimePaths, Int8KernelDeclinesWeightsItCannotHold) {
  std::mt19937 rng(515);
  for (const bool repeat : {true, false}) {
    testing::RandomNetSpec spec;
    spec.bits = 2;
    spec.first_out = repeat ? 8 : 6;
    testing::RandomNetSpec::Layer l{16, 3, 1, 1};
    l.weight_bits = 8;
    l.input_repeat = repeat ? 3 : 1;
    spec.layers.push_back(l);
    const IntModel model = testing::random_int_net(spec, rng);
    FastRuntime fast(model, {1, GetParam(), false, true});
    const std::string variant = stage_of(fast, first_level_conv(model)).variant;
    EXPECT_EQ(variant.find("i8conv"), std::string::npos) << variant;
    EXPECT_NE(variant.find("_w"), std::string::npos) << variant;
    const auto image = random_image(spec.input, rng);
    EXPECT_EQ(fast.run(image).data, ReferenceRuntime(model).run(image).data);
  }
}

// Without an option each path applies its cost model: the int8 kernel where
// it is exact for the level width and cheaper than the digit planes
// (KernelTable::i8conv_word_cost), the digit planes elsewhere; on AVX-512 with
// VNNI, 2-bit weights on 2-bit levels take the digit planes over 128 channels
// and the int8 kernel over 8, and 8-bit weights the int8 kernel over both.
TEST_P(FastRuntimePaths, PathCostModelChoosesBetweenDigitPlanesAndInt8) {
  std::mt19937 rng(616);
  const auto& table = kernels::kernel_table(GetParam());
  const bool vnni_model = table.i8conv_word_cost == 2.0 && table.i8conv_max_level == 255;
  for (int channels : {8, 128})
    for (int bits : {1, 2, 8})
      for (int weight_bits : {2, 4, 8}) {
        testing::RandomNetSpec spec;
        spec.bits = bits;
        spec.first_out = channels;
        testing::RandomNetSpec::Layer l{16, 3, 1, 1};
        l.weight_bits = weight_bits;
        spec.layers.push_back(l);
        const IntModel model = testing::random_int_net(spec, rng);
        FastRuntime fast(model, {1, GetParam(), false, std::nullopt});
        const double planes_cost = double(weight_bits * bits) * (kernels::window_words(3, channels) + 6) *
                                   table.i8conv_word_cost;
        const bool int8 = table.i8conv_word_cost > 0 && (1 << bits) - 1 <= table.i8conv_max_level &&
                          planes_cost >= 9.0 * channels / 4;
        const std::string variants = stage_of(fast, first_level_conv(model)).variant;
        EXPECT_EQ(variants.find("i8conv") != std::string::npos, int8) << variants;
        EXPECT_EQ(variants.find("_w" + std::to_string(weight_bits) + "_") != std::string::npos, !int8) << variants;
        if (vnni_model && bits == 2 && weight_bits != 4) {
          EXPECT_EQ(int8, weight_bits == 8 || channels == 8) << variants;
        }
        const auto image = random_image(spec.input, rng);
        EXPECT_EQ(fast.run(image).data, ReferenceRuntime(model).run(image).data) << variants;
      }
}

// +-1 weights take the int8 kernel where the path's binary cost model
// (KernelTable::i8conv_binary_word_cost) prefers it to the popcount kernels:
// on avx2 and avxvnni the 8-channel input (a 72-bit window in 2 words), not
// the 256-channel one; never on avx512, portable or neon.
TEST_P(FastRuntimePaths, BinaryLayersTakeTheInt8KernelWhereThePathModelSaysSo) {
  std::mt19937 rng(717);
  const auto& table = kernels::kernel_table(GetParam());
  const bool avx2_class = GetParam() == kernels::Isa::avx2 || GetParam() == kernels::Isa::avxvnni;
  for (int channels : {8, 256})
    for (int bits : {1, 2}) {
      testing::RandomNetSpec spec;
      spec.bits = bits;
      spec.first_out = channels;
      spec.layers.push_back(testing::RandomNetSpec::Layer{16, 3, 1, 1});
      const IntModel model = testing::random_int_net(spec, rng);
      FastRuntime fast(model, {1, GetParam(), false, std::nullopt});
      const double popcount = double(bits) * (kernels::window_words(3, channels) + 6) * table.i8conv_binary_word_cost;
      const bool int8 = table.i8conv_binary_word_cost > 0 && (1 << bits) - 1 <= table.i8conv_max_level &&
                        popcount >= 9.0 * channels / 4;
      const std::string variants = stage_of(fast, first_level_conv(model)).variant;
      EXPECT_EQ(variants.find("i8conv") != std::string::npos, int8) << variants;
      if (bits == 2) {
        EXPECT_EQ(int8, avx2_class && channels == 8) << variants;
      }
      const auto image = random_image(spec.input, rng);
      EXPECT_EQ(fast.run(image).data, ReferenceRuntime(model).run(image).data) << variants;
    }
}

TEST_P(FastRuntimePaths, MultiBitLevelsAreDiverse) {
  // Guards the test above against trivial networks: the levels after each
  // multi-bit conv's threshold use more than one value.
  std::mt19937 rng(99);
  for (int v : {1, 6, 11}) {
    const testing::RandomNetSpec spec = multibit_variant(v, rng);
    const IntModel model = testing::random_int_net(spec, rng);
    ReferenceRuntime ref(model);
    ref.set_record(true);
    ref.run(random_image(spec.input, rng));
    for (size_t i = 3; i < model.ops.size(); ++i)
      if (std::holds_alternative<IntThresholdOp>(model.ops[i])) {
        const auto& d = ref.recorded()[i].data;
        EXPECT_GT(*std::max_element(d.begin(), d.end()), *std::min_element(d.begin(), d.end()))
            << "variant " << v << " op " << i;
      }
  }
}

TEST_P(FastRuntimePaths, MultiBitConvRunsOnTheBinaryKernel) {
  // B from the weights' actual range: {-1, 0} is one digit, {-1, 0, 1} two,
  // full 4-bit weights four; +1/-1 weights keep the plain binary path.
  std::mt19937 rng(64);
  testing::RandomNetSpec spec;
  spec.bits = 3;
  spec.layers.push_back({12, 3, 1, 1});
  const IntModel base = testing::random_int_net(spec, rng);
  const int conv_op = 4;  // input, conv, pool, threshold, conv
  ASSERT_TRUE(std::holds_alternative<IntConvOp>(base.ops[size_t(conv_op)]));
  struct Case {
    int weight_bits, lo, hi;
    std::string digits;
  };
  for (const Case& c : {Case{1, -1, 1, ""}, Case{2, -1, 0, "_w1"}, Case{2, -1, 1, "_w2"}, Case{4, -8, 7, "_w4"},
                        Case{8, -128, 127, "_w8"}, Case{12, -2048, 2047, "_w12"}}) {
    IntModel model = base;
    auto& conv = std::get<IntConvOp>(model.ops[size_t(conv_op)]);
    conv.weight_bits = c.weight_bits;
    std::uniform_int_distribution<int> w(c.lo, c.hi);
    for (auto& x : conv.weight) x = c.weight_bits == 1 ? (rng() % 2 ? 1 : -1) : w(rng);
    conv.weight[0] = c.lo, conv.weight[1] = c.hi;
    FastRuntime fast(model, {2, GetParam(), false, false});
    const FastStageInfo& st = stage_of(fast, conv_op);
    EXPECT_EQ(st.kind, "bconv") << st.label;
    EXPECT_EQ(st.variant.rfind("bconv_3x3s1_k3" + c.digits + "_", 0), 0u) << st.variant;
    if (c.digits.empty()) {
      EXPECT_EQ(st.variant.find("_shared"), std::string::npos) << st.variant;
    }
    for (const auto& s : fast.stages()) EXPECT_NE(s.kind, "reference") << s.label;
    ReferenceRuntime ref(model);
    for (int img = 0; img < 2; ++img) {
      const auto image = random_image(spec.input, rng);
      EXPECT_EQ(fast.run(image).data, ref.run(image).data) << st.variant;
    }
  }
  // A wider declared type holding only +1/-1 runs as plain binary.
  IntModel model = base;
  std::get<IntConvOp>(model.ops[size_t(conv_op)]).weight_bits = 4;
  FastRuntime fast(model, {2, GetParam(), false, false});
  EXPECT_EQ(stage_of(fast, conv_op).variant.rfind("bconv_3x3s1_k3_", 0), 0u) << stage_of(fast, conv_op).variant;
  EXPECT_EQ(stage_of(fast, conv_op).variant.find("_w"), std::string::npos) << stage_of(fast, conv_op).variant;
  const auto image = random_image(spec.input, rng);
  EXPECT_EQ(fast.run(image).data, ReferenceRuntime(model).run(image).data);
}

// Input -> 1x1 binary conv to `channels` -> every level the top one (2^bits - 1)
// -> `conv` (no padding): the largest sums a multi-bit conv can see.
IntModel top_levels_net(int channels, int map, int bits, const IntConvOp& conv) {
  IntModel m;
  m.name = "top-levels";
  m.ops.push_back(IntInputOp{Shape3{1, map, map}, {128}});
  IntConvOp first;
  first.in_channels = 1;
  first.out_channels = channels;
  first.weight.assign(size_t(channels), 1);
  m.ops.push_back(first);
  IntThresholdOp t;
  t.bits = bits;
  t.channels = channels;
  t.thresholds.assign(size_t(channels) * ((1u << bits) - 1), INT32_MIN);
  m.ops.push_back(t);
  m.ops.push_back(conv);
  return m;
}

TEST_P(FastRuntimePaths, MultiBitInt32BoundDecidesThePathAndBothAreExact) {
  // filter_size * max_level * 2^B <= INT32_MAX takes the digit planes: at
  // the bound (8-bit levels, 8-bit weights, 257 channels x input_repeat 2 x
  // 8x8 = 32896 taps) with every weight at an end of its range, the
  // combination's partial sums reach -2^31 + 32768 (16 bits on one channel
  // too: 128 taps). One more channel, more than 16 weight bits, or an
  // accumulator shift run the reference op.
  std::mt19937 rng(2147);
  struct Case {
    int channels, weight_bits, acc_shift;
    bool fast;
    int fill;  // -1: all lo, 1: all hi, 0: random ends
  };
  for (const Case& c : {Case{257, 8, 0, true, -1}, Case{257, 8, 0, true, 1}, Case{257, 8, 0, true, 0},
                        Case{258, 8, 0, false, -1}, Case{258, 8, 0, false, 0}, Case{5, 17, 0, false, 0},
                        Case{5, 20, 0, false, 0}, Case{1, 16, 0, true, 0}, Case{1, 16, 0, true, -1}, Case{5, 4, 3, false, 0}}) {
    IntConvOp conv = testing::random_multibit_conv(c.channels, 6, 8, 1, 0, c.weight_bits, rng, 2, 2, true);
    conv.acc_shift = c.acc_shift;
    const int32_t lo = -(1 << (c.weight_bits - 1)), hi = (1 << (c.weight_bits - 1)) - 1;
    for (auto& w : conv.weight) w = c.fill < 0 ? lo : c.fill > 0 ? hi : (rng() % 2 ? hi : lo);
    const IntModel model = top_levels_net(c.channels, 9, 8, conv);
    FastRuntime fast(model, {2, GetParam(), false, std::nullopt});
    const FastStageInfo& st = stage_of(fast, 3);
    EXPECT_EQ(st.kind, c.fast ? "bconv" : "reference") << c.channels << " channels, " << c.weight_bits << " bits";
    ReferenceRuntime ref(model);
    const auto image = random_image(Shape3{1, 9, 9}, rng);
    const IntTensor expect = ref.run(image);
    EXPECT_EQ(fast.run(image).data, expect.data) << st.variant;
    if (c.fill != 0 && c.acc_shift == 0) {
      // Every output is ±(the weight) * 255 * filter_size, unsaturated.
      const int64_t sum = int64_t(c.fill < 0 ? lo : hi) * 255 * conv.filter_size();
      ASSERT_LT(std::llabs(sum), int64_t(INT32_MAX));
      for (int o = 0; o < conv.out_channels; ++o)
        EXPECT_EQ(expect.data[size_t(o * 4)], conv.negate[size_t(o)] ? -sum : sum) << "output " << o;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllPaths, FastRuntimePaths, ::testing::ValuesIn(kernels::all_isas()),
                         [](const ::testing::TestParamInfo<Isa>& info) {
                           return std::string(kernels::isa_name(info.param));
                         });

TEST(FastRuntime, TinierYolo416MatchesReferenceOnTheBestPath) {
  const auto spec = kernels::tinier_yolo_spec(416, 2, 3);
  const IntModel model = convert(kernels::random_quant_net(spec)).model;
  ReferenceRuntime ref(model);
  ref.set_record(true);
  std::mt19937 rng(9);
  const auto image = random_image(spec.input, rng);
  const IntTensor expect = ref.run(image);
  FastRuntime fast(model, {2, std::nullopt, false, std::nullopt});
  EXPECT_EQ(fast.run(image).data, expect.data);
  // Levels of every quantized layer use at least three of the four values.
  for (size_t i = 0; i < model.ops.size(); ++i)
    if (std::holds_alternative<IntThresholdOp>(model.ops[i])) {
      std::vector<int64_t> hist(4, 0);
      for (int32_t v : ref.recorded()[i].data) ++hist[size_t(v)];
      EXPECT_GE(std::count_if(hist.begin(), hist.end(), [](int64_t n) { return n > 0; }), 3) << "op " << i;
    }
}

TEST(FastRuntime, RunAllocatesNothingAndReportsItsArena) {
  const auto spec = kernels::tinier_yolo_spec(96, 2, 4);
  const IntModel model = convert(kernels::random_quant_net(spec)).model;
  std::mt19937 rng(1);
  const auto image = random_image(spec.input, rng);
  for (int threads : {1, 2}) {
    FastRuntime fast(model, {threads, std::nullopt, false, std::nullopt});
    EXPECT_GT(fast.arena_bytes(), 0);
    fast.run(image);  // warm-up (thread start-up)
    const int64_t before = g_allocations.load();
    for (int r = 0; r < 3; ++r) fast.run(image);
    EXPECT_EQ(g_allocations.load() - before, 0) << "threads " << threads;
  }
}

TEST(FastRuntime, ArenaIsSmallerThanTheReferencePingPong) {
  const auto spec = kernels::tinier_yolo_spec(416, 2, 4);
  const IntModel model = convert(kernels::random_quant_net(spec)).model;
  FastRuntime fast(model);
  ReferenceRuntime ref(model);
  // Packed 2-bit maps are 16x smaller than int32 ones; the arena must show it.
  EXPECT_LT(fast.arena_bytes(), ref.arena_bytes() / 2);
}

TEST(FastRuntime, IfqIsaSelectsThePathAndUnsupportedForcingFails) {
  std::mt19937 rng(3);
  testing::RandomNetSpec spec;
  const IntModel model = testing::random_int_net(spec, rng);
  const char* old = std::getenv("IFQ_ISA");
  const std::string saved = old ? old : "";
  setenv("IFQ_ISA", "portable", 1);
  EXPECT_EQ(FastRuntime(model).isa(), Isa::portable);
  setenv("IFQ_ISA", "no-such-path", 1);
  EXPECT_THROW(FastRuntime{model}, Error);
  if (old)
    setenv("IFQ_ISA", saved.c_str(), 1);
  else
    unsetenv("IFQ_ISA");
  EXPECT_EQ(FastRuntime(model).isa(), kernels::selected_isa());
}

TEST(FastRuntime, InputSizeAFullyConnectedNetworkCannotTakeIsAnError) {
  IntModel fc;
  fc.name = "fc-net";
  fc.ops.push_back(IntInputOp{Shape3{1, 2, 2}, {0}});
  IntFcOp op;
  op.in_features = 4;
  op.out_features = 1;
  op.weight = {1, -1, 1, -1};
  fc.ops.push_back(op);
  ASSERT_NO_THROW(infer_int_shapes(fc));
  try {
    with_input_size(fc, 3, 2);
    FAIL() << "a fully connected layer fixes the input size";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot run at input 2x3"), std::string::npos) << e.what();
  }
  EXPECT_THROW(with_input_size(fc, 0, 2), Error);
  EXPECT_EQ(infer_int_shapes(with_input_size(fc, 2, 2)).back(), (Shape3{1, 1, 1}));
}

TEST(FastRuntime, RejectsBadInput) {
  std::mt19937 rng(3);
  testing::RandomNetSpec spec;
  spec.layers.push_back({8, 3, 1, 1});
  const IntModel model = testing::random_int_net(spec, rng);
  FastRuntime fast(model);
  std::vector<uint8_t> wrong(10);
  try {
    fast.run(wrong);
    FAIL() << "no error for a wrong image size";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("expects"), std::string::npos) << e.what();
  }
  EXPECT_THROW(FastRuntime(model, {0, std::nullopt, false, std::nullopt}), Error);
  IntModel broken = model;
  std::get<IntConvOp>(broken.ops[1]).weight.pop_back();
  EXPECT_THROW(FastRuntime{broken}, Error);
}

TEST(FastRuntime, FallsBackToTheReferenceOpExactly) {
  // A conv on levels with weights wider than the digit planes take (more
  // than 16 bits) has no fast kernel: it runs through apply_int_op and the
  // result is still exact.
  std::mt19937 rng(12);
  testing::RandomNetSpec spec;
  spec.layers.push_back({6, 3, 1, 1});
  IntModel model = testing::random_int_net(spec, rng);
  auto& conv = std::get<IntConvOp>(model.ops[4]);
  conv.weight_bits = 18;
  for (auto& w : conv.weight) w = int(rng() % (1 << 18)) - (1 << 17);
  FastRuntime fast(model);
  bool has_reference = false;
  for (const auto& st : fast.stages()) has_reference |= st.kind == "reference";
  EXPECT_TRUE(has_reference);
  ReferenceRuntime ref(model);
  const auto image = random_image(spec.input, rng);
  EXPECT_EQ(fast.run(image).data, ref.run(image).data);
}

}  // namespace
}  // namespace ifq
