// Fuzzes the float model file (.ifqf) loader, then what a loaded file goes
// through next: integrated conversion and the memory report.
#include "fuzz_input.hpp"
#include "ifq/convert.hpp"
#include "ifq/memory.hpp"
#include "ifq/model_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ifq::fuzz::load_from_file(data, size, ".ifqf", [](const std::string& path) {
    const ifq::FloatModel model = ifq::load_float_model(path);
    ifq::account_memory(ifq::convert(model).model);
  });
  return 0;
}
