// Built when OpenCV was not found: the cascade reports that plainly.
#include "ifq/detect/haar_cascade.hpp"
#include "ifq/error.hpp"

namespace ifq::detect {

bool haar_cascade_available() { return false; }

struct HaarCascade::Impl {};

HaarCascade::HaarCascade(const std::string& xml_path) {
  throw Error("cannot load Haar cascade " + xml_path +
              ": this build has no OpenCV (install libopencv-dev and reconfigure)");
}

HaarCascade::~HaarCascade() = default;

std::vector<Detection> HaarCascade::detect(const Image&, const HaarOptions&) const { return {}; }

}  // namespace ifq::detect
