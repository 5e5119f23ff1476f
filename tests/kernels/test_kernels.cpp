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

// The arguments of one band of `conv` (rows y0 .. y1) over packed input `L`;
// scratch left null (bconv_narrow_band takes none).
BconvArgs bconv_args(const uint8_t* packed, const PackedLayout& L, const IntConvOp& conv,
                     const std::vector<uint64_t>& wbits, int out_w, int y0, int y1, int32_t* acc, int64_t stride) {
  BconvArgs a;
  a.input = packed;
  a.in = L;
  a.kernel = conv.kernel;
  a.stride = conv.stride;
  a.out_w = out_w;
  a.row_begin = y0;
  a.row_end = y1;
  a.weights = wbits.data();
  a.out_channels = conv.out_channels;
  a.acc_shift = conv.acc_shift;
  a.acc = acc;
  a.acc_stride = stride;
  return a;
}

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
    BconvArgs a = bconv_args(packed.data(), L, conv, wbits, out.w, y0, y1, acc.data(), stride);
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

// Runs i8conv_band over the conv output in random row bands, with weights
// w - offsets[o] as bytes (pack_i8conv_weights); pixel-major accumulators
// whose stride padding must stay untouched.
std::vector<int32_t> run_i8conv(const KernelTable& t, const IntTensor& levels, const IntConvOp& conv,
                                const std::vector<int32_t>& offsets, int bits, Shape3 out, std::mt19937& rng) {
  const PackedLayout L{levels.shape.c, levels.shape.h, levels.shape.w, conv.pad, bits};
  std::vector<uint8_t> packed(size_t(L.total_bytes()));  // exactly the layout's bytes (sanitizers see over-reads)
  pack_levels(levels.data.data(), L, packed.data());
  const int64_t block = conv.filter_size();
  std::vector<int32_t> bytes(conv.weight.size());
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = conv.weight[i] - offsets[size_t(int64_t(i) / block)];
  const auto w8 = pack_i8conv_weights(bytes.data(), conv.out_channels, conv.in_channels, conv.kernel);
  std::vector<int32_t> result(size_t(out.elements()));
  const int64_t scratch = i8conv_scratch_bytes(conv.kernel, conv.stride, 4, conv.in_channels, L.padded_width(), out.w);
  std::vector<uint64_t> scratch_words(size_t(scratch / 8 + 8));
  const bool any_offset = std::any_of(offsets.begin(), offsets.end(), [](int32_t z) { return z != 0; });
  for (int y0 = 0; y0 < out.h;) {
    const int y1 = std::min(out.h, y0 + 1 + int(rng() % 4));
    const int64_t npix = int64_t(y1 - y0) * out.w;
    const int64_t stride = (out.c + 7) / 8 * 8 + int64_t(rng() % 3) * 8;
    std::vector<int32_t> acc(size_t(stride * npix), 12345);
    I8convArgs a;
    a.input = packed.data();
    a.in = L;
    a.kernel = conv.kernel;
    a.stride = conv.stride;
    a.out_w = out.w;
    a.row_begin = y0;
    a.row_end = y1;
    a.weights = w8.data();
    a.offsets = any_offset || rng() % 2 ? offsets.data() : nullptr;
    a.out_channels = conv.out_channels;
    a.acc = acc.data();
    a.acc_stride = stride;
    a.scratch = reinterpret_cast<uint8_t*>(scratch_words.data());
    t.i8conv_band(a);
    for (int64_t p = 0; p < npix; ++p) {
      for (int o = 0; o < out.c; ++o)
        result[size_t((int64_t(o) * out.h + y0) * out.w + p)] = acc[size_t(p * stride + o)];
      for (int64_t o = out.c; o < stride; ++o)
        if (acc[size_t(p * stride + o)] != 12345 && o >= (out.c + 7) / 8 * 8)
          ADD_FAILURE() << "wrote past the pixel's channels: p=" << p << " o=" << o;
    }
    y0 = y1;
  }
  return result;
}

