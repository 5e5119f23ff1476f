// Letterbox and face filters around any detector (detector_adapters.hpp).
#include "ifq/detect/detector_adapters.hpp"

#include <algorithm>
#include <cmath>

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
    found = filter_.tiles > 1 ? detect_tiled(square) : inner_->detect(square);
    for (Detection& d : found) {
      d.box.x -= ox;
      d.box.y -= oy;
      d.box = clip_box(d.box, image.width, image.height);
    }
  } else {
    found = filter_.tiles > 1 ? detect_tiled(image) : inner_->detect(image);
  }
  std::vector<Detection> kept;
  for (const Detection& d : found)
    if (d.box.area() > 0 && d.box.size() >= filter_.min_face) kept.push_back(d);
  std::stable_sort(kept.begin(), kept.end(), [](const Detection& a, const Detection& b) { return a.score > b.score; });
  if (filter_.max_faces > 0 && int(kept.size()) > filter_.max_faces) kept.resize(size_t(filter_.max_faces));
  return kept;
}

}  // namespace ifq::detect
