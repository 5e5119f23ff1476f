#pragma once
// Test images for detection augmentation: white boxes on black, and the
// mean inside a truth box (a box that moved off its pixels reads dark).
#include <cmath>
#include <cstdint>
#include <vector>

#include "ifq/detect/box.hpp"
#include "ifq/shape.hpp"
#include "ifq/train/region_loss.hpp"

namespace ifq::testing {

// A black CHW image with white rectangles at the given pixel boxes.
inline std::vector<uint8_t> white_boxes(Shape3 s, const std::vector<detect::Box>& boxes) {
  std::vector<uint8_t> img(size_t(s.elements()), 0);
  for (const auto& b : boxes)
    for (int c = 0; c < s.c; ++c)
      for (int y = int(b.y); y < int(b.y + b.h); ++y)
        for (int x = int(b.x); x < int(b.x + b.w); ++x) img[(size_t(c) * s.h + y) * s.w + x] = 255;
  return img;
}

// Mean of channel 0 inside a normalised truth box, shrunk by `inset` pixels.
inline double mean_inside(const std::vector<uint8_t>& img, Shape3 s, const trainer::TruthBox& t, double inset) {
  const int x0 = int(std::ceil((t.x - t.w / 2) * s.w + inset)), x1 = int(std::floor((t.x + t.w / 2) * s.w - inset));
  const int y0 = int(std::ceil((t.y - t.h / 2) * s.h + inset)), y1 = int(std::floor((t.y + t.h / 2) * s.h - inset));
  double sum = 0;
  int n = 0;
  for (int y = std::max(0, y0); y < std::min(s.h, y1); ++y)
    for (int x = std::max(0, x0); x < std::min(s.w, x1); ++x) sum += img[size_t(y) * s.w + x], ++n;
  return n ? sum / n : -1;
}

}  // namespace ifq::testing
