// FDDB ellipses drawn exactly as the official evaluator draws them
// (EllipseR::display: cvEllipse filled), so overlaps match its masks.
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "ifq/detect/fddb_eval.hpp"
#include "ifq/error.hpp"

namespace ifq::detect {

bool opencv_ellipse_raster_available() { return true; }

RowSpans rasterise_ellipse_opencv(const Ellipse& e, int width, int height) {
  RowSpans out;
  const double big = 1e7;
  const int cx = cvRound(std::clamp(e.cx, -big, big)), cy = cvRound(std::clamp(e.cy, -big, big));
  const int ra = int(std::min(e.major, big)), rb = int(std::min(e.minor, big));
  // Draw into a canvas covering only the ellipse's part of the image: the
  // centre moves by whole pixels, which shifts OpenCV's fixed-point polygon
  // exactly, and the canvas edges clip like the image edges.
  const int r = std::max(ra, rb) + 2;
  const int x0 = std::max(0, cx - r), y0 = std::max(0, cy - r);
  const int x1 = std::min(width, cx + r + 1), y1 = std::min(height, cy + r + 1);
  out.y0 = std::clamp(y0, 0, height);
  if (x1 <= x0 || y1 <= y0) return out;
  cv::Mat mask = cv::Mat::zeros(y1 - y0, x1 - x0, CV_8U);
  // The tool's angle: (pi - theta) in degrees, drawn as 180 - that.
  const double angle = 180.0 - (M_PI - e.angle) * 180.0 / M_PI;
  cv::ellipse(mask, cv::Point(cx - x0, cy - y0), cv::Size(ra, rb), angle, 0, 360, cv::Scalar(1), cv::FILLED);
  for (int y = 0; y < mask.rows; ++y) {
    const uint8_t* row = mask.ptr<uint8_t>(y);
    int b = 0;
    while (b < mask.cols && !row[b]) ++b;
    int end = mask.cols;
    while (end > b && !row[end - 1]) --end;
    for (int x = b; x < end; ++x)
      if (!row[x]) throw Error("fddb: OpenCV drew a non-convex ellipse row (internal error)");
    out.spans.emplace_back(x0 + b, x0 + std::max(b, end));
  }
  return out;
}

}  // namespace ifq::detect
