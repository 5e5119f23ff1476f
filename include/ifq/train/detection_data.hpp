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
#include "ifq/train/photo_mix.hpp"
#include "ifq/train/region_loss.hpp"

namespace ifq::trainer {

struct DetectionDataset {
  Shape3 shape;                               // of one image
  std::vector<uint8_t> images;                // count * shape.elements(), CHW
  std::vector<std::vector<TruthBox>> truths;  // count
  // Real photos, sampled by set weight and cut into samples on the fly
  // (photo_mix.hpp). When present, training draws from these instead of
  // the fixed images above, which must then be empty.
  std::vector<PhotoSet> photo_sets;
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

// dlib imglab XML (dlib's examples/faces training.xml): each photo is
// stretched to `inference` (the input size the model will run at, so faces
// keep the pixel size they will have then) and `crops` windows of data.shape
// are cut from it at random (seeded by `seed`); a face stays when at least
// half of it is inside the window. With inference == data.shape each photo is
// added `crops` times whole. Boxes marked ignore are left out; paths are
// relative to the XML's folder; unreadable images are skipped and counted.
void add_imglab_detection(DetectionDataset& data, const std::string& xml_file, Shape3 inference, int crops,
                          uint64_t seed, int64_t* skipped = nullptr);

// Horizontal flip of one CHW image and its truths (x -> 1 - x).
void flip_detection(uint8_t* chw, Shape3 shape, std::vector<TruthBox>& truths);

// YOLOv2's detection augmentation (darknet data.c, load_data_region), applied
// per sample from a per-position random source so resume stays exact.
struct DetectionAugment {
  bool flip = false;
  // Crop-and-stretch: each side of the crop window moves by up to
  // jitter * size, inwards or outwards (outside the image is grey 127), and
  // the window is stretched back to the image size. Boxes follow and are
  // clipped; a box with less than a quarter of its area left is dropped
  // (darknet keeps slivers, which teaches boxes around a chin).
  double jitter = 0;
  // Colour: saturation and exposure each scaled by a factor in
  // [1/s, s] (log-uniform, darknet's rand_scale); 1 = off. Saturation moves
  // each pixel towards or away from its BT.601 luma.
  double saturation = 1, exposure = 1;
  bool any() const { return flip || jitter > 0 || saturation > 1 || exposure > 1; }
};
// Uniform in [lo, hi) from the trainer's splitmix64 stream.
double uniform(uint64_t& rng, double lo, double hi);
// darknet's rand_scale: log-uniform in [1/s, s] (1 when s <= 1).
double rand_scale(uint64_t& rng, double s);
// Colour of one CHW image: hue turned by hue_turn of a full turn (YIQ chroma
// rotation; 3 planes only), then saturation (towards/away from BT.601 luma)
// and exposure factors.
void colour_jitter(uint8_t* chw, Shape3 shape, double hue_turn, double saturation, double exposure);

void augment_detection(uint8_t* chw, Shape3 shape, std::vector<TruthBox>& truths, const DetectionAugment& aug,
                       uint64_t& rng_state);

}  // namespace ifq::trainer
