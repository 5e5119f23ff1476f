#pragma once
// Builds exported models into one host C program, runs it, and compares
// every stored tensor with the C++ reference runtime.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "ifq/export_c.hpp"
#include "ifq/int_model.hpp"
#include "shell_command.hpp"

namespace ifq::export_test {

using export_shell::CommandResult;
using export_shell::run_command;
using export_shell::shell_quote;

// A fresh directory under the system temp dir, removed at scope exit unless
// IFQ_KEEP_TEMP is set (then its path is kept for inspection).
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

struct HostCase {
  IntModel model;
  ExportedC exported;  // names must differ between cases of one program
  std::vector<std::vector<uint8_t>> images;
};

// [case][image][segment] stored tensor as int32, and [case][image] the
// output read with ifq_read_output after a separate full ifq_run.
struct HostRun {
  std::vector<std::vector<std::vector<std::vector<int32_t>>>> segments;
  std::vector<std::vector<std::vector<int32_t>>> outputs;
  std::string compile_command;
};

// The C compiler flags every host build uses (the strict set).
inline const char* kHostCFlags = "-std=c99 -Wall -Wextra -Werror -pedantic";

// Exports every case into dir, compiles one program with the host C
// compiler (or `compiler`, plus extra_flags) and runs it; throws std::runtime_error on any
// failure.
HostRun run_on_host(const std::vector<HostCase>& cases, const std::filesystem::path& dir,
                    const std::string& extra_flags = "", const std::string& compiler = IFQ_HOST_CC);

// The runtime's two popcount paths: the portable SWAR reduction (the
// default on x86-64 without -mpopcnt and on Cortex-M) and the compiler
// builtin (the default where a popcount instruction exists).
inline std::vector<std::string> popcount_path_flags() {
#if defined(__x86_64__) || defined(__i386__)
  return {"-DIFQ_MICRO_BUILTIN_POPCOUNT=0", "-DIFQ_MICRO_BUILTIN_POPCOUNT=1 -mpopcnt"};
#else
  return {"-DIFQ_MICRO_BUILTIN_POPCOUNT=0", "-DIFQ_MICRO_BUILTIN_POPCOUNT=1"};
#endif
}

// "" when every stored tensor and the output equal the reference runtime's,
// else a description of the first difference.
std::string compare_with_reference(const HostCase& c, const HostRun& run, size_t case_index);

}  // namespace ifq::export_test
