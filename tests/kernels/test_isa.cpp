// Path selection: names, cpuid support, IFQ_ISA forcing.
#include <gtest/gtest.h>

#include <cstdlib>

#include "ifq/error.hpp"
#include "ifq/kernels/isa.hpp"
#include "ifq/kernels/kernel_list.hpp"

namespace ifq::kernels {
namespace {

struct EnvGuard {
  std::string old;
  bool had;
  EnvGuard() {
    const char* v = std::getenv("IFQ_ISA");
    had = v != nullptr;
    if (had) old = v;
  }
  ~EnvGuard() {
    if (had)
      setenv("IFQ_ISA", old.c_str(), 1);
    else
      unsetenv("IFQ_ISA");
  }
};

TEST(Isa, NamesRoundTripAndUnknownNamesAreRejected) {
  for (Isa isa : all_isas()) EXPECT_EQ(parse_isa(isa_name(isa)), isa);
  EXPECT_THROW(parse_isa("sse9"), Error);
}

TEST(Isa, PortableAlwaysRunsAndBestIsSupported) {
  EXPECT_TRUE(isa_supported(Isa::portable));
  EXPECT_TRUE(isa_supported(best_isa()));
  for (Isa isa : all_isas()) {
    if (!isa_supported(isa)) {
      EXPECT_THROW(kernel_table(isa), Error);
      continue;
    }
    const KernelTable& t = kernel_table(isa);
    EXPECT_EQ(t.isa, isa);
#define IFQ_CHECK_KERNEL(name, type) EXPECT_NE(t.name, nullptr) << #name;
    IFQ_KERNEL_LIST(IFQ_CHECK_KERNEL)
#undef IFQ_CHECK_KERNEL
  }
}

// AArch64 builds must run (and prefer) the NEON path, x86 builds never offer
// it: a cross build that silently fell back to portable would test nothing new.
TEST(Isa, NeonExactlyOnAArch64) {
#if defined(__aarch64__)
  EXPECT_TRUE(isa_supported(Isa::neon));
  EXPECT_EQ(best_isa(), Isa::neon);
  EXPECT_FALSE(isa_supported(Isa::avx2));
  EXPECT_FALSE(isa_supported(Isa::avxvnni));
  EXPECT_FALSE(isa_supported(Isa::avx512));
#else
  EXPECT_FALSE(isa_supported(Isa::neon));
#endif
}

TEST(Isa, EnvironmentForcesAPath) {
  EnvGuard guard;
  unsetenv("IFQ_ISA");
  EXPECT_EQ(selected_isa(), best_isa());
  setenv("IFQ_ISA", "portable", 1);
  EXPECT_EQ(selected_isa(), Isa::portable);
  setenv("IFQ_ISA", "bogus", 1);
  EXPECT_THROW(selected_isa(), Error);
  for (Isa isa : all_isas()) {
    setenv("IFQ_ISA", isa_name(isa), 1);
    if (isa_supported(isa))
      EXPECT_EQ(selected_isa(), isa);
    else
      EXPECT_THROW(selected_isa(), Error);
  }
}

}  // namespace
}  // namespace ifq::kernels
