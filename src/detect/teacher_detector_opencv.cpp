// Teacher face detectors (YuNet, UltraFace) on OpenCV's cv::dnn; compiled
// only when OpenCV's dnn module is found. See teacher_detector.hpp.
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string_view>

#include "ifq/detect/teacher_detector.hpp"
#include "ifq/error.hpp"

namespace ifq::detect {

bool teacher_detector_available() { return true; }

const char* teacher_format_name(TeacherFormat format) {
  return format == TeacherFormat::YuNet ? "YuNet" : "UltraFace";
}

namespace {

// ---- The input shape an ONNX file declares ---------------------------------
// cv::dnn 4.6 does not expose it (getLayerShapes without input shapes returns
// nothing, getLayersShapes crashes), and UltraFace's priors are baked into
// the graph for one size, so we read the protobuf ourselves:
// ModelProto.graph (7) -> GraphProto.input (11), initializer (5; name 8) ->
// ValueInfoProto.type (2) -> TypeProto.tensor_type (1) -> shape (2) ->
// dim (1) -> dim_value (1).

struct ProtoField {
  int number = 0, wire = 0;
  uint64_t value = 0;      // wire type 0
  std::string_view bytes;  // wire type 2
};

// The fields of one protobuf message, in order. Malformed input ends the
// iteration (never reads past the message).
class ProtoFields {
 public:
  explicit ProtoFields(std::string_view message) : p_(message.data()), end_(message.data() + message.size()) {}
  bool next(ProtoField& f) {
    if (p_ >= end_) return false;
    uint64_t key = 0;
    if (!varint(key)) return stop();
    f.number = int(key >> 3);
    f.wire = int(key & 7);
    switch (f.wire) {
      case 0: return varint(f.value) || stop();
      case 1: return skip(8);
      case 2: {
        uint64_t n = 0;
        if (!varint(n) || n > uint64_t(end_ - p_)) return stop();
        f.bytes = std::string_view(p_, size_t(n));
        p_ += n;
        return true;
      }
      case 5: return skip(4);
      default: return stop();
    }
  }

