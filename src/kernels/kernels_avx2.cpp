// AVX2 path (kernels_avx2.inc): the 8-bit kernels on vpmaddubsw.
#define IFQ_ISA_NS avx2_impl
#define IFQ_AVX_VNNI 0
#include "kernels_avx2.inc"

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
  // Binary weights: the same constant puts 8 -> 16 (1.79 against 0.81 ms)
  // and 16 -> 32 (0.81 / 0.56) on the int8 kernel, 64 channels and more on
  // popcount (ifq bench --isa avx2, per stage, docs/benchmarks.md).
  t.i8conv_binary_word_cost = 4.0;
#define IFQ_FILL_KERNEL(name, type) t.name = &IFQ_ISA_NS::name;
  IFQ_KERNEL_LIST(IFQ_FILL_KERNEL)
#undef IFQ_FILL_KERNEL
}
}  // namespace ifq::kernels
