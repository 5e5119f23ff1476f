// Built when OpenCV's dnn module was not found: the teacher detectors report
// that plainly.
#include "ifq/detect/teacher_detector.hpp"
#include "ifq/error.hpp"

namespace ifq::detect {

bool teacher_detector_available() { return false; }

const char* teacher_format_name(TeacherFormat format) {
  return format == TeacherFormat::YuNet ? "YuNet" : "UltraFace";
}

struct TeacherDetector::Impl {
  TeacherOptions options;
};

TeacherDetector::TeacherDetector(const std::string& onnx_path, TeacherOptions) {
  throw Error("cannot load teacher model '" + onnx_path +
              "': this build has no OpenCV DNN (install libopencv-dev and reconfigure)");
}

TeacherDetector::~TeacherDetector() = default;

std::vector<Detection> TeacherDetector::detect(const Image&) { return {}; }
TeacherFormat TeacherDetector::format() const { return TeacherFormat::YuNet; }
const TeacherOptions& TeacherDetector::options() const { return impl_->options; }

}  // namespace ifq::detect