 private:
  bool varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64 && p_ < end_; shift += 7) {
      const auto b = uint8_t(*p_++);
      v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  bool skip(ptrdiff_t n) { return end_ - p_ >= n ? (p_ += n, true) : stop(); }
  bool stop() {
    p_ = end_;
    return false;
  }
  const char* p_;
  const char* end_;
};

// The first field `number` (wire type 2) of a message, or empty.
std::string_view sub_message(std::string_view message, int number) {
  ProtoFields fields(message);
  for (ProtoField f; fields.next(f);)
    if (f.number == number && f.wire == 2) return f.bytes;
  return {};
}

// Dims of the first graph input that is not a weight (-1 where symbolic);
// empty when the file does not say.
std::vector<int64_t> onnx_input_shape(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string model((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string_view graph = sub_message(model, 7);
  std::set<std::string_view> weights;
  std::vector<std::string_view> inputs;
  ProtoFields fields(graph);
  for (ProtoField f; fields.next(f);) {
    if (f.wire != 2) continue;
    if (f.number == 5) weights.insert(sub_message(f.bytes, 8));
    if (f.number == 11) inputs.push_back(f.bytes);
  }
  for (std::string_view input : inputs) {
    if (weights.count(sub_message(input, 1))) continue;
    std::vector<int64_t> dims;
    ProtoFields dim_fields(sub_message(sub_message(sub_message(input, 2), 1), 2));
    for (ProtoField d; dim_fields.next(d);) {
      if (d.number != 1 || d.wire != 2) continue;
      int64_t value = -1;
      ProtoFields v(d.bytes);
      for (ProtoField x; v.next(x);)
        if (x.number == 1 && x.wire == 0) value = int64_t(x.value);
      dims.push_back(value);
    }
    return dims;
  }
  return {};
}

// ---- Network outputs ---------------------------------------------------------

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

// A float output holding rows x k values with k innermost; anything else is
// a model we do not understand, reported instead of read out of bounds.
const float* checked_output(const cv::Mat& m, const std::string& name, size_t rows, int k, const std::string& file) {
  const bool ok = m.type() == CV_32F && m.isContinuous() && m.total() == rows * size_t(k) && m.dims >= 2 &&
                  m.size[m.dims - 1] == k;
  if (!ok) {
    std::string shape;
    for (int d = 0; d < m.dims; ++d) shape += (d ? "x" : "") + std::to_string(m.size[d]);
    throw Error("teacher '" + file + "': output " + name + " has shape " + shape + ", expected " +
                std::to_string(rows) + "x" + std::to_string(k) + " floats");
  }
  return m.ptr<float>();
}

double clamp01(double v) { return std::min(1.0, std::max(0.0, v)); }

const int kYuNetStrides[3] = {8, 16, 32};

}  // namespace

struct TeacherDetector::Impl {
  std::string file;
  TeacherOptions options;
  TeacherFormat format = TeacherFormat::YuNet;
  cv::dnn::Net net;
  std::vector<std::string> outputs;  // asked of forward(), in this order
  int ultra_w = 0, ultra_h = 0;      // UltraFace's fixed input

  std::vector<cv::Mat> run(const cv::Mat& blob) {
    std::vector<cv::Mat> outs;
    net.setInput(blob);
    net.forward(outs, outputs);
    if (outs.size() != outputs.size()) throw Error("teacher '" + file + "': forward() returned too few outputs");
    return outs;
  }
  std::vector<Detection> yunet(const cv::Mat& rgb);
  std::vector<Detection> ultraface(const cv::Mat& rgb);
};

namespace {
// Shrinking with bilinear sampling skips pixels and aliases; area averaging
// does not.
cv::Mat resized(const cv::Mat& rgb, int w, int h) {
  if (rgb.cols == w && rgb.rows == h) return rgb;
  cv::Mat out;
  cv::resize(rgb, out, cv::Size(w, h), 0, 0, (w < rgb.cols && h < rgb.rows) ? cv::INTER_AREA : cv::INTER_LINEAR);
  return out;
}
}  // namespace

std::vector<Detection> TeacherDetector::Impl::yunet(const cv::Mat& rgb) {
  // Letterbox: the longer side to input_size, zeros right/bottom up to
  // multiples of 32 (the coarsest stride), so faces keep their shape.
  const int size = options.input_size > 0 ? options.input_size : 640;
  const double scale = double(size) / std::max(rgb.cols, rgb.rows);
  const int sw = std::max(1, int(std::lround(rgb.cols * scale)));
  const int sh = std::max(1, int(std::lround(rgb.rows * scale)));
  const int pw = (sw + 31) / 32 * 32, ph = (sh + 31) / 32 * 32;
  cv::Mat input;
  cv::copyMakeBorder(resized(rgb, sw, sh), input, 0, ph - sh, 0, pw - sw, cv::BORDER_CONSTANT, cv::Scalar::all(0));
  // YuNet wants BGR 0..255; our images are RGB (swapRB).
  const std::vector<cv::Mat> outs =
      run(cv::dnn::blobFromImage(input, 1.0, cv::Size(), cv::Scalar(), true, false, CV_32F));
  const double fx = double(sw) / rgb.cols, fy = double(sh) / rgb.rows;  // image -> input
  std::vector<Detection> dets;
  for (int k = 0; k < 3; ++k) {
    const int s = kYuNetStrides[k];
    const int cols = pw / s, rows = ph / s;
    const size_t cells = size_t(cols) * size_t(rows);
    const float* cls = checked_output(outs[k], outputs[k], cells, 1, file);
    const float* obj = checked_output(outs[3 + k], outputs[3 + k], cells, 1, file);
    const float* box = checked_output(outs[6 + k], outputs[6 + k], cells, 4, file);
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) {
        const size_t i = size_t(r) * cols + c;
        const double score = std::sqrt(clamp01(cls[i]) * clamp01(obj[i]));
        if (!(score >= options.min_score)) continue;
        const float* b = box + 4 * i;
        const double cx = (c + b[0]) * s, cy = (r + b[1]) * s;
        const double w = std::exp(b[2]) * s, h = std::exp(b[3]) * s;
        const Box in_image{(cx - w / 2) / fx, (cy - h / 2) / fy, w / fx, h / fy};
        dets.push_back(Detection{clip_box(in_image, rgb.cols, rgb.rows), score, 0});
      }
  }
  return dets;
}

std::vector<Detection> TeacherDetector::Impl::ultraface(const cv::Mat& rgb) {
  // Stretched to the fixed input as upstream does; RGB, (x - 127) / 128.
  const std::vector<cv::Mat> outs = run(cv::dnn::blobFromImage(resized(rgb, ultra_w, ultra_h), 1.0 / 128,
                                                               cv::Size(), cv::Scalar::all(127), false, false, CV_32F));
  const cv::Mat& scores_mat = outs[0];
  const size_t n = scores_mat.dims >= 2 ? size_t(scores_mat.size[scores_mat.dims - 2]) : 0;
  const float* scores = checked_output(scores_mat, outputs[0], n, 2, file);
  const float* boxes = checked_output(outs[1], outputs[1], n, 4, file);
  std::vector<Detection> dets;
  for (size_t i = 0; i < n; ++i) {
    const double score = scores[2 * i + 1];
    if (!(score >= options.min_score)) continue;
    const float* b = boxes + 4 * i;
    const Box in_image{b[0] * rgb.cols, b[1] * rgb.rows, (b[2] - b[0]) * rgb.cols, (b[3] - b[1]) * rgb.rows};
    dets.push_back(Detection{clip_box(in_image, rgb.cols, rgb.rows), std::min(1.0, score), 0});
  }
  return dets;
}

TeacherDetector::TeacherDetector(const std::string& onnx_path, TeacherOptions options)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.file = onnx_path;
  m.options = options;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(onnx_path, ec))
    throw Error("cannot read teacher model '" + onnx_path + "': no such file");
  try {
    m.net = cv::dnn::readNetFromONNX(onnx_path);
  } catch (const cv::Exception& e) {
    throw Error("cannot load teacher model '" + onnx_path + "' as ONNX: " + first_line(e.err));
  }
  if (m.net.empty()) throw Error("cannot load teacher model '" + onnx_path + "' as ONNX: empty network");

