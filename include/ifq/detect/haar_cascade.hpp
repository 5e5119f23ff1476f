#pragma once
// The classical embedded peer: OpenCV's Viola-Jones Haar cascade
// (haarcascade_frontalface_default.xml from Debian's opencv-data), run on the
// same images and scored by the same evaluators. Available only when the
// library was built with OpenCV; otherwise constructing one throws.
#include <memory>
#include <string>
#include <vector>

#include "ifq/detect/box.hpp"
#include "ifq/detect/image.hpp"

namespace ifq::detect {

// True when this build includes the OpenCV-backed cascade.
bool haar_cascade_available();

struct HaarOptions {
  double scale_factor = 1.1;
  int min_neighbors = 1;  // low, so the score (neighbour count) can be swept
  int min_size = 20;
};

class HaarCascade {
 public:
  explicit HaarCascade(const std::string& xml_path);
  ~HaarCascade();
  HaarCascade(const HaarCascade&) = delete;
  HaarCascade& operator=(const HaarCascade&) = delete;
  // Score of a detection = its number of merged neighbour windows.
  std::vector<Detection> detect(const Image& image, const HaarOptions& options = {}) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ifq::detect
