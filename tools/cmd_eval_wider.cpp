// ifq eval-wider --gt wider_face_val_bbx_gt.txt --detections FILE|--detection-dir DIR
//                [--subset easy=FILE --subset medium=FILE --subset hard=FILE] [--json]
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "command_registry.hpp"
#include "ifq/detect/eval_inputs.hpp"
#include "ifq/detect/wider_eval.hpp"
#include "ifq/error.hpp"

namespace {

struct EvalWiderFlags {
  std::string gt, detections, detection_dir;
  std::vector<std::string> subsets;
  double iou = 0.5;
  bool json = false;
};

IFQ_REGISTER_COMMAND(
    "eval-wider", "WIDER FACE average precision (all faces, or easy/medium/hard when their lists are given)",
    [](CLI::App& sub) -> std::function<int()> {
      auto f = std::make_shared<EvalWiderFlags>();
      sub.add_option("--gt", f->gt, "wider_face_*_bbx_gt.txt (or any file in that format)")->required();
      auto* dets = sub.add_option_group("detections", "exactly one of");
      dets->add_option("--detections", f->detections, "detections in FDDB/WIDER block format");
      dets->add_option("--detection-dir", f->detection_dir, "WIDER result folder (one .txt per image)");
      dets->require_option(1);
      sub.add_option("--subset", f->subsets,
                     "NAME=FILE: kept face indices per image (text form of wider_NAME_val.mat's gt_list)");
      sub.add_option("--iou", f->iou, "overlap threshold")->capture_default_str()->check(CLI::Range(0.0, 1.0));
      sub.add_flag("--json", f->json, "print JSON");
      return [=]() {
        const auto wider = ifq::detect::load_wider_gt(f->gt);
        const auto truth = ifq::detect::truth_from_wider(wider);
        const auto dets = ifq::detect::match_detections(
            truth, f->detections.empty() ? ifq::detect::load_detection_dir(f->detection_dir)
                                         : ifq::detect::load_detections(f->detections));
        std::vector<std::pair<std::string, std::vector<std::vector<int>>>> settings;
        if (f->subsets.empty()) {
          std::vector<std::vector<int>> all(truth.size());
          for (size_t i = 0; i < truth.size(); ++i)
            for (size_t k = 0; k < truth[i].faces.size(); ++k) all[i].push_back(int(k));
          settings.emplace_back("all", std::move(all));
        }
        for (const std::string& s : f->subsets) {
          const size_t eq = s.find('=');
          if (eq == std::string::npos || eq == 0 || eq + 1 == s.size())
            throw ifq::Error("--subset needs NAME=FILE, got \"" + s + "\"");
          const auto subset = ifq::detect::load_wider_subset(s.substr(eq + 1));
          // Each subset image is found by the same name matching as detections.
          std::vector<std::vector<int>> keep(truth.size());
          for (size_t k = 0; k < subset.paths.size(); ++k) {
            const std::vector<ifq::detect::ImageDetections> probe = {{subset.paths[k], {ifq::detect::Detection{}}}};
            const auto m = ifq::detect::match_detections(truth, probe);
            for (size_t i = 0; i < m.size(); ++i)
              if (!m[i].empty()) keep[i] = subset.keep[k];
          }
          settings.emplace_back(s.substr(0, eq), std::move(keep));
        }
        nlohmann::json j{{"gt", f->gt}, {"images", truth.size()}};
        for (auto& [name, keep] : settings) {
          std::vector<ifq::detect::WiderEvalImage> images(truth.size());
          for (size_t i = 0; i < truth.size(); ++i) {
            for (const auto& face : wider[i].faces) images[i].truth.push_back(face.box);
            images[i].keep = keep[i];
            images[i].detections = dets[i];
          }
          const auto r = ifq::detect::evaluate_wider(images, f->iou);
          j["ap"][name] = r.ap;
          j["faces"][name] = r.faces;
          if (!f->json) std::cout << name << ": AP " << r.ap << " (" << r.faces << " faces)\n";
        }
        if (f->json) std::cout << j.dump(2) << "\n";
        return 0;
      };
    });

}  // namespace