// Integer weights of up to 8 bits after a per-output offset, on levels as
// bytes: channel counts 4..132 (multiples of 4), outputs around the
// 16-channel blocks, kernels 1..5, strides, pads, every level width the path
// is exact for, offsets 0 and up to +-300 (weights beyond int8 then).
TEST_P(KernelPaths, Int8ConvMatchesReferenceOverSweptShapes) {
  std::mt19937 rng(4321);
  int checked = 0;
  for (int c : {4, 8, 12, 36, 132})
    for (int kernel : {1, 3, 5})
      for (int bits : {1, 2, 4, 7, 8}) {
        if ((1 << bits) - 1 > table_->i8conv_max_level) continue;
        const int stride = 1 + int(rng() % 3), pad = int(rng() % (kernel / 2 + 2));
        const int out = std::vector<int>{1, 5, 8, 16, 17, 40, 64, 70}[rng() % 8];
        const Shape3 in_shape{c, kernel + int(rng() % 9), kernel + int(rng() % 14)};
        IntConvOp conv = testing::random_multibit_conv(c, out, kernel, stride, pad, 8, rng);
        std::vector<int32_t> offsets(size_t(out), 0);
        if (rng() % 3 != 0)
          for (int o = 0; o < out; ++o) {
            offsets[size_t(o)] = int32_t(rng() % 601) - 300;
            for (int64_t t = 0; t < conv.filter_size(); ++t) conv.weight[size_t(o * conv.filter_size() + t)] += offsets[size_t(o)];
          }
        conv.weight_bits = 10;
        const Shape3 out_shape{out, conv_out_size(in_shape.h, kernel, stride, pad),
                               conv_out_size(in_shape.w, kernel, stride, pad)};
        const IntTensor levels = testing::random_levels(in_shape, bits, rng);
        const IntTensor ref = apply_int_op(conv, levels, out_shape);
        ASSERT_EQ(run_i8conv(*table_, levels, conv, offsets, bits, out_shape, rng), ref.data)
            << "c=" << c << " h=" << in_shape.h << " w=" << in_shape.w << " out=" << out << " k=" << kernel
            << " s=" << stride << " pad=" << pad << " bits=" << bits;
        ++checked;
      }
  EXPECT_GE(checked, 3 * 5 * 4);
}

