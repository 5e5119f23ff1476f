#pragma once
// Labelling photos with a teacher detector (teacher_detector.hpp, or any
// Detector) into WIDER bbx_gt form, and the rule for adding teacher boxes to
// hand labels. No OpenCV here: tests drive it with a fake detector.
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "ifq/detect/datasets.hpp"
#include "ifq/detect/detector.hpp"

namespace ifq::detect {

// The images to label: `root` plus paths relative to it ('/'-separated).
struct ImageList {
  std::string root;
  std::vector<std::string> paths;
};

// `dir_or_list` is either a directory (every *.jpg, *.jpeg, *.png, *.bmp
// below it, extension case ignored, sorted, relative to it) or a list file
// (one path per line, relative to the list's folder; surrounding blanks and
// blank lines ignored). Throws ifq::Error when it is neither, or names no
// image.
ImageList list_images(const std::string& dir_or_list);

struct TeacherLabelOptions {
  std::ostream* log = nullptr;                        // skipped images are reported here
  std::function<void(int done, int total)> on_image;  // after each image, read or not
  // Scored output: when set, every detection (clipped, non-empty) is also
  // appended here with its score, one entry per labelled image (name = the
  // path as given); only detections scoring at least label_min_score become
  // faces of the returned labels.
  std::vector<ImageDetections>* scored = nullptr;
  double label_min_score = 0;
};

struct TeacherLabelStats {
  int labelled = 0;
  int skipped = 0;  // unreadable images: left out of the result
  long long faces = 0;
  double detect_ms = 0;  // teacher time only (no image I/O)
  std::vector<std::string> skipped_paths;
};

// Runs `teacher` on root/path for every path and returns one WiderImage per
// readable image (path as given; every detection the teacher returns, clipped
// to the image, attributes 0; empty boxes dropped). An unreadable image is
// skipped and counted, never fatal, and is NOT written with zero faces (that
// would teach "no face here"). Errors of the teacher itself propagate.
std::vector<WiderImage> teacher_label(Detector& teacher, const std::vector<std::string>& image_paths_relative,
                                      const std::string& images_root, TeacherLabelStats* stats = nullptr,
                                      const TeacherLabelOptions& options = {});

struct MergeStats {
  int images = 0;                // teacher images matched to a hand image
  long long teacher_boxes = 0;   // offered
  long long added = 0;
  long long overlapping = 0;     // refused: IoU >= max_iou with a box already there
};

// Adds teacher boxes to hand labels. Rule: hand boxes are never changed or
// removed (whatever their attributes, `invalid` included); a teacher box is
// appended to its image's faces only when its IoU with every hand box and
// with every teacher box already added to that image is below `max_iou`.
// Teacher boxes are tried in their order (teacher_label keeps the detector's
// descending score), so of two overlapping ones the higher-scored wins.
// Images are matched by path after lexical normalisation ("./a/../b.jpg" ==
// "b.jpg"), so both sets must be relative to the same folder
// (holdout_split.hpp rebase_paths). The result has the hand images in hand
// order; hand images without a teacher entry are kept unchanged. A teacher
// image without a hand entry, or a path twice in `hand`, throws ifq::Error
// naming it.
std::vector<WiderImage> merge_teacher_labels(const std::vector<WiderImage>& hand,
                                             const std::vector<WiderImage>& teacher, double max_iou = 0.3,
                                             MergeStats* stats = nullptr);

}  // namespace ifq::detect
