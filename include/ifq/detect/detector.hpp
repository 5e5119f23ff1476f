#pragma once
// Face detectors behind one interface (integer model on the reference
// runtime, float model on the double evaluator, OpenCV Haar cascade), and
// the batch loop shared by the `detect` commands: read each image (an
// unreadable one is reported and skipped, never fatal), detect, draw the
// boxes into an output image, collect FDDB-format detections.
#include <iosfwd>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ifq/detect/box.hpp"
#include "ifq/detect/datasets.hpp"
#include "ifq/detect/haar_cascade.hpp"
#include "ifq/detect/image.hpp"
#include "ifq/detect/region.hpp"
#include "ifq/float_model.hpp"
#include "ifq/int_model.hpp"

namespace ifq::detect {

class Detector {
 public:
  virtual ~Detector() = default;
  // Detections in the image's pixels, sorted by descending score.
  virtual std::vector<Detection> detect(const Image& image) = 0;
};

// What a detector feeds its network: the image stretched to the input size
// (no letterbox), CHW, 3 planes RGB or 1 plane luma as the input asks.
std::vector<uint8_t> network_input(const Image& image, const Shape3& input);

// Which integer runtime runs an integer model: the fast one (bit-packed
// kernels, identical outputs) where the build has it, else the reference.
enum class IntRuntime { Fast, Reference };
bool fast_int_runtime_available();

// The network input is the image stretched to the model's input size (no
// letterbox), 3 planes RGB or 1 plane luma as the input op says.
class IntModelDetector : public Detector {
 public:
  // Throws without a region head. Fast falls back to Reference in builds
  // without the kernels component.
  IntModelDetector(IntModel model, RegionDecodeOptions options, IntRuntime runtime = IntRuntime::Fast);
  ~IntModelDetector() override;
  std::vector<Detection> detect(const Image& image) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class FloatModelDetector : public Detector {
 public:
  FloatModelDetector(FloatModel model, RegionDecodeOptions options);
  std::vector<Detection> detect(const Image& image) override;

 private:
  FloatModel model_;
  RegionInfo region_;
  Shape3 input_;
  RegionDecodeOptions options_;
};

class HaarDetector : public Detector {
 public:
  HaarDetector(const std::string& cascade_xml, HaarOptions options);
  std::vector<Detection> detect(const Image& image) override;

 private:
  HaarCascade cascade_;
  HaarOptions options_;
};

// The network input size a detector runs its model at. Model: the model's
// own size (the photo stretched to it, as the model was converted). Fixed:
// width x height for every photo. Photo ("auto"): each photo at its own
// resolution with its aspect kept (photo_input_size), so a fully
// convolutional detector sees faces at their true shape and size; faces
// squashed into the model's square lose both (docs/detection.md measures it).
struct NetworkSize {
  enum class Mode { Model, Fixed, Photo };
  Mode mode = Mode::Model;
  int width = 0, height = 0;  // Fixed
  int max_side = 1600;        // Photo: the longer side of the input at most this
  bool keeps_model_size() const { return mode == Mode::Model; }
  std::string str() const;
};
// "model", "auto", "auto:MAX" (MAX 32..4096), "N" (N x N) or "WxH" (sides
// 32..4096); throws ifq::Error naming the text.
NetworkSize parse_network_size(const std::string& text);

// The input a photo of width x height is run at under Mode::Photo: its own
// resolution, scaled so the longer side is at least `model_side` (small
// photos are enlarged to the size the model was trained at) and at most
// `max_side`, each side rounded to a multiple of `stride` (the network's
// output cell) and at least one stride. Returns {width, height}.
std::pair<int, int> photo_input_size(int width, int height, int model_side, int max_side, int stride);

// Opens a model file of either kind (model_io.hpp) as a detector, at `size`.
std::unique_ptr<Detector> open_model_detector(const std::string& path, RegionDecodeOptions options,
                                              IntRuntime runtime = IntRuntime::Fast, NetworkSize size = {});

struct BatchOptions {
  std::string out_dir;          // annotated images written here when not empty
  double draw_threshold = 0.25; // boxes drawn at or above this score
};

struct BatchResult {
  int processed = 0;
  int skipped = 0;
  long long detections = 0;  // all returned by the detector
  long long drawn = 0;
  double detect_ms = 0;      // detector time only (no image I/O)
  std::vector<ImageDetections> fddb;  // per processed image, FDDB naming
  std::vector<std::string> written;   // annotated image paths
};

// Runs `detector` on every image path. Progress and skipped images go to
// `log` (may be null).
BatchResult run_batch(Detector& detector, const std::vector<std::string>& images, const BatchOptions& options,
                      std::ostream* log);

// FDDB naming: the path as given (made relative to the current directory
// when absolute), without its extension.
std::string fddb_image_name(const std::string& path);

}  // namespace ifq::detect
