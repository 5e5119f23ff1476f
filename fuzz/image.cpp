// Fuzzes image decoding through the project's loader (stb: PNG, JPEG, BMP,
// GIF, PNM, ... by content, plus our PNM header checks), then what a detector
// does next with the image: its header size, and a resize to a network input.
#include "fuzz_input.hpp"
#include "ifq/detect/image.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ifq::fuzz::load_from_file(data, size, ".img", [](const std::string& path) {
    int width = 0, height = 0;
    try {
      ifq::detect::read_image_size(path, width, height);
    } catch (const ifq::Error&) {
    }
    const ifq::detect::Image image = ifq::detect::load_image(path);
    ifq::detect::to_chw(ifq::detect::resize_area_bilinear(image, 32, 24), 3);
  });
  return 0;
}
