// Every kernel of every path this CPU has, bit-exact against the reference
// ops (ifq::apply_int_op) over swept shapes: odd channel counts, tails,
// strides, padding, every activation width. Paths the CPU lacks are skipped.
#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <random>

#include "ifq/kernels/kernel_list.hpp"
#include "ifq/runtime.hpp"
#include "random_int_models.hpp"

namespace ifq::kernels {
namespace {

class KernelPaths : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    if (!isa_supported(GetParam())) GTEST_SKIP() << isa_name(GetParam()) << " not supported by this CPU";
    table_ = &kernel_table(GetParam());
  }
  const KernelTable* table_ = nullptr;
};

struct ConvCase {
  int c, h, w, out, kernel, stride, pad, bits, shift;
};

// Runs bconv_band over the conv output in random row bands.
std::vector<int32_t> run_bconv(const KernelTable& t, const IntTensor& levels, const IntConvOp& conv, int bits,
                               Shape3 out, std::mt19937& rng) {
  const PackedLayout L{levels.shape.c, levels.shape.h, levels.shape.w, conv.pad, bits};
  std::vector<uint8_t> packed(size_t(L.total_bytes()));
  pack_levels(levels.data.data(), L, packed.data());
  const auto wbits = group_binary_weights(
      pack_binary_weights(conv.weight.data(), conv.out_channels, conv.in_channels, conv.kernel), conv.out_channels,
      window_words(conv.kernel, conv.in_channels));
  std::vector<int32_t> result(size_t(out.elements()));
  std::vector<uint64_t> scratch(size_t(bconv_scratch_words(conv.kernel, conv.in_channels, bits)));
  for (int y0 = 0; y0 < out.h;) {
    const int y1 = std::min(out.h, y0 + 1 + int(rng() % 4));
    const int64_t npix = int64_t(y1 - y0) * out.w;
    const int64_t stride = (out.c + 7) / 8 * 8 + int64_t(rng() % 3) * 8;  // pixel-major
    std::vector<int32_t> acc(size_t(stride * npix), 12345);
    BconvArgs a;
    a.input = packed.data();
    a.in = L;
    a.kernel = conv.kernel;
    a.stride = conv.stride;
    a.out_w = out.w;
    a.row_begin = y0;
    a.row_end = y1;
    a.weights = wbits.data();
    a.out_channels = conv.out_channels;
    a.acc_shift = conv.acc_shift;
    a.acc = acc.data();
    a.acc_stride = stride;
    a.scratch = scratch.data();
    t.bconv_band(a);
    for (int o = 0; o < out.c; ++o)
      for (int64_t p = 0; p < npix; ++p)
        result[size_t((int64_t(o) * out.h + y0) * out.w + p)] = acc[size_t(p * stride + o)];
    y0 = y1;
  }
  return result;
}

TEST_P(KernelPaths, BinaryConvMatchesReferenceOverSweptShapes) {
  std::mt19937 rng(1234);
  std::vector<ConvCase> cases;
  for (int c : {1, 3, 8, 13, 21, 64, 67, 130})
    for (int kernel : {1, 3, 5})
      for (int bits : {1, 2, 3, 4, 8}) {
        const int stride = 1 + int(rng() % 2), pad = int(rng() % (kernel / 2 + 2));
        const int out = 1 + int(rng() % 19);
        const int shift = rng() % 4 == 0 ? 2 : 0;
        cases.push_back({c, kernel + int(rng() % 9), kernel + int(rng() % 11), out, kernel, stride, pad, bits, shift});
      }
  for (const ConvCase& cc : cases) {
    const Shape3 in_shape{cc.c, cc.h, cc.w};
    IntConvOp conv = testing::random_binary_conv(cc.c, cc.out, cc.kernel, cc.stride, cc.pad, rng);
    conv.acc_shift = cc.shift;
    const Shape3 out{cc.out, conv_out_size(cc.h, cc.kernel, cc.stride, cc.pad),
                     conv_out_size(cc.w, cc.kernel, cc.stride, cc.pad)};
    const IntTensor levels = testing::random_levels(in_shape, cc.bits, rng);
    const IntTensor ref = apply_int_op(conv, levels, out);
    const auto got = run_bconv(*table_, levels, conv, cc.bits, out, rng);
    ASSERT_EQ(got, ref.data) << "c=" << cc.c << " h=" << cc.h << " w=" << cc.w << " out=" << cc.out
                             << " k=" << cc.kernel << " s=" << cc.stride << " pad=" << cc.pad << " bits=" << cc.bits
                             << " shift=" << cc.shift;
  }
}

