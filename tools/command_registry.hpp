#pragma once
// Subcommands register themselves here so each lives in its own file and
// components (kernels, export, trainer) add commands without touching main.
#include <CLI/CLI.hpp>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

namespace ifq::cli {

struct Command {
  std::string name;
  std::string help;
  // Adds options to `sub` and returns the action run when it was chosen.
  // The action returns the process exit code.
  std::function<std::function<int()>(CLI::App& sub)> setup;
};

std::vector<Command>& command_registry();

struct CommandRegistrar {
  explicit CommandRegistrar(Command command) { command_registry().push_back(std::move(command)); }
};

// Rejects a number flag that is NaN or infinite (ifq main applies it to
// every floating-point flag).
inline const CLI::Validator kFiniteNumber(
    [](const std::string& text) -> std::string {
      try {
        size_t used = 0;
        const double v = std::stod(text, &used);
        if (!std::isfinite(v)) return "value " + text + " is not a finite number";
      } catch (const std::exception&) {
        // not a number at all: the option's own conversion reports it
      }
      return "";
    },
    "");

}  // namespace ifq::cli

#define IFQ_CONCAT_INNER(a, b) a##b
#define IFQ_CONCAT(a, b) IFQ_CONCAT_INNER(a, b)
#define IFQ_REGISTER_COMMAND(...) \
  static ::ifq::cli::CommandRegistrar IFQ_CONCAT(ifq_command_, __LINE__){::ifq::cli::Command{__VA_ARGS__}}
