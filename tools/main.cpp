// ifq: one program, named subcommands (see `ifq --help`).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory>

#include "command_registry.hpp"
#include "ifq/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"ifq: integrated fixed-point quantization networks for embedded vision"};
  app.require_subcommand(1);
  auto& commands = ifq::cli::command_registry();
  std::sort(commands.begin(), commands.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  std::vector<std::pair<CLI::App*, std::function<int()>>> actions;
  for (auto& command : commands) {
    CLI::App* sub = app.add_subcommand(command.name, command.help);
    actions.emplace_back(sub, command.setup(*sub));
    // Every number flag must be finite: "nan" passes every range check
    // (comparisons with NaN are false) and "inf" most, so `--threshold nan`
    // once turned detection off silently.
    for (CLI::Option* opt : sub->get_options())
      if (opt->get_type_name().rfind("FLOAT", 0) == 0) opt->check(ifq::cli::kFiniteNumber);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::fprintf(stderr, "ifq: error: %s\nRun with --help for more information.\n", e.what());
    return e.get_exit_code();
  }
  try {
    for (auto& [sub, action] : actions)
      if (sub->parsed()) return action();
  } catch (const ifq::Error& e) {
    std::fprintf(stderr, "ifq: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ifq: error: %s\n", ifq::plain_message(e).c_str());
    return 1;
  }
  return 2;
}
