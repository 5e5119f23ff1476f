// ifq face-benchmark: the paper's Table 5 / Fig. 5 on the data we have. Every
// detector (YOLO model files and OpenCV's Haar cascade) runs on every labelled
// set; each is scored with the FDDB protocol (detection rate at FP =
// floor(0.1 x images), discrete ROC) and WIDER-style AP; one table, one ROC
// plot per set, one JSON report. --level-check proves the integer detector's
// levels equal its float quantization network's on the same images.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <tuple>
#include <utility>
#include <nlohmann/json.hpp>

#include "command_registry.hpp"
#include "ifq/atomic_file.hpp"
#include "ifq/detect/detector_adapters.hpp"
#include "ifq/detect/face_benchmark.hpp"
#include "ifq/detect/fddb_bootstrap.hpp"
#include "ifq/detect/haar_cascade.hpp"
#include "ifq/detect/roc_plot.hpp"
#include "ifq/detect/teacher_detector.hpp"
#include "ifq/error.hpp"
#include "ifq/memory.hpp"
#include "ifq/model_io.hpp"
#include "ifq/progress.hpp"
#include "ifq/verify.hpp"

namespace {

namespace fs = std::filesystem;

struct Flags {
  std::vector<std::string> sets, detectors, level_checks, cascades, teachers, input_sizes, box_styles;
  std::string detector_input_size = "model";
  std::vector<std::string> views;
  std::string pyramid_input_size = "auto:2400";
  bool haar = false, json = false;
  std::string cascade = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml";
  std::string out_dir = "results/face-benchmark", runtime = "fast";
  int max_images = 0, draw = 8, level_images = 0, tiles = 0, bootstrap = 1000;
  double threshold = 0.005, nms = 0.45;
};

// [low, high] as JSON, or null when there is no interval to give.
nlohmann::json interval_json(const std::optional<ifq::detect::Interval>& i) {
  return i ? nlohmann::json::array({i->low, i->high}) : nlohmann::json();
}

// " [0.61, 0.74]" for the table, "" when the report has no interval.
std::string interval_text(const nlohmann::json& i, const char* format = " [%.2f, %.2f]") {
  if (!i.is_array()) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, format, i[0].get<double>(), i[1].get<double>());
  return buf;
}

// "NAME=VALUE" -> {NAME, VALUE}.
std::pair<std::string, std::string> split_pair(const std::string& spec, const char* flag) {
  const auto eq = spec.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
    throw ifq::Error(std::string(flag) + " '" + spec + "': expected NAME=PATH");
  return {spec.substr(0, eq), spec.substr(eq + 1)};
}

// One --scales row: "SCALES[+flip][/MERGE][@SIZE]" (ifq detect --scales
// SCALES [--flip] [--merge MERGE] --input-size SIZE).
struct ViewSpec {
  ifq::detect::FaceFilter filter;
  ifq::detect::NetworkSize size;
  std::string label;
};

ViewSpec parse_view_spec(const std::string& text, const std::string& default_size) {
  ViewSpec v;
  std::string rest = text, size_text = default_size, merge_text = "nms";
  if (const auto at = rest.find('@'); at != std::string::npos) size_text = rest.substr(at + 1), rest.resize(at);
  if (const auto slash = rest.find('/'); slash != std::string::npos) merge_text = rest.substr(slash + 1), rest.resize(slash);
  const std::string flip_suffix = "+flip";
  v.filter.flip = rest.size() > flip_suffix.size() && rest.compare(rest.size() - flip_suffix.size(), flip_suffix.size(), flip_suffix) == 0;
  if (v.filter.flip) rest.resize(rest.size() - flip_suffix.size());
  try {
    v.filter.scales = ifq::detect::parse_scales(rest);
    v.filter.merge = ifq::detect::parse_merge_rule(merge_text);
    v.size = ifq::detect::parse_network_size(size_text);
  } catch (const ifq::Error& e) {
    throw ifq::Error("--scales '" + text + "' (SCALES[+flip][/MERGE][@SIZE]): " + e.what());
  }
  v.label = "pyramid " + rest + (v.filter.flip ? " + flip" : "") +
            (v.filter.merge == ifq::detect::MergeRule::Nms ? "" : ", " + merge_text) + " at " + v.size.str();
  return v;
}

