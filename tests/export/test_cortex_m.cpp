// Portability of the exported C: only memcpy/memset from libc, no floating
// point, Cortex-M4/M7 builds with their section sizes, and (when QEMU is
// installed) the Cortex-M builds running and matching the reference runtime.
// Steps that need a missing tool are skipped, not failed.
#include <gtest/gtest.h>

#include <random>
#include <regex>
#include <set>
#include <sstream>

#include "c_harness.hpp"
#include "cortex_m.hpp"
#include "ifq/convert.hpp"
#include "ifq/error.hpp"
#include "ifq/export_c.hpp"
#include "random_float_nets.hpp"

namespace ifq::export_test {
namespace {

HostCase fashion_case(int images) {
  HostCase c;
  c.model = convert(fashion_classifier(31)).model;
  ExportCOptions eo;
  eo.name = "fashion";
  c.exported = export_c(c.model, eo);
  std::mt19937 rng(32);
  for (int k = 0; k < images; ++k) c.images.push_back(random_image(rng, {1, 28, 28}));
  return c;
}

std::vector<HostCase> random_cases(uint32_t seed, int count, int images) {
  std::mt19937 rng(seed);
  std::vector<HostCase> cases;
  while (int(cases.size()) < count) {
    HostCase c;
    ConvertOptions opt;
    if (cases.size() % 2 == 1) opt.quantized = ConversionKind::Separated;
    try {
      c.model = convert(random_float_net(rng), opt).model;
    } catch (const Error&) {
      continue;
    }
    ExportCOptions eo;
    eo.name = "rnd" + std::to_string(cases.size());
    c.exported = export_c(c.model, eo);
    for (int k = 0; k < images; ++k) c.images.push_back(random_image(rng, std::get<IntInputOp>(c.model.ops[0]).shape));
    cases.push_back(std::move(c));
  }
  return cases;
}

// Undefined symbols of one object file, from `nm -u`.
std::set<std::string> undefined_symbols(const std::string& nm, const std::string& object) {
  const CommandResult r = run_command(shell_quote(nm) + " -u " + shell_quote(object));
  EXPECT_EQ(r.status, 0) << r.output;
  std::set<std::string> out;
  std::istringstream in(r.output);
  std::string kind, name;
  while (in >> kind >> name) out.insert(name);
  return out;
}

TEST(ExportCPortability, HostObjectsNeedOnlyMemcpyAndMemset) {
  TempDir dir;
  const HostCase c = fashion_case(0);
  write_export(c.exported, dir.str());
  for (const std::string file : {"ifq_micro", "fashion_model"}) {
    const std::string obj = (dir.path() / (file + ".o")).string();
    const std::string cmd = std::string(IFQ_HOST_CC) + " " + kHostCFlags + " -O2 -fno-stack-protector -c " +
                            shell_quote((dir.path() / (file + ".c")).string()) + " -o " + shell_quote(obj);
    const CommandResult r = run_command(cmd);
    ASSERT_EQ(r.status, 0) << cmd << "\n" << r.output;
    for (const std::string& sym : undefined_symbols("nm", obj))
      EXPECT_TRUE(sym == "memcpy" || sym == "memset") << file << ".c needs " << sym;
  }
}

TEST(ExportCPortability, CortexMSizesAndNoFloatingPoint) {
  if (!cross_compiler_available()) GTEST_SKIP() << "arm-none-eabi-gcc not installed";
  TempDir dir;
  const HostCase c = fashion_case(0);
  write_export(c.exported, dir.str());
  const auto sizes = measure_cortex_m(c.exported, dir.str());
  ASSERT_EQ(sizes.size(), 2u);
  for (const auto& t : sizes) {
    std::printf("%s: text %lld rodata %lld data %lld bss %lld stack<=%lld (fashion classifier)\n", t.target.c_str(),
                (long long)t.text, (long long)t.rodata, (long long)t.data, (long long)t.bss, (long long)t.stack_bytes);
    EXPECT_GT(t.text, 500);
    EXPECT_GE(t.rodata, c.exported.parameter_bytes);  // every parameter array is const
    EXPECT_GE(t.bss, c.exported.plan.arena_bytes);    // the static arena of the measuring main()
    EXPECT_EQ(t.data, 0);
    EXPECT_GT(t.stack_bytes, 0);
    EXPECT_LT(t.stack_bytes, 4096);
  }
  // Soft-float build: any floating-point operation would pull in an
  // __aeabi_f*/d* helper. Integer helpers from libgcc are allowed.
  const std::regex allowed("memcpy|memset|__aeabi_(lasr|llsl|llsr|lmul|memcpy.*|memset.*|memclr.*)");
  for (const std::string file : {"ifq_micro", "fashion_model"}) {
    const std::string obj = (dir.path() / (file + "-m4.o")).string();
    const std::string cmd = "arm-none-eabi-gcc -std=c99 -Os -mthumb -mcpu=cortex-m4 -mfloat-abi=soft -Wall -Wextra "
                            "-Werror -pedantic -c " +
                            shell_quote((dir.path() / (file + ".c")).string()) + " -o " + shell_quote(obj);
    const CommandResult r = run_command(cmd);
    ASSERT_EQ(r.status, 0) << cmd << "\n" << r.output;
    for (const std::string& sym : undefined_symbols("arm-none-eabi-nm", obj))
      EXPECT_TRUE(std::regex_match(sym, allowed)) << file << ".c needs " << sym;
  }
}

void expect_qemu_match(const std::string& cpu, const std::string& machine) {
  if (!can_run_qemu()) GTEST_SKIP() << "arm-none-eabi-gcc, libnewlib-arm-none-eabi or qemu-system-arm not installed";
  std::vector<HostCase> cases = random_cases(41, 4, 2);
  cases.push_back(fashion_case(2));
  size_t runs = 0;
  for (const auto& c : cases) runs += c.images.size();
  TempDir dir;
  const QemuResult r = run_on_qemu(cases, dir.path(), cpu, machine, 120);
  size_t matches = 0;
  for (size_t p = r.output.find("IFQ_QEMU MATCH"); p != std::string::npos; p = r.output.find("IFQ_QEMU MATCH", p + 1))
    ++matches;
  EXPECT_EQ(matches, runs) << r.output;
  EXPECT_NE(r.output.find("IFQ_QEMU DONE 0\n"), std::string::npos) << r.output;
  EXPECT_EQ(r.status, 0) << r.output;
}

TEST(ExportCPortability, QemuCortexM4MatchesReference) { expect_qemu_match("cortex-m4", "mps2-an386"); }
TEST(ExportCPortability, QemuCortexM7MatchesReference) { expect_qemu_match("cortex-m7", "mps2-an500"); }

}  // namespace
}  // namespace ifq::export_test