TEST_P(KernelPaths, BinaryConvSaturatesLikeTheReference) {
  // Extreme accumulators: every activation at the top 8-bit level and a third
  // of the filters all +1 (the largest sums the eight-plane combine produces).
  std::mt19937 rng(7);
  IntConvOp conv = testing::random_binary_conv(200, 3, 3, 1, 1, rng);
  for (size_t i = 0; i < conv.weight.size() / 3; ++i) conv.weight[i] = 1;
  const Shape3 in{200, 5, 6};
  IntTensor levels{in, std::vector<int32_t>(size_t(in.elements()), 255)};
  const Shape3 out{3, 5, 6};
  EXPECT_EQ(run_bconv(*table_, levels, conv, 8, out, rng), apply_int_op(conv, levels, out).data);
}

// Long windows with every bit set: vector paths count popcounts in byte
// counters folded into wider lanes every few dozen words (31 on avx2 and
// neon), so windows of 48 and 80 words (3x3 and 5x5 over 1024 channels) with
// all-ones activations and filters catch a fold that comes too late (a byte
// counter wrapping past 255). The swept shapes stay below 32 words.
TEST_P(KernelPaths, BinaryConvLongDenseWindowsMatchReference) {
  std::mt19937 rng(99);
  for (int kernel : {3, 5})
    for (int bits : {1, 2}) {
      IntConvOp conv = testing::random_binary_conv(1024, 9, kernel, 1, kernel / 2, rng);
      for (size_t i = 0; i < conv.weight.size() / 2; ++i) conv.weight[i] = 1;  // the first channels all +1
      const Shape3 in{1024, 3, 4};
      IntTensor levels{in, std::vector<int32_t>(size_t(in.elements()), (1 << bits) - 1)};
      const Shape3 out{9, 3, 4};
      ASSERT_EQ(run_bconv(*table_, levels, conv, bits, out, rng), apply_int_op(conv, levels, out).data)
          << "k=" << kernel << " bits=" << bits;
    }
}

// Runs bconv_narrow_band over the conv output in random row bands; checks
// that nothing past the band's pixels is written (channel-major, stride >=
// the band's pixel count).
std::vector<int32_t> run_bconv_narrow(const KernelTable& t, const IntTensor& levels, const IntConvOp& conv, int bits,
                                      Shape3 out, std::mt19937& rng) {
  const PackedLayout L{levels.shape.c, levels.shape.h, levels.shape.w, conv.pad, bits};
  // Exactly the layout's bytes (over-read allowance included): the address
  // sanitizer and valgrind see any read past it.
  std::vector<uint8_t> packed(size_t(L.total_bytes()));
  pack_levels(levels.data.data(), L, packed.data());
  const auto wbits = group_binary_weights(
      pack_binary_weights(conv.weight.data(), conv.out_channels, conv.in_channels, conv.kernel), conv.out_channels,
      window_words(conv.kernel, conv.in_channels));
  std::vector<int32_t> result(size_t(out.elements()));
  for (int y0 = 0; y0 < out.h;) {
    const int y1 = std::min(out.h, y0 + 1 + int(rng() % 4));
    const int64_t npix = int64_t(y1 - y0) * out.w;
    const int64_t stride = npix + int64_t(rng() % 40);  // channel-major
    std::vector<int32_t> acc(size_t(stride * out.c), 12345);
    BconvArgs a;
    a.input = packed.data();
    a.in = L;
    a.kernel = conv.kernel;
    a.stride = conv.stride;
    a.out_w = out.w;
    a.row_begin = y0;
    a.row_end = y1;
    a.weights = wbits.data();
    a.out_channels = conv.out_channels;
    a.acc_shift = conv.acc_shift;
    a.acc = acc.data();
    a.acc_stride = stride;
    t.bconv_narrow_band(a);
    for (int o = 0; o < out.c; ++o) {
      for (int64_t p = 0; p < npix; ++p)
        result[size_t((int64_t(o) * out.h + y0) * out.w + p)] = acc[size_t(o * stride + p)];
      for (int64_t p = npix; p < stride; ++p)
        if (acc[size_t(o * stride + p)] != 12345) ADD_FAILURE() << "wrote past the band: o=" << o << " p=" << p;
    }
    y0 = y1;
  }
  return result;
}

