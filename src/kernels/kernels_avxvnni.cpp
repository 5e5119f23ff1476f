// AVX2 + AVX-VNNI path (kernels_avx2.inc, compiled with -mavxvnni): the
// binary kernels of the avx2 path, the 8-bit ones (first layer, multi-bit
// weights) on vpdpbusd over ymm, as on Intel's client CPUs from Alder Lake
// on, which have AVX-VNNI but no AVX-512.
#define IFQ_ISA_NS avxvnni_impl
#define IFQ_AVX_VNNI 1
#include "kernels_avx2.inc"

namespace ifq::kernels {
void fill_avxvnni_table(KernelTable& t) {
  t.isa = Isa::avxvnni;
  t.i8conv_max_level = 255;  // vpdpbusd sums into int32 without saturation
  // vpdpbusd does in one instruction what vpmaddubsw, vpmaddwd and vpaddd do
  // in three: the int8 kernel runs 1.3-2x faster than on avx2, the popcount
  // planes no faster. The constant puts every IFQ-Tinier-YOLO layer up to
  // 64 -> 128 (0.35 against 0.29 ms) and the 1x1 512 -> 512 (0.31 / 0.28) on
  // the int8 kernel, 256 -> 512 (1.04 / 1.18) on popcount (ifq bench --isa
  // avxvnni, per stage, docs/benchmarks.md).
  t.i8conv_word_cost = 6.0;
  t.i8conv_binary_word_cost = 6.0;
#define IFQ_FILL_KERNEL(name, type) t.name = &IFQ_ISA_NS::name;
  IFQ_KERNEL_LIST(IFQ_FILL_KERNEL)
#undef IFQ_FILL_KERNEL
}
}  // namespace ifq::kernels
