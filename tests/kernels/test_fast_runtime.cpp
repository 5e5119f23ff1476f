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
      FastRuntime fast(model, {threads, GetParam(), false});
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
    FastRuntime fast(model, {threads, GetParam(), false});
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
    FastRuntime fast(moved, {threads, GetParam(), false});
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
      FastRuntime fast(model, {threads, GetParam(), false});
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
        FastRuntime fast(sample.model, {threads, GetParam(), false});
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
      FastRuntime fast(model, {threads, GetParam(), false});
      for (const auto& st : fast.stages()) shared_stages += st.variant.find("_shared") != std::string::npos;
      for (int img = 0; img < 4; ++img) {
        const auto image = testing::random_image(rng, ref.shapes()[0]);
        ASSERT_EQ(fast.run(image).data, ref.run(image).data) << "network " << n << " threads " << threads;
      }
    }
  }
  EXPECT_GT(shared_stages, 20);
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
  FastRuntime fast(model, {2, std::nullopt, false});
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
    FastRuntime fast(model, {threads, std::nullopt, false});
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
  EXPECT_THROW(FastRuntime(model, {0, std::nullopt, false}), Error);
  IntModel broken = model;
  std::get<IntConvOp>(broken.ops[1]).weight.pop_back();
  EXPECT_THROW(FastRuntime{broken}, Error);
}

TEST(FastRuntime, FallsBackToTheReferenceOpExactly) {
  // A multi-bit conv on levels and a fully connected layer have no fast
  // kernel: they run through apply_int_op and the result is still exact.
  std::mt19937 rng(12);
  testing::RandomNetSpec spec;
  spec.layers.push_back({6, 3, 1, 1});
  IntModel model = testing::random_int_net(spec, rng);
  auto& conv = std::get<IntConvOp>(model.ops[4]);
  conv.weight_bits = 3;
  for (auto& w : conv.weight) w = int(rng() % 7) - 3;
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
