#pragma once
// Running the host and cross toolchains: one quoted shell command, its exit
// status and combined output. Shared by the Cortex-M size measurement and the
// export tests.
#include <string>

namespace ifq::export_shell {

struct CommandResult {
  int status = -1;
  std::string output;  // stdout and stderr
};

CommandResult run_command(const std::string& command);
std::string shell_quote(const std::string& s);

}  // namespace ifq::export_shell