// Model size and feature-map peak as the paper counts them: integer models
// through ifq::account_memory; float models at 32 bits per parameter and per
// feature-map value (the largest layer output). With a per-photo input size
// the peak is the bound for a square photo at the largest input.
nlohmann::json model_sizes(const std::string& path, ifq::detect::NetworkSize size) {
  const bool per_photo = size.mode == ifq::detect::NetworkSize::Mode::Photo;
  if (per_photo) size.width = size.height = size.max_side;
  const std::string input_name = per_photo ? "per photo, longer side <= " + std::to_string(size.max_side) : "";
  if (ifq::model_file_kind(path) == "int") {
    ifq::IntModel model = ifq::load_int_model(path);
    if (!size.keeps_model_size()) model = ifq::with_input_size(std::move(model), size.height, size.width);
    const ifq::Shape3 input = std::get<ifq::IntInputOp>(model.ops[0]).shape;
    const ifq::MemoryReport m = ifq::account_memory(model);
    return {{"kind", "int"},
            {"input_size", per_photo ? input_name : std::to_string(input.w) + "x" + std::to_string(input.h)},
            {"weight_bytes", m.weight_size_bytes},
            {"model_bytes", m.model_size_bytes},
            {"feature_map_peak_bytes", (m.feature_map_peak_bits + 7) / 8}};
  }
  ifq::FloatModel fm = ifq::load_float_model(path);
  if (!size.keeps_model_size()) fm = ifq::with_input_size(std::move(fm), size.height, size.width);
  const ifq::Shape3 input = std::get<ifq::InputLayer>(fm.layers[0]).shape;
  return {{"kind", "float"},
          {"input_size", per_photo ? input_name : std::to_string(input.w) + "x" + std::to_string(input.h)},
          {"model_bytes", ifq::count_parameters(fm) * 4},
          {"feature_map_peak_bytes", ifq::largest_layer_elements(fm) * 4}};
}

