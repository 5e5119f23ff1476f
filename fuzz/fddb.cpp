// Fuzzes the FDDB readers: ellipse lists and fold (image name) lists.
#include "fuzz_input.hpp"
#include "ifq/detect/datasets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ifq::fuzz::load_from_file(data, size, ".txt", [](const std::string& path) {
    try {
      ifq::detect::load_fddb_ellipses(path);
    } catch (const ifq::Error&) {
    }
    ifq::detect::load_fddb_fold(path);
  });
  return 0;
}
