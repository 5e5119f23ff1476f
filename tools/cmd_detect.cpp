// ifq detect --model MODEL [--out-dir DIR] [--fddb-out FILE] [--threshold T] IMAGE...
// and ifq haar-detect --cascade XML ... (the OpenCV Haar peer, same outputs).
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "command_registry.hpp"
#include "ifq/detect/detector.hpp"
#include "ifq/detect/detector_adapters.hpp"
#include "ifq/error.hpp"

namespace {

namespace fs = std::filesystem;

// The shipped detector, so `ifq detect photo.jpg` works on a fresh checkout:
// models/ from the current directory, next to the build tree, or in the
// source tree this binary was built from.
std::string default_model() {
  const char* name = "models/ifq-tinier-yolo-face.ifqi";
  std::error_code ec;
  const fs::path exe_dir = fs::read_symlink("/proc/self/exe", ec).parent_path();
  for (const fs::path& candidate : {fs::path(name), exe_dir / ".." / name, fs::path(IFQ_SOURCE_DIR) / name})
    if (fs::is_regular_file(candidate, ec)) return candidate.lexically_normal().string();
  throw ifq::Error(std::string("no --model given and the shipped ") + name + " was not found (looked in ., " +
                   (exe_dir / "..").lexically_normal().string() + ", " + IFQ_SOURCE_DIR + ")");
}

struct BatchFlags {
  std::vector<std::string> images;
  std::string out_dir, fddb_out;
  double threshold = 0.25, fddb_threshold = 0.005, nms = 0.45;
  bool json = false, fddb_ellipses = false;

  void add_to(CLI::App& sub, bool scores_are_probabilities) {
    sub.add_option("IMAGE", images, "images to run on (JPEG, PNG, BMP, PGM/PPM)")->required();
    sub.add_option("--out-dir", out_dir,
                   "write each image with its boxes drawn into DIR (default: ./detections unless --fddb-out is given)");
    sub.add_option("--fddb-out", fddb_out,
                   "write detections in FDDB format (every detection above --fddb-threshold, so a ROC can be swept)");
    sub.add_flag("--fddb-ellipses", fddb_ellipses,
                 "write --fddb-out as FDDB ellipses (the ellipse inscribed in each box; the official evaluator's -f 1)");
    auto* t = sub.add_option("--threshold", threshold, "score threshold for drawn boxes and the face count")
                  ->capture_default_str();
    auto* f = sub.add_option("--fddb-threshold", fddb_threshold, "score threshold for --fddb-out")->capture_default_str();
    if (scores_are_probabilities) {
      t->check(CLI::Range(0.0, 1.0));
      f->check(CLI::Range(0.0, 1.0));
    }
    sub.add_option("--nms", nms, "non-maximum suppression IoU (<= 0: off)")->capture_default_str();
    sub.add_flag("--json", json, "print a JSON summary instead of per-image lines");
  }

  // Decoding keeps everything either output needs.
  double decode_threshold() const { return fddb_out.empty() ? threshold : std::min(threshold, fddb_threshold); }

