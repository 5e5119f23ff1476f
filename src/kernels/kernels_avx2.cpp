// AVX2 path: eight 64-bit pixel lanes in two ymm registers; popcount by the
// nibble lookup (vpshufb) into byte counters, folded into 64-bit lanes with
// vpsadbw every 31 words (a byte counter gains at most 8 per word).
#include <immintrin.h>

#include <cstdint>

#include "ifq/kernels/kernel_list.hpp"

#define IFQ_ISA_NS avx2_impl

namespace ifq::kernels::IFQ_ISA_NS {
namespace {

inline __m256i popcount_bytes(__m256i v, __m256i lut, __m256i low_mask) {
  const __m256i lo = _mm256_shuffle_epi8(lut, _mm256_and_si256(v, low_mask));
  const __m256i hi = _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(v, 4), low_mask));
  return _mm256_add_epi8(lo, hi);
}

inline __m256i nibble_lut() {
  return _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2,
                          3, 2, 3, 3, 4);
}

constexpr int kFoldWords = 31;

// One pixel x one group of 8 output channels (two ymm halves of 4 lanes) x B
// planes; byte counters folded into 64-bit lanes every kFoldWords words.
template <int B>
inline void bgemm_pixel_group(const uint64_t* A, const uint64_t* PA, int p, int words, const uint64_t* W, int g,
                              int shift, int32_t* acc, int64_t stride) {
  const __m256i lut = nibble_lut(), low_mask = _mm256_set1_epi8(0x0f), zero = _mm256_setzero_si256();
  __m256i q[2][B];
  for (int h = 0; h < 2; ++h)
    for (int i = 0; i < B; ++i) q[h][i] = zero;
  const uint64_t* Wg = W + int64_t(g) * words * 8;
  for (int w0 = 0; w0 < words; w0 += kFoldWords) {
    const int w1 = w0 + kFoldWords < words ? w0 + kFoldWords : words;
    __m256i b[2][B];
    for (int h = 0; h < 2; ++h)
      for (int i = 0; i < B; ++i) b[h][i] = zero;
    for (int w = w0; w < w1; ++w) {
      const __m256i w_lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(Wg + w * 8));
      const __m256i w_hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(Wg + w * 8 + 4));
      for (int i = 0; i < B; ++i) {
        const __m256i a = _mm256_set1_epi64x(int64_t(A[(int64_t(i) * words + w) * kBconvChunkPixels + p]));
        b[0][i] = _mm256_add_epi8(b[0][i], popcount_bytes(_mm256_and_si256(a, w_lo), lut, low_mask));
        b[1][i] = _mm256_add_epi8(b[1][i], popcount_bytes(_mm256_and_si256(a, w_hi), lut, low_mask));
      }
    }
    for (int h = 0; h < 2; ++h)
      for (int i = 0; i < B; ++i) q[h][i] = _mm256_add_epi64(q[h][i], _mm256_sad_epu8(b[h][i], zero));
  }
  uint64_t cnt[B][8];
  for (int i = 0; i < B; ++i) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(&cnt[i][0]), q[0][i]);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(&cnt[i][4]), q[1][i]);
  }
  int32_t* dst = acc + int64_t(p) * stride + g * 8;
  for (int lane = 0; lane < 8; ++lane) {
    int64_t total = 0;
    for (int i = 0; i < B; ++i)
      total += (2 * int64_t(cnt[i][lane]) - int64_t(PA[int64_t(i) * kBconvChunkPixels + p])) * (int64_t(1) << i);
    total >>= shift;
    dst[lane] = total > INT32_MAX ? INT32_MAX : (total < INT32_MIN ? INT32_MIN : int32_t(total));
  }
}

template <int B>
inline void bgemm_planes(const uint64_t* A, const uint64_t* PA, int npix, int words, const uint64_t* W, int groups,
                         int shift, int32_t* acc, int64_t stride) {
  for (int p = 0; p < npix; ++p)
    for (int g = 0; g < groups; ++g) bgemm_pixel_group<B>(A, PA, p, words, W, g, shift, acc, stride);
}

void bgemm_chunk(const uint64_t* A, const uint64_t* PA, int npix, int bits, int words, const uint64_t* W,
                 int out_channels, int shift, int32_t* acc, int64_t stride) {
  const int groups = (out_channels + 7) / 8;
  switch (bits) {
    case 1: return bgemm_planes<1>(A, PA, npix, words, W, groups, shift, acc, stride);
    case 2: return bgemm_planes<2>(A, PA, npix, words, W, groups, shift, acc, stride);
    case 3: return bgemm_planes<3>(A, PA, npix, words, W, groups, shift, acc, stride);
    case 4: return bgemm_planes<4>(A, PA, npix, words, W, groups, shift, acc, stride);
    case 5: return bgemm_planes<5>(A, PA, npix, words, W, groups, shift, acc, stride);
    case 6: return bgemm_planes<6>(A, PA, npix, words, W, groups, shift, acc, stride);
    case 7: return bgemm_planes<7>(A, PA, npix, words, W, groups, shift, acc, stride);
    default: return bgemm_planes<8>(A, PA, npix, words, W, groups, shift, acc, stride);
  }
}

