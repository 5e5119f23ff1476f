#pragma once
// The FDDB evaluation protocol (Jain & Learned-Miller 2010, the official
// `evaluate` tool: Matching.cpp, Results.cpp, evaluate.cpp):
//  - overlap of an annotated region and a detection = |A n D| / |A u D| on
//    their regions rasterised onto the image's pixel grid (clipped to it);
//  - per image and per score threshold t (each unique detection score of the
//    image), the detections with score >= t are matched one-to-one to the
//    annotations by maximum-weight bipartite matching (Hungarian) on overlap;
//  - a matched pair with overlap > 0.5 is a discrete true positive, every
//    other detection above t is a false positive; the continuous score adds
//    the overlap of every matched pair;
//  - the per-image curves are merged over all images at every unique score,
//    giving DiscROC.txt / ContROC.txt lines "TPR FP threshold" (ascending
//    thresholds, as the official tool writes them).
#include <string>
#include <variant>
#include <vector>

#include "ifq/detect/box.hpp"
#include "ifq/detect/datasets.hpp"

namespace ifq::detect {

// An annotated face: FDDB's ellipse or a rectangle (generated data, dlib).
using FaceRegion = std::variant<Ellipse, Box>;

// Pixel rasterisation shared by every overlap. A rectangle covers pixels
// (int)x <= px <= (int)(x + w) and likewise for y (cvRectangle filled from
// (int)(x, y) to (int)(x + w, y + h), inclusive). An ellipse is what the
// official tool draws: centre rounded (cvPointFrom32f), radii truncated
// (cvSize((int)ra, (int)rb)), major axis along (cos angle, sin angle) in
// image coordinates (y down; OpenCV angle = theta in degrees after the tool's
// two conversions), filled by cv::ellipse. Two ways to get those pixels:
//  - OpenCv: draw with cv::ellipse exactly as the tool does (OpenCV rounds
//    the angle to whole degrees and fills a polygon with a vertex every 5
//    degrees): the official masks. Available when built with OpenCV.
//  - PixelCentre: pixels whose centre lies inside the true ellipse (needs
//    no OpenCV). On FDDB-like pairs its overlaps differ from OpenCV's by
//    0.004 on average (max 0.06; measured over 2,000 random pairs).
// Everything is clipped to the image (0 <= px < width, 0 <= py < height).
// A region is a list of row spans; counting is exact integer arithmetic.
enum class EllipseRaster { OpenCv, PixelCentre };
bool opencv_ellipse_raster_available();
EllipseRaster default_ellipse_raster();  // OpenCv when available
const char* ellipse_raster_name(EllipseRaster how);

struct RowSpans {
  int y0 = 0;
  std::vector<std::pair<int, int>> spans;  // [x_begin, x_end) per row from y0; empty = begin >= end
  long long area() const;
};
RowSpans rasterise(const Ellipse& e, int width, int height, EllipseRaster how = default_ellipse_raster());
RowSpans rasterise(const Box& b, int width, int height);
RowSpans rasterise(const FaceRegion& r, int width, int height, EllipseRaster how = default_ellipse_raster());
long long intersection_area(const RowSpans& a, const RowSpans& b);
double region_overlap(const FaceRegion& truth, const Box& detection, int width, int height,
                      EllipseRaster how = default_ellipse_raster());

// Maximum-weight one-to-one assignment between rows and columns of a
// non-negative weight matrix (Kuhn-Munkres, O(n^3)). Returns for each row
// the matched column or -1. Only pairs with weight > 0 are reported.
std::vector<int> max_weight_matching(const std::vector<std::vector<double>>& weights);

struct FddbEvalImage {
  std::string name;
  int width = 0, height = 0;
  std::vector<FaceRegion> faces;
  std::vector<Detection> detections;
  // Not in FDDB's protocol: regions (WIDER's invalid faces, faces under a
  // set's minimum size) that count neither as faces nor, when a detection
  // lies on one (IoU > 0.5 or more than half of the detection inside), as
  // false positives. Empty for FDDB itself.
  std::vector<Box> ignore;
};

struct RocPoint {
  double tpr = 0;        // discrete (or continuous) true positives / faces
  double fp = 0;         // false positives
  double threshold = 0;  // score threshold
};

// One image's counts at each of its unique detection scores (ascending):
// the official tool's per-image loop (keep detections >= t, match, count).
// Kept by evaluate_fddb so the images can be merged again in other
// proportions (fddb_bootstrap.hpp) without matching them again.
struct FddbImageCurve {
  long long faces = 0;
  std::vector<double> scores;                // unique, ascending (empty: no detections)
  std::vector<double> tp_disc, tp_cont, fp;  // with every detection >= scores[j]
};

struct FddbResult {
  int images = 0;
  long long faces = 0;
  long long detections = 0;
  std::vector<RocPoint> disc;  // ascending threshold (descending FP)
  std::vector<RocPoint> cont;
  long long fp_budget = 0;            // floor(0.1 * images)
  double detection_rate_at_fp = 0;    // max discrete TPR with FP <= fp_budget
  EllipseRaster raster = EllipseRaster::PixelCentre;
  std::vector<FddbImageCurve> image_curves;  // per image, in input order
};

FddbResult evaluate_fddb(const std::vector<FddbEvalImage>& images, EllipseRaster how = default_ellipse_raster());

// The false positives that spend a detector's budget: at the highest score
// threshold where the discrete ROC of `result` (evaluate_fddb of the same
// images) has counted `count` false positives (all of them if it never
// does), every detection above the threshold that is neither a true
// positive nor on an ignore region, best score first, each with its largest
// overlap with any face: near 0 a detection on the background, 0.3-0.5 a
// face boxed too loosely or off-centre to count. A diagnostic of why a
// detection rate at a small FP budget is what it is.
struct FalsePositive {
  std::string image;
  Detection detection;
  double best_overlap = 0;
};
std::vector<FalsePositive> top_false_positives(const std::vector<FddbEvalImage>& images, const FddbResult& result,
                                               int count, EllipseRaster how = default_ellipse_raster());

// The merge step of evaluate_fddb: every image's counts at every unique score
// of all images, summed, as discrete and continuous ROC points (ascending
// threshold). Image k counts multiplicity[k] times (0: left out); an empty
// multiplicity counts each once. Throws ifq::Error on a multiplicity of
// another length or a negative one.
void merge_fddb_curves(const std::vector<FddbImageCurve>& curves, const std::vector<int>& multiplicity,
                       std::vector<RocPoint>& disc, std::vector<RocPoint>& cont);

// Max TPR over points with fp <= budget (0 if none).
double detection_rate_at(const std::vector<RocPoint>& roc, double fp_budget);

// "<prefix>DiscROC.txt" and "<prefix>ContROC.txt" written as the official
// tool does (C++ stream formatting of doubles), atomically.
void save_roc_files(const FddbResult& result, const std::string& prefix);
void save_roc(const std::vector<RocPoint>& roc, const std::string& file, bool with_threshold);
// Reads a DiscROC.txt / ContROC.txt ("TPR FP [threshold]" lines).
std::vector<RocPoint> load_roc(const std::string& file);

}  // namespace ifq::detect
