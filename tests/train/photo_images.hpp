#pragma once
// Test photos for real-photo sampling: white faces on black, the mean inside a
// truth box, a one-photo set.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "ifq/detect/image.hpp"
#include "ifq/train/photo_mix.hpp"

namespace ifq::testing {

// A black photo with white faces; mid-grey (100) elsewhere would blur into
// them, black keeps the inside-mean test sharp.
inline trainer::LabelledPhoto white_faces(int w, int h, const std::vector<detect::Box>& faces) {
  trainer::LabelledPhoto p;
  p.image = detect::make_image(w, h);
  for (const auto& b : faces) {
    const uint8_t white[3] = {255, 255, 255};
    detect::fill_rect(p.image, int(b.x), int(b.y), int(b.x + b.w), int(b.y + b.h), white);
    p.faces.push_back(b);
  }
  return p;
}

// Mean of channel 0 inside a normalised truth box, shrunk by `inset` pixels.
inline double mean_inside_photo(const std::vector<uint8_t>& chw, int side, const trainer::TruthBox& t, double inset) {
  const int x0 = int(std::ceil((t.x - t.w / 2) * side + inset)), x1 = int(std::floor((t.x + t.w / 2) * side - inset));
  const int y0 = int(std::ceil((t.y - t.h / 2) * side + inset)), y1 = int(std::floor((t.y + t.h / 2) * side - inset));
  double sum = 0;
  int n = 0;
  for (int y = std::max(0, y0); y < std::min(side, y1); ++y)
    for (int x = std::max(0, x0); x < std::min(side, x1); ++x) sum += chw[size_t(y) * side + x], ++n;
  return n ? sum / n : -1;
}

inline std::vector<trainer::PhotoSet> one_set(trainer::LabelledPhoto photo) {
  trainer::PhotoSet s;
  s.name = "white";
  s.photos.push_back(std::move(photo));
  return {std::move(s)};
}

}  // namespace ifq::testing