// A label as a file name: letters, digits, '-' and '.', runs of anything else as one '-'.
std::string file_stem(const std::string& label) {
  std::string out;
  for (char c : label) {
    const bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
    if (keep) out += c;
    else if (!out.empty() && out.back() != '-') out += '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "detector" : out;
}

// The first `limit` readable images of a set (0: all) as the network sees
// them, grouped by input size: the model's own `input`, or with a per-photo
// input size (ifq detect's default) each photo's own (photo_input_size).
std::map<std::pair<int, int>, std::vector<std::vector<uint8_t>>> network_inputs(const ifq::detect::EvalSet& set,
                                                                               const ifq::FloatModel& model,
                                                                               ifq::detect::NetworkSize size, int limit) {
  const ifq::Shape3 input = std::get<ifq::InputLayer>(model.layers[0]).shape;
  const int stride = input.w / ifq::infer_shapes(model).back().w;
  std::map<std::pair<int, int>, std::vector<std::vector<uint8_t>>> images;
  int count = 0;
  for (const std::string& path : set.image_paths()) {
    if (limit > 0 && count >= limit) break;
    try {
      const ifq::detect::Image image = ifq::detect::load_image(path);
      ifq::Shape3 in = input;
      if (size.mode == ifq::detect::NetworkSize::Mode::Photo)
        std::tie(in.w, in.h) =
            ifq::detect::photo_input_size(image.width, image.height, std::max(in.w, in.h), size.max_side, stride);
      else if (size.mode == ifq::detect::NetworkSize::Mode::Fixed)
        in.w = size.width, in.h = size.height;
      images[{in.w, in.h}].push_back(ifq::detect::network_input(image, in));
      ++count;
    } catch (const ifq::Error& e) {
      std::cerr << "skipped: " << e.what() << "\n";
    }
  }
  return images;
}

// Sums the reports of one model pair over several input sizes.
void add_report(ifq::VerifyReport& total, const ifq::VerifyReport& part) {
  if (total.substructures.empty()) total.substructures = part.substructures;
  else
    for (size_t k = 0; k < part.substructures.size(); ++k) {
      total.substructures[k].levels_compared += part.substructures[k].levels_compared;
      total.substructures[k].levels_mismatched += part.substructures[k].levels_mismatched;
    }
  total.inputs += part.inputs;
  total.end_to_end_compared += part.end_to_end_compared;
  total.end_to_end_mismatched += part.end_to_end_mismatched;
}

IFQ_REGISTER_COMMAND(
    "face-benchmark",
    "score face detectors (YOLO models, Haar) on labelled sets: FDDB detection rate, ROC, WIDER AP, one table",
    [](CLI::App& sub) -> std::function<int()> {
      auto f = std::make_shared<Flags>();
      sub.add_option("--set", f->sets,
                     "NAME=ANNOTATION[:MIN_FACE]: WIDER bbx_gt (ifq facegen), dlib imglab .xml or FDDB ellipse list; "
                     "bbx_gt faces flagged invalid or under MIN_FACE pixels are ignore regions")
          ->required();
      sub.add_option("--detector", f->detectors, "LABEL=MODEL: an integer or float model file with a region head");
      sub.add_flag("--haar", f->haar, "add OpenCV's Haar frontal-face cascade (the classical embedded peer)");
      sub.add_option("--cascade", f->cascade, "Haar cascade XML of --haar")->capture_default_str();
      sub.add_option("--haar-cascade", f->cascades,
                     "LABEL=XML: another Haar cascade (e.g. haarcascade_frontalface_alt2.xml), repeatable");
      sub.add_option("--teacher", f->teachers,
                     "LABEL=ONNX: a float CNN face detector run by OpenCV DNN (YuNet or UltraFace), the upper reference");
      sub.add_option("--level-check", f->level_checks,
                     "FLOAT=INT: compare the integer model's levels with its float quantization network's on the "
                     "sets' images (must be 0 mismatches)");
      sub.add_option("--level-images", f->level_images, "images per set for --level-check (0: all)");
      sub.add_option("--out-dir", f->out_dir, "ROC files, plots, drawn images, report.json")->capture_default_str();
      sub.add_option("--max-images", f->max_images, "first N images of each set (0: all)");
      sub.add_option("--draw", f->draw, "annotated copies of the first N images per set and detector")->capture_default_str();
      sub.add_option("--threshold", f->threshold, "YOLO score threshold for the ROC sweep")->capture_default_str();
      sub.add_option("--nms", f->nms, "YOLO non-maximum suppression IoU")->capture_default_str();
      sub.add_option("--runtime", f->runtime, "integer models: fast or reference")
          ->check(CLI::IsMember({"fast", "reference"}))
          ->capture_default_str();
      sub.add_option("--tiles", f->tiles,
                     "also score every integer --detector with N x N overlapping tiles besides the whole photo "
                     "(ifq detect --tiles)")
          ->check(CLI::Range(0, 8));
      sub.add_option("--scales", f->views,
                     "SCALES[+flip][/MERGE][@SIZE]: also score every integer --detector with this image pyramid "
                     "(ifq detect --scales SCALES [--flip] [--merge MERGE] [--input-size SIZE], e.g. 1,1.5,0.5 or "
                     "1+flip/vote@auto), repeatable; SIZE defaults to --pyramid-input-size");
      sub.add_option("--pyramid-input-size", f->pyramid_input_size, "network input of the --scales rows")
          ->capture_default_str();
      sub.add_option("--detector-input-size", f->detector_input_size,
                     "network input of every --detector's main row (ifq detect --input-size: model, auto, auto:MAX, "
                     "N or WxH)")
          ->capture_default_str();
      sub.add_option("--input-size", f->input_sizes,
                     "also score every integer --detector run at N x N or WxH pixels (ifq detect --input-size), "
                     "repeatable");
      sub.add_option("--box-style", f->box_styles,
                     "LABEL=STYLE: also score the --detector of that label with its boxes mapped to a style fitted by "
                     "ifq fit-box-style (ifq detect --box-style), repeatable");
      sub.add_option("--bootstrap", f->bootstrap,
                     "resamples of the images for 95 % intervals of the detection rate at the FP budget, and of each "
                     "detector's difference from the first on the same images (0: none)")
          ->check(CLI::Range(0, 100000))
          ->capture_default_str();
      sub.add_flag("--json", f->json, "print the JSON report instead of the table");
      return [f]() {
        if (f->detectors.empty() && !f->haar && f->cascades.empty() && f->teachers.empty())
          throw ifq::Error("give at least one --detector, --haar, --haar-cascade or --teacher");
        std::vector<ifq::detect::EvalSet> sets;
        for (const std::string& spec : f->sets) {
          const auto [name, file] = split_pair(spec, "--set");
          sets.push_back(ifq::detect::load_eval_set_spec(name, file, f->max_images));
        }
        enum class Kind { Model, Haar, Teacher };
        struct Entry {
          std::string label, path;
          Kind kind;
          int tiles = 0;
          ifq::detect::NetworkSize size{};
          std::optional<ifq::detect::FaceFilter> views{};
        };
        std::vector<Entry> entries;
        const ifq::detect::NetworkSize main_size = ifq::detect::parse_network_size(f->detector_input_size);
        for (const std::string& spec : f->detectors) {
          const auto [label, path] = split_pair(spec, "--detector");
          entries.push_back({label, path, Kind::Model, 0, main_size});
        }
        if (f->tiles > 1)
          for (const std::string& spec : f->detectors) {
            const auto [label, path] = split_pair(spec, "--detector");
            if (ifq::model_file_kind(path) == "int")
              entries.push_back({label + " + " + std::to_string(f->tiles) + "x" + std::to_string(f->tiles) + " tiles",
                                 path, Kind::Model, f->tiles});
          }
        for (const std::string& text : f->views) {
          const ViewSpec view = parse_view_spec(text, f->pyramid_input_size);
          for (const std::string& spec : f->detectors) {
            const auto [label, path] = split_pair(spec, "--detector");
            if (ifq::model_file_kind(path) == "int")
              entries.push_back({label + ", " + view.label, path, Kind::Model, 0, view.size, view.filter});
          }
        }
        for (const std::string& text : f->input_sizes) {
          const ifq::detect::NetworkSize size = ifq::detect::parse_network_size(text);
          for (const std::string& spec : f->detectors) {
            const auto [label, path] = split_pair(spec, "--detector");
            if (ifq::model_file_kind(path) == "int")
              entries.push_back({label + " at " + size.str(), path, Kind::Model, 0, size});
          }
        }
        for (const std::string& text : f->box_styles) {
          const auto [label, file] = split_pair(text, "--box-style");
          ifq::detect::FaceFilter filter;
          filter.box_style = ifq::detect::load_box_style(file);
          bool found = false;
          for (const std::string& spec : f->detectors) {
            const auto [detector_label, path] = split_pair(spec, "--detector");
            if (detector_label != label) continue;
            entries.push_back({label + ", box style " + fs::path(file).stem().string(), path, Kind::Model, 0,
                               main_size, filter});
            found = true;
          }
          if (!found) throw ifq::Error("--box-style '" + text + "': no --detector is labelled '" + label + "'");
        }
        if ((f->haar || !f->cascades.empty()) && !ifq::detect::haar_cascade_available())
          throw ifq::Error("--haar, --haar-cascade: this build has no OpenCV");
        if (f->haar) entries.push_back({"Haar cascade (OpenCV)", f->cascade, Kind::Haar});
        for (const std::string& spec : f->cascades) {
          const auto [label, path] = split_pair(spec, "--haar-cascade");
          entries.push_back({label, path, Kind::Haar});
        }
        if (!f->teachers.empty() && !ifq::detect::teacher_detector_available())
          throw ifq::Error("--teacher: this build has no OpenCV DNN");
        for (const std::string& spec : f->teachers) {
          const auto [label, path] = split_pair(spec, "--teacher");
          entries.push_back({label, path, Kind::Teacher});
        }
        fs::create_directories(f->out_dir);
        for (const auto& set : sets) fs::create_directories(fs::path(f->out_dir) / set.name);

        nlohmann::json report{{"sets", nlohmann::json::array()}, {"detectors", nlohmann::json::array()},
                              {"results", nlohmann::json::array()}, {"level_checks", nlohmann::json::array()}};
        for (const auto& set : sets) {
          long long faces = 0;
          for (const auto& t : set.truth) faces += (long long)t.faces.size();
          report["sets"].push_back({{"name", set.name}, {"images", set.truth.size()}, {"faces", faces}});
        }
        const ifq::detect::RegionDecodeOptions decode{f->threshold, f->nms};
        const auto runtime = f->runtime == "fast" ? ifq::detect::IntRuntime::Fast : ifq::detect::IntRuntime::Reference;
        std::vector<std::vector<ifq::detect::RocCurve>> curves(sets.size());
        std::vector<ifq::detect::DetectorScore> scores;
        for (const Entry& e : entries) {
          nlohmann::json d{{"label", e.label}, {"model", e.path}};
          std::unique_ptr<ifq::detect::Detector> det;
          if (e.kind == Kind::Haar) {
            det = std::make_unique<ifq::detect::HaarDetector>(e.path, ifq::detect::HaarOptions{});
          } else if (e.kind == Kind::Teacher) {
            // A low score floor so the ROC sweeps the teacher's whole range.
            ifq::detect::TeacherOptions to;
            to.min_score = f->threshold;
            to.nms = f->nms;
            det = std::make_unique<ifq::detect::TeacherDetector>(e.path, to);
          } else {
            det = ifq::detect::open_model_detector(e.path, decode, runtime, e.size);
            if (e.tiles > 1 || e.views) {
              ifq::detect::FaceFilter filter = e.views.value_or(ifq::detect::FaceFilter{});
              filter.tiles = e.tiles;
              filter.nms_iou = f->nms > 0 ? f->nms : 1.0;
              det = std::make_unique<ifq::detect::FilteredDetector>(std::move(det), filter);
            }
            d.update(model_sizes(e.path, e.size));
          }
          report["detectors"].push_back(d);
          for (size_t s = 0; s < sets.size(); ++s) {
            ifq::ProgressBar bar(e.label + " on " + sets[s].name, int64_t(sets[s].truth.size()), true);
            ifq::detect::ScoreOptions so;
            so.draw_dir = (fs::path(f->out_dir) / sets[s].name / file_stem(e.label)).string();
            so.draw_count = f->draw;
            so.on_image = [&](int done, int) { bar.update(done, done, -1); };
            ifq::detect::DetectorScore sc = ifq::detect::score_detector(*det, e.label, sets[s], so);
            bar.finish(sc.images + sc.skipped, sc.images + sc.skipped, -1);
            const std::string prefix = (fs::path(f->out_dir) / sets[s].name / (file_stem(e.label) + "-")).string();
            ifq::detect::save_roc_files(sc.fddb, prefix);
            curves[s].push_back({e.label, sc.fddb.disc});
            // The first detector's score on this set is scores[s]: entries
            // are scored in order, each on every set.
            std::optional<ifq::detect::Interval> ci, minus_first;
            if (f->bootstrap > 0 && !sc.fddb.image_curves.empty()) {
              const double budget = double(sc.fp_budget);
              const auto& mine = sc.fddb.image_curves;
              ci = ifq::detect::bootstrap_detection_rate(mine, budget, f->bootstrap);
              if (scores.size() >= sets.size()) {  // not the first detector
                const auto& first = scores[s].fddb.image_curves;
                if (ifq::detect::same_images(mine, first))
                  minus_first = ifq::detect::bootstrap_detection_rate_difference(mine, first, budget, f->bootstrap);
              }
            }
            report["results"].push_back({{"set", sets[s].name},
                                         {"detector", e.label},
                                         {"images", sc.images},
                                         {"skipped_images", sc.skipped},
                                         {"faces", sc.faces},
                                         {"detections", sc.detections},
                                         {"fp_budget", sc.fp_budget},
                                         {"detection_rate_at_fp", sc.detection_rate},
                                         {"detection_rate_at_fp_ci95", interval_json(ci)},
                                         {"detection_rate_at_fp_minus_first_ci95", interval_json(minus_first)},
                                         {"detection_rate_at_fp_equal_images", sc.detection_rate_at_one_fp_per_image},
                                         {"detection_rate_at_fp_2", ifq::detect::detection_rate_at(sc.fddb.disc, 2.0)},
                                         {"wider_ap", sc.wider_ap >= 0 ? nlohmann::json(sc.wider_ap) : nlohmann::json()},
                                         {"ms_per_image", sc.ms_per_image},
                                         {"roc", prefix + "DiscROC.txt"}});
            scores.push_back(std::move(sc));
          }
        }
        for (size_t s = 0; s < sets.size(); ++s) {
          ifq::detect::RocPlotOptions po;
          po.fp_budget = double(scores.empty() ? 0 : scores[s].fp_budget);
          po.fp_max = double(std::max<size_t>(sets[s].truth.size(), 1));
          po.title = "Discrete ROC, " + sets[s].name + " (" + std::to_string(sets[s].truth.size()) + " images)";
          const std::string png = (fs::path(f->out_dir) / (sets[s].name + "-roc.png")).string();
          ifq::detect::save_roc_plot(curves[s], png, po);
          report["sets"][s]["roc_plot"] = png;
        }
        for (const std::string& spec : f->level_checks) {
          const auto [float_path, int_path] = split_pair(spec, "--level-check");
          const ifq::FloatModel fm = ifq::load_float_model(float_path);
          const ifq::IntModel im = ifq::load_int_model(int_path);
          for (const auto& set : sets) {
            const auto groups = network_inputs(set, fm, main_size, f->level_images);
            ifq::VerifyReport v;
            for (const auto& [wh, images] : groups) {
              std::fprintf(stderr, "level check %s vs %s on %zu %s images at %dx%d...\n", int_path.c_str(),
                           float_path.c_str(), images.size(), set.name.c_str(), wh.first, wh.second);
              const bool moved = main_size.mode != ifq::detect::NetworkSize::Mode::Model;
              add_report(v, ifq::verify_conversion(moved ? ifq::with_input_size(fm, wh.second, wh.first) : fm,
                                                   moved ? ifq::with_input_size(im, wh.second, wh.first) : im, images));
            }
            report["level_checks"].push_back({{"float_model", float_path},
                                              {"int_model", int_path},
                                              {"set", set.name},
                                              {"input_size", main_size.str()},
                                              {"images", v.inputs},
                                              {"levels_compared", v.end_to_end_compared},
                                              {"levels_mismatched", v.end_to_end_mismatched},
                                              {"quantized_substructure_levels_compared", v.quantized_compared()},
                                              {"quantized_substructure_levels_mismatched", v.quantized_mismatched()}});
          }
        }
        const std::string json_path = (fs::path(f->out_dir) / "report.json").string();
        ifq::write_file_atomic(json_path, report.dump(2) + "\n");
        if (f->json) {
          std::cout << report.dump(2) << "\n";
          return 0;
        }
        for (const auto& set : report["sets"]) {
          std::printf("\n%s: %d images, %lld faces, FP budget floor(0.1 x images)\n", set["name"].get<std::string>().c_str(),
                      set["images"].get<int>(), set["faces"].get<long long>());
          std::printf("| detector | detection rate at FP budget [95 %% CI] | minus the first [95 %% CI] | at FP = 2 | "
                      "at FP = images | WIDER AP | ms/image |\n|---|---|---|---|---|---|---|\n");
          for (const auto& r : report["results"])
            if (r["set"] == set["name"])
              std::printf("| %s | %.3f%s (FP <= %lld) | %s | %.3f | %.3f | %s | %.1f |\n",
                          r["detector"].get<std::string>().c_str(), r["detection_rate_at_fp"].get<double>(),
                          interval_text(r["detection_rate_at_fp_ci95"]).c_str(), r["fp_budget"].get<long long>(),
                          r["detection_rate_at_fp_minus_first_ci95"].is_array()
                              ? interval_text(r["detection_rate_at_fp_minus_first_ci95"], "[%+.2f, %+.2f]").c_str()
                              : "-",
                          r["detection_rate_at_fp_2"].get<double>(),
                          r["detection_rate_at_fp_equal_images"].get<double>(),
                          r["wider_ap"].is_null() ? "n/a (ellipses)" : std::to_string(r["wider_ap"].get<double>()).substr(0, 5).c_str(),
                          r["ms_per_image"].get<double>());
          std::printf("ROC plot: %s\n", set["roc_plot"].get<std::string>().c_str());
        }
        std::printf("\n| model | kind | weight bytes (paper) | bytes (all) | feature-map peak bytes |\n|---|---|---|---|---|\n");
        for (const auto& d : report["detectors"])
          if (d.contains("model_bytes"))
            std::printf("| %s | %s | %s | %lld | %lld |\n", d["label"].get<std::string>().c_str(),
                        d["kind"].get<std::string>().c_str(),
                        d.contains("weight_bytes") ? std::to_string(d["weight_bytes"].get<long long>()).c_str() : "-",
                        d["model_bytes"].get<long long>(), d["feature_map_peak_bytes"].get<long long>());
        for (const auto& c : report["level_checks"])
          std::printf("levels %s vs %s on %s: %lld of %lld differ end to end; quantized substructures %lld of %lld\n",
                      c["int_model"].get<std::string>().c_str(), c["float_model"].get<std::string>().c_str(),
                      c["set"].get<std::string>().c_str(), c["levels_mismatched"].get<long long>(),
                      c["levels_compared"].get<long long>(), c["quantized_substructure_levels_mismatched"].get<long long>(),
                      c["quantized_substructure_levels_compared"].get<long long>());
        std::printf("report: %s\n", json_path.c_str());
        return 0;
      };
    });

}  // namespace
