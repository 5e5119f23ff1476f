// ifq eval-fddb --ellipses FILE --detections FILE --images DIR [--per-image] [--json]:
// the FDDB protocol (discrete ROC, detection rate at FP = floor(0.1 x images)),
// DiscROC.txt/ContROC.txt and a ROC plot. Ground truth may also be boxes
// (WIDER bbx_gt format, e.g. generated data, or dlib imglab XML).
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "command_registry.hpp"
#include "ifq/detect/eval_inputs.hpp"
#include "ifq/detect/fddb_eval.hpp"
#include "ifq/detect/fddb_operating_point.hpp"
#include "ifq/detect/roc_plot.hpp"
#include "ifq/error.hpp"

namespace {

struct EvalFddbFlags {
  std::string ellipses, boxes, imglab, detections, detection_dir, images, roc_prefix, plot, label = "detector",
                                                                                              image_ext = ".jpg";
  std::string raster;
  bool json = false, per_image = false;
  int false_positives = 0;
  double per_image_fp = -1;  // < 0: the FDDB budget
  double min_face = 0;
};

IFQ_REGISTER_COMMAND(
    "eval-fddb", "FDDB evaluation: discrete ROC, detection rate at FP = floor(0.1 x images), DiscROC.txt, ROC plot",
    [](CLI::App& sub) -> std::function<int()> {
      auto f = std::make_shared<EvalFddbFlags>();
      auto* truth = sub.add_option_group("ground truth", "exactly one of");
      truth->add_option("--ellipses", f->ellipses, "FDDB ellipse list (FDDB-fold-XX-ellipseList.txt or all folds)");
      truth->add_option("--boxes", f->boxes, "boxes in WIDER bbx_gt format (e.g. ifq facegen output)");
      truth->add_option("--imglab", f->imglab, "dlib imglab XML (boxes marked ignore are left out)");
      truth->require_option(1);
      sub.add_option("--min-face", f->min_face,
                     "with --boxes: faces under this many pixels (sqrt(w*h)) are ignore regions, as ifq "
                     "face-benchmark's --set FILE:MIN_FACE")
          ->check(CLI::Range(0.0, 1e6));
      auto* dets = sub.add_option_group("detections", "exactly one of");
      dets->add_option("--detections", f->detections, "detections in FDDB format (ifq detect --fddb-out)");
      dets->add_option("--detection-dir", f->detection_dir, "WIDER-style folder of per-image .txt results");
      dets->require_option(1);
      sub.add_option("--images", f->images, "folder the image names are relative to (sizes clip the regions)")
          ->required();
      sub.add_option("--image-ext", f->image_ext, "extension appended to FDDB image names")->capture_default_str();
      sub.add_option("--roc-prefix", f->roc_prefix,
                     "write <prefix>DiscROC.txt and <prefix>ContROC.txt (default: next to the detections)");
      sub.add_option("--plot", f->plot, "ROC plot PNG (default: <prefix>DiscROC.png)");
      sub.add_option("--label", f->label, "curve label in the plot")->capture_default_str();
      sub.add_option("--raster", f->raster,
                     "ellipse masks: opencv (the official tool's drawing; default when built with OpenCV) or "
                     "pixel-centre")
          ->check(CLI::IsMember({"opencv", "pixel-centre"}));
      sub.add_option("--false-positives", f->false_positives,
                     "also list the N highest-scored false positives (those that spend the FP budget), each with "
                     "its largest overlap with a face: near 0 background, 0.3-0.5 a face boxed too loosely")
          ->check(CLI::Range(0, 1000000));
      sub.add_flag("--per-image", f->per_image,
                   "also list each image's faces, faces found and false positives at the operating point: the "
                   "threshold where the ROC reaches its rate at the FP budget (which photos the rate comes from)");
      sub.add_option("--per-image-fp", f->per_image_fp,
                     "the FP budget of --per-image's operating point (default: floor(0.1 x images))")
          ->check(CLI::Range(0.0, 1e12));
      sub.add_flag("--json", f->json, "print JSON");
      return [=]() {
        std::vector<ifq::detect::TruthImage> truth;
        if (f->min_face > 0 && f->boxes.empty()) throw ifq::Error("--min-face needs --boxes");
        if (f->per_image_fp >= 0 && !f->per_image) throw ifq::Error("--per-image-fp needs --per-image");
        if (!f->ellipses.empty())
          truth = ifq::detect::truth_from_fddb(ifq::detect::load_fddb_ellipses(f->ellipses), f->image_ext);
        else if (!f->boxes.empty())
          truth = ifq::detect::truth_from_wider(ifq::detect::load_wider_gt(f->boxes), f->min_face);
        else
          truth = ifq::detect::truth_from_imglab(ifq::detect::load_imglab_xml(f->imglab));
        const auto dets = f->detections.empty() ? ifq::detect::load_detection_dir(f->detection_dir)
                                                : ifq::detect::load_detections(f->detections);
        const auto inputs = ifq::detect::fddb_inputs(truth, dets, f->images);
        ifq::detect::EllipseRaster how = ifq::detect::default_ellipse_raster();
        if (f->raster == "opencv") {
          if (!ifq::detect::opencv_ellipse_raster_available())
            throw ifq::Error("--raster opencv: this build has no OpenCV");
          how = ifq::detect::EllipseRaster::OpenCv;
        } else if (f->raster == "pixel-centre") {
          how = ifq::detect::EllipseRaster::PixelCentre;
        }
        const auto result = ifq::detect::evaluate_fddb(inputs, how);

        std::string prefix = f->roc_prefix;
        if (prefix.empty()) {
          const std::filesystem::path base = f->detections.empty() ? std::filesystem::path(f->detection_dir) / ""
                                                                   : std::filesystem::path(f->detections);
          prefix = (base.parent_path() / base.stem()).string() + "-";
        }
        ifq::detect::save_roc_files(result, prefix);
        const std::string plot = f->plot.empty() ? prefix + "DiscROC.png" : f->plot;
        ifq::detect::RocPlotOptions po;
        po.fp_budget = double(result.fp_budget);
        po.title = "Discrete ROC (" + std::to_string(result.images) + " images, " + std::to_string(result.faces) + " faces)";
        ifq::detect::save_roc_plot({{f->label, result.disc}}, plot, po);

        const auto false_positives = ifq::detect::top_false_positives(inputs, result, f->false_positives, how);
        ifq::detect::OperatingPoint at;
        if (f->per_image)
          at = ifq::detect::operating_point(inputs, result,
                                            f->per_image_fp >= 0 ? f->per_image_fp : double(result.fp_budget));
        if (f->json) {
          nlohmann::json j{{"detection_rate_at_fp", result.detection_rate_at_fp},
                           {"fp_budget", result.fp_budget},
                           {"images", result.images},
                           {"faces", result.faces},
                           {"detections", result.detections},
                           {"roc", prefix + "DiscROC.txt"},
                           {"roc_continuous", prefix + "ContROC.txt"},
                           {"plot", plot},
                           {"ellipse_raster", ifq::detect::ellipse_raster_name(result.raster)}};
          if (f->false_positives > 0) {
            nlohmann::json list = nlohmann::json::array();
            for (const auto& fp : false_positives) {
              const auto& b = fp.detection.box;
              list.push_back({{"image", fp.image},
                              {"score", fp.detection.score},
                              {"box", {b.x, b.y, b.w, b.h}},
                              {"best_overlap", fp.best_overlap}});
            }
            j["false_positives"] = list;
          }
          if (f->per_image) {
            nlohmann::json list = nlohmann::json::array();
            for (const auto& im : at.images)
              list.push_back({{"image", im.image},
                              {"faces", im.faces},
                              {"found", im.found},
                              {"false_positives", im.false_positives}});
            j["per_image"] = {{"fp_budget", at.fp_budget},
                              {"threshold", at.threshold},
                              {"detection_rate", at.detection_rate},
                              {"found", at.found},
                              {"false_positives", at.false_positives},
                              {"images", list}};
          }
          std::cout << j.dump(2) << "\n";
        } else {
          std::cout << result.images << " images, " << result.faces << " faces, " << result.detections
                    << " detections\n"
                    << "detection rate at FP <= " << result.fp_budget << ": " << result.detection_rate_at_fp << "\n"
                    << "ROC: " << prefix << "DiscROC.txt, plot: " << plot << "\n";
          if (f->false_positives > 0) {
            std::cout << "the first " << f->false_positives << " false positives (" << false_positives.size()
                      << " at their score), best first: score, box x y w h, largest overlap with a face, image\n";
            for (const auto& fp : false_positives) {
              const auto& b = fp.detection.box;
              std::cout << "  " << fp.detection.score << "  " << b.x << " " << b.y << " " << b.w << " " << b.h << "  "
                        << fp.best_overlap << "  " << fp.image << "\n";
            }
          }
          if (f->per_image) {
            std::cout << "per image at FP <= " << at.fp_budget << " (score >= " << at.threshold << ": " << at.found
                      << " of " << result.faces << " faces, " << at.false_positives
                      << " false positives): found/faces, false positives, image\n";
            for (const auto& im : at.images)
              std::cout << "  " << im.found << "/" << im.faces << "  " << im.false_positives << "  " << im.image
                        << "\n";
          }
        }
        return 0;
      };
    });

}  // namespace
