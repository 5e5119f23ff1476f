// Fuzzes the dlib imglab XML reader.
#include "fuzz_input.hpp"
#include "ifq/detect/datasets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ifq::fuzz::load_from_file(data, size, ".xml",
                            [](const std::string& path) { ifq::detect::load_imglab_xml(path); });
  return 0;
}