  const std::vector<std::string> names = m.net.getUnconnectedOutLayersNames();
  const auto has = [&](const std::string& n) { return std::find(names.begin(), names.end(), n) != names.end(); };
  bool yunet = true;
  for (const char* head : {"cls_", "obj_", "bbox_"})
    for (int s : kYuNetStrides) yunet = yunet && has(head + std::to_string(s));
  if (yunet) {
    m.format = TeacherFormat::YuNet;
    for (const char* head : {"cls_", "obj_", "bbox_"})
      for (int s : kYuNetStrides) m.outputs.push_back(head + std::to_string(s));
    if (options.input_size < 0 || options.input_size > 4096)
      throw Error("teacher '" + onnx_path + "': input size " + std::to_string(options.input_size) +
                  " is outside 32..4096");
  } else if (has("scores") && has("boxes")) {
    m.format = TeacherFormat::UltraFace;
    m.outputs = {"scores", "boxes"};
    const std::vector<int64_t> dims = onnx_input_shape(onnx_path);  // N, C, H, W
    if (dims.size() == 4 && dims[2] > 0 && dims[3] > 0 && dims[2] <= 4096 && dims[3] <= 4096) {
      m.ultra_w = int(dims[3]);
      m.ultra_h = int(dims[2]);
      if (options.input_size != 0 && options.input_size != m.ultra_w)
        throw Error("teacher '" + onnx_path + "' is UltraFace with a fixed " + std::to_string(m.ultra_w) + "x" +
                    std::to_string(m.ultra_h) + " input; input size " + std::to_string(options.input_size) +
                    " cannot be used");
    } else if (options.input_size > 0) {
      // No fixed shape in the file: UltraFace's inputs are 4:3.
      m.ultra_w = options.input_size;
      m.ultra_h = options.input_size * 3 / 4;
    } else {
      throw Error("teacher '" + onnx_path + "' (UltraFace) does not state its input size; give one");
    }
  } else {
    std::string list;
    for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
    throw Error("'" + onnx_path +
                "' is not a face detector of a known output format (YuNet: cls_8.. obj_8.. bbox_8..; "
                "UltraFace: scores, boxes); its outputs are: " + list);
  }
}

TeacherDetector::~TeacherDetector() = default;

TeacherFormat TeacherDetector::format() const { return impl_->format; }
const TeacherOptions& TeacherDetector::options() const { return impl_->options; }

std::vector<Detection> TeacherDetector::detect(const Image& image) {
  if (image.width <= 0 || image.height <= 0) return {};
  Impl& m = *impl_;
  const cv::Mat rgb(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.rgb.data()));
  std::vector<Detection> dets;
  try {
    dets = m.format == TeacherFormat::YuNet ? m.yunet(rgb) : m.ultraface(rgb);
  } catch (const cv::Exception& e) {
    throw Error("teacher '" + m.file + "' failed on a " + std::to_string(image.width) + "x" +
                std::to_string(image.height) + " image: " + first_line(e.err));
  }
  dets = nms(std::move(dets), m.options.nms);  // sorted by descending score
  // Boxes wholly outside the image clip to nothing: never a face.
  std::erase_if(dets, [&](const Detection& d) {
    return d.box.area() <= 0 || d.box.size() < m.options.min_size;
  });
  return dets;
}

}  // namespace ifq::detect