TEST(BconvNarrowFits, OnlyWindowRowsOfAtMost32BitsInOneLoad) {
  EXPECT_TRUE(bconv_narrow_fits(3, 8, 1));
  EXPECT_TRUE(bconv_narrow_fits(3, 8, 2));
  EXPECT_TRUE(bconv_narrow_fits(4, 8, 1));
  EXPECT_TRUE(bconv_narrow_fits(1, 32, 1));
  EXPECT_FALSE(bconv_narrow_fits(5, 8, 1));   // 40-bit rows
  EXPECT_FALSE(bconv_narrow_fits(3, 16, 1));  // 48-bit rows
  EXPECT_FALSE(bconv_narrow_fits(3, 3, 1));   // not whole bytes
  EXPECT_FALSE(bconv_narrow_fits(1, 32, 2));  // four windows span 28 bytes
}

TEST_P(KernelPaths, BinaryConvNarrowMatchesReferenceOverSweptShapes) {
  std::mt19937 rng(2468);
  int ran = 0;
  for (int c : {8, 16, 24, 32})
    for (int kernel : {1, 2, 3, 4})
      for (int stride : {1, 2, 3})
        for (int bits : {1, 2, 3, 4, 8}) {
          if (!bconv_narrow_fits(kernel, c, stride)) continue;
          const int pad = int(rng() % (kernel / 2 + 2)), out_c = 1 + int(rng() % 19);
          // Widths around the 16-pixel strips (one short, exact, tails) and odd heights.
          const int h = kernel + int(rng() % 9), w = kernel + int(rng() % 45);
          IntConvOp conv = testing::random_binary_conv(c, out_c, kernel, stride, pad, rng);
          conv.acc_shift = rng() % 4 == 0 ? 2 : 0;
          const Shape3 out{out_c, conv_out_size(h, kernel, stride, pad), conv_out_size(w, kernel, stride, pad)};
          if (out.h < 1 || out.w < 1) continue;
          const IntTensor levels = testing::random_levels({c, h, w}, bits, rng);
          ASSERT_EQ(run_bconv_narrow(*table_, levels, conv, bits, out, rng), apply_int_op(conv, levels, out).data)
              << "c=" << c << " h=" << h << " w=" << w << " out=" << out_c << " k=" << kernel << " s=" << stride
              << " pad=" << pad << " bits=" << bits << " shift=" << conv.acc_shift;
          ++ran;
        }
  EXPECT_GT(ran, 60);
}

// The Tinier-YOLO shape (8 -> 16, 3x3, 2-bit) at full width with every bit
// set, and the widest narrow rows (4 x 8 and 1 x 32 channels: all 32 bits).
TEST_P(KernelPaths, BinaryConvNarrowDenseWindowsMatchReference) {
  std::mt19937 rng(135);
  for (auto [c, kernel] : {std::pair{8, 3}, std::pair{8, 4}, std::pair{32, 1}})
    for (int bits : {2, 8}) {
      IntConvOp conv = testing::random_binary_conv(c, 16, kernel, 1, kernel / 2, rng);
      for (size_t i = 0; i < conv.weight.size() / 2; ++i) conv.weight[i] = 1;
      const Shape3 in{c, 5, 53};
      IntTensor levels{in, std::vector<int32_t>(size_t(in.elements()), (1 << bits) - 1)};
      const Shape3 out{16, conv_out_size(5, kernel, 1, kernel / 2), conv_out_size(53, kernel, 1, kernel / 2)};
      ASSERT_EQ(run_bconv_narrow(*table_, levels, conv, bits, out, rng), apply_int_op(conv, levels, out).data)
          << "c=" << c << " k=" << kernel << " bits=" << bits;
    }
}

