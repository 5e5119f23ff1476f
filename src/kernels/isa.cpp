// Run-time selection of the kernel path by cpuid, and the kernel tables.
#include "ifq/kernels/isa.hpp"

#include <cstdlib>
#if IFQ_HAVE_X86_PATHS
#include <cpuid.h>
#endif

#include "ifq/error.hpp"
#include "ifq/kernels/kernel_list.hpp"

namespace ifq::kernels {

void fill_portable_table(KernelTable& t);
#if IFQ_HAVE_X86_PATHS
void fill_avx2_table(KernelTable& t);
void fill_avxvnni_table(KernelTable& t);
void fill_avx512_table(KernelTable& t);
#endif
#if IFQ_HAVE_NEON_PATH
void fill_neon_table(KernelTable& t);
#endif

const char* isa_name(Isa isa) {
  switch (isa) {
#define IFQ_ISA_CASE(name) \
  case Isa::name:          \
    return #name;
    IFQ_ISA_LIST(IFQ_ISA_CASE)
#undef IFQ_ISA_CASE
  }
  return "unknown";
}

std::vector<Isa> all_isas() {
  return {
#define IFQ_ISA_ITEM(name) Isa::name,
      IFQ_ISA_LIST(IFQ_ISA_ITEM)
#undef IFQ_ISA_ITEM
  };
}

Isa parse_isa(const std::string& name) {
  for (Isa isa : all_isas())
    if (name == isa_name(isa)) return isa;
  throw Error("unknown instruction-set path '" + name + "' (expected portable, avx2, avxvnni, avx512 or neon)");
}

#if IFQ_HAVE_X86_PATHS
namespace {
// AVX-VNNI (cpuid leaf 7, sub-leaf 1, EAX bit 4), read directly: clang 14's
// __builtin_cpu_supports does not know the name. Its ymm state is the one
// AVX2 needs, which __builtin_cpu_supports("avx2") has checked with the OS.
bool cpu_has_avx_vnni() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid_max(0, nullptr) < 7) return false;
  __cpuid_count(7, 1, eax, ebx, ecx, edx);
  return (eax >> 4) & 1;
}
}  // namespace
#endif

bool isa_supported(Isa isa) {
  switch (isa) {
    case Isa::portable:
      return true;
#if IFQ_HAVE_X86_PATHS
    // __builtin_cpu_supports checks cpuid and that the OS saves the vector state.
    case Isa::avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
    case Isa::avxvnni:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt") && cpu_has_avx_vnni();
    case Isa::avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vpopcntdq") &&
             __builtin_cpu_supports("popcnt");
#endif
#if IFQ_HAVE_NEON_PATH
    // Advanced SIMD is part of the AArch64 base architecture.
    case Isa::neon:
      return true;
#endif
    default:
      return false;
  }
}

Isa best_isa() {
  Isa best = Isa::portable;
  for (Isa isa : all_isas())
    if (isa_supported(isa)) best = isa;
  return best;
}

Isa selected_isa() {
  const char* env = std::getenv("IFQ_ISA");
  if (!env || !*env) return best_isa();
  const Isa isa = parse_isa(env);
  if (!isa_supported(isa))
    throw Error(std::string("IFQ_ISA=") + env + " but this CPU does not support that path (best: " +
                isa_name(best_isa()) + ")");
  return isa;
}

namespace {
struct Tables {
#define IFQ_ISA_COUNT(name) +1
  KernelTable table[0 IFQ_ISA_LIST(IFQ_ISA_COUNT)];
#undef IFQ_ISA_COUNT
  Tables() {
    fill_portable_table(table[int(Isa::portable)]);
#if IFQ_HAVE_X86_PATHS
    fill_avx2_table(table[int(Isa::avx2)]);
    fill_avxvnni_table(table[int(Isa::avxvnni)]);
    fill_avx512_table(table[int(Isa::avx512)]);
#endif
#if IFQ_HAVE_NEON_PATH
    fill_neon_table(table[int(Isa::neon)]);
#endif
  }
};
}  // namespace

const KernelTable& kernel_table(Isa isa) {
  if (!isa_supported(isa))
    throw Error(std::string("kernel path '") + isa_name(isa) + "' is not supported by this CPU");
  static const Tables tables;
  return tables.table[int(isa)];
}

}  // namespace ifq::kernels
