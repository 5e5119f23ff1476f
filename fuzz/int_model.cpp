// Fuzzes the integer model file (.ifqi) loader and the memory report of
// what it accepts.
#include "fuzz_input.hpp"
#include "ifq/memory.hpp"
#include "ifq/model_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ifq::fuzz::load_from_file(data, size, ".ifqi", [](const std::string& path) {
    ifq::account_memory(ifq::load_int_model(path));
  });
  return 0;
}