// Both kernels a path may run for the first layer: the int16/int32 one (no
// means given, or a shape the 8-bit one declines) and, with the means, the
// 8-bit one (AVX-512 VNNI) wherever it is exact: C <= 4, stride 1, means in
// 0..255, weights in -128..127. Random row bands, widths around the 16- and
// 32-pixel strips, padding wider than the kernel's half, means at 0 and 255,
// weights at -128 and 127.
TEST_P(KernelPaths, PixelConvMatchesReference) {
  std::mt19937 rng(99);
  for (int trial = 0; trial < 80; ++trial) {
    const int c = 1 + int(rng() % 4), kernel = 1 + 2 * int(rng() % 3), stride = trial % 4 == 3 ? 2 : 1;
    const int pad = int(rng() % (kernel / 2 + 2)), out_c = 1 + int(rng() % 19);
    const int h = kernel + int(rng() % 20), w = kernel + int(rng() % 50);
    // weight magnitude: +-1, small integers, the int8 edges, or large (int32 path).
    const int mags[] = {1, 8, 128, 4000};
    const int mag = mags[trial % 4 == 3 ? int(rng() % 4) : trial % 3 == 2 ? 2 : trial % 3];
    IntConvOp conv;
    conv.in_channels = c;
    conv.out_channels = out_c;
    conv.kernel = kernel;
    conv.stride = stride;
    conv.pad = pad;
    conv.weight_bits = mag == 1 ? 1 : 14;
    std::uniform_int_distribution<int> wd(mag == 128 ? -128 : -mag, mag == 128 ? 127 : mag);
    conv.weight.resize(size_t(c) * out_c * kernel * kernel);
    for (auto& v : conv.weight) v = mag == 1 ? (rng() % 2 ? 1 : -1) : wd(rng);
    if (mag == 128) conv.weight[0] = -128, conv.weight.back() = 127;
    std::vector<int32_t> mean(static_cast<size_t>(c));
    for (auto& m : mean) m = trial % 5 == 0 ? 255 * int(rng() % 2) : int(rng() % 256);
    IntTensor x{{c, h, w}, std::vector<int32_t>(size_t(c) * h * w)};
    const int ph = h + 2 * pad, pw = w + 2 * pad;
    // Garbage past the rows: the kernel may read it but must never use it.
    std::vector<int16_t> padded(size_t(c) * ph * pw + size_t(pixconv_input_slack(stride)), 0);
    for (size_t i = size_t(c) * ph * pw; i < padded.size(); ++i) padded[i] = int16_t(rng());
    for (int ci = 0; ci < c; ++ci)
      for (int y = 0; y < h; ++y)
        for (int xx = 0; xx < w; ++xx) {
          const int v = int(rng() % 256) - mean[size_t(ci)];
          x.data[(size_t(ci) * h + y) * w + xx] = v;
          padded[(size_t(ci) * ph + y + pad) * pw + xx + pad] = int16_t(v);
        }
    const Shape3 out{out_c, conv_out_size(h, kernel, stride, pad), conv_out_size(w, kernel, stride, pad)};
    const IntTensor ref = apply_int_op(conv, x, out);
    // int16 only when 255 * Σ|w| stays below 2^15 for every output.
    int64_t worst = 0;
    for (int o = 0; o < out_c; ++o) {
      int64_t s = 0;
      for (int t = 0; t < c * kernel * kernel; ++t) s += std::abs(conv.weight[size_t(o) * c * kernel * kernel + t]);
      worst = std::max(worst, s);
    }
    std::vector<int16_t> w16(conv.weight.begin(), conv.weight.end());
    for (bool use16 : {false, true})
      for (bool with_mean : {false, true}) {
        if (use16 && 255 * worst > 32767) continue;
        const int64_t stride_acc = (int64_t(out.h) * out.w + 31) / 32 * 32;
        std::vector<int32_t> acc(size_t(out_c * stride_acc), 12345);
        std::vector<int32_t> scratch(size_t(pixconv_scratch_ints(c, kernel, pw, out_c)));
        for (int y0 = 0; y0 < out.h;) {
          const int y1 = std::min(out.h, y0 + 1 + int(rng() % 5));
          PixconvArgs a;
          a.input = padded.data();
          a.channels = c;
          a.padded_h = ph;
          a.padded_w = pw;
          a.kernel = kernel;
          a.stride = stride;
          a.out_w = out.w;
          a.row_begin = y0;
          a.row_end = y1;
          a.use_int16 = use16;
          a.weights16 = w16.data();
          a.weights32 = conv.weight.data();
          a.out_channels = out_c;
          a.acc = acc.data() + int64_t(y0) * out.w;  // band y0's pixel 0 at its place in the map
          a.acc_stride = stride_acc;
          a.scratch = scratch.data();
          a.mean = with_mean ? mean.data() : nullptr;
          table_->pixconv_band(a);
          y0 = y1;
        }
        for (int o = 0; o < out_c; ++o)
          for (int p = 0; p < out.h * out.w; ++p)
            ASSERT_EQ(acc[size_t(o * stride_acc + p)], ref.data[size_t(o * out.h * out.w + p)])
                << "trial " << trial << " int16=" << use16 << " mean=" << with_mean << " c=" << c << " k=" << kernel
                << " s=" << stride << " pad=" << pad << " w=" << w << " o=" << o << " p=" << p;
      }
  }
}

