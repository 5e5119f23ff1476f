#pragma once
// Axis-aligned boxes, detections and greedy non-maximum suppression.
#include <cmath>
#include <vector>

namespace ifq::detect {

// A box in image pixels: left, top, width, height (FDDB/WIDER convention).
struct Box {
  double x = 0, y = 0, w = 0, h = 0;
  double right() const { return x + w; }
  double bottom() const { return y + h; }
  double area() const { return w > 0 && h > 0 ? w * h : 0.0; }
  // A face's size in pixels, sqrt(w * h): what minimum face sizes compare with.
  double size() const { return std::sqrt(area()); }
};

// The box of centre (cx, cy) and size w x h (YOLO's format).
inline Box box_from_centre(double cx, double cy, double w, double h) { return {cx - w / 2, cy - h / 2, w, h}; }

struct Detection {
  Box box;
  double score = 0;  // objectness x class probability, in [0, 1]
  int class_id = 0;
};

// Continuous intersection over union (0 when either box is empty).
double iou(const Box& a, const Box& b);

// Darknet's do_nms_sort for one class: sort by score (descending, stable),
// then drop every box whose IoU with a kept, higher-scored box of the same
// class is above `iou_threshold`.
std::vector<Detection> nms(std::vector<Detection> detections, double iou_threshold);

// Clips a box to [0, width] x [0, height]; an empty intersection gives w = h = 0.
Box clip_box(const Box& box, double width, double height);

}  // namespace ifq::detect
