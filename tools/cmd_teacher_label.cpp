// ifq teacher-label: label photos with a float teacher face detector (YuNet
// or UltraFace ONNX through OpenCV's dnn) into a WIDER bbx_gt file, and
// optionally add those boxes to hand labels (teacher_label.hpp's rule).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

#include "command_registry.hpp"
#include "ifq/detect/datasets.hpp"
#include "ifq/detect/holdout_split.hpp"
#include "ifq/detect/teacher_detector.hpp"
#include "ifq/detect/teacher_label.hpp"
#include "ifq/error.hpp"
#include "ifq/progress.hpp"

namespace {

namespace fs = std::filesystem;

struct TeacherLabelFlags {
  std::string teacher, images, out, merge_with, soft_out;
  // Soft targets (ifq train --set FILE:W:MIN:SOFT): faces the teacher is
  // less sure of than --min-score still teach, weighted by its score.
  double soft_min_score = 0.3;
  // Defaults as the shared teacher-labelled photo sets were made
  // (score >= 0.7, NMS 0.3, boxes >= 8 px).
  ifq::detect::TeacherOptions options = [] {
    ifq::detect::TeacherOptions o;
    o.min_score = 0.7;
    o.nms = 0.3;
    o.min_size = 8;
    return o;
  }();
  double merge_iou = 0.3;
};

// The merge matches images by path text; a photo reached through a symbolic
// link (data/faces -> the shared folder) has another text than in the hand
// file. Teacher images naming the same file as a hand image take its path.
void name_as_hand(std::vector<ifq::detect::WiderImage>& teacher, const std::vector<ifq::detect::WiderImage>& hand,
                  const std::string& folder) {
  const fs::path base = fs::absolute(folder.empty() ? "." : folder);
  // Lexically normal first: the paths were rebased lexically, and the out
  // folder may not exist yet (weakly_canonical resolves only what exists).
  const auto key = [&](const std::string& path) {
    const fs::path lexical = (base / path).lexically_normal();
    std::error_code ec;
    const fs::path p = fs::weakly_canonical(lexical, ec);
    return ec ? lexical.string() : p.string();
  };
  std::map<std::string, std::string> hand_path;
  for (const auto& wi : hand) hand_path.emplace(key(wi.path), wi.path);
  for (auto& wi : teacher) {
    const auto it = hand_path.find(key(wi.path));
    if (it != hand_path.end()) wi.path = it->second;
  }
}

IFQ_REGISTER_COMMAND(
    "teacher-label", "label photos with a YuNet or UltraFace ONNX teacher into a bbx_gt file (OpenCV dnn)",
    [](CLI::App& sub) -> std::function<int()> {
      auto f = std::make_shared<TeacherLabelFlags>();
      sub.add_option("--teacher", f->teacher, "teacher ONNX file (YuNet or UltraFace, told apart by its outputs)")
          ->required();
      sub.add_option("--images", f->images,
                     "a directory (every .jpg/.jpeg/.png/.bmp below it) or a list file (one path per line, "
                     "relative to the list's folder)")
          ->required();
      sub.add_option("--out", f->out, "bbx_gt file to write (paths relative to its folder; written at the end)")
          ->required();
      sub.add_option("--min-score", f->options.min_score, "keep detections scoring at least this")
          ->check(CLI::Range(0.0, 1.0))
          ->capture_default_str();
      sub.add_option("--min-size", f->options.min_size, "drop boxes with sqrt(w * h) below this many pixels")
          ->check(CLI::NonNegativeNumber)
          ->capture_default_str();
      sub.add_option("--nms", f->options.nms, "non-maximum suppression IoU")
          ->check(CLI::Range(0.0, 1.0))
          ->capture_default_str();
      sub.add_option("--input-size", f->options.input_size,
                     "YuNet: longer image side fed to the network (0 = 640); UltraFace: 0 (fixed by the file)")
          ->check(CLI::Range(0, 4096))
          ->capture_default_str();
      auto* merge = sub.add_option("--merge-with", f->merge_with,
                                   "hand bbx_gt: write its images with teacher boxes added where they overlap no "
                                   "hand box (every labelled image must be in it)");
      sub.add_option("--merge-iou", f->merge_iou, "a teacher box is added only below this IoU with every box")
          ->check(CLI::Range(0.0, 1.0))
          ->needs(merge)
          ->capture_default_str();
      auto* soft = sub.add_option("--soft-out", f->soft_out,
                                  "also write every teacher detection scoring at least --soft-min-score, with its "
                                  "score, as an FDDB detection list (paths relative to its folder): soft objectness "
                                  "targets for ifq train --set FILE:WEIGHT:MIN_FACE:SOFT");
      sub.add_option("--soft-min-score", f->soft_min_score, "lowest score written to --soft-out")
          ->check(CLI::Range(0.0, 1.0))
          ->needs(soft)
          ->capture_default_str();
      return [f]() {
        namespace det = ifq::detect;
        det::TeacherOptions options = f->options;
        // The teacher must return the low-scored faces too; the labels keep --min-score.
        if (!f->soft_out.empty()) options.min_score = std::min(options.min_score, f->soft_min_score);
        det::TeacherDetector teacher(f->teacher, options);
        const det::ImageList list = det::list_images(f->images);
        // Read the hand labels before minutes of labelling, so a bad file fails at once.
        std::vector<det::WiderImage> hand;
        if (!f->merge_with.empty()) hand = det::load_wider_gt(f->merge_with);
        std::fprintf(stderr, "teacher %s (%s), %zu images from %s\n", f->teacher.c_str(),
                     det::teacher_format_name(teacher.format()), list.paths.size(), f->images.c_str());

        ifq::ProgressBar bar("teacher-label", int64_t(list.paths.size()), true);
        det::TeacherLabelOptions lo;
        lo.log = &std::cerr;
        lo.on_image = [&](int done, int) { bar.update(done, done, -1); };
        std::vector<det::ImageDetections> scored;
        if (!f->soft_out.empty()) {
          lo.scored = &scored;
          lo.label_min_score = f->options.min_score;
        }
        det::TeacherLabelStats st;
        std::vector<det::WiderImage> labels = det::teacher_label(teacher, list.paths, list.root, &st, lo);
        bar.finish(int64_t(list.paths.size()), int64_t(list.paths.size()), -1);
        if (labels.empty())
          throw ifq::Error("no image could be read (" + std::to_string(st.skipped) + " skipped); nothing written");

        const std::string folder = fs::path(f->out).parent_path().string();
        labels = det::rebase_paths(std::move(labels), list.root, folder);
        det::MergeStats ms;
        if (!f->merge_with.empty()) {
          hand = det::rebase_paths(std::move(hand), fs::path(f->merge_with).parent_path().string(), folder);
          name_as_hand(labels, hand, folder);
          labels = det::merge_teacher_labels(hand, labels, f->merge_iou, &ms);
        }
        if (!folder.empty()) fs::create_directories(folder);
        det::save_wider_gt(labels, f->out);
        long long soft_faces = 0;
        if (!f->soft_out.empty()) {
          const std::string soft_folder = fs::path(f->soft_out).parent_path().string();
          for (det::ImageDetections& im : scored) {
            im.name = det::rebase_path(im.name, list.root, soft_folder);
            std::erase_if(im.detections, [&](const det::Detection& d) { return d.score < f->soft_min_score; });
            soft_faces += (long long)im.detections.size();
          }
          if (!soft_folder.empty()) fs::create_directories(soft_folder);
          det::save_detections(scored, f->soft_out);
        }

        long long faces = 0;
        for (const auto& wi : labels) faces += (long long)wi.faces.size();
        std::printf("wrote %s: %zu images, %lld faces; teacher found %lld faces on %d images (%.1f ms/image), "
                    "%d unreadable images skipped\n",
                    f->out.c_str(), labels.size(), faces, st.faces, st.labelled,
                    st.labelled ? st.detect_ms / st.labelled : 0.0, st.skipped);
        if (!f->soft_out.empty())
          std::printf("wrote %s: %lld scored detections (score >= %g) on %zu images\n", f->soft_out.c_str(),
                      soft_faces, f->soft_min_score, scored.size());
        if (!f->merge_with.empty())
          std::printf("merged with %s: %lld of %lld teacher boxes added on %d images, %lld overlapped a box "
                      "(IoU >= %g)\n",
                      f->merge_with.c_str(), ms.added, ms.teacher_boxes, ms.images, ms.overlapping, f->merge_iou);
        return 0;
      };
    });

}  // namespace
