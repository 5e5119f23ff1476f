// AVX-512 path (F, BW, VL, VPOPCNTDQ): eight 64-bit pixel lanes per zmm,
// vpandq with a broadcast weight word, vpopcntq, vpaddq. Compiled with its
// own flags; called only when cpuid reports the features (isa.cpp).
// GCC 12 reports its own intrinsics' deliberately undefined operands.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstdint>

#include "ifq/kernels/kernel_list.hpp"

#define IFQ_ISA_NS avx512_impl
#define IFQ_AVX_VNNI 0  // i8conv_avx2.inc: the vpmaddubsw form (the VNNI one is on zmm here)

namespace ifq::kernels::IFQ_ISA_NS {
namespace {

// Combines per-plane counts of 8 output channels into the accumulator and
// stores 8 int32: Σ_i 2^i (2·cnt_i - pa_i), arithmetic shift, saturation.
// PAp points at the pixel's entry of plane 0 (planes kBconvChunkPixels apart).
__attribute__((always_inline)) inline void store_acc(const __m512i* cnt, const uint64_t* PAp, int bits, int shift,
                                                     int32_t* dst) {
  __m512i total = _mm512_setzero_si512();
  for (int i = 0; i < bits; ++i) {
    const __m512i pa = _mm512_set1_epi64(int64_t(PAp[int64_t(i) * kBconvChunkPixels]));
    const __m512i v = _mm512_sub_epi64(_mm512_add_epi64(cnt[i], cnt[i]), pa);
    total = _mm512_add_epi64(total, _mm512_slli_epi64(v, unsigned(i)));
  }
  total = _mm512_srai_epi64(total, unsigned(shift));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), _mm512_cvtsepi64_epi32(total));
}

// PB pixels x GB groups of 8 output channels x B planes, all in registers:
// per word, GB weight loads and PB*B broadcasts feed PB*GB*B AND+popcount+add.
// Forced inline (with store_acc): as a call, GCC 12 kept the counters in a
// stack array (zeroed, reloaded and stored back per block), which cost a
// quarter of the shallow layers' time, whose blocks run only 3 to 6 words.
template <int B, int PB, int GB>
__attribute__((always_inline)) inline void bgemm_block(const uint64_t* A, const uint64_t* PA, int p, int words,
                                                       const uint64_t* W, int g, int shift, int32_t* acc,
                                                       int64_t stride) {
  __m512i cnt[PB][GB][B];
  for (int pb = 0; pb < PB; ++pb)
    for (int gb = 0; gb < GB; ++gb)
      for (int i = 0; i < B; ++i) cnt[pb][gb][i] = _mm512_setzero_si512();
  for (int w = 0; w < words; ++w) {
    __m512i wv[GB];
    for (int gb = 0; gb < GB; ++gb) wv[gb] = _mm512_loadu_si512(W + (int64_t(g + gb) * words + w) * 8);
    for (int pb = 0; pb < PB; ++pb)
      for (int i = 0; i < B; ++i) {
        const __m512i a = _mm512_set1_epi64(int64_t(A[(int64_t(i) * words + w) * kBconvChunkPixels + p + pb]));
        for (int gb = 0; gb < GB; ++gb)
          cnt[pb][gb][i] = _mm512_add_epi64(cnt[pb][gb][i], _mm512_popcnt_epi64(_mm512_and_si512(a, wv[gb])));
      }
  }
  for (int pb = 0; pb < PB; ++pb)
    for (int gb = 0; gb < GB; ++gb)
      store_acc(cnt[pb][gb], PA + p + pb, B, shift, acc + int64_t(p + pb) * stride + (g + gb) * 8);
}

template <int B, int PB, int GB>
inline void bgemm_planes(const uint64_t* A, const uint64_t* PA, int npix, int words, const uint64_t* W, int groups,
                         int shift, int32_t* acc, int64_t stride) {
  int p = 0;
  for (; p + PB <= npix; p += PB) {
    int g = 0;
    for (; g + GB <= groups; g += GB) bgemm_block<B, PB, GB>(A, PA, p, words, W, g, shift, acc, stride);
    for (; g < groups; ++g) bgemm_block<B, PB, 1>(A, PA, p, words, W, g, shift, acc, stride);
  }
  for (; p < npix; ++p) {
    int g = 0;
    for (; g + GB <= groups; g += GB) bgemm_block<B, 1, GB>(A, PA, p, words, W, g, shift, acc, stride);
    for (; g < groups; ++g) bgemm_block<B, 1, 1>(A, PA, p, words, W, g, shift, acc, stride);
  }
}

