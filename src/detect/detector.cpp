#include "ifq/detect/detector.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <ostream>
#include <set>
#include <stdexcept>
#include <string>
#include <variant>

#include "ifq/error.hpp"
#include "ifq/model_io.hpp"
#include "ifq/reference_eval.hpp"
#include "ifq/runtime.hpp"
#ifdef IFQ_DETECT_FAST_RUNTIME
#include "ifq/fast_runtime.hpp"
#endif

namespace ifq::detect {

std::vector<uint8_t> network_input(const Image& image, const Shape3& input) {
  if (input.c != 1 && input.c != 3) throw Error("model input has " + std::to_string(input.c) + " channels; a detector needs 1 or 3");
  return to_chw(resize_area_bilinear(image, input.w, input.h), input.c);
}

struct IntModelDetector::Impl {
  // What decoding needs; the runtime owns the model itself (its weights are
  // megabytes: one copy, not two, per input size).
  std::string name;
  IntOutputInfo output;
  RegionInfo region;
  RegionDecodeOptions options;
  Shape3 input;
  std::unique_ptr<ReferenceRuntime> runtime;
#ifdef IFQ_DETECT_FAST_RUNTIME
  // Same outputs as the reference runtime (tests/kernels prove it), ~100x faster.
  std::unique_ptr<FastRuntime> fast;
#endif
};

IntModelDetector::IntModelDetector(IntModel model, RegionDecodeOptions options, IntRuntime runtime)
    : impl_(std::make_unique<Impl>()) {
  impl_->name = model.name;
  impl_->output = model.output;
  impl_->region = model.region;
  impl_->options = options;
  if (!model.region.present) throw Error("model " + model.name + " has no region (detection) head");
  if (model.ops.empty() || !std::holds_alternative<IntInputOp>(model.ops[0]))
    throw Error("model " + model.name + " does not start with an input op");
  impl_->input = std::get<IntInputOp>(model.ops[0]).shape;
#ifdef IFQ_DETECT_FAST_RUNTIME
  if (runtime == IntRuntime::Fast) {
    impl_->fast = std::make_unique<FastRuntime>(std::move(model));
    return;
  }
#endif
  impl_->runtime = std::make_unique<ReferenceRuntime>(std::move(model));
}

bool fast_int_runtime_available() {
#ifdef IFQ_DETECT_FAST_RUNTIME
  return true;
#else
  return false;
#endif
}

IntModelDetector::~IntModelDetector() = default;

std::vector<Detection> IntModelDetector::detect(const Image& image) {
  const std::vector<uint8_t> chw = network_input(image, impl_->input);
#ifdef IFQ_DETECT_FAST_RUNTIME
  if (impl_->fast)
    return decode_region(impl_->fast->run(chw), impl_->output, impl_->region, image.width, image.height,
                         impl_->options);
#endif
  const IntTensor out = impl_->runtime->run(chw);
  return decode_region(out, impl_->output, impl_->region, image.width, image.height, impl_->options);
}

FloatModelDetector::FloatModelDetector(FloatModel model, RegionDecodeOptions options)
    : model_(std::move(model)), options_(options) {
  if (model_.layers.empty() || !std::holds_alternative<InputLayer>(model_.layers[0]))
    throw Error("model " + model_.name + " does not start with an input layer");
  input_ = std::get<InputLayer>(model_.layers[0]).shape;
  const auto* region = std::get_if<RegionLayer>(&model_.layers.back());
  if (!region) throw Error("model " + model_.name + " has no region (detection) head as its last layer");
  region_ = region_info(*region);
  infer_shapes(model_);  // validates once, up front
}

std::vector<Detection> FloatModelDetector::detect(const Image& image) {
  const FloatTrace trace = evaluate_float(model_, network_input(image, input_));
  return decode_region_real(trace.output, trace.output_shape.c, trace.output_shape.h, trace.output_shape.w, region_,
                            image.width, image.height, options_);
}

HaarDetector::HaarDetector(const std::string& cascade_xml, HaarOptions options)
    : cascade_(cascade_xml), options_(options) {}

std::vector<Detection> HaarDetector::detect(const Image& image) {
  return nms(cascade_.detect(image, options_), 1.0);  // sorted, nothing removed
}

std::string NetworkSize::str() const {
  switch (mode) {
    case Mode::Model: return "model";
    case Mode::Photo: return "auto:" + std::to_string(max_side);
    case Mode::Fixed: break;
  }
  return std::to_string(width) + "x" + std::to_string(height);
}

NetworkSize parse_network_size(const std::string& text) {
  auto number = [&](const std::string& part) {
    size_t used = 0;
    int value = 0;
    try {
      value = std::stoi(part, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (part.empty() || used != part.size() || value < 32 || value > 4096)
      throw Error("network input size '" + text +
                  "': expected model, auto, auto:MAX, N or WxH with sides from 32 to 4096");
    return value;
  };
  NetworkSize size;
  if (text == "model") return size;
  if (text == "auto" || text.rfind("auto:", 0) == 0) {
    size.mode = NetworkSize::Mode::Photo;
    if (text.size() > 4) size.max_side = number(text.substr(5));
    return size;
  }
  size.mode = NetworkSize::Mode::Fixed;
  const auto x = text.find_first_of("xX");
  if (x == std::string::npos) {
    size.width = size.height = number(text);
  } else {
    size.width = number(text.substr(0, x));
    size.height = number(text.substr(x + 1));
  }
  return size;
}

std::pair<int, int> photo_input_size(int width, int height, int model_side, int max_side, int stride) {
  if (width < 1 || height < 1 || model_side < 1 || max_side < 1 || stride < 1)
    throw Error("photo_input_size: sizes must be positive");
  const double longer = std::max(width, height);
  const double scale = std::min(std::max(1.0, model_side / longer), max_side / longer);
  auto side = [&](int pixels) {
    const int cells = std::max(1, int(std::lround(pixels * scale / stride)));
    // Rounding must not push the longer side over the limit.
    return std::min(cells, std::max(1, max_side / stride)) * stride;
  };
  return {side(width), side(height)};
}

namespace {

// Mode::Photo: the model moved to each photo's input size (with_input_size),
// kept for the sizes seen recently (photos of one camera share one size).
class PhotoSizedModelDetector : public Detector {
 public:
  using Model = std::variant<IntModel, FloatModel>;
  PhotoSizedModelDetector(Model model, RegionDecodeOptions options, IntRuntime runtime, int max_side)
      : model_(std::move(model)), options_(options), runtime_(runtime), max_side_(max_side) {
    if (const auto* im = std::get_if<IntModel>(&model_)) {
      // The detectors check the rest (input op, region head); this finds the stride.
      if (im->ops.empty() || !std::holds_alternative<IntInputOp>(im->ops[0]))
        throw Error("model " + im->name + " does not start with an input op");
      input_ = std::get<IntInputOp>(im->ops[0]).shape;
      output_ = infer_int_shapes(*im).back();
    } else {
      const FloatModel& fm = std::get<FloatModel>(model_);
      if (fm.layers.empty() || !std::holds_alternative<InputLayer>(fm.layers[0]))
        throw Error("model " + fm.name + " does not start with an input layer");
      input_ = std::get<InputLayer>(fm.layers[0]).shape;
      output_ = infer_shapes(fm).back();
    }
    if (output_.w < 1 || input_.w % output_.w != 0 || input_.h % output_.h != 0 ||
        input_.w / output_.w != input_.h / output_.h)
      throw Error("automatic input size: the model's output grid " + output_.str() +
                  " is not its input " + input_.str() + " divided by one stride");
    // Built now at the model's own size, so a model that is no detector fails
    // before any photo is read.
    sized_.emplace(std::make_pair(input_.w, input_.h), at_size(input_.w, input_.h));
  }

  std::vector<Detection> detect(const Image& image) override {
    const auto [w, h] =
        photo_input_size(image.width, image.height, std::max(input_.w, input_.h), max_side_, input_.w / output_.w);
    auto found = sized_.find({w, h});
    if (found == sized_.end()) {
      if (sized_.size() >= 8) sized_.clear();  // bounded: a folder of many sizes rebuilds now and then
      found = sized_.emplace(std::make_pair(w, h), at_size(w, h)).first;
    }
    return found->second->detect(image);
  }

 private:
  std::unique_ptr<Detector> at_size(int w, int h) const {
    if (const auto* im = std::get_if<IntModel>(&model_))
      return std::make_unique<IntModelDetector>(with_input_size(*im, h, w), options_, runtime_);
    return std::make_unique<FloatModelDetector>(with_input_size(std::get<FloatModel>(model_), h, w), options_);
  }

  Model model_;
  RegionDecodeOptions options_;
  IntRuntime runtime_;
  int max_side_;
  Shape3 input_, output_;
  std::map<std::pair<int, int>, std::unique_ptr<Detector>> sized_;
};

}  // namespace

std::unique_ptr<Detector> open_model_detector(const std::string& path, RegionDecodeOptions options,
                                              IntRuntime runtime, NetworkSize size) {
  const std::string kind = model_file_kind(path);
  if (size.mode == NetworkSize::Mode::Photo) {
    if (kind == "int")
      return std::make_unique<PhotoSizedModelDetector>(load_int_model(path), options, runtime, size.max_side);
    return std::make_unique<PhotoSizedModelDetector>(load_float_model(path), options, runtime, size.max_side);
  }
  if (kind == "int") {
    IntModel model = load_int_model(path);
    if (!size.keeps_model_size()) model = with_input_size(std::move(model), size.height, size.width);
    return std::make_unique<IntModelDetector>(std::move(model), options, runtime);
  }
  FloatModel model = load_float_model(path);
  if (!size.keeps_model_size()) model = with_input_size(std::move(model), size.height, size.width);
  return std::make_unique<FloatModelDetector>(std::move(model), options);
}

std::string fddb_image_name(const std::string& path) {
  namespace fs = std::filesystem;
  fs::path p(path);
  if (p.is_absolute()) {
    std::error_code ec;
    const fs::path rel = p.lexically_relative(fs::current_path(ec));
    if (!ec && !rel.empty() && *rel.begin() != "..") p = rel;
  }
  p.replace_extension();
  std::string name = p.generic_string();
  while (name.rfind("./", 0) == 0) name = name.substr(2);
  return name;
}

BatchResult run_batch(Detector& detector, const std::vector<std::string>& images, const BatchOptions& options,
                      std::ostream* log) {
  namespace fs = std::filesystem;
  BatchResult result;
  if (!options.out_dir.empty()) {
    std::error_code ec;
    fs::create_directories(options.out_dir, ec);
    if (ec || !fs::is_directory(options.out_dir)) throw Error("cannot create output directory " + options.out_dir);
  }
  std::set<std::string> used_names;
  const uint8_t green[3] = {0, 230, 0};
  for (const std::string& path : images) {
    Image image;
    try {
      image = load_image(path);
    } catch (const Error& e) {
      ++result.skipped;
      if (log) *log << "skipped: " << e.what() << "\n";
      continue;
    }
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<Detection> dets = detector.detect(image);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    result.detect_ms += ms;
    ++result.processed;
    result.detections += (long long)dets.size();
    result.fddb.push_back(ImageDetections{fddb_image_name(path), dets});

    int drawn = 0;
    if (!options.out_dir.empty()) {
      const int thickness = std::max(2, std::min(image.width, image.height) / 200);
      // Lowest scores first so the best box and its label end on top.
      for (auto it = dets.rbegin(); it != dets.rend(); ++it) {
        if (it->score < options.draw_threshold) continue;
        draw_box(image, it->box, green, thickness);
        char label[32];
        // Probabilities with two decimals; counts (the Haar score) as integers.
        std::snprintf(label, sizeof label, it->score <= 1 ? "%.2f" : "%.0f", it->score);
        const int scale = std::max(1, thickness / 2);
        draw_text(image, int(it->box.x) + thickness + 1, int(it->box.y) + thickness + 1, label, green, scale);
        ++drawn;
      }
      std::string ext = fs::path(path).extension().string();
      for (char& c : ext) c = char(std::tolower(static_cast<unsigned char>(c)));
      if (ext != ".png" && ext != ".jpg" && ext != ".jpeg") ext = ".png";
      // Same file names from different folders get a numeric suffix.
      std::string stem = fs::path(path).stem().string(), name = stem + ext;
      for (int k = 2; used_names.count(name); ++k) name = stem + "_" + std::to_string(k) + ext;
      used_names.insert(name);
      const std::string out = (fs::path(options.out_dir) / name).string();
      save_image(image, out);
      result.written.push_back(out);
    } else {
      for (const Detection& d : dets) drawn += d.score >= options.draw_threshold;
    }
    result.drawn += drawn;
    if (log) *log << path << ": " << drawn << " face(s) >= " << options.draw_threshold << " (" << dets.size()
                  << " candidates), " << ms << " ms\n";
  }
  return result;
}

}  // namespace ifq::detect
