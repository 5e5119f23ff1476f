// Fuzzes the OpenCV .vec reader, with square samples (the default) and with
// a given 24x24 size.
#include "fuzz_input.hpp"
#include "ifq/detect/datasets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ifq::fuzz::load_from_file(data, size, ".vec", [](const std::string& path) {
    try {
      ifq::detect::load_vec(path);
    } catch (const ifq::Error&) {
    }
    ifq::detect::load_vec(path, 24, 24, 1000);
  });
  return 0;
}
