#pragma once
// Cortex-M builds of exported models: tool detection, and a bare-metal
// firmware for QEMU's MPS2 boards (AN386 = Cortex-M4, AN500 = Cortex-M7)
// that runs the models on embedded test images and prints, through ARM
// semihosting, whether each output equals the reference runtime's.
#include <filesystem>
#include <string>
#include <vector>

#include "c_harness.hpp"

namespace ifq::export_test {

bool have_tool(const std::string& tool);  // runs `tool --version`
// arm-none-eabi-gcc, its newlib (libnewlib-arm-none-eabi: memcpy for the
// firmware) and qemu-system-arm are all installed.
bool can_run_qemu();

struct QemuResult {
  std::string output;  // semihosting console
  int status = -1;
};

// Exports the cases into dir, writes the expected outputs (from the
// reference runtime) into test_data.c, links a firmware for `cpu`
// ("cortex-m4" / "cortex-m7") and runs it on `machine` ("mps2-an386" /
// "mps2-an500"). Throws std::runtime_error when a build step fails.
QemuResult run_on_qemu(const std::vector<HostCase>& cases, const std::filesystem::path& dir, const std::string& cpu,
                       const std::string& machine, int timeout_s);

// From the firmware's console: instructions per SysTick tick (its
// calibration loop runs 10 million instructions), and the ticks one model's
// ifq_run took; 0 / -1 when absent.
double instructions_per_tick(const std::string& output);
int64_t match_ticks(const std::string& output, const std::string& name);

}  // namespace ifq::export_test
