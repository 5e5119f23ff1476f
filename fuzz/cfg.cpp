// Fuzzes the Darknet-style cfg parser and network builder (include/ifq/cfg.hpp).
#include "fuzz_input.hpp"
#include "ifq/cfg.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ifq::CfgOptions options;
  options.random_weights = false;
  // The default limit (2^30 weights) is exercised all the same at 2^22; a
  // run that fills 4 GiB would only slow the fuzzer down.
  options.max_weights = 1 << 22;
  try {
    ifq::parse_cfg(std::string(reinterpret_cast<const char*>(data), size), "fuzz.cfg", options);
  } catch (const ifq::Error&) {
  }
  return 0;
}
