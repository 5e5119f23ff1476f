#pragma once
// A detector's boxes mapped to another annotation style. Face benchmarks
// draw faces differently: WIDER's boxes run from the eyebrows to the chin,
// hand labels of the mask sets are looser, FDDB draws an ellipse over the
// whole face including the forehead. A box that finds the face but in
// another style can miss the protocol's overlap of 0.5 and count twice (a
// false positive and a missed face). A box style is the linear correction
// the literature fits for FDDB (a centre shift and a scale per axis, in
// units of the box), fitted here on labelled photos of the target style.
#include <string>
#include <utility>
#include <vector>

#include "ifq/detect/box.hpp"
#include "ifq/detect/datasets.hpp"
#include "ifq/detect/fddb_eval.hpp"

namespace ifq::detect {

// Box (x, y, w, h) -> centre (cx + dx w, cy + dy h), size (sw w, sh h).
struct BoxStyle {
  double dx = 0, dy = 0, sw = 1, sh = 1;
  bool identity() const { return dx == 0 && dy == 0 && sw == 1 && sh == 1; }
};
Box apply_box_style(const Box& box, const BoxStyle& style);

// What a fit is made from: one photo's detections and its faces (boxes; an
// FDDB ellipse enters as its bounding box, region_bounding_box).
struct BoxStyleFitImage {
  std::vector<Detection> detections;
  std::vector<Box> faces;
};

struct BoxStyleFitOptions {
  double min_score = 0.25;  // detections a user would keep
  double min_iou = 0.3;     // a detection and a face are the same face (IoU after the current style)
  int rounds = 5;           // match, fit, match again with the fitted style ...
  int min_pairs = 20;       // fewer matched faces than this is an error, not a fit
};

struct BoxStyleFit {
  BoxStyle style;
  BoxStyleFitOptions options;  // what it was fitted with
  long long pairs = 0;  // detection-face pairs of the last round
  // Over those pairs: the median IoU and the share with IoU > 0.5 (what
  // the FDDB protocol counts), with the raw boxes and with the style.
  double median_iou_before = 0, median_iou_after = 0;
  double share_over_half_before = 0, share_over_half_after = 0;
};

// Each round matches every photo's detections (score >= min_score, best
// first) greedily to the unmatched face of largest IoU >= min_iou under the
// current style, then takes each parameter as the median over the pairs
// (dx = median of (face cx - detection cx) / detection w, sw = exp(median of
// log(face w / detection w)), likewise for y): medians so that a few wrong
// pairs and label noise do not pull the fit. Rounds let pairs the raw boxes
// missed join once the style brings them within min_iou.
BoxStyleFit fit_box_style(const std::vector<BoxStyleFitImage>& images, const BoxStyleFitOptions& options = {});

// The axis-aligned bounding box of a face region (a box is its own).
Box region_bounding_box(const FaceRegion& region);
// The ellipse inscribed in a box, major axis along the box's longer side:
// how --fddb-ellipses writes a detection for FDDB's ellipse format.
Ellipse ellipse_in_box(const Box& box);

// The style file: JSON {"format": "ifq-box-style", "dx", "dy", "sw", "sh",
// the fit's figures, "notes": {what it was fitted on}}; only the four
// parameters are read back. Loading refuses a missing or non-finite
// parameter or a scale <= 0, naming the file.
BoxStyle load_box_style(const std::string& file);
void save_box_style(const std::string& file, const BoxStyleFit& fit,
                    const std::vector<std::pair<std::string, std::string>>& notes = {});

}  // namespace ifq::detect