struct PoolCase {
  int size, stride, pad;
};

// One epilogue case: accumulators `acc` [c][h][w], optional pool, thresholds
// `thr` (mode 0: packed levels with out_pad, 1: int32 levels, 2: no
// threshold), run in random row bands on both accumulator layouts
// (channel-major, and pixel-major with `extra_stride` garbage channels past
// the padded count) and compared with the reference ops.
void check_epilogue(const KernelTable& t, const IntTensor& acc, const PoolCase& pc,
                    const std::vector<uint8_t>& take_min, const IntThresholdOp& thr, int mode, int out_pad,
                    int extra_stride, std::mt19937& rng, const std::string& label) {
  const int c = acc.shape.c, h = acc.shape.h, w = acc.shape.w, bits = thr.bits;
  IntTensor pooled = acc;
  IntMaxPoolOp pool;
  if (pc.size) {
    pool.size = pc.size;
    pool.stride = pc.stride;
    pool.pad = pc.pad;
    pool.take_min = take_min;
    const Shape3 ps{c, pool_out_size(h, pc.size, pc.stride, pc.pad), pool_out_size(w, pc.size, pc.stride, pc.pad)};
    pooled = apply_int_op(pool, acc, ps);
  }
  const IntTensor levels = apply_int_op(thr, pooled, pooled.shape);
  const Shape3 os = pooled.shape;
  const PackedLayout L{c, os.h, os.w, out_pad, bits};
  std::vector<uint8_t> expect(size_t(L.total_bytes()));
  pack_levels(levels.data.data(), L, expect.data());
  // Pixel-major: channels padded to a multiple of 8 (and more) with garbage.
  const int64_t cpad = (c + 7) / 8 * 8 + extra_stride;
  std::vector<int32_t> acc_pm(size_t(h) * w * cpad, -999);
  for (int ch = 0; ch < c; ++ch)
    for (int p = 0; p < h * w; ++p) acc_pm[size_t(p * cpad + ch)] = acc.data[size_t(ch) * h * w + p];
  const int nthr = (1 << bits) - 1;
  std::vector<int32_t> thr_by_level(thr.thresholds.size());
  for (int ch = 0; ch < c; ++ch)
    for (int k = 0; k < nthr; ++k) thr_by_level[size_t(k) * c + ch] = thr.thresholds[size_t(ch) * nthr + k];
  for (bool pixel_major : {false, true}) {
    // The runtime zeroes pad rows and the over-read tail; tasks write rows.
    std::vector<uint8_t> got(size_t(L.total_bytes()), 0xCD);
    for (int i = 0; i < bits; ++i)
      for (int k = 0; k < out_pad; ++k) {
        std::fill_n(got.begin() + L.row_offset(i, k), L.row_bytes(), 0);
        std::fill_n(got.begin() + L.row_offset(i, L.padded_height() - 1 - k), L.row_bytes(), 0);
      }
    std::fill(got.end() - kOverReadBytes, got.end(), 0);
    std::vector<int32_t> chw(size_t(os.elements()), 777);
    std::vector<int32_t> scratch(size_t(epilogue_scratch_ints(c, os.w, w)));
    for (int r0 = 0; r0 < os.h;) {
      const int r1 = std::min(os.h, r0 + 1 + int(rng() % 3));
      int cy0 = r0;
      if (pc.size) cy0 = std::max(0, r0 * pc.stride - pc.pad / 2);
      EpilogueArgs e;
      if (pixel_major) {
        e.acc = acc_pm.data() + int64_t(cy0) * w * cpad;  // a band starting at conv row cy0
        e.acc_stride = cpad;
        e.pixel_major = true;
        e.thresholds_by_level = mode == 2 ? nullptr : thr_by_level.data();
      } else {
        e.acc = acc.data.data() + int64_t(cy0) * w;
        e.acc_stride = int64_t(h) * w;
      }
      e.acc_row_begin = cy0;
      e.conv_h = h;
      e.conv_w = w;
      e.channels = c;
      e.pool = pc.size > 0;
      e.pool_size = pc.size;
      e.pool_stride = pc.stride;
      e.pool_pad = pc.pad;
      e.take_min = pool.take_min.empty() ? nullptr : pool.take_min.data();
      e.out_h = os.h;
      e.out_w = os.w;
      e.row_begin = r0;
      e.row_end = r1;
      e.thresholds = mode == 2 ? nullptr : thr.thresholds.data();
      e.bits = bits;
      if (mode == 0) {
        e.packed = got.data();
        e.packed_layout = L;
      } else {
        e.chw = chw.data();
      }
      e.scratch = scratch.data();
      t.epilogue_band(e);
      r0 = r1;
    }
    const std::string what = label + " c=" + std::to_string(c) + " h=" + std::to_string(h) + " w=" +
                             std::to_string(w) + " bits=" + std::to_string(bits) + " pool=" + std::to_string(pc.size) +
                             "/" + std::to_string(pc.stride) + "/" + std::to_string(pc.pad) + " mode " +
                             std::to_string(mode) + (pixel_major ? " pixel-major" : " channel-major");
    if (mode == 0) {
      ASSERT_EQ(got, expect) << what;
    } else if (mode == 1) {
      ASSERT_EQ(chw, levels.data) << what;
    } else {
      ASSERT_EQ(chw, pooled.data) << what;
    }
  }
}