  int run(ifq::detect::Detector& detector, const std::string& what) const {
    if (fddb_ellipses && fddb_out.empty()) throw ifq::Error("--fddb-ellipses needs --fddb-out FILE");
    ifq::detect::BatchOptions options;
    // With neither output asked for, the drawn images are what a user wants to see.
    options.out_dir = out_dir.empty() && fddb_out.empty() ? "detections" : out_dir;
    options.draw_threshold = threshold;
    const auto r = ifq::detect::run_batch(detector, images, options, json ? &std::cerr : &std::cout);
    if (!fddb_out.empty()) {
      std::vector<ifq::detect::ImageDetections> kept = r.fddb;
      for (auto& im : kept) {
        std::vector<ifq::detect::Detection> d;
        for (const auto& det : im.detections)
          if (det.score > fddb_threshold) d.push_back(det);
        im.detections = std::move(d);
      }
      if (fddb_ellipses) ifq::detect::save_detections_as_ellipses(kept, fddb_out);
      else ifq::detect::save_detections(kept, fddb_out);
    }
    if (json) {
      nlohmann::json j{{"detector", what},
                       {"images", r.processed},
                       {"skipped", r.skipped},
                       {"faces_drawn", r.drawn},
                       {"candidates", r.detections},
                       {"detect_ms_total", r.detect_ms},
                       {"detect_ms_per_image", r.processed ? r.detect_ms / r.processed : 0.0},
                       {"out_dir", options.out_dir},
                       {"fddb_out", fddb_out}};
      std::cout << j.dump(2) << "\n";
    } else {
      std::cout << r.processed << " image(s) processed, " << r.drawn << " face(s) at score >= " << threshold;
      if (r.processed) std::cout << ", " << r.detect_ms / r.processed << " ms per image";
      std::cout << "\n";
      if (r.skipped) std::cout << r.skipped << " unreadable image(s) skipped\n";
    }
    if (r.processed == 0) throw ifq::Error("no image could be read (" + std::to_string(r.skipped) + " skipped)");
    return 0;
  }
};

IFQ_REGISTER_COMMAND("detect", "detect faces with a YOLOv2-region model (integer or float model file)",
                     [](CLI::App& sub) -> std::function<int()> {
                       auto model = std::make_shared<std::string>();
                       auto flags = std::make_shared<BatchFlags>();
                       auto runtime = std::make_shared<std::string>("fast");
                       auto filter = std::make_shared<ifq::detect::FaceFilter>();
                       auto input_size = std::make_shared<std::string>("auto");
                       sub.add_option("--model", *model,
                                      "integer or float model file with a region head (default: the shipped "
                                      "models/ifq-tinier-yolo-face.ifqi)");
                       sub.add_option("--runtime", *runtime,
                                      "integer models: fast (bit-packed kernels) or reference (the scalar "
                                      "specification); both give identical outputs")
                           ->check(CLI::IsMember({"fast", "reference"}))
                           ->capture_default_str();
                       sub.add_option("--input-size", *input_size,
                                      "network input: auto (each photo at its own resolution, aspect kept, longer "
                                      "side within [the model's size, 1600]), auto:MAX (longer side at most MAX), "
                                      "model (stretched to the model's own size), N (N x N) or WxH")
                           ->capture_default_str();
                       sub.add_flag("--letterbox", filter->letterbox,
                                    "centre the photo on a grey square instead of stretching it to the model input "
                                    "(keeps faces' aspect ratio)");
                       sub.add_option("--min-face", filter->min_face, "drop faces smaller than N pixels (sqrt of w*h)")
                           ->check(CLI::Range(0.0, 1e6));
                       sub.add_option("--max-faces", filter->max_faces, "keep at most N faces per image, best first")
                           ->check(CLI::Range(0, 1 << 20));
                       sub.add_option("--tiles", filter->tiles,
                                      "also run on N x N overlapping tiles of the photo (small faces in large "
                                      "photos), merged by NMS")
                           ->check(CLI::Range(0, 8));
                       auto scales = std::make_shared<std::string>("1");
                       sub.add_option("--scales", *scales,
                                      "image pyramid: run on the photo resized by each factor and merge by NMS; "
                                      "1,1.5,0.5 with --input-size auto:2400 finds more faces in crowds at about "
                                      "3.5x the time (docs/detection.md)")
                           ->capture_default_str();
                       sub.add_flag("--flip", filter->flip,
                                    "also run on the mirrored photo (each pyramid level) and merge (about 2x the time)");
                       auto merge = std::make_shared<std::string>("nms");
                       sub.add_option("--merge", *merge,
                                      "how --scales levels and --flip views are merged: nms (best box), vote (boxes "
                                      "averaged by score, best score) or mean (score averaged over the views)")
                           ->capture_default_str();
                       auto box_style = std::make_shared<std::string>();
                       sub.add_option("--box-style", *box_style,
                                      "map every box to an annotation style fitted by ifq fit-box-style (e.g. FDDB's "
                                      "face ellipses, with --fddb-ellipses)");
                       flags->add_to(sub, true);
                       return [=]() {
                         if (!box_style->empty()) filter->box_style = ifq::detect::load_box_style(*box_style);
                         filter->scales = ifq::detect::parse_scales(*scales);
                         filter->merge = ifq::detect::parse_merge_rule(*merge);
                         filter->nms_iou = flags->nms > 0 ? flags->nms : 1.0;
                         if (model->empty()) *model = default_model();
                         ifq::detect::FilteredDetector detector(
                             ifq::detect::open_model_detector(
                                 *model, ifq::detect::RegionDecodeOptions{flags->decode_threshold(), flags->nms},
                                 *runtime == "fast" ? ifq::detect::IntRuntime::Fast : ifq::detect::IntRuntime::Reference,
                                 ifq::detect::parse_network_size(*input_size)),
                             *filter);
                         return flags->run(detector, *model);
                       };
                     });

IFQ_REGISTER_COMMAND("haar-detect", "detect faces with an OpenCV Haar cascade (the classical embedded peer)",
                     [](CLI::App& sub) -> std::function<int()> {
                       auto cascade = std::make_shared<std::string>(
                           "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml");
                       auto flags = std::make_shared<BatchFlags>();
                       auto haar = std::make_shared<ifq::detect::HaarOptions>();
                       sub.add_option("--cascade", *cascade, "cascade XML (Debian opencv-data)")->capture_default_str();
                       sub.add_option("--scale-factor", haar->scale_factor, "image pyramid step")->capture_default_str();
                       sub.add_option("--min-neighbors", haar->min_neighbors,
                                      "windows needed to keep a detection (its score is this count)")->capture_default_str();
                       sub.add_option("--min-size", haar->min_size, "smallest face in pixels")->capture_default_str();
                       flags->threshold = 0;  // scores are neighbour counts, not probabilities
                       flags->fddb_threshold = 0;
                       flags->add_to(sub, false);
                       return [=]() {
                         ifq::detect::HaarDetector detector(*cascade, *haar);
                         return flags->run(detector, *cascade);
                       };
                     });

}  // namespace