// The extremes: every level at the path's top level and weights at -128 or
// 127 only, so every product and pair sum is the largest the kernel sees
// (vpmaddubsw's int16 pairs at the edge of saturation where the path has it).
TEST_P(KernelPaths, Int8ConvExtremeWeightsAndLevelsMatchReference) {
  std::mt19937 rng(77);
  const int max_level = table_->i8conv_max_level, bits = max_level >= 255 ? 8 : 7;
  for (int sign : {-1, 1}) {
    IntConvOp conv = testing::random_multibit_conv(64, 20, 3, 1, 1, 8, rng);
    for (auto& w : conv.weight) w = sign < 0 ? -128 : 127;
    conv.weight_bits = 8;
    const Shape3 in{64, 4, 9}, out{20, 4, 9};
    IntTensor levels{in, std::vector<int32_t>(size_t(in.elements()), (1 << bits) - 1)};
    const std::vector<int32_t> offsets(20, 0);
    ASSERT_EQ(run_i8conv(*table_, levels, conv, offsets, bits, out, rng), apply_int_op(conv, levels, out).data)
        << "sign " << sign;
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
    t.bconv_narrow_band(bconv_args(packed.data(), L, conv, wbits, out.w, y0, y1, acc.data(), stride));
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

// Runs pixconv_band over conv's output `out` in random row bands of 1 to 5
// rows: x (value = pixel - mean) zero-padded by conv.pad into int16 planes
// with garbage past them (a kernel may read it but must never use it),
// weights as int16 (use16) or int32, the means or none. Returns the map, CHW.
std::vector<int32_t> run_pixconv(const KernelTable& t, const IntTensor& x, const IntConvOp& conv, bool use16,
                                 const int32_t* mean, Shape3 out, std::mt19937& rng) {
  const int c = x.shape.c, h = x.shape.h, w = x.shape.w, pad = conv.pad, ph = h + 2 * pad, pw = w + 2 * pad;
  std::vector<int16_t> padded(size_t(c) * ph * pw + size_t(pixconv_input_slack(conv.stride)), 0);
  for (size_t i = size_t(c) * ph * pw; i < padded.size(); ++i) padded[i] = int16_t(rng());
  for (int ci = 0; ci < c; ++ci)
    for (int y = 0; y < h; ++y)
      for (int xx = 0; xx < w; ++xx)
        padded[(size_t(ci) * ph + y + pad) * pw + xx + pad] = int16_t(x.data[(size_t(ci) * h + y) * w + xx]);
  const std::vector<int16_t> w16(conv.weight.begin(), conv.weight.end());
  const int64_t npix = int64_t(out.h) * out.w, stride_acc = (npix + 31) / 32 * 32;
  std::vector<int32_t> acc(size_t(out.c * stride_acc), 12345);
  std::vector<int32_t> scratch(size_t(pixconv_scratch_ints(c, conv.kernel, pw, conv.out_channels)));
  for (int y0 = 0; y0 < out.h;) {
    const int y1 = std::min(out.h, y0 + 1 + int(rng() % 5));
    PixconvArgs a;
    a.input = padded.data();
    a.channels = c;
    a.padded_h = ph;
    a.padded_w = pw;
    a.kernel = conv.kernel;
    a.stride = conv.stride;
    a.out_w = out.w;
    a.row_begin = y0;
    a.row_end = y1;
    a.use_int16 = use16;
    a.weights16 = w16.data();
    a.weights32 = conv.weight.data();
    a.out_channels = conv.out_channels;
    a.acc_shift = conv.acc_shift;
    a.acc = acc.data() + int64_t(y0) * out.w;  // band y0's pixel 0 at its place in the map
    a.acc_stride = stride_acc;
    a.scratch = scratch.data();
    a.mean = mean;
    t.pixconv_band(a);
    y0 = y1;
  }
  std::vector<int32_t> result(size_t(out.elements()));
  for (int o = 0; o < out.c; ++o)
    for (int64_t p = 0; p < npix; ++p) result[size_t(o * npix + p)] = acc[size_t(o * stride_acc + p)];
  return result;
}

// "" when equal, else the first difference (channel, pixel, values).
std::string first_difference(const std::vector<int32_t>& got, const std::vector<int32_t>& ref, const Shape3& out) {
  for (size_t i = 0; i < ref.size(); ++i)
    if (got[i] != ref[i])
      return "o=" + std::to_string(int64_t(i) / (int64_t(out.h) * out.w)) +
             " p=" + std::to_string(int64_t(i) % (int64_t(out.h) * out.w)) + " got " + std::to_string(got[i]) +
             " expected " + std::to_string(ref[i]);
  return "";
}

// The int16 kernel's bound (kernel_list.hpp): 255 * Σ|w| below 2^15 for every output.
bool fits_int16(const IntConvOp& conv) {
  const int64_t per = int64_t(conv.in_channels) * conv.kernel * conv.kernel;
  for (int o = 0; o < conv.out_channels; ++o) {
    int64_t s = 0;
    for (int64_t t = 0; t < per; ++t) s += std::abs(conv.weight[size_t(o * per + t)]);
    if (255 * s > 32767) return false;
  }
  return true;
}

// Both kernels a path may run for the first layer: the int16/int32 one (no
// means given, or a shape the 8-bit one declines) and, with the means, the
// 8-bit one wherever it is exact: C <= 4, stride 1, means in 0..255, weights
// in -128..127, and on AVX2 (int16 sums of vpmaddubsw pairs) 255 * Σ|w| <=
// 32767 per filter. Random row bands, widths around the 16- and 32-pixel
// strips, padding wider than the kernel's half, means at 0 and 255, weights
// at -128 and 127, accumulator shifts.
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
    conv.acc_shift = trial % 5 == 2 ? 1 + int(rng() % 3) : 0;
    conv.weight_bits = mag == 1 ? 1 : 14;
    std::uniform_int_distribution<int> wd(mag == 128 ? -128 : -mag, mag == 128 ? 127 : mag);
    conv.weight.resize(size_t(c) * out_c * kernel * kernel);
    for (auto& v : conv.weight) v = mag == 1 ? (rng() % 2 ? 1 : -1) : wd(rng);
    if (mag == 128) conv.weight[0] = -128, conv.weight.back() = 127;
    std::vector<int32_t> mean(static_cast<size_t>(c));
    for (auto& m : mean) m = trial % 5 == 0 ? 255 * int(rng() % 2) : int(rng() % 256);
    IntTensor x{{c, h, w}, std::vector<int32_t>(size_t(c) * h * w)};
    for (int ci = 0; ci < c; ++ci)
      for (int i = 0; i < h * w; ++i) x.data[size_t(ci) * h * w + size_t(i)] = int(rng() % 256) - mean[size_t(ci)];
    const Shape3 out{out_c, conv_out_size(h, kernel, stride, pad), conv_out_size(w, kernel, stride, pad)};
    const IntTensor ref = apply_int_op(conv, x, out);
    for (bool use16 : {false, true})
      for (bool with_mean : {false, true}) {
        if (use16 && !fits_int16(conv)) continue;
        const auto got = run_pixconv(*table_, x, conv, use16, with_mean ? mean.data() : nullptr, out, rng);
        ASSERT_EQ(first_difference(got, ref.data, out), "")
            << "trial " << trial << " int16=" << use16 << " mean=" << with_mean << " c=" << c << " k=" << kernel
            << " s=" << stride << " pad=" << pad << " w=" << w << " shift=" << conv.acc_shift;
      }
  }
}

