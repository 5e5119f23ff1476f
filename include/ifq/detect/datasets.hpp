#pragma once
// Loaders and writers for the face annotation formats the project reads:
// WIDER FACE bbx_gt, FDDB folds and ellipse lists, FDDB/WIDER detection
// lists, dlib imglab XML and OpenCV .vec sample files. Every parse error
// throws ifq::Error naming "file:line: problem".
#include <cstdint>
#include <string>
#include <vector>

#include "ifq/detect/box.hpp"

namespace ifq::detect {

// ---- WIDER FACE (wider_face_{train,val}_bbx_gt.txt) ------------------------
// Per image: relative path line, face count line, then one line per face
// "x1 y1 w h blur expression illumination invalid occlusion pose". Images
// without faces have count 0 followed by one all-zero face line in the
// released files; that line is accepted and skipped.
struct WiderFace {
  Box box;
  int blur = 0, expression = 0, illumination = 0, invalid = 0, occlusion = 0, pose = 0;
};
struct WiderImage {
  std::string path;
  std::vector<WiderFace> faces;
};
std::vector<WiderImage> load_wider_gt(const std::string& file);
// Writes the same format (whole-pixel boxes as integers, as the released files
// have; fractional ones with two decimals);
// atomically (temporary file + rename).
void save_wider_gt(const std::vector<WiderImage>& images, const std::string& file);

// Subset list for WIDER's easy/medium/hard evaluation: the official tool
// keeps them in .mat files (gt_list); we read the same content as text:
// per image, its path line, a count line, then that many 1-based face
// indices (one per line) into the image's bbx_gt faces.
struct WiderSubset {
  std::vector<std::string> paths;
  std::vector<std::vector<int>> keep;  // 0-based face indices per image
};
WiderSubset load_wider_subset(const std::string& file);

// ---- FDDB ------------------------------------------------------------------
// Ellipse "major_radius minor_radius angle center_x center_y 1"; angle in
// radians, the major axis' angle to the horizontal; as the official
// evaluator draws it, positive angles turn clockwise on screen (y down).
struct Ellipse {
  double major = 0, minor = 0, angle = 0, cx = 0, cy = 0;
};
struct FddbImage {
  std::string name;  // e.g. 2002/08/11/big/img_591 (no extension)
  std::vector<Ellipse> faces;
};
// FDDB-fold-XX-ellipseList.txt: name line, count line, ellipse lines.
std::vector<FddbImage> load_fddb_ellipses(const std::string& file);
// FDDB-fold-XX.txt: one image name per line (blank lines ignored).
std::vector<std::string> load_fddb_fold(const std::string& file);

// ---- Detection lists -------------------------------------------------------
// FDDB's rectangle detection format, also WIDER's per-image result format:
// name line, count line, then "left top width height score" lines.
struct ImageDetections {
  std::string name;
  std::vector<Detection> detections;
};
std::vector<ImageDetections> load_detections(const std::string& file);
// A WIDER result directory: every *.txt below it holds one image's block.
std::vector<ImageDetections> load_detection_dir(const std::string& dir);
void save_detections(const std::vector<ImageDetections>& images, const std::string& file);
// FDDB's ellipse detection format (the official evaluator's -f 1): name
// line, count line, "major_radius minor_radius angle center_x center_y
// score" lines, each the ellipse inscribed in the box (ellipse_in_box).
void save_detections_as_ellipses(const std::vector<ImageDetections>& images, const std::string& file);

// ---- dlib imglab XML -------------------------------------------------------
// <image file='...'> <box top='' left='' width='' height='' [ignore='1']/> ...
struct ImglabBox {
  Box box;
  bool ignore = false;
  std::string label;
};
struct ImglabImage {
  std::string file;  // as written in the XML (relative to the XML's folder)
  std::vector<ImglabBox> boxes;
};
std::vector<ImglabImage> load_imglab_xml(const std::string& file);

// ---- OpenCV .vec (opencv_createsamples output) -----------------------------
// int32 count, int32 vecsize, int16, int16, then per sample one byte (0)
// and vecsize int16 grey pixels (row-major). vecsize = width * height.
struct GreyPatch {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;  // row-major
};
// width/height 0: the samples are square (vecsize must be a perfect square).
// max_samples > 0 stops after that many samples.
std::vector<GreyPatch> load_vec(const std::string& file, int width = 0, int height = 0,
                                int64_t max_samples = 0);
void save_vec(const std::vector<GreyPatch>& samples, const std::string& file);

}  // namespace ifq::detect