// Any number of planes (up to kMaxPackedBits), one pixel and group at a time.
inline void bgemm_generic(const uint64_t* A, const uint64_t* PA, int npix, int bits, int words, const uint64_t* W,
                          int groups, int shift, int32_t* acc, int64_t stride) {
  for (int p = 0; p < npix; ++p)
    for (int g = 0; g < groups; ++g) {
      __m512i cnt[kMaxPackedBits];
      for (int i = 0; i < bits; ++i) {
        __m512i c = _mm512_setzero_si512();
        for (int w = 0; w < words; ++w) {
          const __m512i a = _mm512_set1_epi64(int64_t(A[(int64_t(i) * words + w) * kBconvChunkPixels + p]));
          c = _mm512_add_epi64(c, _mm512_popcnt_epi64(_mm512_and_si512(a, _mm512_loadu_si512(W + (int64_t(g) * words + w) * 8))));
        }
        cnt[i] = c;
      }
      store_acc(cnt, PA + p, bits, shift, acc + int64_t(p) * stride + g * 8);
    }
}

void bgemm_chunk(const uint64_t* A, const uint64_t* PA, int npix, int bits, int words, const uint64_t* W,
                 int out_channels, int shift, int32_t* acc, int64_t stride) {
  const int groups = (out_channels + 7) / 8;
  switch (bits) {
    case 1: return bgemm_planes<1, 4, 4>(A, PA, npix, words, W, groups, shift, acc, stride);
    case 2: return bgemm_planes<2, 4, 2>(A, PA, npix, words, W, groups, shift, acc, stride);
    case 3: return bgemm_planes<3, 2, 2>(A, PA, npix, words, W, groups, shift, acc, stride);
    case 4: return bgemm_planes<4, 2, 2>(A, PA, npix, words, W, groups, shift, acc, stride);
    default: return bgemm_generic(A, PA, npix, bits, words, W, groups, shift, acc, stride);
  }
}

// Bit `plane` of C levels (C a multiple of 8): one vptestmb per 64 channels.
void pack_bytes(const uint8_t* lev, int C, int plane, uint8_t* dst) {
  const __m512i bit = _mm512_set1_epi8(char(1 << plane));
  int c = 0;
  for (; c + 64 <= C; c += 64) {
    const uint64_t m = _mm512_test_epi8_mask(_mm512_loadu_si512(lev + c), bit);
    __builtin_memcpy(dst + c / 8, &m, 8);
  }
  if (c < C) {
    const __mmask64 tail = (~uint64_t(0)) >> (64 - (C - c));
    const uint64_t m = _mm512_test_epi8_mask(_mm512_maskz_loadu_epi8(tail, lev + c), bit);
    __builtin_memcpy(dst + c / 8, &m, size_t((C - c) / 8));
  }
}

uint64_t popcount_probe(const uint64_t* a, int64_t words, const uint64_t* w, int64_t reps) {
  const __m512i w0 = _mm512_loadu_si512(w), w1 = _mm512_loadu_si512(w + 8);
  const __m512i w2 = _mm512_loadu_si512(w + 16), w3 = _mm512_loadu_si512(w + 24);
  __m512i s[8];
  for (auto& v : s) v = _mm512_setzero_si512();
  for (int64_t r = 0; r < reps; ++r)
    for (int64_t j = 0; j < words; j += 16) {
      const __m512i x = _mm512_loadu_si512(a + j), y = _mm512_loadu_si512(a + j + 8);
      s[0] = _mm512_add_epi64(s[0], _mm512_popcnt_epi64(_mm512_and_si512(x, w0)));
      s[1] = _mm512_add_epi64(s[1], _mm512_popcnt_epi64(_mm512_and_si512(x, w1)));
      s[2] = _mm512_add_epi64(s[2], _mm512_popcnt_epi64(_mm512_and_si512(x, w2)));
      s[3] = _mm512_add_epi64(s[3], _mm512_popcnt_epi64(_mm512_and_si512(x, w3)));
      s[4] = _mm512_add_epi64(s[4], _mm512_popcnt_epi64(_mm512_and_si512(y, w0)));
      s[5] = _mm512_add_epi64(s[5], _mm512_popcnt_epi64(_mm512_and_si512(y, w1)));
      s[6] = _mm512_add_epi64(s[6], _mm512_popcnt_epi64(_mm512_and_si512(y, w2)));
      s[7] = _mm512_add_epi64(s[7], _mm512_popcnt_epi64(_mm512_and_si512(y, w3)));
    }
  __m512i t = s[0];
  for (int k = 1; k < 8; ++k) t = _mm512_add_epi64(t, s[k]);
  return uint64_t(_mm512_reduce_add_epi64(t));
}


