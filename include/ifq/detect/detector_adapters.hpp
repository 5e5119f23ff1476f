#pragma once
// Wrappers that change how any Detector sees an image or what it reports,
// so every detector (integer, float, teacher, Haar) gets them the same way.
#include <memory>
#include <string>
#include <vector>

#include "ifq/detect/detector.hpp"

namespace ifq::detect {

struct FaceFilter {
  // Letterbox: the image is centred on a grey (127) square of its longer
  // side before the detector stretches it to its input, so faces keep their
  // aspect ratio (the trainer shows photos this way with --keep-aspect);
  // boxes are mapped back and clipped to the image.
  bool letterbox = false;
  // Tiles: besides the whole photo, the detector also runs on tiles x tiles
  // overlapping crops (each 1.25 / tiles of the photo per side), so faces
  // too small for the network input in a large photo are seen at a larger
  // scale (like SAHI's slicing). A tile's detections touching its inner
  // edges are dropped (that face is whole in a neighbour); all are merged by
  // NMS at nms_iou. 0 or 1: off.
  int tiles = 0;
  // Scales: an image pyramid. Besides (or instead of) the photo as it is
  // (scale 1), the detector runs on the photo resized by each factor, boxes
  // mapped back, every level's detections merged by NMS at nms_iou. An
  // upscaled level shows the small faces of crowds larger (at its own
  // resolution the network scores many 30-45 px faces low), a downscaled one
  // shrinks giant faces into the largest anchors. Tiles, if any, apply at
  // each level. Empty: the photo as it is.
  std::vector<double> scales;
  double nms_iou = 0.45;
  double min_face = 0;  // drop detections whose sqrt(w * h) is below this many pixels
  int max_faces = 0;    // keep at most this many, best first (0: all)
};

class FilteredDetector : public Detector {
 public:
  FilteredDetector(std::unique_ptr<Detector> inner, FaceFilter filter);
  std::vector<Detection> detect(const Image& image) override;

 private:
  std::vector<Detection> detect_tiled(const Image& image);
  std::vector<Detection> detect_level(const Image& image);
  std::vector<Detection> detect_pyramid(const Image& image);
  std::unique_ptr<Detector> inner_;
  FaceFilter filter_;
};

// "1,1.5,0.5" -> {1, 1.5, 0.5}: pyramid scales (--scales), each in [0.05, 8].
std::vector<double> parse_scales(const std::string& text);

// The grey square an image is letterboxed onto (offset of the image in it).
Image letterbox_square(const Image& image, int& offset_x, int& offset_y);

}  // namespace ifq::detect
