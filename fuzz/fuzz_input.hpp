#pragma once
// What every harness shares (docs/fuzzing.md).
//
// The loaders take paths, as users give them, so the fuzzer's bytes are
// written to a file first (one per process, rewritten each run).
//
// The only acceptable failure is an ifq::Error: the message a user sees as
// `ifq: error: ...`. Anything else escaping a loader (std::out_of_range from
// a stoi, a json exception, std::bad_alloc) reaches libFuzzer as an uncaught
// exception, which it reports as a crash: a finding.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ifq/error.hpp"

namespace ifq::fuzz {

// The file the current input is written to, e.g. /tmp/ifq-fuzz-123.ifqi.
inline std::string input_path(const char* extension) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir && *dir ? dir : "/tmp") + "/ifq-fuzz-" + std::to_string(getpid()) + extension;
}

// Writes the bytes to input_path(extension) and calls load(path); an
// ifq::Error is the expected way to refuse bad input.
template <class Load>
void load_from_file(const uint8_t* data, size_t size, const char* extension, Load load) {
  static const std::string path = input_path(extension);
  static const bool removed_at_exit = [] { return std::atexit([] { std::remove(path.c_str()); }) == 0; }();
  (void)removed_at_exit;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || (size && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) {
    std::perror(path.c_str());
    std::abort();  // the harness itself cannot run: not the loader's fault, but not a pass either
  }
  try {
    load(path);
  } catch (const ifq::Error&) {
  }
}

}  // namespace ifq::fuzz