namespace ifq::export_test {
namespace {

// The target network on the Cortex-M4 and M7 boards: one image,
// compared with the reference runtime element by element inside the
// firmware; prints the instructions QEMU executed for it.
void expect_tinier_yolo_160x120_on(const std::string& cpu, const std::string& board) {
  if (!can_run_qemu()) GTEST_SKIP() << "arm-none-eabi-gcc, libnewlib-arm-none-eabi or qemu-system-arm not installed";
  HostCase c;
  c.model = convert(tinier_yolo_face(160, 120, 61)).model;
  ExportCOptions eo;
  eo.name = "face";
  c.exported = export_c(c.model, eo);
  std::mt19937 rng(62);
  c.images = {random_image(rng, {3, 120, 160})};
  TempDir dir;
  const QemuResult r = run_on_qemu({c}, dir.path(), cpu, board, 300);
  EXPECT_NE(r.output.find("IFQ_QEMU MATCH face"), std::string::npos) << r.output;
  EXPECT_EQ(r.status, 0) << r.output;
  // An emulator figure, not cycles: instructions QEMU executed for one run.
  const double per_tick = instructions_per_tick(r.output);
  const int64_t ticks = match_ticks(r.output, "face");
  if (per_tick > 0 && ticks > 0)
    std::printf("tinier-yolo-face 160x120 on QEMU %s (%s, -Os): %.1f million instructions per image\n", board.c_str(),
                cpu.c_str(), double(ticks) * per_tick / 1e6);
}

TEST(ExportCPortability, QemuCortexM4TinierYoloFace160x120) { expect_tinier_yolo_160x120_on("cortex-m4", "mps2-an386"); }
TEST(ExportCPortability, QemuCortexM7TinierYoloFace160x120) { expect_tinier_yolo_160x120_on("cortex-m7", "mps2-an500"); }

// DupNet-Tinier-YOLO (issue 12) on the Cortex-M7 board at 160x120: the
// shared filters (duplicate, input_repeat, negated copies) in ifq_micro.
TEST(ExportCPortability, QemuCortexM7DupNetTinierYoloFace160x120) {
  if (!can_run_qemu()) GTEST_SKIP() << "arm-none-eabi-gcc, libnewlib-arm-none-eabi or qemu-system-arm not installed";
  HostCase c;
  c.model = convert(dupnet_tinier_yolo_face(160, 120, 71)).model;
  int shared = 0;
  for (const auto& op : c.model.ops)
    if (auto* conv = std::get_if<IntConvOp>(&op)) shared += conv->shares_weights();
  ASSERT_EQ(shared, 5);
  ExportCOptions eo;
  eo.name = "dupface";
  c.exported = export_c(c.model, eo);
  std::mt19937 rng(72);
  c.images = {random_image(rng, {3, 120, 160})};
  TempDir dir;
  const QemuResult r = run_on_qemu({c}, dir.path(), "cortex-m7", "mps2-an500", 300);
  EXPECT_NE(r.output.find("IFQ_QEMU MATCH dupface"), std::string::npos) << r.output;
  EXPECT_EQ(r.status, 0) << r.output;
  const double per_tick = instructions_per_tick(r.output);
  const int64_t ticks = match_ticks(r.output, "dupface");
  if (per_tick > 0 && ticks > 0)
    std::printf("dupnet-tinier-yolo-face 160x120 on QEMU mps2-an500 (cortex-m7, -Os): %.1f million instructions per image\n",
                double(ticks) * per_tick / 1e6);
}

}  // namespace
}  // namespace ifq::export_test