// The edges of the 8-bit kernels' bounds, where a kernel that took one filter
// too many would saturate (vpmaddubsw) or wrap (int16 sums): every filter of a
// call at Σ|w| = 128 (AVX2 takes the call: 255 * 128 = 32640) or all at 129
// (AVX2 declines: 255 * 129 = 32895 leaves int16), one sign per filter,
// spread over every tap or on two taps only (neighbours in x, in y, across
// channels, or anywhere), on inputs with u = value + mean = 255 on every tap:
// pixel 255 with mean 0 (|Σ w·value| = 255 Σ|w|), pixel 255 with mean 255
// (value 0, u = 255 also on the border), pixel 0 with mean 255 (u = 255 on
// the border only), and random pixels and means. Odd and even kernels up to
// the AVX2 kernel's largest (8) and one past it.
TEST_P(KernelPaths, PixelConvInt8BoundsMatchReference) {
  std::mt19937 rng(2026);
  struct Image {
    int pixel, mean;  // -1: random
  };
  const Image images[] = {{255, 0}, {255, 255}, {0, 255}, {-1, -1}};
  int runs = 0;
  for (int c = 1; c <= 4; ++c)
    for (int kernel : {1, 2, 3, 4, 5, 8, 9})
      for (int total : {128, 129}) {
        const int taps = c * kernel * kernel, kk = kernel * kernel;
        IntConvOp conv;
        conv.in_channels = c;
        conv.kernel = kernel;
        conv.stride = 1;
        conv.pad = kernel / 2 + int(rng() % 2);
        conv.weight_bits = 8;
        // Filters: spread over every tap, then on two taps (tap index
        // (channel * kernel + ky) * kernel + kx): x neighbours, y neighbours
        // in the last channel, the same tap of channels 0 and 1 (and 2 and
        // 3), and a random pair; each with both signs.
        std::vector<std::pair<int, int>> pairs;
        if (kernel > 1) pairs.push_back({0, 1}), pairs.push_back({(c - 1) * kk, (c - 1) * kk + kernel});
        if (c > 1) pairs.push_back({kk / 2, kk + kk / 2});
        if (c > 3) pairs.push_back({2 * kk + kk / 2, 3 * kk + kk / 2});
        if (taps > 1) {
          const int t0 = int(rng() % taps);
          int t1 = int(rng() % (taps - 1));
          pairs.push_back({t0, t1 < t0 ? t1 : t1 + 1});
        }
        std::vector<int32_t> weights;
        for (int sign : {1, -1}) {
          std::vector<int32_t> f(size_t(taps), 0);
          for (int t = 0; t < taps; ++t) f[size_t(t)] = sign * (total / taps + (t < total % taps ? 1 : 0));
          weights.insert(weights.end(), f.begin(), f.end());
          for (auto [t0, t1] : pairs) {
            std::fill(f.begin(), f.end(), 0);
            f[size_t(t0)] = sign * (total / 2), f[size_t(t1)] = sign * (total - total / 2);
            weights.insert(weights.end(), f.begin(), f.end());
          }
        }
        conv.weight = weights;
        conv.out_channels = int(weights.size()) / taps;
        const int h = kernel + int(rng() % 4), w = 20 + int(rng() % 30);
        const Shape3 out{conv.out_channels, conv_out_size(h, kernel, 1, conv.pad),
                         conv_out_size(w, kernel, 1, conv.pad)};
        for (const Image& im : images) {
          std::vector<int32_t> mean(static_cast<size_t>(c));
          for (auto& m : mean) m = im.mean >= 0 ? im.mean : int(rng() % 256);
          IntTensor x{{c, h, w}, std::vector<int32_t>(size_t(c) * h * w)};
          for (int ci = 0; ci < c; ++ci)
            for (int i = 0; i < h * w; ++i)
              x.data[size_t(ci) * h * w + size_t(i)] = (im.pixel >= 0 ? im.pixel : int(rng() % 256)) - mean[size_t(ci)];
          const IntTensor ref = apply_int_op(conv, x, out);
          for (bool use16 : {false, true}) {
            if (use16 && !fits_int16(conv)) continue;
            const auto got = run_pixconv(*table_, x, conv, use16, mean.data(), out, rng);
            ASSERT_EQ(first_difference(got, ref.data, out), "")
                << "c=" << c << " k=" << kernel << " Σ|w|=" << total << " pixel=" << im.pixel << " mean=" << im.mean
                << " int16=" << use16 << " pad=" << conv.pad << " w=" << w;
            ++runs;
          }
        }
      }
  EXPECT_GT(runs, 150);
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