// im2col of eight neighbouring windows (stride 1, C a multiple of 8 with
// kernel*C <= 64: one word per kernel row). 128-bit lane l holds pixels
// x+2l and x+2l+1: sixteen bytes loaded from pixel x+2l, and vpshufb picks
// bytes 0..7 and cb..cb+7 (cb = C/8 <= 8). Reads at most 16 bytes past the
// last window, inside the contract's over-read allowance.
inline void im2col8_one_word(const uint8_t* const* rows, int bits, int k, int cb, int x, uint64_t mask, uint64_t* A,
                             uint64_t* PA) {
  // Control bytes 0..7, cb..cb+7 per 128-bit lane, built in registers: this
  // runs per 8 pixels, and a byte array stored and reloaded as a vector
  // stalls on store forwarding (it was a quarter of the im2col time).
  const __m512i ctl = _mm512_add_epi8(_mm512_set4_epi32(0x07060504, 0x03020100, 0x07060504, 0x03020100),
                                      _mm512_maskz_set1_epi8(__mmask64(0xFF00FF00FF00FF00ull), char(cb)));
  const __m512i m = _mm512_set1_epi64(int64_t(mask));
  const int64_t step = 2 * int64_t(cb);
  for (int i = 0; i < bits; ++i) {
    __m512i count = _mm512_setzero_si512();
    for (int ky = 0; ky < k; ++ky) {
      const uint8_t* base = rows[i * k + ky] + int64_t(x) * cb;
      __m512i v = _mm512_castsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(base)));
      v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(base + step)), 1);
      v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(base + 2 * step)), 2);
      v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(base + 3 * step)), 3);
      v = _mm512_and_si512(_mm512_shuffle_epi8(v, ctl), m);
      _mm512_storeu_si512(A + int64_t(i * k + ky) * kBconvChunkPixels, v);  // one word per kernel row
      count = _mm512_add_epi64(count, _mm512_popcnt_epi64(v));
    }
    _mm512_storeu_si512(PA + int64_t(i) * kBconvChunkPixels, count);
  }
}


// Narrow windows (bconv_narrow_fits: a kernel row of the window in at most 32
// bits): sixteen output pixels of one conv row in the 32-bit lanes of a zmm,
// no im2col. 128-bit lane l holds pixels x0+4l .. x0+4l+3: sixteen bytes
// loaded from pixel x0+4l's first window byte, vpshufb moves each pixel's
// k*C/8 segment bytes into its dword (zero above). Per output channel and
// segment: vpandd with the broadcast weight row, vpopcntd, vpaddd. B planes
// and K kernel rows fixed at compile time for the common cases (0: run time).
template <int B, int K>
inline void narrow_band_t(const BconvArgs& a, int64_t rb, int64_t pb) {
  const int bits = B ? B : a.in.bits, k = K ? K : a.kernel;
  const int cb = a.in.channels / 8, seg = k * cb, s = a.stride;
  const int64_t step = int64_t(s) * cb;  // bytes between neighbouring windows
  alignas(64) int8_t ctl_bytes[64];
  for (int l = 0; l < 4; ++l)
    for (int j = 0; j < 4; ++j)
      for (int b = 0; b < 4; ++b) ctl_bytes[16 * l + 4 * j + b] = b < seg ? int8_t(j * step + b) : int8_t(-128);
  const __m512i ctl = _mm512_load_si512(ctl_bytes);
  const __m128i zero = _mm_setzero_si128();
  constexpr int kMaxRows = 4;  // k * C <= 32 with C >= 8
  for (int y = a.row_begin; y < a.row_end; ++y) {
    int32_t* dst_row = a.acc + int64_t(y - a.row_begin) * a.out_w;
    for (int x0 = 0; x0 < a.out_w; x0 += 16) {
      const int xn = a.out_w - x0 < 16 ? a.out_w - x0 : 16;
      const __mmask16 store_mask = __mmask16((1u << xn) - 1);
      __m512i v[kMaxPackedBits * kMaxRows];
      __m512i pa = _mm512_setzero_si512();  // Σ_i 2^i popcount(window of plane i)
      for (int i = 0; i < bits; ++i) {
        __m512i count = _mm512_setzero_si512();
        for (int ky = 0; ky < k; ++ky) {
          const uint8_t* row = a.input + i * pb + int64_t(y * s + ky) * rb;
          // A load starting inside the row stays inside the buffer (the next
          // row or the over-read allowance); lanes past the row's last window
          // (x >= out_w) load zeros and are never stored.
          __m128i q[4];
          for (int l = 0; l < 4; ++l) {
            const int64_t start = (int64_t(x0) + 4 * l) * step;
            q[l] = start <= rb ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + start)) : zero;
          }
          __m512i t = _mm512_castsi128_si512(q[0]);
          t = _mm512_inserti32x4(t, q[1], 1);
          t = _mm512_inserti32x4(t, q[2], 2);
          t = _mm512_inserti32x4(t, q[3], 3);
          t = _mm512_shuffle_epi8(t, ctl);
          v[i * kMaxRows + ky] = t;
          count = _mm512_add_epi32(count, _mm512_popcnt_epi32(t));
        }
        pa = _mm512_add_epi32(pa, _mm512_slli_epi32(count, unsigned(i)));
      }
      for (int o = 0; o < a.out_channels; ++o) {
        const uint64_t* wo = a.weights + int64_t(o / 8) * k * 8 + o % 8;
        __m512i w[kMaxRows];
        for (int ky = 0; ky < k; ++ky) w[ky] = _mm512_set1_epi32(int(uint32_t(wo[ky * 8])));
        __m512i total = _mm512_setzero_si512();
        for (int i = 0; i < bits; ++i) {
          __m512i c = _mm512_setzero_si512();
          for (int ky = 0; ky < k; ++ky)
            c = _mm512_add_epi32(c, _mm512_popcnt_epi32(_mm512_and_si512(v[i * kMaxRows + ky], w[ky])));
          total = _mm512_add_epi32(total, _mm512_slli_epi32(c, unsigned(i)));
        }
        // Σ_i 2^i (2 cnt_i - pa_i); at most 32 * 4 * 255 * 2 in magnitude, no saturation needed.
        const __m512i r = _mm512_srai_epi32(_mm512_sub_epi32(_mm512_add_epi32(total, total), pa), unsigned(a.acc_shift));
        _mm512_mask_storeu_epi32(dst_row + x0 + int64_t(o) * a.acc_stride, store_mask, r);
      }
    }
  }
}

