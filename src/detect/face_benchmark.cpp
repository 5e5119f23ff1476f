// One detector on one labelled image set: run, then the FDDB protocol and
// WIDER AP on the same detections (see face_benchmark.hpp).
#include "ifq/detect/face_benchmark.hpp"

#include <cstdlib>
#include <filesystem>

#include "ifq/detect/datasets.hpp"
#include "ifq/detect/wider_eval.hpp"
#include "ifq/error.hpp"

namespace ifq::detect {
namespace {

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

std::vector<std::string> EvalSet::image_paths() const {
  std::vector<std::string> paths;
  for (const TruthImage& t : truth) paths.push_back((std::filesystem::path(images_dir) / t.image_file).string());
  return paths;
}

EvalSet load_eval_set(const std::string& name, const std::string& annotation_file, int max_images, double min_face) {
  EvalSet set;
  set.name = name;
  set.images_dir = std::filesystem::path(annotation_file).parent_path().string();
  if (set.images_dir.empty()) set.images_dir = ".";
  if (ends_with(annotation_file, ".xml"))
    set.truth = truth_from_imglab(load_imglab_xml(annotation_file));
  else if (ends_with(annotation_file, "ellipseList.txt"))
    set.truth = truth_from_fddb(load_fddb_ellipses(annotation_file), ".jpg");
  else
    set.truth = truth_from_wider(load_wider_gt(annotation_file), min_face);
  if (max_images > 0 && int(set.truth.size()) > max_images) set.truth.resize(size_t(max_images));
  if (set.truth.empty()) throw Error("'" + annotation_file + "' lists no images");
  return set;
}

EvalSet load_eval_set_spec(const std::string& name, const std::string& spec, int max_images) {
  std::string file = spec;
  double min_face = 0;
  if (const auto colon = file.rfind(':'); colon != std::string::npos) {
    char* end = nullptr;
    const std::string number = file.substr(colon + 1);
    min_face = std::strtod(number.c_str(), &end);
    if (number.empty() || *end != '\0' || !(min_face >= 0))
      throw Error("set '" + spec + "': the minimum face size '" + number + "' is not a number >= 0");
    file.resize(colon);
  }
  return load_eval_set(name, file, max_images, min_face);
}

DetectorScore score_detector(Detector& detector, const std::string& label, const EvalSet& set,
                             const ScoreOptions& options) {
  DetectorScore s;
  s.detector = label;
  s.set = set.name;
  const std::vector<std::string> paths = set.image_paths();
  std::vector<TruthImage> read_truth;  // unreadable images are left out of the scores (counted in skipped)
  // One image at a time so a progress bar can follow; only the first
  // draw_count are drawn.
  for (size_t i = 0; i < paths.size(); ++i) {
    BatchOptions bo;
    if (int(i) < options.draw_count) bo.out_dir = options.draw_dir;
    bo.draw_threshold = options.draw_threshold;
    const BatchResult r = run_batch(detector, {paths[i]}, bo, nullptr);
    s.skipped += r.skipped;
    s.ms_per_image += r.detect_ms;
    for (const ImageDetections& d : r.fddb) s.detections_per_image.push_back(d);
    if (r.processed == 1) read_truth.push_back(set.truth[i]);
    if (options.on_image) options.on_image(int(i) + 1, int(paths.size()));
  }
  s.images = int(s.detections_per_image.size());
  if (s.images == 0) throw Error("set '" + set.name + "': no image could be read");
  s.ms_per_image /= s.images;

  const std::vector<FddbEvalImage> inputs = fddb_inputs(read_truth, s.detections_per_image, set.images_dir);
  s.fddb = evaluate_fddb(inputs);
  s.faces = s.fddb.faces;
  s.detections = s.fddb.detections;
  s.fp_budget = s.fddb.fp_budget;
  s.detection_rate = s.fddb.detection_rate_at_fp;
  s.detection_rate_at_one_fp_per_image = detection_rate_at(s.fddb.disc, double(s.images));

  // WIDER AP needs rectangles: an FDDB ellipse set has none (wider_ap stays -1).
  std::vector<WiderEvalImage> wider;
  bool rectangles_only = true;
  for (const FddbEvalImage& im : inputs) {
    WiderEvalImage w;
    for (const FaceRegion& f : im.faces) {
      if (const Box* b = std::get_if<Box>(&f)) w.truth.push_back(*b);
      else rectangles_only = false;
    }
    // WIDER's own protocol: faces outside `keep` are ignored, and so are the detections on them.
    for (int k = 0; k < int(w.truth.size()); ++k) w.keep.push_back(k);
    for (const Box& b : im.ignore) w.truth.push_back(b);
    w.detections = im.detections;
    wider.push_back(std::move(w));
  }
  if (rectangles_only) s.wider_ap = evaluate_wider(wider).ap;
  return s;
}

}  // namespace ifq::detect
