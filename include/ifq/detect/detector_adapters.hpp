#pragma once
// Wrappers that change how any Detector sees an image or what it reports,
// so every detector (integer, float, teacher, Haar) gets them the same way.
#include <memory>
#include <string>
#include <vector>

#include "ifq/detect/box_style.hpp"
#include "ifq/detect/detector.hpp"

namespace ifq::detect {

// How the detections of several views of one photo (pyramid levels, the
// mirror) become one list. Each rule clusters greedily by score: the best
// remaining detection and every other one with IoU >= nms_iou with it.
//   Nms:  the cluster's best detection, as it is (greedy NMS).
//   Vote: the cluster's box is the score-weighted mean of its boxes (box
//         voting, as S3FD and PyramidBox evaluate), its score the best one:
//         views agreeing on a face sharpen its box.
//   Mean: box as Vote; score the mean over views of each view's best score
//         in the cluster (0 for a view without one): a face every view sees
//         keeps its score, a false positive one view alone makes loses it.
enum class MergeRule { Nms, Vote, Mean };

// "nms" | "vote" | "mean" (--merge); anything else is an ifq::Error.
MergeRule parse_merge_rule(const std::string& text);

// Merges detections tagged with the view they came from (0 .. views-1).
struct ViewDetection {
  Detection detection;
  int view = 0;
};
std::vector<Detection> merge_views(std::vector<ViewDetection> all, int views, MergeRule rule, double iou_threshold);

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
  // Flip: every level also runs on its mirror image, boxes mirrored back
  // (test-time augmentation: a face the network scores low one way round
  // may score high the other).
  bool flip = false;
  // How the views (pyramid levels, mirror) are merged; see MergeRule.
  MergeRule merge = MergeRule::Nms;
  double nms_iou = 0.45;
  // Every box mapped to another annotation style (box_style.hpp), clipped
  // to the image, before the size filter; the identity leaves boxes as found.
  BoxStyle box_style{};
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
  // One level and, with flip, its mirror, tagged from view `first` on.
  void detect_views(const Image& level, double back_x, double back_y, int first, std::vector<ViewDetection>& all);
  std::unique_ptr<Detector> inner_;
  FaceFilter filter_;
};

// "1,1.5,0.5" -> {1, 1.5, 0.5}: pyramid scales (--scales), each in [0.05, 8].
std::vector<double> parse_scales(const std::string& text);

// The grey square an image is letterboxed onto (offset of the image in it).
Image letterbox_square(const Image& image, int& offset_x, int& offset_y);

}  // namespace ifq::detect
