// Fuzzes the command-line flag parser: the input is argv[1..], arguments
// separated by NUL bytes. Only parsing runs (every subcommand's options,
// validators and the finite-number check); no action runs, so the fuzzer
// never writes files. Like main(), it refuses empty arguments first. A
// parse error must be CLI11's ParseError (printed by main as `ifq: error:`)
// or an ifq::Error.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "cli_app.hpp"
#include "ifq/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> args{"ifq"};
  std::string current;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      args.push_back(current);
      current.clear();
    } else {
      current.push_back(char(data[i]));
    }
  }
  if (!current.empty()) args.push_back(current);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  // main() refuses empty arguments before CLI11 sees them (cli_app.hpp).
  if (!ifq::cli::empty_argument_error(int(argv.size()), argv.data()).empty()) return 0;
  CLI::App app{"ifq"};
  // The actions own the variables the options write into: keep them alive
  // while parsing, as main() does.
  const ifq::cli::CliActions actions = ifq::cli::build_cli(app);
  try {
    app.parse(int(argv.size()), argv.data());
  } catch (const CLI::ParseError&) {
  } catch (const ifq::Error&) {
  }
  return 0;
}
