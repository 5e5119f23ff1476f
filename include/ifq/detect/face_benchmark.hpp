#pragma once
// Scoring detectors on a labelled image set the way the paper scores
// IFQ-Tinier-YOLO on FDDB (detection rate at FP = floor(0.1 x images), the
// discrete ROC), plus WIDER-style average precision and the time per image.
// Used by `ifq face-benchmark`, which puts the YOLO detectors and the Haar
// peer into one table.
#include <functional>
#include <string>
#include <vector>

#include "ifq/detect/detector.hpp"
#include "ifq/detect/eval_inputs.hpp"
#include "ifq/detect/fddb_eval.hpp"

namespace ifq::detect {

struct EvalSet {
  std::string name;
  std::string images_dir;         // the annotation's folder
  std::vector<TruthImage> truth;  // rectangles (or FDDB ellipses)
  std::vector<std::string> image_paths() const;  // images_dir / image_file, in order
};

// By the annotation file: *.xml is dlib imglab (ignore boxes left out),
// *ellipseList.txt FDDB, anything else WIDER bbx_gt (as `ifq facegen` writes).
// Image paths are relative to the annotation's folder. max_images > 0 keeps
// the first N images. bbx_gt faces flagged invalid or under min_face pixels
// (sqrt of the box area) are ignore regions: neither faces nor false positives.
EvalSet load_eval_set(const std::string& name, const std::string& annotation_file, int max_images = 0,
                      double min_face = 0);
// The same from "ANNOTATION[:MIN_FACE]", the --set form of the commands
// (ifq face-benchmark, ifq fit-box-style).
EvalSet load_eval_set_spec(const std::string& name, const std::string& spec, int max_images = 0);

struct DetectorScore {
  std::string detector, set;
  int images = 0, skipped = 0;
  long long faces = 0, detections = 0;
  long long fp_budget = 0;      // floor(0.1 x images), the paper's operating point
  double detection_rate = 0;    // at FP <= fp_budget
  double detection_rate_at_one_fp_per_image = 0;  // FP <= images, a looser point for small sets
  double wider_ap = -1;         // WIDER FACE AP (all faces one setting, IoU 0.5); -1 for ellipse truth
  double ms_per_image = 0;      // detector time only
  FddbResult fddb;
  std::vector<ImageDetections> detections_per_image;
};

struct ScoreOptions {
  std::string draw_dir;     // annotated copies of the first draw_count images, when not empty
  int draw_count = 0;
  double draw_threshold = 0.25;
  // Called after each image (done, total) for a progress bar.
  std::function<void(int done, int total)> on_image;
};

DetectorScore score_detector(Detector& detector, const std::string& label, const EvalSet& set,
                             const ScoreOptions& options = {});

}  // namespace ifq::detect
