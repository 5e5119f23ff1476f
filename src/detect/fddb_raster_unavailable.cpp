// Built without OpenCV: FDDB ellipses use the pixel-centre rasterisation.
#include "ifq/detect/fddb_eval.hpp"
#include "ifq/error.hpp"

namespace ifq::detect {

bool opencv_ellipse_raster_available() { return false; }

RowSpans rasterise_ellipse_opencv(const Ellipse&, int, int) {
  throw Error("fddb: the OpenCV ellipse rasterisation needs a build with OpenCV (use pixel-centre)");
}

}  // namespace ifq::detect
