// Portable path: plain C++ for any x86-64 (or other) CPU, std-free popcount
// through the compiler builtin. Also the fallback when cpuid finds nothing.
#include <cstdint>

#include "ifq/kernels/kernel_list.hpp"

#define IFQ_ISA_NS portable_impl

namespace ifq::kernels::IFQ_ISA_NS {
namespace {

// acc[p][o] = saturate32(Σ_i 2^i (2·popcount(A[i][.][p] & W_o) - PA[i][p]) >> shift),
// W grouped by 8 output channels ([group][word][lane]).
void bgemm_chunk(const uint64_t* A, const uint64_t* PA, int npix, int bits, int words, const uint64_t* W,
                 int out_channels, int shift, int32_t* acc, int64_t stride) {
  const int groups = (out_channels + 7) / 8;
  for (int p = 0; p < npix; ++p)
    for (int g = 0; g < groups; ++g) {
      const uint64_t* Wg = W + int64_t(g) * words * 8;
      int64_t total[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      for (int i = 0; i < bits; ++i) {
        uint64_t cnt[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (int w = 0; w < words; ++w) {
          const uint64_t a = A[(int64_t(i) * words + w) * kBconvChunkPixels + p];
          for (int lane = 0; lane < 8; ++lane) cnt[lane] += uint64_t(__builtin_popcountll(a & Wg[w * 8 + lane]));
        }
        const int64_t pa = int64_t(PA[int64_t(i) * kBconvChunkPixels + p]);
        for (int lane = 0; lane < 8; ++lane) total[lane] += (2 * int64_t(cnt[lane]) - pa) * (int64_t(1) << i);
      }
      int32_t* dst = acc + int64_t(p) * stride + g * 8;
      for (int lane = 0; lane < 8; ++lane) {
        const int64_t v = total[lane] >> shift;
        dst[lane] = v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : int32_t(v));
      }
    }
}

// Bit `plane` of C levels (C a multiple of 8) as C/8 bit-stream bytes.
void pack_bytes(const uint8_t* lev, int C, int plane, uint8_t* dst) {
  for (int j = 0; j < C / 8; ++j) {
    unsigned b = 0;
    for (int cc = 0; cc < 8; ++cc) b |= unsigned((lev[8 * j + cc] >> plane) & 1) << cc;
    dst[j] = uint8_t(b);
  }
}

uint64_t popcount_probe(const uint64_t* a, int64_t words, const uint64_t* w, int64_t reps) {
  uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (int64_t r = 0; r < reps; ++r)
    for (int64_t j = 0; j < words; ++j) {
      const uint64_t x = a[j];
      s0 += uint64_t(__builtin_popcountll(x & w[j % 8]));
      s1 += uint64_t(__builtin_popcountll(x & w[8 + j % 8]));
      s2 += uint64_t(__builtin_popcountll(x & w[16 + j % 8]));
      s3 += uint64_t(__builtin_popcountll(x & w[24 + j % 8]));
    }
  return s0 + s1 + s2 + s3;
}

}  // namespace
}  // namespace ifq::kernels::IFQ_ISA_NS

#include "kernels_impl.inc"

namespace ifq::kernels {
// Fills an existing table: constructing a KernelTable here would emit its
// inline constructor with this file's ISA flags (see kernels_impl.inc).
void fill_portable_table(KernelTable& t) {
  t.isa = Isa::portable;
#define IFQ_FILL_KERNEL(name, type) t.name = &IFQ_ISA_NS::name;
  IFQ_KERNEL_LIST(IFQ_FILL_KERNEL)
#undef IFQ_FILL_KERNEL
}
}  // namespace ifq::kernels