TEST_P(KernelPaths, EpiloguePoolThresholdPackMatchesReference) {
  std::mt19937 rng(4321);
  const PoolCase pools[] = {{0, 0, 0}, {2, 2, 0}, {2, 1, 1}, {3, 2, 1}, {3, 1, 2}, {2, 2, 1}, {3, 3, 0}};
  for (int trial = 0; trial < 120; ++trial) {
    const PoolCase pc = pools[trial % 7];
    const int c = 1 + int(rng() % 40), h = 2 + int(rng() % 15), w = 2 + int(rng() % 30);
    const int bits = 1 + int(rng() % 4), out_pad = int(rng() % 3);
    const int mode = trial % 3;  // 0: packed levels, 1: int32 levels, 2: no threshold
    IntTensor acc{{c, h, w}, std::vector<int32_t>(size_t(c) * h * w)};
    std::uniform_int_distribution<int> vd(-300, 300);
    for (auto& v : acc.data) v = vd(rng);
    std::vector<uint8_t> take_min;
    if (pc.size) {
      for (int ch = 0; ch < c; ++ch) take_min.push_back(rng() % 3 == 0);
      if (pool_out_size(h, pc.size, pc.stride, pc.pad) < 1 || pool_out_size(w, pc.size, pc.stride, pc.pad) < 1)
        continue;
    }
    const IntThresholdOp thr = testing::random_thresholds(c, bits, 200, rng);
    check_epilogue(*table_, acc, pc, take_min, thr, mode, out_pad, 0, rng, "trial " + std::to_string(trial));
  }
}

