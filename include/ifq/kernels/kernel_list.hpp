#pragma once
// The fast kernels, their arguments, and the one list that drives
// declarations, run-time dispatch, tests and benchmarks (IFQ_KERNEL_LIST).
// Each ISA path (isa.hpp) provides every kernel of the list; kernel_table()
// hands out the path's function pointers.
//
// Accumulator bands: a convolution computes a band of output pixels (p counts
// the band's pixels row by row from its first one) into an int32 scratch.
// bconv_band writes it pixel-major, acc[p * acc_stride + o] (acc_stride a
// multiple of 8, at least out_channels: a pixel's channels are contiguous, so
// the epilogue vectorises over channels and packs a pixel's bits at once).
// pixconv_band writes it channel-major, acc[o * acc_stride + p] (long rows of
// few channels: the epilogue vectorises over pixels); it may write up to
// round_up(pixels, 32) entries per channel.
#include <cstdint>
#include <vector>

#include "ifq/kernels/bitpack.hpp"
#include "ifq/kernels/isa.hpp"

namespace ifq::kernels {

// Binary (+1/-1) weights x k-bit levels, by bit-serial popcount.
struct BconvArgs {
  const uint8_t* input = nullptr;  // packed levels, layout `in` (in.pad = conv pad)
  PackedLayout in;
  int kernel = 1, stride = 1;
  int out_w = 0;                     // conv output width
  int row_begin = 0, row_end = 0;    // conv output rows of the band
  const uint64_t* weights = nullptr; // group_binary_weights() layout
  int out_channels = 0;
  int acc_shift = 0;                 // out = saturate32(acc >> acc_shift)
  int32_t* acc = nullptr;
  int64_t acc_stride = 0;
  uint64_t* scratch = nullptr;       // bconv_scratch_words(...) words
};
// Pixels per im2col chunk of bconv_band. The chunk is laid out plane- and
// word-major, pixel-minor: A[(plane * words + word) * kBconvChunkPixels + p],
// window popcounts PA[plane * kBconvChunkPixels + p].
inline constexpr int kBconvChunkPixels = 64;
// Largest binary conv kernel side the bit-packed kernels take: their row
// table holds kMaxPackedBits x 16 input rows. Larger kernels run the
// reference op (the fast runtime checks this when it plans).
inline constexpr int kMaxBinaryKernel = 16;
// Largest pool window fused into an epilogue (its row list); larger pools run
// the reference op.
inline constexpr int kMaxFusedPoolWindow = 16;
// Narrow windows (bconv_narrow_band): when a kernel row of the window is at
// most 32 bits (kernel * C <= 32, C a multiple of 8, so C = 8 with 3x3), the
// popcount runs with one output pixel per 32-bit lane and no im2col: each
// lane holds one kernel-row segment of one pixel (72 useful bits of 96 for
// C = 8, 3x3, against 72 of 192 in bconv_band's 64-bit words). It reads the
// same packed input and group_binary_weights() layout as bconv_band (the low
// 32 bits of each segment word) and writes channel-major accumulators,
// acc[o * acc_stride + p], like pixconv_band, with acc_stride >= the band's
// pixel count; no scratch. `stride` must keep four neighbouring windows in
// one 16-byte load: (3 * stride + kernel) * C / 8 <= 16.
bool bconv_narrow_fits(int kernel, int in_channels, int stride);
// Scratch words bconv_band needs (im2col of one chunk of pixels).
int64_t bconv_scratch_words(int kernel, int in_channels, int bits);
// Regroups pack_binary_weights() rows ([out][words]) for the kernels: groups of
// 8 output channels, word-major, one 64-bit lane per channel
// ([ceil(out/8)][words][8]); lanes past `out` are zero.
std::vector<uint64_t> group_binary_weights(const std::vector<uint64_t>& rows, int out, int words);

// Integer weights on the first layer's pixel - mean values (int16, zero padded).
struct PixconvArgs {
  const int16_t* input = nullptr;  // [channels][padded_h][padded_w], padding zero
  int channels = 0, padded_h = 0, padded_w = 0;
  int kernel = 1, stride = 1;
  int out_w = 0;
  int row_begin = 0, row_end = 0;
  // Accumulate in int16 when the converter-independent bound
  // 255 * Σ|w| of every output channel is below 2^15 (weights16 then holds
  // the weights), else in int32 (bound below 2^31; weights32).
  bool use_int16 = false;
  const int16_t* weights16 = nullptr;  // [out][in][k][k]
  const int32_t* weights32 = nullptr;
  int out_channels = 0;
  int acc_shift = 0;
  int32_t* acc = nullptr;
  int64_t acc_stride = 0;
  int32_t* scratch = nullptr;  // pixconv_scratch_ints(...) ints
  // The input op's mean of each input channel, or null. With it a path may
  // run an 8-bit kernel (avx512: VNNI vpdpbusd; avx2: vpmaddubsw, which also
  // needs 255·Σ|w| <= 32767 per filter) when C <= 4, stride 1, every
  // mean in 0..255 and every weight in -128..127: u = value + mean is the
  // pixel inside the image and the mean on the zero border, so
  // Σ w·value = Σ w·u - Σ_taps w·mean, exactly, over every window.
  const int32_t* mean = nullptr;
};
// padded_w: the input rows' width with padding (the 8-bit kernel keeps
// kernel rows of interleaved bytes in scratch).
int64_t pixconv_scratch_ints(int channels, int kernel, int padded_w, int out_channels);
// Elements the input buffer must extend past its last padded row: a kernel
// reads whole 32-column strips (values past the row are never stored).
int64_t pixconv_input_slack(int stride);

// Integer weights of up to 8 bits on k-bit levels as bytes (the int8 path
// of multi-bit weights; the planner's rule is in fast_grouping.cpp). The
// kernel reads the same packed levels as bconv_band (C a multiple of 4, so a
// pixel's channels fill whole dwords once unpacked to one byte each), keeps
// the band's input rows unpacked in scratch, and computes
//   acc[p * acc_stride + o] = Σ (weights + offsets[o]) · x
// over each window: each output's integer weights w are stored as the signed
// bytes w - offsets[o] (an output whose weights span at most 256 values has
// such an offset), and offsets[o] · Σ_window x is added back. Arithmetic is
// modulo 2^32 (vpdpbusd does not saturate), so the result is exact whenever
// the true sum fits int32 and, on a path whose kernel multiplies through
// saturating int16 pairs (vpmaddubsw), every level is at most
// i8conv_max_level (KernelTable). No shift: acc_shift must be 0.
struct I8convArgs {
  const uint8_t* input = nullptr;  // packed levels, layout `in` (in.pad = conv pad, in.channels % 4 == 0)
  PackedLayout in;
  int kernel = 1, stride = 1;
  int out_w = 0;
  int row_begin = 0, row_end = 0;
  const int8_t* weights = nullptr;   // pack_i8conv_weights() layout
  const int32_t* offsets = nullptr;  // [out_channels], or null: all 0
  int out_channels = 0;
  int32_t* acc = nullptr;            // pixel-major, like bconv_band's
  int64_t acc_stride = 0;
  uint8_t* scratch = nullptr;        // i8conv_scratch_bytes(...) bytes, 64-byte aligned
};
// Output channels per weight block of the int8 layout.
inline constexpr int kI8convBlock = 16;
// Weights [out][C][k][k] (each in -128..127) in the kernels' order: blocks of
// kI8convBlock outputs, then kernel tap (ky, kx), then groups of 4 input
// channels, then the block's outputs, then the group's 4 channels as bytes:
// [ceil(out/16)][k*k][C/4][16][4]; outputs past `out` are zero.
std::vector<int8_t> pack_i8conv_weights(const int32_t* weight, int out, int in, int kernel);
// Scratch of a band of at most `band_rows` output rows.
int64_t i8conv_scratch_bytes(int kernel, int stride, int band_rows, int in_channels, int padded_w, int out_w);

// Epilogue on an accumulator band: optional max/min pooling (Darknet geometry:
// `pool_pad` is the total padding, begin = pool_pad / 2, padded positions never
// win), optional threshold quantization (level = #{i : v > thr[c][i]}), then
// either packed levels (layout `packed_layout`) or an int32 CHW map.
struct EpilogueArgs {
  const int32_t* acc = nullptr;
  int64_t acc_stride = 0;
  bool pixel_major = false;    // acc layout: bconv_band's (true) or channel-major
  const int32_t* thresholds_by_level = nullptr;  // pixel-major: [2^bits - 1][channels]
  int acc_row_begin = 0;       // conv row of acc pixel 0
  int conv_h = 0, conv_w = 0;  // the whole conv output
  int channels = 0;
  bool pool = false;
  int pool_size = 1, pool_stride = 1, pool_pad = 0;
  const uint8_t* take_min = nullptr;  // [channels] or null
  int out_h = 0, out_w = 0;           // after pooling
  int row_begin = 0, row_end = 0;     // output rows to produce
  const int32_t* thresholds = nullptr;  // [channels][2^bits - 1] or null
  int bits = 0;
  uint8_t* packed = nullptr;  // when thresholds and packed output
  PackedLayout packed_layout;
  int32_t* chw = nullptr;     // otherwise: int32 [channels][out_h][out_w]
  int32_t* scratch = nullptr; // epilogue_scratch_ints(...) ints
};
int64_t epilogue_scratch_ints(int channels, int out_w, int conv_w);

// Microbenchmark of the machine's AND + popcount + accumulate throughput with
// the kernels' operand reuse (each loaded activation vector meets four
// register-resident weight vectors). Returns
//   Σ_reps Σ_{j < words} Σ_{k < 4} popcount(a[j] & w[8k + j % 8])
// (a checksum that keeps the work alive): 4 * 64 * words * reps binary ops.
// `words` is a multiple of 32; w has 32 words; runs from L1.
using PopcountProbeFn = uint64_t (*)(const uint64_t* a, int64_t words, const uint64_t* w, int64_t reps);

using BconvFn = void (*)(const BconvArgs&);
using PixconvFn = void (*)(const PixconvArgs&);
using EpilogueFn = void (*)(const EpilogueArgs&);
using I8convFn = void (*)(const I8convArgs&);

#define IFQ_KERNEL_LIST(X)        \
  X(bconv_band, BconvFn)          \
  X(bconv_narrow_band, BconvFn)   \
  X(pixconv_band, PixconvFn)      \
  X(i8conv_band, I8convFn)        \
  X(epilogue_band, EpilogueFn)    \
  X(popcount_probe, PopcountProbeFn)

struct KernelTable {
  Isa isa = Isa::portable;
  // Whether the planner should run narrow windows (bconv_narrow_fits) on
  // bconv_narrow_band: true where the path has a vector 32-bit popcount
  // kernel for it. Every path has the kernel (and the tests run it on every
  // path); elsewhere bconv_band is as fast or faster.
  bool prefer_narrow_bconv = false;
  // i8conv_band: the largest level it is exact for (vpmaddubsw pairs
  // saturate above 127; 255 where the products are summed without
  // saturation), and the planner's cost model against the digit planes on
  // bconv_band (fast_grouping.cpp): per output value the digit planes cost
  // planes x (window words + 6) x i8conv_word_cost, the int8 kernel k*k*C/4
  // (its groups of four channels), in the units of one int8 group; the
  // cheaper runs. 0: never the int8 kernel. Fitted per path to measured
  // layer times (docs/quantizers.md). i8conv_binary_word_cost: the same
  // model for +-1 weights against the plain binary kernels (planes = the
  // level bits), where the int8 kernel wins on the few-channel layers whose
  // short windows waste the popcount lanes; 0 keeps binary weights on the
  // popcount kernels (avx512: VPOPCNTDQ and the narrow kernel beat int8 on
  // every IFQ-Tinier-YOLO layer; docs/benchmarks.md).
  int i8conv_max_level = 255;
  double i8conv_word_cost = 0;
  double i8conv_binary_word_cost = 0;
#define IFQ_KERNEL_MEMBER(name, type) type name = nullptr;
  IFQ_KERNEL_LIST(IFQ_KERNEL_MEMBER)
#undef IFQ_KERNEL_MEMBER
};

// The kernels of one path; throws ifq::Error when the CPU lacks it.
const KernelTable& kernel_table(Isa isa);

}  // namespace ifq::kernels