inline void narrow_band(const BconvArgs& a, int64_t rb, int64_t pb) {
  if (a.in.bits == 2 && a.kernel == 3) return narrow_band_t<2, 3>(a, rb, pb);
  if (a.in.bits == 1 && a.kernel == 3) return narrow_band_t<1, 3>(a, rb, pb);
  return narrow_band_t<0, 0>(a, rb, pb);
}

}  // namespace

#include "pixconv_u8_common.inc"
#include "pixconv_vnni.inc"
#include "i8conv_avx2.inc"
#include "i8conv_vnni.inc"
#include "epilogue_avx512.inc"

}  // namespace ifq::kernels::IFQ_ISA_NS

#define IFQ_HAVE_VECTOR_IM2COL 1
#define IFQ_HAVE_PIXCONV_U8 1
#define IFQ_HAVE_I8_ROW 1
#define IFQ_HAVE_VECTOR_NARROW 1
#define IFQ_HAVE_VECTOR_EPILOGUE 1
#include "kernels_impl.inc"

namespace ifq::kernels {
// Fills an existing table: constructing a KernelTable here would emit its
// inline constructor with this file's ISA flags (see kernels_impl.inc).
void fill_avx512_table(KernelTable& t) {
  t.isa = Isa::avx512;
  t.prefer_narrow_bconv = true;
  // Without VNNI the AVX2 kernel (vpmaddubsw) runs. Word cost fitted to the
  // IFQ-Tinier-YOLO layers' crossovers (ifq bench --weight-bits 2 and 4,
  // docs/quantizers.md): about 1.3, 1.5, 2.8, 4.4 planes at C = 8, 16, 32,
  // 64 (3x3), 8 at 128, 5 for 1x1 over 512; the AVX2 int8 kernel is about
  // 3x slower per value than VNNI, the popcount planes 3x faster than AVX2's.
  const bool vnni = __builtin_cpu_supports("avx512vnni");
  t.i8conv_max_level = vnni ? 255 : 127;
  t.i8conv_word_cost = vnni ? 2.0 : 0.7;
#define IFQ_FILL_KERNEL(name, type) t.name = &IFQ_ISA_NS::name;
  IFQ_KERNEL_LIST(IFQ_FILL_KERNEL)
#undef IFQ_FILL_KERNEL
}
}  // namespace ifq::kernels
