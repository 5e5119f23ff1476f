#pragma once
// Real-photo detection training data (no LibTorch): labelled photos kept whole
// in memory and cut into training samples on the fly, drawn from any number
// of WIDER bbx_gt sets by weight. Each sample is one photo at a random zoom,
// aspect and position, or a mosaic of four (so batches hold many faces at
// many scales), then HSV colour and flip. Faces too small or too cut to learn
// from become ignore regions: neither positive nor negative in the loss.
//
// Scale convention: zoom 1 shows a photo as the detector sees it at
// inference (stretched to inference_side x inference_side), so a face keeps
// the pixel size it will have then; the sample is a window of that view.
#include <cstdint>
#include <string>
#include <vector>

#include "ifq/detect/box.hpp"
#include "ifq/detect/image.hpp"
#include "ifq/shape.hpp"
#include "ifq/train/region_loss.hpp"

namespace ifq::trainer {

struct LabelledPhoto {
  detect::Image image;
  std::vector<detect::Box> faces;   // positives, in the stored image's pixels
  std::vector<detect::Box> ignore;  // invalid or too small in the file: never positive, never negative
  // Faces only a teacher saw, with its score: soft objectness targets
  // (region_loss.hpp TruthBox::objectness).
  std::vector<detect::Detection> soft;
};

// `--set FILE[:WEIGHT[:MIN_FACE[:SOFT]]]`: a bbx_gt file (image paths relative
// to its folder), its sampling weight (relative to the other sets), the
// smallest face, in pixels of the stored image (sqrt of the box area), that
// is a positive (smaller ones and faces flagged invalid are ignore regions),
// and a teacher's scored detections of the same photos (FDDB detection list,
// `ifq teacher-label --soft-out`; names are image paths relative to its
// folder). A teacher box overlapping a labelled or ignored box (IoU >=
// kSoftOverlap) is dropped, since the label decides there; the others are
// soft faces whose objectness target is the teacher's score.
struct PhotoSetSpec {
  std::string gt_file;
  double weight = 1;
  double min_face = 0;
  std::string soft_file;
  int max_side = 640;  // photos are downscaled (area average) to at most this, to bound memory
};
// Throws ifq::Error naming the text on a bad weight or size.
PhotoSetSpec parse_photo_set_spec(const std::string& text);

// The IoU at which a teacher box counts as the same face as a label (the
// merge rule of ifq teacher-label --merge-with, teacher_label.hpp).
constexpr double kSoftOverlap = 0.3;

struct PhotoSet {
  std::string name;  // the bbx_gt path
  double weight = 1;
  std::vector<LabelledPhoto> photos;
  int64_t faces() const;
  int64_t ignored() const;
  int64_t soft() const;
  int largest_side() const;  // of the photos as stored (after PhotoSetSpec::max_side)
};
// Unreadable images are skipped and counted in *skipped (never fatal); a
// malformed bbx_gt throws ifq::Error naming file and line; a set without a
// readable image throws.
PhotoSet load_photo_set(const PhotoSetSpec& spec, int64_t* skipped = nullptr);

struct PhotoAugment {
  int inference_side = 416;          // the view zoom 1 stands for
  double zoom_min = 0.5, zoom_max = 1.5;  // log-uniform
  double aspect = 1.25;              // width/height stretch, log-uniform in [1/aspect, aspect]
  double keep_aspect = 0.25;         // share of photos shown letterbox-style (aspect kept) instead of stretched
  double mosaic = 0.5;               // share of samples that are a mosaic of four photos
  bool flip = true;
  double hue = 0.02;                 // hue turn, uniform in [-hue, hue] of a full turn
  double saturation = 1.5, exposure = 1.5;  // log-uniform factors in [1/s, s] (darknet's rand_scale)
  double min_face = 8;               // faces smaller than this (px in the sample) become ignore regions
  double min_visible = 0.6;          // a face less visible than this in its window becomes an ignore region
};
// Throws ifq::Error on values that cannot make samples (e.g. zoom_min > zoom_max).
void check_photo_augment(const PhotoAugment& aug);

// One sample of shape (CHW; 3 planes RGB or 1 plane luma) and its truths,
// normalised centre format; ignore regions carry ignore = true. Every random
// choice comes from `rng`, so a sample is a pure function of its seed.
void sample_photo_mix(const std::vector<PhotoSet>& sets, const PhotoAugment& aug, Shape3 shape, uint64_t& rng,
                      uint8_t* chw, std::vector<TruthBox>& truths);

}  // namespace ifq::trainer
