// NEON path (AArch64, where Advanced SIMD is mandatory): 128-bit registers of
// two 64-bit lanes, popcount by vcntq_u8 into byte counters, folded into
// 64-bit lanes by pairwise widening adds (vpaddlq_u8 / u16, vpadalq_u32)
// every kFoldWords words (a byte counter gains at most 8 per word).
#include <arm_neon.h>

#include <cstdint>

#include "ifq/kernels/kernel_list.hpp"

#define IFQ_ISA_NS neon_impl

namespace ifq::kernels::IFQ_ISA_NS {
namespace {

constexpr int kFoldWords = 31;  // 31 * 8 = 248 < 256

// Byte counters (16 x u8) added into two u64 lanes.
inline uint64x2_t fold_bytes(uint64x2_t q, uint8x16_t b) {
  return vpadalq_u32(q, vpaddlq_u16(vpaddlq_u8(b)));
}

// One pixel x one group of 8 output channels (four q registers of 2 lanes),
// plane by plane: acc = saturate32(Σ_i 2^i (2·popcount - PA_i) >> shift).
inline void bgemm_pixel_group(const uint64_t* A, const uint64_t* PA, int p, int bits, int words,
                              const uint64_t* W, int g, int shift, int32_t* acc, int64_t stride) {
  const uint64_t* Wg = W + int64_t(g) * words * 8;
  int64_t total[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int i = 0; i < bits; ++i) {
    uint64x2_t q[4];
    for (int h = 0; h < 4; ++h) q[h] = vdupq_n_u64(0);
    const uint64_t* Ai = A + int64_t(i) * words * kBconvChunkPixels + p;
    for (int w0 = 0; w0 < words; w0 += kFoldWords) {
      const int w1 = w0 + kFoldWords < words ? w0 + kFoldWords : words;
      uint8x16_t b[4];
      for (int h = 0; h < 4; ++h) b[h] = vdupq_n_u8(0);
      for (int w = w0; w < w1; ++w) {
        const uint64x2_t a = vdupq_n_u64(Ai[int64_t(w) * kBconvChunkPixels]);
        const uint64_t* ww = Wg + w * 8;
        for (int h = 0; h < 4; ++h)
          b[h] = vaddq_u8(b[h], vcntq_u8(vreinterpretq_u8_u64(vandq_u64(a, vld1q_u64(ww + 2 * h)))));
      }
      for (int h = 0; h < 4; ++h) q[h] = fold_bytes(q[h], b[h]);
    }
    uint64_t cnt[8];
    for (int h = 0; h < 4; ++h) vst1q_u64(cnt + 2 * h, q[h]);
    const int64_t pa = int64_t(PA[int64_t(i) * kBconvChunkPixels + p]);
    for (int lane = 0; lane < 8; ++lane) total[lane] += (2 * int64_t(cnt[lane]) - pa) * (int64_t(1) << i);
  }
  int32_t* dst = acc + int64_t(p) * stride + g * 8;
  for (int lane = 0; lane < 8; ++lane) {
    const int64_t v = total[lane] >> shift;
    dst[lane] = v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : int32_t(v));
  }
}

void bgemm_chunk(const uint64_t* A, const uint64_t* PA, int npix, int bits, int words, const uint64_t* W,
                 int out_channels, int shift, int32_t* acc, int64_t stride) {
  const int groups = (out_channels + 7) / 8;
  for (int p = 0; p < npix; ++p)
    for (int g = 0; g < groups; ++g) bgemm_pixel_group(A, PA, p, bits, words, W, g, shift, acc, stride);
}

// Bit `plane` of C levels (C a multiple of 8): per 16 channels, isolate the
// bit, move it to its channel's position and add across each 8-byte half.
void pack_bytes(const uint8_t* lev, int C, int plane, uint8_t* dst) {
  static const int8_t kPos[16] = {0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7};
  const int8x16_t pos = vld1q_s8(kPos);
  const int8x16_t down = vdupq_n_s8(int8_t(-plane));
  const uint8x16_t one = vdupq_n_u8(1);
  int c = 0;
  for (; c + 16 <= C; c += 16) {
    const uint8x16_t bit = vandq_u8(vshlq_u8(vld1q_u8(lev + c), down), one);
    const uint8x16_t m = vshlq_u8(bit, pos);
    dst[c / 8] = vaddv_u8(vget_low_u8(m));
    dst[c / 8 + 1] = vaddv_u8(vget_high_u8(m));
  }
  for (; c + 8 <= C; c += 8) {  // the last 8 channels of C = 16n + 8
    unsigned b = 0;
    for (int cc = 0; cc < 8; ++cc) b |= unsigned((lev[c + cc] >> plane) & 1) << cc;
    dst[c / 8] = uint8_t(b);
  }
}

uint64_t popcount_probe(const uint64_t* a, int64_t words, const uint64_t* w, int64_t reps) {
  uint64x2_t wv[4][4];
  for (int k = 0; k < 4; ++k)
    for (int h = 0; h < 4; ++h) wv[k][h] = vld1q_u64(w + 8 * k + 2 * h);
  uint64x2_t q = vdupq_n_u64(0);
  for (int64_t r = 0; r < reps; ++r)
    for (int64_t j0 = 0; j0 < words; j0 += 24) {
      // 24 words per fold: each byte counter gains at most 8 per add, 8 adds per 8 words.
      const int64_t j1 = j0 + 24 < words ? j0 + 24 : words;
      uint8x16_t b0 = vdupq_n_u8(0), b1 = vdupq_n_u8(0);
      for (int64_t j = j0; j < j1; j += 8) {
        for (int h = 0; h < 4; ++h) {
          const uint64x2_t x = vld1q_u64(a + j + 2 * h);
          b0 = vaddq_u8(b0, vcntq_u8(vreinterpretq_u8_u64(vandq_u64(x, wv[0][h]))));
          b1 = vaddq_u8(b1, vcntq_u8(vreinterpretq_u8_u64(vandq_u64(x, wv[1][h]))));
          b0 = vaddq_u8(b0, vcntq_u8(vreinterpretq_u8_u64(vandq_u64(x, wv[2][h]))));
          b1 = vaddq_u8(b1, vcntq_u8(vreinterpretq_u8_u64(vandq_u64(x, wv[3][h]))));
        }
      }
      q = fold_bytes(fold_bytes(q, b0), b1);
    }
  return vgetq_lane_u64(q, 0) + vgetq_lane_u64(q, 1);
}

}  // namespace
}  // namespace ifq::kernels::IFQ_ISA_NS

#include "kernels_impl.inc"

namespace ifq::kernels {
// Fills an existing table (see kernels_impl.inc on inline functions).
void fill_neon_table(KernelTable& t) {
  t.isa = Isa::neon;
#define IFQ_FILL_KERNEL(name, type) t.name = &IFQ_ISA_NS::name;
  IFQ_KERNEL_LIST(IFQ_FILL_KERNEL)
#undef IFQ_FILL_KERNEL
}
}  // namespace ifq::kernels
