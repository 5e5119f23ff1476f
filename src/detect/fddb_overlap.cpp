// Rasterised regions and their overlap (FDDB Region::setIntersect/setUnion
// count pixels of filled masks drawn on the image grid).
#include <algorithm>
#include <cmath>

#include "ifq/detect/fddb_eval.hpp"

namespace ifq::detect {
namespace {

// (int) conversion as OpenCV's cvPoint((int)x, ...) does, guarded against
// values far outside any image.
long long to_int(double v) { return static_cast<long long>(std::clamp(v, -1e15, 1e15)); }

}  // namespace

long long RowSpans::area() const {
  long long a = 0;
  for (const auto& [b, e] : spans) a += std::max(0, e - b);
  return a;
}

// The OpenCV-drawn ellipse (fddb_raster_opencv.cpp; without OpenCV,
// fddb_raster_unavailable.cpp says so with an ifq::Error).
RowSpans rasterise_ellipse_opencv(const Ellipse& e, int width, int height);

EllipseRaster default_ellipse_raster() {
  return opencv_ellipse_raster_available() ? EllipseRaster::OpenCv : EllipseRaster::PixelCentre;
}

const char* ellipse_raster_name(EllipseRaster how) {
  return how == EllipseRaster::OpenCv ? "opencv" : "pixel-centre";
}

RowSpans rasterise(const Ellipse& e, int width, int height, EllipseRaster how) {
  if (how == EllipseRaster::OpenCv) return rasterise_ellipse_opencv(e, width, height);
  RowSpans out;
  // The official tool (EllipsesSingleImage::read, EllipseR::display) turns
  // theta into (pi - theta) degrees and draws with OpenCV angle
  // 180 - that = theta in degrees, radii cvSize((int)ra, (int)rb) and the
  // centre cvRound-ed: the major axis points along (cos theta, sin theta) in
  // image coordinates (y down). A radius truncated to 0 is drawn by OpenCV
  // as a line; half a pixel reproduces that one-pixel width here.
  const double alpha = e.angle;
  const double c = std::cos(alpha), s = std::sin(alpha);
  const double ra = std::max(0.5, std::trunc(e.major)), rb = std::max(0.5, std::trunc(e.minor));
  const double a2 = ra * ra, b2 = rb * rb;
  const double cx = std::nearbyint(e.cx), cy = std::nearbyint(e.cy);
  // Inside: (dx c + dy s)^2 / a^2 + (-dx s + dy c)^2 / b^2 <= 1, a quadratic
  // A dx^2 + B dx + C <= 0 per row.
  const double A = c * c / a2 + s * s / b2;
  const double half_h = std::sqrt(a2 * s * s + b2 * c * c);
  const long long y_begin = std::max<long long>(0, to_int(std::floor(cy - half_h)));
  const long long y_end = std::min<long long>(height, to_int(std::ceil(cy + half_h)) + 1);
  out.y0 = int(std::min<long long>(y_begin, height));
  // The quadratic gives each row's span; the pixels at its ends are then
  // decided by the same inequality as any interior pixel (with a 1e-9
  // tolerance), so the result does not depend on rounding in the roots.
  auto inside = [&](double dx, double dy) {
    const double u = dx * c + dy * s, v = -dx * s + dy * c;
    return u * u / a2 + v * v / b2 <= 1 + 1e-9;
  };
  for (long long y = y_begin; y < y_end; ++y) {
    const double dy = double(y) - cy;
    const double B = 2 * dy * c * s * (1 / a2 - 1 / b2);
    const double C = dy * dy * (s * s / a2 + c * c / b2) - 1;
    const double disc = B * B - 4 * A * C;
    long long xb = 0, xe = -1;  // inclusive pixel range, empty when xe < xb
    if (disc >= -1e-9) {
      const double root = std::sqrt(std::max(0.0, disc));
      const double lo = cx + (-B - root) / (2 * A), hi = cx + (-B + root) / (2 * A);
      xb = to_int(std::ceil(lo));
      xe = to_int(std::floor(hi));
      if (xb > xe) {  // the row touches the ellipse between two pixel centres, or not at all
        xb = to_int(std::floor(lo));
        xe = xb + 1;
      }
      while (xb - 1 >= 0 && inside(double(xb - 1) - cx, dy)) --xb;
      while (xb <= xe && !inside(double(xb) - cx, dy)) ++xb;
      while (xe + 1 < width && inside(double(xe + 1) - cx, dy)) ++xe;
      while (xe >= xb && !inside(double(xe) - cx, dy)) --xe;
    }
    const int b = int(std::clamp<long long>(xb, 0, width));
    const int e_ = int(std::clamp<long long>(xe + 1, 0, width));
    out.spans.emplace_back(b, std::max(b, e_));
  }
  return out;
}

RowSpans rasterise(const Box& b, int width, int height) {
  RowSpans out;
  const long long x0 = std::max<long long>(0, to_int(b.x));
  const long long x1 = std::min<long long>(width, to_int(b.x + b.w) + 1);
  const long long y0 = std::max<long long>(0, to_int(b.y));
  const long long y1 = std::min<long long>(height, to_int(b.y + b.h) + 1);
  out.y0 = int(std::min<long long>(y0, height));
  if (x1 <= x0 || y1 <= y0) return out;
  out.spans.assign(size_t(y1 - y0), {int(x0), int(x1)});
  return out;
}

RowSpans rasterise(const FaceRegion& r, int width, int height, EllipseRaster how) {
  if (const auto* e = std::get_if<Ellipse>(&r)) return rasterise(*e, width, height, how);
  return rasterise(std::get<Box>(r), width, height);
}

long long intersection_area(const RowSpans& a, const RowSpans& b) {
  const long long y_begin = std::max(a.y0, b.y0);
  const long long y_end = std::min<long long>(a.y0 + (long long)a.spans.size(), b.y0 + (long long)b.spans.size());
  long long total = 0;
  for (long long y = y_begin; y < y_end; ++y) {
    const auto& sa = a.spans[size_t(y - a.y0)];
    const auto& sb = b.spans[size_t(y - b.y0)];
    total += std::max(0, std::min(sa.second, sb.second) - std::max(sa.first, sb.first));
  }
  return total;
}

double region_overlap(const FaceRegion& truth, const Box& detection, int width, int height, EllipseRaster how) {
  const RowSpans a = rasterise(truth, width, height, how), d = rasterise(detection, width, height);
  const long long inter = intersection_area(a, d);
  const long long uni = a.area() + d.area() - inter;
  return uni > 0 ? double(inter) / double(uni) : 0.0;
}

}  // namespace ifq::detect
