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

void FilteredDetector::detect_views(const Image& level, double back_x, double back_y, int first,
                                    std::vector<ViewDetection>& all) {
  const Image mirror = filter_.flip ? mirror_horizontal(level) : Image{};
  for (int mirrored = 0; mirrored <= int(filter_.flip); ++mirrored)
    for (const Detection& d : detect_level(mirrored ? mirror : level)) {  // both lvalues: no copy
      const double x = mirrored ? level.width - d.box.right() : d.box.x;  // a mirror's box, mirrored back
      ViewDetection v{d, first + mirrored};
      v.detection.box = {x * back_x, d.box.y * back_y, d.box.w * back_x, d.box.h * back_y};
      all.push_back(v);
    }
}

std::vector<Detection> FilteredDetector::detect_pyramid(const Image& image) {
  const bool one_level = filter_.scales.empty() || (filter_.scales.size() == 1 && filter_.scales[0] == 1.0);
  if (one_level && !filter_.flip) return detect_level(image);
  const std::vector<double> scales = one_level ? std::vector<double>{1.0} : filter_.scales;
  const int per_level = filter_.flip ? 2 : 1;
  std::vector<ViewDetection> all;
  for (size_t i = 0; i < scales.size(); ++i) {
    const double s = scales[i];
    Image resized;  // scale 1 runs on the photo itself, without a copy
    if (s != 1.0) {
      const int w = std::max(1, int(std::lround(image.width * s))), h = std::max(1, int(std::lround(image.height * s)));
      resized = s < 1 ? resize_area_bilinear(image, w, h) : resize_bilinear(image, w, h);
    }
    const Image& level = s != 1.0 ? resized : image;
    detect_views(level, double(image.width) / level.width, double(image.height) / level.height, int(i) * per_level,
                 all);
  }
  return merge_views(std::move(all), int(scales.size()) * per_level, filter_.merge, filter_.nms_iou);
}

MergeRule parse_merge_rule(const std::string& text) {
  if (text == "nms") return MergeRule::Nms;
  if (text == "vote") return MergeRule::Vote;
  if (text == "mean") return MergeRule::Mean;
  throw Error("--merge '" + text + "': expected nms, vote or mean");
}

std::vector<Detection> merge_views(std::vector<ViewDetection> all, int views, MergeRule rule, double iou_threshold) {
  if (rule == MergeRule::Nms) {
    std::vector<Detection> plain;
    plain.reserve(all.size());
    for (const ViewDetection& v : all) plain.push_back(v.detection);
    return nms(std::move(plain), iou_threshold);
  }
  std::stable_sort(all.begin(), all.end(), [](const ViewDetection& a, const ViewDetection& b) {
    return a.detection.score > b.detection.score;
  });
  std::vector<Detection> merged;
  std::vector<char> taken(all.size(), 0);
  std::vector<double> best(size_t(std::max(views, 1)));
  for (size_t i = 0; i < all.size(); ++i) {
    if (taken[i]) continue;
    const Detection& top = all[i].detection;
    std::fill(best.begin(), best.end(), 0.0);
    double weight = 0, x = 0, y = 0, r = 0, b = 0;
    for (size_t j = i; j < all.size(); ++j) {
      const Detection& d = all[j].detection;
      if (taken[j] || d.class_id != top.class_id || (j != i && iou(top.box, d.box) < iou_threshold)) continue;
      taken[j] = 1;
      const double w = d.score;
      weight += w, x += w * d.box.x, y += w * d.box.y, r += w * d.box.right(), b += w * d.box.bottom();
      const size_t v = size_t(std::clamp(all[j].view, 0, int(best.size()) - 1));
      best[v] = std::max(best[v], d.score);
    }
    Detection out = top;
    if (weight > 0) out.box = {x / weight, y / weight, (r - x) / weight, (b - y) / weight};
    if (rule == MergeRule::Mean) {
      double sum = 0;
      for (const double s : best) sum += s;
      out.score = sum / double(best.size());
    }
    merged.push_back(out);
  }
  std::stable_sort(merged.begin(), merged.end(),
                   [](const Detection& a, const Detection& b) { return a.score > b.score; });
  return merged;
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
  if (!filter_.box_style.identity())
    for (Detection& d : found) d.box = clip_box(apply_box_style(d.box, filter_.box_style), image.width, image.height);
  std::vector<Detection> kept;
  for (const Detection& d : found)
    if (d.box.area() > 0 && d.box.size() >= filter_.min_face) kept.push_back(d);
  std::stable_sort(kept.begin(), kept.end(), [](const Detection& a, const Detection& b) { return a.score > b.score; });
  if (filter_.max_faces > 0 && int(kept.size()) > filter_.max_faces) kept.resize(size_t(filter_.max_faces));
  return kept;
}

}  // namespace ifq::detect