// Bit `plane` of C levels (C a multiple of 8): vpmovmskb per 32 channels.
void pack_bytes(const uint8_t* lev, int C, int plane, uint8_t* dst) {
  int c = 0;
  for (; c + 32 <= C; c += 32) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(lev + c));
    // Shifting 16-bit lanes left by 7 - plane puts bit `plane` of each byte at its bit 7.
    const uint32_t m = uint32_t(_mm256_movemask_epi8(_mm256_slli_epi16(v, 7 - plane)));
    __builtin_memcpy(dst + c / 8, &m, 4);
  }
  for (int j = c / 8; j < C / 8; ++j) {
    unsigned b = 0;
    for (int cc = 0; cc < 8; ++cc) b |= unsigned((lev[8 * j + cc] >> plane) & 1) << cc;
    dst[j] = uint8_t(b);
  }
}

uint64_t popcount_probe(const uint64_t* a, int64_t words, const uint64_t* w, int64_t reps) {
  const __m256i lut = nibble_lut(), low_mask = _mm256_set1_epi8(0x0f), zero = _mm256_setzero_si256();
  __m256i wv[4][2];
  for (int k = 0; k < 4; ++k)
    for (int h = 0; h < 2; ++h) wv[k][h] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 8 * k + 4 * h));
  __m256i q = zero;
  for (int64_t r = 0; r < reps; ++r)
    for (int64_t j0 = 0; j0 < words; j0 += 24) {
      // 24 words per fold: each byte counter gains at most 8 per word and per k.
      const int64_t j1 = j0 + 24 < words ? j0 + 24 : words;
      __m256i b0 = zero, b1 = zero;
      for (int64_t j = j0; j < j1; j += 8) {
        for (int h = 0; h < 2; ++h) {
          const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + j + 4 * h));
          b0 = _mm256_add_epi8(b0, popcount_bytes(_mm256_and_si256(x, wv[0][h]), lut, low_mask));
          b1 = _mm256_add_epi8(b1, popcount_bytes(_mm256_and_si256(x, wv[1][h]), lut, low_mask));
          b0 = _mm256_add_epi8(b0, popcount_bytes(_mm256_and_si256(x, wv[2][h]), lut, low_mask));
          b1 = _mm256_add_epi8(b1, popcount_bytes(_mm256_and_si256(x, wv[3][h]), lut, low_mask));
        }
      }
      q = _mm256_add_epi64(q, _mm256_add_epi64(_mm256_sad_epu8(b0, zero), _mm256_sad_epu8(b1, zero)));
    }
  uint64_t lanes[4];
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(lanes), q);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}

}  // namespace

#include "pixconv_u8_common.inc"
#include "pixconv_avx2.inc"
#include "i8conv_avx2.inc"
namespace {
inline void i8_row(const I8convArgs& a, const uint8_t* const* rp, int32_t* dst_row, int b0, int b1) {
  i8_row_avx2(a, rp, dst_row, b0, b1);
}
}  // namespace
#include "epilogue_avx2.inc"

}  // namespace ifq::kernels::IFQ_ISA_NS

#define IFQ_HAVE_PIXCONV_U8 1
#define IFQ_HAVE_I8_ROW 1
#define IFQ_HAVE_VECTOR_EPILOGUE 1
#include "kernels_impl.inc"

namespace ifq::kernels {
// Fills an existing table: constructing a KernelTable here would emit its
// inline constructor with this file's ISA flags (see kernels_impl.inc).
void fill_avx2_table(KernelTable& t) {
  t.isa = Isa::avx2;
  t.i8conv_max_level = 127;  // vpmaddubsw's int16 pairs
  // ifq bench --isa avx2 --weight-bits 2 (docs/quantizers.md): the int8
  // kernel beats 4 digit planes on every IFQ-Tinier-YOLO layer (1.2x for
  // 256 -> 512 3x3, 6x for 8 -> 16).
  t.i8conv_word_cost = 4.0;
#define IFQ_FILL_KERNEL(name, type) t.name = &IFQ_ISA_NS::name;
  IFQ_KERNEL_LIST(IFQ_FILL_KERNEL)
#undef IFQ_FILL_KERNEL
}
}  // namespace ifq::kernels
