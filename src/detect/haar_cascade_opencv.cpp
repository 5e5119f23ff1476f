// OpenCV-backed Haar cascade (compiled only when find_package(OpenCV) succeeds).
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "ifq/detect/haar_cascade.hpp"
#include "ifq/error.hpp"

namespace ifq::detect {

bool haar_cascade_available() { return true; }

struct HaarCascade::Impl {
  mutable cv::CascadeClassifier classifier;
};

HaarCascade::HaarCascade(const std::string& xml_path) : impl_(std::make_unique<Impl>()) {
  bool ok = false;
  try {
    ok = impl_->classifier.load(xml_path);
  } catch (const cv::Exception& e) {
    throw Error("cannot load Haar cascade " + xml_path + ": " + e.what());
  }
  if (!ok || impl_->classifier.empty()) throw Error("cannot load Haar cascade " + xml_path);
}

HaarCascade::~HaarCascade() = default;

std::vector<Detection> HaarCascade::detect(const Image& image, const HaarOptions& o) const {
  // Wrap our RGB buffer, convert to grey and equalise, as OpenCV's
  // face detection sample does.
  cv::Mat rgb(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.rgb.data()));
  cv::Mat grey;
  cv::cvtColor(rgb, grey, cv::COLOR_RGB2GRAY);
  cv::equalizeHist(grey, grey);
  std::vector<cv::Rect> rects;
  std::vector<int> neighbours;
  impl_->classifier.detectMultiScale(grey, rects, neighbours, o.scale_factor, o.min_neighbors, 0,
                                     cv::Size(o.min_size, o.min_size));
  std::vector<Detection> out;
  for (size_t i = 0; i < rects.size(); ++i) {
    const cv::Rect& r = rects[i];
    out.push_back(Detection{Box{double(r.x), double(r.y), double(r.width), double(r.height)},
                            double(i < neighbours.size() ? neighbours[i] : 0), 0});
  }
  return out;
}

}  // namespace ifq::detect
