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
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    for (auto& [sub, action] : actions)
      if (sub->parsed()) return action();
  } catch (const ifq::Error& e) {
    std::fprintf(stderr, "ifq: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ifq: error: %s\n", e.what());
    return 1;
  }
  return 2;
}