// Packed output with whole bytes per pixel (C a multiple of 8): the case the
// paths' vector epilogues take (AVX-512: both layouts, with the 2x2 stride-2
// pool or none on channel-major ones). Widths around the 16-pixel vectors,
// row tails, every activation width, unsorted thresholds (the level counts
// them, it does not search them), extreme accumulators and thresholds.
TEST_P(KernelPaths, EpiloguePackedWholeBytesMatchesReference) {
  std::mt19937 rng(8642);
  const PoolCase pools[] = {{0, 0, 0}, {2, 2, 0}, {2, 2, 0}, {2, 1, 1}, {3, 2, 1}, {2, 2, 1}, {3, 3, 0}};
  const int widths[] = {1, 2, 3, 15, 16, 17, 31, 32, 33, 34, 47, 64, 65};
  for (int trial = 0; trial < 160; ++trial) {
    const PoolCase pc = pools[trial % 7];
    const int c = 8 * (1 + int(rng() % (trial % 5 == 0 ? 9 : 3)));
    const int h = 1 + int(rng() % 7), w = widths[rng() % 13];
    const int bits = trial % 11 == 0 ? 1 + int(rng() % kMaxPackedBits) : 1 + int(rng() % 4);
    const int out_pad = int(rng() % 3), extra = 8 * int(rng() % 2);
    if (pc.size &&
        (pool_out_size(h, pc.size, pc.stride, pc.pad) < 1 || pool_out_size(w, pc.size, pc.stride, pc.pad) < 1))
      continue;
    IntTensor acc{{c, h, w}, std::vector<int32_t>(size_t(c) * h * w)};
    std::uniform_int_distribution<int> vd(-300, 300);
    for (auto& v : acc.data) {
      const int kind = int(rng() % 50);
      v = kind == 0 ? INT32_MIN : kind == 1 ? INT32_MAX : vd(rng);
    }
    std::vector<uint8_t> take_min;
    if (pc.size)
      for (int ch = 0; ch < c; ++ch) take_min.push_back(trial % 4 == 0 ? 0 : rng() % 3 == 0);
    IntThresholdOp thr = testing::random_thresholds(c, bits, 200, rng);
    const int nthr = (1 << bits) - 1;
    if (trial % 3 == 0)
      for (int ch = 0; ch < c; ++ch)  // unsorted within a channel
        std::shuffle(thr.thresholds.begin() + int64_t(ch) * nthr, thr.thresholds.begin() + int64_t(ch + 1) * nthr,
                     rng);
    check_epilogue(*table_, acc, pc, take_min, thr, 0, out_pad, extra, rng,
                   "whole-byte trial " + std::to_string(trial));
  }
}

TEST_P(KernelPaths, PopcountProbeCountsExactly) {
  std::mt19937_64 rng(3);
  std::vector<uint64_t> a(256), w(32);
  for (auto& v : a) v = rng();
  for (auto& v : w) v = rng();
  uint64_t expect = 0;
  for (size_t j = 0; j < a.size(); ++j)
    for (size_t k = 0; k < 4; ++k) expect += uint64_t(__builtin_popcountll(a[j] & w[8 * k + j % 8]));
  EXPECT_EQ(table_->popcount_probe(a.data(), int64_t(a.size()), w.data(), 3), 3 * expect);
}

INSTANTIATE_TEST_SUITE_P(AllPaths, KernelPaths, ::testing::ValuesIn(all_isas()),
                         [](const ::testing::TestParamInfo<Isa>& info) { return std::string(isa_name(info.param)); });

}  // namespace
}  // namespace ifq::kernels
