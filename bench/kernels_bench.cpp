// Google Benchmark suite of the fast kernels: every kernel of the kernel list
// on every path this CPU has, on the IFQ-Tinier-YOLO 416x416 layer shapes, the
// popcount roofline, and whole-network latency per path and thread count.
// Counters: binary_ops/s (bit pairs AND+popcount) and MAC/s.
#include <benchmark/benchmark.h>

#include <chrono>
#include <random>

#include "ifq/convert.hpp"
#include "ifq/fast_runtime.hpp"
#include "ifq/int_model.hpp"
#include "ifq/kernels/bench_models.hpp"
#include "ifq/kernels/kernel_list.hpp"

namespace {

using namespace ifq::kernels;

struct LayerShape {
  int c, h, w, out, kernel, pad, pool_size, pool_stride;
};
// Binary layers of IFQ-Tinier-YOLO at 416x416 (input map of each conv),
// from the one description of its layers (kernels::tinier_yolo_spec).
std::vector<LayerShape> tinier_yolo_binary_layers() {
  const auto spec = tinier_yolo_spec(416, 2, 1);
  std::vector<LayerShape> layers;
  ifq::Shape3 map = spec.input;
  for (size_t i = 0; i < spec.convs.size(); ++i) {
    const QuantConvSpec& c = spec.convs[i];
    if (i > 0) layers.push_back({map.c, map.h, map.w, c.out_channels, c.kernel, c.pad, c.pool_size, c.pool_stride});
    map = {c.out_channels, ifq::conv_out_size(map.h, c.kernel, c.stride, c.pad),
           ifq::conv_out_size(map.w, c.kernel, c.stride, c.pad)};
    // Darknet pooling: a stride-1 window pads by size - 1 ('same').
    if (c.pool_size)
      map = {map.c, ifq::pool_out_size(map.h, c.pool_size, c.pool_stride, c.pool_stride == 1 ? c.pool_size - 1 : 0),
             ifq::pool_out_size(map.w, c.pool_size, c.pool_stride, c.pool_stride == 1 ? c.pool_size - 1 : 0)};
  }
  return layers;
}
const std::vector<LayerShape> kLayers = tinier_yolo_binary_layers();

bool skip_unsupported(benchmark::State& state, Isa isa) {
  if (isa_supported(isa)) return false;
  state.SkipWithError("path not supported by this CPU");
  return true;
}

void BM_PopcountRoofline(benchmark::State& state) {
  const Isa isa = Isa(state.range(0));
  if (skip_unsupported(state, isa)) return;
  std::mt19937_64 rng(1);
  std::vector<uint64_t> a(2048), w(32);
  for (auto& v : a) v = rng();
  for (auto& v : w) v = rng();
  const int64_t reps = 64;
  for (auto _ : state) benchmark::DoNotOptimize(kernel_table(isa).popcount_probe(a.data(), 2048, w.data(), reps));
  state.counters["binary_ops/s"] =
      benchmark::Counter(double(state.iterations()) * reps * 2048 * 4 * 64, benchmark::Counter::kIsRate);
  state.SetLabel(isa_name(isa));
}

// Packed input, packed weights and scratch of one layer, as the runtime sets them up.
struct BconvFixture {
  PackedLayout in;
  std::vector<uint8_t> packed;
  std::vector<uint64_t> weights, scratch;
  std::vector<int32_t> acc;
  int out_h = 0, out_w = 0;
  explicit BconvFixture(const LayerShape& L, int bits) {
    std::mt19937 rng(3);
    in = {L.c, L.h, L.w, L.pad, bits};
    std::vector<int32_t> levels(size_t(L.c) * L.h * L.w);
    for (auto& v : levels) v = int(rng() % (1u << bits));
    packed.resize(size_t(in.total_bytes()));
    pack_levels(levels.data(), in, packed.data());
    std::vector<int32_t> w(size_t(L.out) * L.c * L.kernel * L.kernel);
    for (auto& v : w) v = rng() % 2 ? 1 : -1;
    weights = group_binary_weights(pack_binary_weights(w.data(), L.out, L.c, L.kernel), L.out,
                                   window_words(L.kernel, L.c));
    scratch.resize(size_t(bconv_scratch_words(L.kernel, L.c, bits)));
    out_h = L.h + 2 * L.pad - L.kernel + 1;
    out_w = L.w + 2 * L.pad - L.kernel + 1;
    acc.resize(size_t((L.out + 7) / 8 * 8) * out_h * out_w);
  }
};

void BM_BconvLayer(benchmark::State& state) {
  const Isa isa = Isa(state.range(0));
  if (skip_unsupported(state, isa)) return;
  const LayerShape& L = kLayers[size_t(state.range(1))];
  BconvFixture f(L, 2);
  BconvArgs a;
  a.input = f.packed.data();
  a.in = f.in;
  a.kernel = L.kernel;
  a.stride = 1;
  a.out_w = f.out_w;
  a.row_begin = 0;
  a.row_end = f.out_h;
  a.weights = f.weights.data();
  a.out_channels = L.out;
  a.acc = f.acc.data();
  a.acc_stride = (L.out + 7) / 8 * 8;
  a.scratch = f.scratch.data();
  for (auto _ : state) {
    kernel_table(isa).bconv_band(a);
    benchmark::ClobberMemory();
  }
  const double binary_ops = double(f.out_h) * f.out_w * L.out * L.c * L.kernel * L.kernel * 2;
  state.counters["binary_ops/s"] = benchmark::Counter(binary_ops * double(state.iterations()), benchmark::Counter::kIsRate);
  state.SetLabel(std::string(isa_name(isa)) + " " + std::to_string(L.c) + "->" + std::to_string(L.out) + " " +
                 std::to_string(L.kernel) + "x" + std::to_string(L.kernel) + " @" + std::to_string(L.h));
}

// bconv_narrow_band (channel-major accumulators) on the layers it takes
// (bconv_narrow_fits: the 8 -> 16 layer); the others are skipped.
void BM_BconvNarrowLayer(benchmark::State& state) {
  const Isa isa = Isa(state.range(0));
  if (skip_unsupported(state, isa)) return;
  const LayerShape& L = kLayers[size_t(state.range(1))];
  if (!bconv_narrow_fits(L.kernel, L.c, 1)) {
    state.SkipWithError("window rows wider than 32 bits");
    return;
  }
  BconvFixture f(L, 2);
  std::vector<int32_t> acc(size_t(L.out) * f.out_h * f.out_w);
  BconvArgs a;
  a.input = f.packed.data();
  a.in = f.in;
  a.kernel = L.kernel;
  a.stride = 1;
  a.out_w = f.out_w;
  a.row_begin = 0;
  a.row_end = f.out_h;
  a.weights = f.weights.data();
  a.out_channels = L.out;
  a.acc = acc.data();
  a.acc_stride = int64_t(f.out_h) * f.out_w;
  for (auto _ : state) {
    kernel_table(isa).bconv_narrow_band(a);
    benchmark::ClobberMemory();
  }
  const double binary_ops = double(f.out_h) * f.out_w * L.out * L.c * L.kernel * L.kernel * 2;
  state.counters["binary_ops/s"] = benchmark::Counter(binary_ops * double(state.iterations()), benchmark::Counter::kIsRate);
  state.SetLabel(std::string(isa_name(isa)) + " " + std::to_string(L.c) + "->" + std::to_string(L.out) + " " +
                 std::to_string(L.kernel) + "x" + std::to_string(L.kernel) + " @" + std::to_string(L.h) + " narrow");
}

void BM_EpilogueLayer(benchmark::State& state) {
  const Isa isa = Isa(state.range(0));
  if (skip_unsupported(state, isa)) return;
  const LayerShape& L = kLayers[size_t(state.range(1))];
  const int conv_h = L.h, conv_w = L.w;  // 'same' convs
  const int out_h = L.pool_size ? (conv_h + (L.pool_stride == 1 ? 1 : 0) - L.pool_size) / L.pool_stride + 1 : conv_h;
  const int out_w = L.pool_size ? (conv_w + (L.pool_stride == 1 ? 1 : 0) - L.pool_size) / L.pool_stride + 1 : conv_w;
  std::mt19937 rng(5);
  // Pixel-major accumulators, as bconv_band writes them.
  const int cpad = (L.out + 7) / 8 * 8;
  std::vector<int32_t> acc(size_t(cpad) * conv_h * conv_w);
  for (auto& v : acc) v = int(rng() % 200) - 100;
  std::vector<int32_t> thr(size_t(L.out) * 3);
  for (int c = 0; c < L.out; ++c) thr[size_t(c)] = -20, thr[size_t(L.out + c)] = 0, thr[size_t(2 * L.out + c)] = 20;
  const PackedLayout out{L.out, out_h, out_w, 1, 2};
  std::vector<uint8_t> packed(size_t(out.total_bytes()));
  std::vector<int32_t> scratch(size_t(epilogue_scratch_ints(L.out, out_w, conv_w)));
  EpilogueArgs e;
  e.acc = acc.data();
  e.acc_stride = cpad;
  e.pixel_major = true;
  e.conv_h = conv_h;
  e.conv_w = conv_w;
  e.channels = L.out;
  e.pool = L.pool_size > 0;
  e.pool_size = L.pool_size;
  e.pool_stride = L.pool_stride;
  e.pool_pad = L.pool_stride == 1 ? 1 : 0;
  e.out_h = out_h;
  e.out_w = out_w;
  e.row_begin = 0;
  e.row_end = out_h;
  e.thresholds = thr.data();
  e.thresholds_by_level = thr.data();
  e.bits = 2;
  e.packed = packed.data();
  e.packed_layout = out;
  e.scratch = scratch.data();
  for (auto _ : state) {
    kernel_table(isa).epilogue_band(e);
    benchmark::ClobberMemory();
  }
  state.SetLabel(std::string(isa_name(isa)) + " " + std::to_string(L.out) + "ch " + std::to_string(conv_h) + "x" +
                 std::to_string(conv_w) + (e.pool ? " +pool" : ""));
}

// The channel-major epilogue (pixconv_band's and bconv_narrow_band's layout)
// with the 2x2 stride-2 pool, threshold and packing on the two layers that
// use it: 8 channels of 416x416 (the pixel layer), 16 of 208x208 (8 -> 16).
void BM_EpilogueChannelMajor(benchmark::State& state) {
  const Isa isa = Isa(state.range(0));
  if (skip_unsupported(state, isa)) return;
  const int C = state.range(1) ? 16 : 8, conv = state.range(1) ? 208 : 416, out = conv / 2;
  std::mt19937 rng(6);
  const int64_t plane = int64_t(conv) * conv;
  std::vector<int32_t> acc(size_t(C * plane));
  for (auto& v : acc) v = int(rng() % 200) - 100;
  std::vector<int32_t> thr(size_t(C) * 3);
  for (int c = 0; c < C; ++c) thr[size_t(3 * c)] = -20, thr[size_t(3 * c + 1)] = 0, thr[size_t(3 * c + 2)] = 20;
  const PackedLayout packed_layout{C, out, out, 1, 2};
  std::vector<uint8_t> packed(size_t(packed_layout.total_bytes()));
  std::vector<int32_t> scratch(size_t(epilogue_scratch_ints(C, out, conv)));
  EpilogueArgs e;
  e.acc = acc.data();
  e.acc_stride = plane;
  e.conv_h = conv;
  e.conv_w = conv;
  e.channels = C;
  e.pool = true;
  e.pool_size = 2;
  e.pool_stride = 2;
  e.out_h = out;
  e.out_w = out;
  e.row_begin = 0;
  e.row_end = out;
  e.thresholds = thr.data();
  e.bits = 2;
  e.packed = packed.data();
  e.packed_layout = packed_layout;
  e.scratch = scratch.data();
  for (auto _ : state) {
    kernel_table(isa).epilogue_band(e);
    benchmark::ClobberMemory();
  }
  state.SetLabel(std::string(isa_name(isa)) + " " + std::to_string(C) + "ch " + std::to_string(conv) + "x" +
                 std::to_string(conv) + " +pool channel-major");
}

// The first layer's data, 416x416 RGB padded by 1, 3x3, O filters of +-1
// (or, full_range, of bytes in [-128, 127]: Σ|w| far above the 128 that
// avx2's vpmaddubsw kernel can hold), means 128, accumulators of `acc_rows`
// rows: what both benchmarks below run.
struct FirstLayer {
  static constexpr int C = 3, H = 416, W = 416, k = 3;
  int O;
  std::vector<int16_t> input, w;
  std::vector<int32_t> acc, scratch, mean;
  PixconvArgs a;
  FirstLayer(int out_channels, int acc_rows, bool with_means, bool full_range = false) : O(out_channels) {
    std::mt19937 rng(7);
    input.resize(size_t(C) * (H + 2) * (W + 2) + size_t(pixconv_input_slack(1)));
    for (auto& v : input) v = int16_t(int(rng() % 256) - 128);
    w.resize(size_t(O) * C * k * k);
    for (auto& v : w) v = full_range ? int16_t(int(rng() % 256) - 128) : rng() % 2 ? 1 : -1;
    const int64_t stride = int64_t(acc_rows) * W;
    acc.resize(size_t(O) * stride + 64);
    scratch.resize(size_t(pixconv_scratch_ints(C, k, W + 2, O)));
    mean.assign(size_t(C), 128);
    a.input = input.data();
    a.channels = C;
    a.padded_h = H + 2;
    a.padded_w = W + 2;
    a.kernel = k;
    a.out_w = W;
    a.row_begin = 0;
    a.row_end = H;
    a.use_int16 = true;
    a.weights16 = w.data();
    a.out_channels = O;
    a.acc = acc.data();
    a.acc_stride = stride;
    a.scratch = scratch.data();
    a.mean = with_means ? mean.data() : nullptr;  // with them, the 8-bit kernel where the path has one
  }
  double macs() const { return double(H) * W * O * C * k * k; }
};

// Second argument 1: with the means (the 8-bit kernel where the path has one).
void BM_PixconvFirstLayer(benchmark::State& state) {
  const Isa isa = Isa(state.range(0));
  if (skip_unsupported(state, isa)) return;
  FirstLayer l(8, FirstLayer::H, state.range(1) != 0);
  for (auto _ : state) {
    kernel_table(isa).pixconv_band(l.a);
    benchmark::ClobberMemory();
  }
  state.counters["MAC/s"] = benchmark::Counter(l.macs() * double(state.iterations()), benchmark::Counter::kIsRate);
  state.SetLabel(std::string(isa_name(isa)) + (l.a.mean ? " with means" : ""));
}

// The first layer as the fast runtime runs it: in bands of 16 conv rows into
// one accumulator band that stays in cache (the whole map above streams 5.5
// MB of accumulators per call). Arguments: path, means (1: the 8-bit kernel
// where the path has one; 2: the same with full-range weights, which only
// avxvnni's and avx512's 8-bit kernels hold), output channels.
void BM_PixconvFirstLayerBands(benchmark::State& state) {
  const Isa isa = Isa(state.range(0));
  if (skip_unsupported(state, isa)) return;
  const int band = 16, H = FirstLayer::H;
  FirstLayer l(int(state.range(2)), band, state.range(1) != 0, state.range(1) == 2);
  const PixconvFn run = kernel_table(isa).pixconv_band;
  for (auto _ : state) {
    for (int y = 0; y < H; y += band) {
      l.a.row_begin = y;
      l.a.row_end = y + band < H ? y + band : H;
      run(l.a);
    }
    benchmark::ClobberMemory();
  }
  state.counters["MAC/s"] = benchmark::Counter(l.macs() * double(state.iterations()), benchmark::Counter::kIsRate);
  state.SetLabel(std::string(isa_name(isa)) + (l.a.mean ? " with means " : " ") + (state.range(1) == 2 ? "full-range " : "") +
                 std::to_string(l.O) + " filters");
}

void BM_TinierYolo416(benchmark::State& state) {
  const Isa isa = Isa(state.range(0));
  if (skip_unsupported(state, isa)) return;
  static const ifq::IntModel model = ifq::convert(random_quant_net(tinier_yolo_spec(416, 2, 1))).model;
  ifq::FastRuntime fast(model, {int(state.range(1)), isa, false, std::nullopt});
  std::vector<uint8_t> image(3 * 416 * 416);
  std::mt19937 rng(1);
  for (auto& v : image) v = uint8_t(rng());
  fast.run(image);
  for (auto _ : state) benchmark::DoNotOptimize(fast.run(image).data.data());
  state.counters["images/s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["arena_bytes"] = double(fast.arena_bytes());
  state.SetLabel(std::string(isa_name(isa)) + " threads=" + std::to_string(state.range(1)));
}

// Multi-bit weights on the binary kernel (digit planes, fast_stage_types.hpp
// SharedFilters) and on the int8 kernel (i8conv) against the binary conv,
// same layer: a Tinier-YOLO-sized hidden layer, 128 -> 256 3x3 pad 1 on 26x26
// k-bit levels + 2-bit threshold, run by the fast runtime (input -> threshold
// -> pack -> conv stage). The iteration time is the conv stage's wall time
// alone (time_stages); the whole run is the "run_ms" counter. Arguments:
// path, weight bits (1: +1/-1 weights, the plain binary path; B >= 2:
// integers in [-2^(B-1), 2^(B-1) - 1]; 17: more bits than either kernel
// takes, the reference op, for scale), threads, level bits k, kernel (0:
// digit planes, 1: int8, 2: the path's own rule).
ifq::IntModel multibit_layer_model(int weight_bits, int bits) {
  constexpr int C = 128, O = 256, H = 26, k = 3;
  std::mt19937 rng(11);
  ifq::IntModel m;
  m.name = "multibit-layer";
  m.ops.push_back(ifq::IntInputOp{ifq::Shape3{C, H, H}, std::vector<int32_t>(C, 128)});
  ifq::IntThresholdOp levels;  // pixel - 128 -> k-bit levels, evenly spread
  levels.bits = bits;
  levels.channels = C;
  const int steps = (1 << bits) - 1;
  for (int c = 0; c < C; ++c)
    for (int t = 0; t < steps; ++t) levels.thresholds.push_back(-128 + 256 * (t + 1) / (steps + 1));
  m.ops.push_back(levels);
  ifq::IntConvOp conv;
  conv.in_channels = C;
  conv.out_channels = O;
  conv.kernel = k;
  conv.pad = 1;
  conv.weight_bits = weight_bits;
  conv.weight.resize(size_t(O) * C * k * k);
  const int lo = weight_bits == 1 ? -1 : -(1 << (weight_bits - 1)), hi = weight_bits == 1 ? 1 : -lo - 1;
  std::uniform_int_distribution<int> w(lo, hi);
  for (auto& v : conv.weight) v = weight_bits == 1 ? (rng() % 2 ? 1 : -1) : w(rng);
  m.ops.push_back(conv);
  ifq::IntThresholdOp out;
  out.bits = 2;
  out.channels = O;
  const int32_t spread = 40 * steps * (weight_bits == 1 ? 1 : 1 << (weight_bits - 1));
  for (int c = 0; c < O; ++c) out.thresholds.insert(out.thresholds.end(), {-spread, 0, spread});
  m.ops.push_back(out);
  return m;
}

void BM_MultiBitHiddenLayer(benchmark::State& state) {
  const Isa isa = Isa(state.range(0));
  if (skip_unsupported(state, isa)) return;
  const int weight_bits = int(state.range(1)), bits = int(state.range(3)), kernel = int(state.range(4));
  ifq::FastRuntimeOptions options{int(state.range(2)), isa, true, std::nullopt};
  if (kernel < 2) options.int8_weights = kernel == 1;
  ifq::FastRuntime fast(multibit_layer_model(weight_bits, bits), options);
  int conv_stage = -1;  // the stage running op 2, the conv
  for (size_t s = 0; s < fast.stages().size(); ++s)
    if (fast.stages()[s].op_begin <= 2 && 2 < fast.stages()[s].op_end) conv_stage = int(s);
  const std::string expected = weight_bits > 16 ? "reference" : weight_bits == 1 || kernel == 0 ? "bconv" : "i8conv";
  if (conv_stage < 0 || (kernel < 2 && fast.stages()[size_t(conv_stage)].kind != expected)) {
    state.SkipWithError("the conv did not run on the expected stage");
    return;
  }
  std::vector<uint8_t> image(128 * 26 * 26);
  std::mt19937 rng(12);
  for (auto& v : image) v = uint8_t(rng());
  fast.run(image);
  double run_ms = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(fast.run(image).data.data());
    run_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    state.SetIterationTime(fast.stages()[size_t(conv_stage)].last_ms / 1000);
  }
  const auto& st = fast.stages()[size_t(conv_stage)];
  state.counters["run_ms"] = run_ms / double(state.iterations());
  state.counters["MAC/s"] = benchmark::Counter(double(st.macs) * double(state.iterations()), benchmark::Counter::kIsRate);
  state.SetLabel(st.variant + " threads=" + std::to_string(state.range(2)));
}

// Every path's index, for ArgsProduct (unsupported ones report as skipped).
std::vector<int64_t> all_isa_args() {
  std::vector<int64_t> v;
  for (Isa isa : all_isas()) v.push_back(int(isa));
  return v;
}

void isa_args(benchmark::internal::Benchmark* b) {
  for (Isa isa : all_isas()) b->Arg(int(isa));
}
void isa_layer_args(benchmark::internal::Benchmark* b) {
  for (Isa isa : all_isas())
    for (int l = 0; l < int(kLayers.size()); ++l) b->Args({int(isa), l});
}

BENCHMARK(BM_PopcountRoofline)->Apply(isa_args);
BENCHMARK(BM_BconvLayer)->Apply(isa_layer_args)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_BconvNarrowLayer)->Apply(isa_layer_args)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_EpilogueLayer)->Apply(isa_layer_args)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_EpilogueChannelMajor)
    ->ArgsProduct({all_isa_args(), {0, 1}})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PixconvFirstLayer)
    ->ArgsProduct({all_isa_args(), {0, 1}})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PixconvFirstLayerBands)
    ->ArgsProduct({all_isa_args(), {0, 1, 2}, {8, 16}})
    ->Unit(benchmark::kMicrosecond);
// Binary and B-bit weights on 2-bit levels, each B on both kernels and by
// the path's rule; then the kernel choice's other axis, level bits 1 and 4
// (the rule compares digit planes x level bits).
BENCHMARK(BM_MultiBitHiddenLayer)
    ->ArgsProduct({all_isa_args(), {1}, {1, 2}, {2}, {2}})
    ->ArgsProduct({all_isa_args(), {2, 3, 4, 6, 8}, {1, 2}, {2},
                   {0, 1, 2}})
    ->ArgsProduct({{int(Isa::avx2), int(Isa::avxvnni), int(Isa::avx512)}, {2, 3, 4, 8}, {1}, {1, 4}, {0, 1}})
    ->Unit(benchmark::kMicrosecond)
    ->UseManualTime();
BENCHMARK(BM_MultiBitHiddenLayer)->Args({int(Isa::portable), 17, 1, 2, 2})->Unit(benchmark::kMicrosecond)->UseManualTime();
BENCHMARK(BM_TinierYolo416)
    ->ArgsProduct({all_isa_args(), {1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
