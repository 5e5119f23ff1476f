// ifq fit-box-style --model MODEL --set ANNOTATION[:MIN_FACE]... --out STYLE.json:
// fits the box style (box_style.hpp) that maps a detector's boxes to the
// faces of labelled photos, for ifq detect --box-style and ifq
// face-benchmark --box-style. Fit it on photos labelled in the target style
// that are not the test photos: FDDB's ellipse lists of folds you do not
// score, or a training split. For FDDB (docs/detection.md):
//   ifq fit-box-style --model M --set FDDB-folds/FDDB-fold-01-ellipseList.txt --images originalPics --out fddb.json
//   ifq detect --model M --box-style fddb.json --fddb-out fold-02.txt --fddb-ellipses IMAGES OF FOLD 2
//   (run from originalPics, so the names written are FDDB's)
#include <cstdio>
#include <iostream>
#include <memory>

#include "command_registry.hpp"
#include "ifq/detect/box_style.hpp"
#include "ifq/detect/detector_adapters.hpp"
#include "ifq/detect/face_benchmark.hpp"
#include "ifq/detect/image.hpp"
#include "ifq/error.hpp"
#include "ifq/progress.hpp"

namespace {

struct Flags {
  std::string model, out, input_size = "auto", images_dir;
  std::vector<std::string> sets;
  int max_images = 0;
  bool letterbox = false;
  ifq::detect::BoxStyleFitOptions fit;
};

IFQ_REGISTER_COMMAND(
    "fit-box-style",
    "fit the box style (centre shift and scale) that maps a detector's boxes to the faces of labelled photos",
    [](CLI::App& sub) -> std::function<int()> {
      auto f = std::make_shared<Flags>();
      sub.add_option("--model", f->model, "integer or float model file with a region head")->required();
      sub.add_option("--set", f->sets,
                     "ANNOTATION[:MIN_FACE]: WIDER bbx_gt, dlib imglab .xml or FDDB ellipse list (an ellipse counts "
                     "as its bounding box); faces flagged invalid or under MIN_FACE pixels are left out; repeatable")
          ->required();
      sub.add_option("--images", f->images_dir,
                     "folder the sets' image paths are relative to (default: each annotation file's folder; for "
                     "FDDB's folds, originalPics)");
      sub.add_option("--out", f->out, "the style file to write (JSON)")->required();
      sub.add_option("--input-size", f->input_size, "network input, as ifq detect --input-size")->capture_default_str();
      sub.add_flag("--letterbox", f->letterbox, "run the detector as ifq detect --letterbox does");
      sub.add_option("--max-images", f->max_images, "first N images of each set (0: all)");
      sub.add_option("--min-score", f->fit.min_score, "detections at or above this score take part")
          ->check(CLI::Range(0.0, 1.0))
          ->capture_default_str();
      sub.add_option("--min-iou", f->fit.min_iou, "a detection and a face are paired from this IoU on")
          ->check(CLI::Range(0.01, 1.0))
          ->capture_default_str();
      sub.add_option("--rounds", f->fit.rounds, "rounds of matching and fitting")
          ->check(CLI::Range(1, 100))
          ->capture_default_str();
      return [f]() {
        std::vector<ifq::detect::EvalSet> sets;
        for (const std::string& spec : f->sets) {
          sets.push_back(ifq::detect::load_eval_set_spec(spec, spec, f->max_images));
          if (!f->images_dir.empty()) sets.back().images_dir = f->images_dir;
        }
        ifq::detect::FaceFilter filter;
        filter.letterbox = f->letterbox;
        ifq::detect::FilteredDetector detector(
            ifq::detect::open_model_detector(f->model, ifq::detect::RegionDecodeOptions{f->fit.min_score, 0.45},
                                             ifq::detect::IntRuntime::Fast,
                                             ifq::detect::parse_network_size(f->input_size)),
            filter);
        std::vector<ifq::detect::BoxStyleFitImage> images;
        long long skipped = 0;
        for (const ifq::detect::EvalSet& set : sets) {
          const std::vector<std::string> paths = set.image_paths();
          ifq::ProgressBar bar("fit-box-style on " + set.name, int64_t(paths.size()), true, "images");
          for (size_t i = 0; i < paths.size(); ++i) {
            try {
              ifq::detect::BoxStyleFitImage im;
              im.detections = detector.detect(ifq::detect::load_image(paths[i]));
              for (const ifq::detect::FaceRegion& face : set.truth[i].faces)
                im.faces.push_back(ifq::detect::region_bounding_box(face));
              images.push_back(std::move(im));
            } catch (const ifq::Error& e) {
              std::cerr << "skipped: " << e.what() << "\n";
              ++skipped;
            }
            bar.update(int64_t(i + 1), int64_t(i + 1), -1);
          }
          bar.finish(int64_t(paths.size()), int64_t(paths.size()), -1);
        }
        if (images.empty()) throw ifq::Error("no image of the sets could be read");
        const ifq::detect::BoxStyleFit fit = ifq::detect::fit_box_style(images, f->fit);
        std::string set_list;
        for (const std::string& spec : f->sets) set_list += (set_list.empty() ? "" : " ") + spec;
        ifq::detect::save_box_style(f->out, fit,
                                    {{"model", f->model},
                                     {"sets", set_list},
                                     {"input_size", f->input_size},
                                     {"letterbox", f->letterbox ? "yes" : "no"},
                                     {"images", std::to_string(images.size())}});
        std::printf("box style of %s on %zu photo(s) (%lld unreadable): centre shift (%+.3f w, %+.3f h), scale "
                    "(%.3f w, %.3f h)\n",
                    f->model.c_str(), images.size(), skipped, fit.style.dx, fit.style.dy, fit.style.sw, fit.style.sh);
        std::printf("%lld detection-face pairs: median IoU %.3f -> %.3f, share with IoU > 0.5 %.3f -> %.3f\n", fit.pairs,
                    fit.median_iou_before, fit.median_iou_after, fit.share_over_half_before,
                    fit.share_over_half_after);
        std::printf("wrote %s\n", f->out.c_str());
        return 0;
      };
    });

}  // namespace
