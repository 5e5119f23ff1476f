// Fuzzes the three "name line, count line, one line per item" readers:
// WIDER FACE bbx_gt, WIDER subset lists and FDDB/WIDER detection lists.
#include "fuzz_input.hpp"
#include "ifq/detect/datasets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ifq::fuzz::load_from_file(data, size, ".txt", [](const std::string& path) {
    try {
      ifq::detect::load_wider_gt(path);
    } catch (const ifq::Error&) {
    }
    try {
      ifq::detect::load_wider_subset(path);
    } catch (const ifq::Error&) {
    }
    ifq::detect::load_detections(path);
  });
  return 0;
}
