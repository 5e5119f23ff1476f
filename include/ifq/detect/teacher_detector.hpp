#pragma once
// Float "teacher" face detectors from public ONNX files, run with OpenCV's
// cv::dnn, used to label photos for training (teacher_label.hpp). Two output
// formats are known and told apart by the network's output names:
//   YuNet (2023 heads): cls_8/16/32, obj_8/16/32, bbox_8/16/32 (kps_* unused).
//     The image is scaled (aspect kept) so its longer side is input_size
//     (default 640), padded right/bottom with zeros to multiples of 32, fed
//     as BGR 0..255; per stride s and cell (col, row):
//     score = sqrt(clamp01(cls) * clamp01(obj)),
//     centre = ((col + dx) * s, (row + dy) * s), size = (exp(dw) * s, exp(dh) * s).
//     Letterboxing keeps faces' aspect ratio: on the 142 facelib photos (YuNet
//     labels, score >= 0.7) it matches 294 of 296 labelled faces at IoU 0.5
//     with mean IoU 0.97; stretching to 640x640 matches 249 at mean IoU 0.79.
//   UltraFace: scores [1, N, 2] (softmax, column 1 = face) and boxes
//     [1, N, 4] (x1, y1, x2, y2 normalised). The input size is fixed by the
//     file (320x240 or 640x480), read from its ONNX graph; the image is
//     stretched to it, RGB, (x - 127) / 128, as the upstream demo does.
// Both: drop score < min_score, NMS at `nms`, drop boxes with
// sqrt(w * h) < min_size (image pixels); boxes are clipped to the image.
// Available only in builds with OpenCV's dnn module; otherwise constructing
// one throws ifq::Error.
#include <memory>
#include <string>
#include <vector>

#include "ifq/detect/detector.hpp"

namespace ifq::detect {

// True when this build includes the OpenCV-backed teacher detectors.
bool teacher_detector_available();

enum class TeacherFormat { YuNet, UltraFace };
const char* teacher_format_name(TeacherFormat format);  // "YuNet", "UltraFace"

struct TeacherOptions {
  double min_score = 0.5;
  double nms = 0.3;       // IoU above which a lower-scored box is dropped
  double min_size = 0;    // sqrt(w * h) in image pixels
  // 0 = the format's default. YuNet: the longer image side is scaled to this
  // (default 640; any size works, rounded up to a multiple of 32 by padding).
  // UltraFace: must be 0 or the file's fixed input width (its priors are
  // baked into the graph).
  int input_size = 0;
};

class TeacherDetector : public Detector {
 public:
  // Throws ifq::Error naming the file when it cannot be read as ONNX, or when
  // its outputs match neither known format (the message lists them).
  explicit TeacherDetector(const std::string& onnx_path, TeacherOptions options = {});
  ~TeacherDetector() override;
  TeacherDetector(const TeacherDetector&) = delete;
  TeacherDetector& operator=(const TeacherDetector&) = delete;

  // Throws ifq::Error when the network's outputs do not have the expected
  // shapes (never reads out of bounds).
  std::vector<Detection> detect(const Image& image) override;
  TeacherFormat format() const;
  const TeacherOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ifq::detect
