#include "ifq/detect/box.hpp"

#include <algorithm>

namespace ifq::detect {

double iou(const Box& a, const Box& b) {
  const double iw = std::min(a.right(), b.right()) - std::max(a.x, b.x);
  const double ih = std::min(a.bottom(), b.bottom()) - std::max(a.y, b.y);
  if (iw <= 0 || ih <= 0) return 0.0;
  const double inter = iw * ih;
  const double uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.0;
}

std::vector<Detection> nms(std::vector<Detection> detections, double iou_threshold) {
  std::stable_sort(detections.begin(), detections.end(),
                   [](const Detection& a, const Detection& b) { return a.score > b.score; });
  std::vector<Detection> kept;
  kept.reserve(detections.size());
  for (const Detection& d : detections) {
    bool suppressed = false;
    for (const Detection& k : kept) {
      if (k.class_id == d.class_id && iou(k.box, d.box) > iou_threshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) kept.push_back(d);
  }
  return kept;
}

Box clip_box(const Box& box, double width, double height) {
  const double x0 = std::clamp(box.x, 0.0, width), y0 = std::clamp(box.y, 0.0, height);
  const double x1 = std::clamp(box.right(), 0.0, width), y1 = std::clamp(box.bottom(), 0.0, height);
  return Box{x0, y0, std::max(0.0, x1 - x0), std::max(0.0, y1 - y0)};
}

}  // namespace ifq::detect
