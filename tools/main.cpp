// ifq: one program, named subcommands (see `ifq --help`).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>

#include "cli_app.hpp"
#include "ifq/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"ifq: integrated fixed-point quantization networks for embedded vision"};
  const ifq::cli::CliActions actions = ifq::cli::build_cli(app);
  if (const std::string empty = ifq::cli::empty_argument_error(argc, argv); !empty.empty()) {
    std::fprintf(stderr, "ifq: error: %s\n", empty.c_str());
    return 2;
  }
  if (const std::string unknown = ifq::cli::unknown_command_error(actions, argc, argv); !unknown.empty()) {
    std::fprintf(stderr, "ifq: error: %s\n", unknown.c_str());
    return 2;
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
