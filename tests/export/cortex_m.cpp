#include "cortex_m.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "ifq/runtime.hpp"

namespace ifq::export_test {
namespace {

// Vector table, reset handler and the two semihosting calls the firmware
// needs (SYS_WRITE0 to print, SYS_EXIT to stop QEMU).
const char* kStartup = R"C(#include <stdint.h>
extern int main(void);
extern uint32_t __bss_start__, __bss_end__, __stack_top;
void Reset_Handler(void);
void Fault_Handler(void);
void SysTick_Handler(void);
int semihost(int op, const void *arg);
volatile uint32_t systick_wraps;
void SysTick_Handler(void) { ++systick_wraps; }
__attribute__((section(".vectors"), used)) const void *const vectors[16] = {
    &__stack_top, (const void *)Reset_Handler, (const void *)Fault_Handler, (const void *)Fault_Handler,
    (const void *)Fault_Handler, (const void *)Fault_Handler, (const void *)Fault_Handler, 0, 0, 0, 0,
    (const void *)Fault_Handler, (const void *)Fault_Handler, 0, (const void *)Fault_Handler,
    (const void *)SysTick_Handler};
int semihost(int op, const void *arg) {
  register int r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}
static void stop(int ok) { semihost(0x18, (const void *)(ok ? 0x20026 : 0x20023)); for (;;) {} }
void Fault_Handler(void) { semihost(0x04, "IFQ_QEMU FAULT\n"); stop(0); }
void Reset_Handler(void) {
  uint32_t *p;
  for (p = &__bss_start__; p < &__bss_end__; ++p) *p = 0;
  stop(main() == 0);
}
)C";

const char* kLinkerScript = R"LD(MEMORY {
  CODE (rx)  : ORIGIN = 0x00000000, LENGTH = 4M
  RAM  (rwx) : ORIGIN = 0x20000000, LENGTH = 4M
}
ENTRY(Reset_Handler)
SECTIONS {
  .text : { KEEP(*(.vectors)) *(.text*) *(.rodata*) } > CODE
  .ARM.exidx : { *(.ARM.exidx*) } > CODE
  .data : { *(.data*) } > RAM
  .bss (NOLOAD) : { . = ALIGN(4); __bss_start__ = .; *(.bss*) *(COMMON) . = ALIGN(4); __bss_end__ = .; } > RAM
  __stack_top = ORIGIN(RAM) + LENGTH(RAM);
}
)LD";

template <typename T>
void c_array(std::ostream& o, const std::string& type, const std::string& name, const std::vector<T>& v) {
  o << "static const " << type << " " << name << "[" << v.size() << "] = {";
  for (size_t i = 0; i < v.size(); ++i) o << (i % 20 == 0 ? "\n" : " ") << int64_t(v[i]) << ",";
  o << "};\n";
}

std::string firmware_source(const std::vector<HostCase>& cases) {
  std::ostringstream f;
  f << "#include <string.h>\n#include <stdint.h>\n";
  for (const auto& c : cases) f << "#include \"" << c.exported.name << "_model.h\"\n";
  f << "int semihost(int op, const void *arg);\nextern volatile uint32_t systick_wraps;\n";
  int64_t arena = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const HostCase& c = cases[i];
    arena = std::max(arena, c.exported.plan.arena_bytes);
    ReferenceRuntime rt(c.model);
    for (size_t k = 0; k < c.images.size(); ++k) {
      c_array(f, "uint8_t", "image" + std::to_string(i) + "_" + std::to_string(k), c.images[k]);
      const IntTensor out = rt.run(c.images[k]);
      std::vector<int64_t> want(out.data.begin(), out.data.end());
      f << "static const int32_t want" << i << "_" << k << "[" << want.size() << "] = {";
      for (size_t j = 0; j < want.size(); ++j) {
        // INT32_MIN has no literal form in C.
        f << (j % 20 == 0 ? "\n" : " ");
        if (want[j] == INT32_MIN) f << "(-2147483647 - 1),";
        else f << want[j] << ",";
      }
      f << "};\n";
    }
  }
  f << "static uint32_t arena[" << (arena + 3) / 4 << "];\n";
  f << R"C(/* SysTick on the processor clock; under `qemu -icount` it advances with
 * the instruction count, calibrated below against a loop of known length. */
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
static uint32_t ticks(void) {
  uint32_t w, v;
  do {
    w = systick_wraps;
    v = SYST_CVR;
  } while (w != systick_wraps);
  return w * 0x1000000u + (0xFFFFFFu - v);
}
static void spin(uint32_t n) { __asm__ volatile("1: subs %0, %0, #1\n bne 1b" : "+r"(n) : : "cc"); }
static void say(const char *a, const char *b, uint32_t number) {
  char line[112], digits[12];
  size_t n = strlen(a), m = strlen(b), d = 0;
  if (n + m + 16 > sizeof line) m = sizeof line - n - 16;
  memcpy(line, a, n);
  memcpy(line + n, b, m);
  n += m;
  line[n++] = ' ';
  do digits[d++] = (char)('0' + number % 10u); while ((number /= 10u) != 0);
  while (d) line[n++] = digits[--d];
  line[n++] = '\n';
  line[n] = 0;
  semihost(0x04, line);
}
static int check(const ifq_model *m, const char *name, const uint8_t *image, const int32_t *want) {
  const ifq_tensor *t0 = &m->tensors[0], *to = &m->tensors[m->n_tensors - 1];
  const int32_t n = to->shape.c * to->shape.h * to->shape.w;
  int32_t i;
  uint32_t t;
  memcpy(ifq_input(m, arena), image, (size_t)(t0->shape.c * t0->shape.h * t0->shape.w));
  t = ticks();
  if (ifq_run(m, arena, sizeof arena) != IFQ_OK) { say("IFQ_QEMU RUNFAIL ", name, 0); return 1; }
  t = ticks() - t;
  for (i = 0; i < n; ++i)
    if (ifq_tensor_get(to, arena, i) != want[i]) { say("IFQ_QEMU MISMATCH ", name, (uint32_t)i); return 1; }
  say("IFQ_QEMU MATCH ", name, t);
  return 0;
}
int main(void) {
  int bad = 0;
  uint32_t t;
  SYST_RVR = 0xFFFFFFu;
  SYST_CVR = 0;
  SYST_CSR = 7u; /* enable, interrupt, processor clock */
  while (SYST_CVR == 0) {
  } /* the first tick loads the reload value without an interrupt */
  t = ticks();
  spin(5000000u); /* 10 million instructions: subs + bne */
  say("IFQ_QEMU CALIBRATION", "", ticks() - t);
)C";
  for (size_t i = 0; i < cases.size(); ++i)
    for (size_t k = 0; k < cases[i].images.size(); ++k)
      f << "  bad += check(&" << cases[i].exported.name << "_model, \"" << cases[i].exported.name << "\", image" << i
        << "_" << k << ", want" << i << "_" << k << ");\n";
  f << "  say(\"IFQ_QEMU DONE\", bad ? \" with mismatches\" : \"\", (uint32_t)bad);\n  return bad;\n}\n";
  return f.str();
}

}  // namespace

