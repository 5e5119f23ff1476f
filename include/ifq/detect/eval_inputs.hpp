#pragma once
// Joining ground truth from any of the loaders with a detection list for the
// evaluators: names are matched exactly, else by a unique path suffix (so
// "photos/2008_002470" matches the imglab file "2008_002470.jpg"); a
// detection block for an image without ground truth is an error naming it.
#include <string>
#include <vector>

#include "ifq/detect/datasets.hpp"
#include "ifq/detect/fddb_eval.hpp"

namespace ifq::detect {

struct TruthImage {
  std::string key;         // image name without extension
  std::string image_file;  // path relative to the images folder
  std::vector<FaceRegion> faces;
  std::vector<Box> ignore;  // neither faces nor false positives (FddbEvalImage::ignore)
};

std::vector<TruthImage> truth_from_fddb(const std::vector<FddbImage>& images, const std::string& image_ext);
// Faces flagged invalid, and faces whose sqrt(w * h) is under min_face
// pixels, become ignore regions.
std::vector<TruthImage> truth_from_wider(const std::vector<WiderImage>& images, double min_face = 0);
// Boxes marked ignore are left out (FDDB's protocol has no ignore regions).
std::vector<TruthImage> truth_from_imglab(const std::vector<ImglabImage>& images);

// Detections per truth image (empty where the list has none).
std::vector<std::vector<Detection>> match_detections(const std::vector<TruthImage>& truth,
                                                     const std::vector<ImageDetections>& detections);

// Reads every image's size from images_dir / image_file (header only).
std::vector<FddbEvalImage> fddb_inputs(const std::vector<TruthImage>& truth,
                                       const std::vector<ImageDetections>& detections,
                                       const std::string& images_dir);

}  // namespace ifq::detect
