#pragma once
// The `ifq` command line: every registered subcommand (command_registry.hpp)
// with its options. main() parses with it and runs the chosen action; the
// CLI fuzz harness (fuzz/fuzz_cli.cpp) parses with it and runs nothing.
#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace ifq::cli {

// Each subcommand with the action that runs it (returns the exit code).
using CliActions = std::vector<std::pair<CLI::App*, std::function<int()>>>;

// Adds every registered subcommand to `app`, sorted by name. The options
// write into variables the returned actions own: keep the actions alive
// until parsing is done.
[[nodiscard]] CliActions build_cli(CLI::App& app);

// CLI11 2.1.2 (Debian 12's) loops forever on an empty argument where a
// positional could go in a subcommand with option groups (`ifq eval-fddb ""
// --foo`; found by fuzz/cli.cpp, replayed from fuzz/regressions). No ifq
// path or flag value is meaningfully empty, so every empty argument is
// refused before parsing. Returns the message, or "" when there is none.
std::string empty_argument_error(int argc, const char* const* argv);

// CLI11 answers a misspelt command (`ifq detetc x.jpg`) with "A subcommand is
// required", which does not say what was wrong. Returns "unknown command
// 'NAME'" when the first argument is not an option and names no command,
// else "".
std::string unknown_command_error(const CliActions& actions, int argc, const char* const* argv);

}  // namespace ifq::cli