double instructions_per_tick(const std::string& output) {
  const std::string key = "IFQ_QEMU CALIBRATION ";
  const size_t p = output.find(key);
  if (p == std::string::npos) return 0;
  const long long ticks = std::atoll(output.c_str() + p + key.size());
  return ticks > 0 ? 1e7 / double(ticks) : 0;
}

int64_t match_ticks(const std::string& output, const std::string& name) {
  const std::string key = "IFQ_QEMU MATCH " + name + " ";
  const size_t p = output.find(key);
  return p == std::string::npos ? -1 : std::atoll(output.c_str() + p + key.size());
}

bool have_tool(const std::string& tool) { return run_command(shell_quote(tool) + " --version").status == 0; }

bool can_run_qemu() {
  if (!have_tool("arm-none-eabi-gcc") || !have_tool("qemu-system-arm")) return false;
  // Without newlib the driver prints the bare file name back.
  const CommandResult r = run_command("arm-none-eabi-gcc -mthumb -mcpu=cortex-m4 --specs=nano.specs -print-file-name=libc_nano.a");
  return r.status == 0 && r.output.find('/') != std::string::npos;
}

QemuResult run_on_qemu(const std::vector<HostCase>& cases, const std::filesystem::path& dir, const std::string& cpu,
                       const std::string& machine, int timeout_s) {
  std::filesystem::create_directories(dir);
  for (const auto& c : cases) write_export(c.exported, dir.string());
  {
    std::ofstream(dir / "startup.c") << kStartup;
    std::ofstream(dir / "mps2.ld") << kLinkerScript;
    std::ofstream(dir / "firmware.c") << firmware_source(cases);
  }
  std::string sources;
  for (const char* s : {"startup.c", "firmware.c", "ifq_micro.c"}) sources.append(" ").append(shell_quote((dir / s).string()));
  for (const auto& c : cases) sources.append(" ").append(shell_quote((dir / (c.exported.name + "_model.c")).string()));
  const std::string elf = (dir / ("fw-" + cpu + ".elf")).string();
  const std::string link = "arm-none-eabi-gcc -std=c99 -Os -mthumb -mcpu=" + cpu +
                           " -Wall -Wextra -Werror -ffunction-sections -fdata-sections"
                           " -nostartfiles --specs=nano.specs -Wl,--gc-sections -T " +
                           shell_quote((dir / "mps2.ld").string()) + " -I " + shell_quote(dir.string()) + sources +
                           " -o " + shell_quote(elf);
  const CommandResult built = run_command(link);
  if (built.status != 0) throw std::runtime_error("firmware link failed: " + link + "\n" + built.output);
  const CommandResult ran =
      run_command("timeout " + std::to_string(timeout_s) + " qemu-system-arm -M " + machine +
                  " -icount shift=0 -nographic -monitor none -serial none -semihosting-config enable=on,target=native -kernel " +
                  shell_quote(elf));
  return {ran.output, ran.status};
}

}  // namespace ifq::export_test
