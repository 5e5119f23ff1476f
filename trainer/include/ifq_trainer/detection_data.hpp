#pragma once
// Detection training data for networks ending in [region]: 8-bit CHW images
// stretched to the network input (no letterbox, as detect::decode_region
// assumes) and their boxes as normalised centre-format truths.
#include <cstdint>
#include <string>
#include <vector>

#include "ifq/detect/box.hpp"
#include "ifq/detect/image.hpp"
#include "ifq/shape.hpp"
#include "ifq_trainer/region_loss.hpp"

namespace ifq::trainer {

struct DetectionDataset {
  Shape3 shape;                               // of one image
  std::vector<uint8_t> images;                // count * shape.elements(), CHW
  std::vector<std::vector<TruthBox>> truths;  // count
  int64_t size() const { return int64_t(truths.size()); }
};

// Appends one image with its pixel boxes (left, top, width, height): resized
// to data.shape, boxes clipped to the image; boxes left empty by the clip are
// dropped. Class 0 (faces).
void add_detection_image(DetectionDataset& data, const detect::Image& image, const std::vector<detect::Box>& boxes);

// WIDER FACE bbx_gt (as `ifq facegen` writes it): image paths relative to
// image_root. Faces marked invalid are dropped. Unreadable images are skipped
// and counted in *skipped (never fatal); a malformed annotation file throws
// ifq::Error naming file and line. max_images > 0 stops after that many.
DetectionDataset load_wider_detection(const std::string& gt_file, const std::string& image_root, Shape3 shape,
                                      int64_t* skipped = nullptr, int64_t max_images = 0);

// Horizontal flip of one CHW image and its truths (x -> 1 - x).
void flip_detection(uint8_t* chw, Shape3 shape, std::vector<TruthBox>& truths);

}  // namespace ifq::trainer
