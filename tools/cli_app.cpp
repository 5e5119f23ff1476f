#include "cli_app.hpp"

#include <algorithm>

#include "command_registry.hpp"

namespace ifq::cli {

CliActions build_cli(CLI::App& app) {
  app.require_subcommand(1);
  auto& commands = command_registry();
  std::sort(commands.begin(), commands.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  CliActions actions;
  for (auto& command : commands) {
    CLI::App* sub = app.add_subcommand(command.name, command.help);
    actions.emplace_back(sub, command.setup(*sub));
    // Every number flag must be finite: "nan" passes every range check
    // (comparisons with NaN are false) and "inf" most, so `--threshold nan`
    // once turned detection off silently.
    for (CLI::Option* opt : sub->get_options())
      if (opt->get_type_name().rfind("FLOAT", 0) == 0) opt->check(kFiniteNumber);
  }
  return actions;
}

std::string empty_argument_error(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i)
    if (argv[i][0] == '\0')
      return "argument " + std::to_string(i) + " is empty" +
             (i > 1 ? " (after '" + std::string(argv[i - 1]) + "')" : "") + "; ifq takes no empty paths or values";
  return "";
}

std::string unknown_command_error(const CliActions& actions, int argc, const char* const* argv) {
  if (argc < 2 || argv[1][0] == '-') return "";
  const std::string name = argv[1];
  for (const auto& [sub, action] : actions)
    if (sub->get_name() == name) return "";
  return "unknown command '" + name + "' (ifq --help lists the commands)";
}

}  // namespace ifq::cli
