#pragma once
// Instruction-set paths of the fast kernels and their run-time selection.
// The library is built for baseline x86-64; the AVX2 and AVX-512 kernels live
// in files compiled with their own flags and are only called after cpuid says
// the CPU has them. On AArch64 the NEON path is built instead (Advanced SIMD
// is mandatory there, so it is always supported). IFQ_ISA=portable|avx2|
// avxvnni|avx512|neon forces a path (tests use it to run every path the CPU has);
// forcing a path the CPU lacks (or this build lacks) is an error.
#include <string>
#include <vector>

namespace ifq::kernels {

// Ordered from least to most capable; best_isa() returns the last supported.
// avx512 needs AVX-512 F/BW/VL and VPOPCNTDQ (vector popcount); a CPU with
// AVX-512 but without VPOPCNTDQ runs the avx2 path. avxvnni is the avx2 path
// with AVX-VNNI's vpdpbusd on ymm for the 8-bit kernels (first layer,
// multi-bit weights): Intel's client CPUs from Alder Lake on, which have
// no AVX-512. neon exists only in
// AArch64 builds (never supported on x86, nor x86 paths on AArch64).
#define IFQ_ISA_LIST(X) \
  X(portable)           \
  X(avx2)               \
  X(avxvnni)            \
  X(avx512)             \
  X(neon)

enum class Isa {
#define IFQ_ISA_ENUM(name) name,
  IFQ_ISA_LIST(IFQ_ISA_ENUM)
#undef IFQ_ISA_ENUM
};

const char* isa_name(Isa isa);
// Parses "portable", "avx2", "avxvnni", "avx512", "neon"; throws ifq::Error naming the choices.
Isa parse_isa(const std::string& name);
std::vector<Isa> all_isas();
// Whether this CPU (and OS: XSAVE state enabled) can run the path.
bool isa_supported(Isa isa);
// The most capable supported path.
Isa best_isa();
// IFQ_ISA when set (validated: an unknown or unsupported name throws), else best_isa().
Isa selected_isa();

}  // namespace ifq::kernels
