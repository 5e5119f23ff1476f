// Letterbox and face filters around any detector (detector_adapters.hpp).
#include "ifq/detect/detector_adapters.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "ifq/error.hpp"

namespace ifq::detect {

Image letterbox_square(const Image& image, int& offset_x, int& offset_y) {
  const int side = std::max(image.width, image.height);
  offset_x = (side - image.width) / 2;
  offset_y = (side - image.height) / 2;
  Image square = make_image(side, side, 127, 127, 127);
  for (int y = 0; y < image.height; ++y)
    std::copy_n(image.at(0, y), size_t(image.width) * 3, square.at(offset_x, offset_y + y));
  return square;
}

namespace {

// Evenly spaced origins of `n` windows of `size` over `extent`.
int tile_origin(int k, int n, int extent, int size) {
  return n > 1 ? int(std::lround(double(k) * (extent - size) / (n - 1))) : 0;
}

}  // namespace

std::vector<Detection> FilteredDetector::detect_tiled(const Image& image) {
  std::vector<Detection> all = inner_->detect(image);
  const int n = filter_.tiles;
  const int tw = std::min(image.width, int(std::ceil(1.25 * image.width / n)));
  const int th = std::min(image.height, int(std::ceil(1.25 * image.height / n)));
  const double edge = 2;  // pixels: a box this close to an inner tile edge was cut by it
  for (int ty = 0; ty < n; ++ty)
    for (int tx = 0; tx < n; ++tx) {
      const int x0 = tile_origin(tx, n, image.width, tw), y0 = tile_origin(ty, n, image.height, th);
      for (Detection d : inner_->detect(crop(image, x0, y0, tw, th))) {
        const bool cut = (x0 > 0 && d.box.x < edge) || (y0 > 0 && d.box.y < edge) ||
                         (x0 + tw < image.width && d.box.right() > tw - edge) ||
                         (y0 + th < image.height && d.box.bottom() > th - edge);
        if (cut) continue;
        d.box.x += x0;
        d.box.y += y0;
        all.push_back(d);
      }
    }
  return nms(std::move(all), filter_.nms_iou);
}

std::vector<Detection> FilteredDetector::detect_level(const Image& image) {
  return filter_.tiles > 1 ? detect_tiled(image) : inner_->detect(image);
}

std::vector<Detection> FilteredDetector::detect_pyramid(const Image& image) {
  if (filter_.scales.empty() || (filter_.scales.size() == 1 && filter_.scales[0] == 1.0)) return detect_level(image);
  std::vector<Detection> all;
  for (const double s : filter_.scales) {
    if (s == 1.0) {
      for (const Detection& d : detect_level(image)) all.push_back(d);
      continue;
    }
    const int w = std::max(1, int(std::lround(image.width * s))), h = std::max(1, int(std::lround(image.height * s)));
    const Image level = s < 1 ? resize_area_bilinear(image, w, h) : resize_bilinear(image, w, h);
    const double back_x = double(image.width) / w, back_y = double(image.height) / h;
    for (Detection d : detect_level(level)) {
      d.box = {d.box.x * back_x, d.box.y * back_y, d.box.w * back_x, d.box.h * back_y};
      all.push_back(d);
    }
  }
  return nms(std::move(all), filter_.nms_iou);
}

std::vector<double> parse_scales(const std::string& text) {
  std::vector<double> scales;
  size_t begin = 0;
  while (begin <= text.size()) {
    const size_t comma = std::min(text.find(',', begin), text.size());
    const std::string part = text.substr(begin, comma - begin);
    char* end = nullptr;
    const double s = std::strtod(part.c_str(), &end);
    if (part.empty() || *end != '\0' || !(s >= 0.05 && s <= 8))
      throw Error("--scales '" + text + "': '" + part + "' is not a scale from 0.05 to 8 (e.g. 1,1.5,0.5)");
    scales.push_back(s);
    begin = comma + 1;
  }
  return scales;
}

FilteredDetector::FilteredDetector(std::unique_ptr<Detector> inner, FaceFilter filter)
    : inner_(std::move(inner)), filter_(filter) {
  if (!inner_) throw Error("FilteredDetector: no detector");
  if (filter_.min_face < 0 || filter_.max_faces < 0 || filter_.tiles < 0)
    throw Error("face filter: --min-face, --max-faces and --tiles must be >= 0");
}

std::vector<Detection> FilteredDetector::detect(const Image& image) {
  std::vector<Detection> found;
  if (filter_.letterbox && image.width != image.height) {
    int ox = 0, oy = 0;
    const Image square = letterbox_square(image, ox, oy);
    found = detect_pyramid(square);
    for (Detection& d : found) {
      d.box.x -= ox;
      d.box.y -= oy;
      d.box = clip_box(d.box, image.width, image.height);
    }
  } else {
    found = detect_pyramid(image);
  }
  std::vector<Detection> kept;
  for (const Detection& d : found)
    if (d.box.area() > 0 && d.box.size() >= filter_.min_face) kept.push_back(d);
  std::stable_sort(kept.begin(), kept.end(), [](const Detection& a, const Detection& b) { return a.score > b.score; });
  if (filter_.max_faces > 0 && int(kept.size()) > filter_.max_faces) kept.resize(size_t(filter_.max_faces));
  return kept;
}

}  // namespace ifq::detect
