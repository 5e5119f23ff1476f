#pragma once
// In-memory labelled image sets for training and evaluation: 8-bit CHW images
// (the same bytes the integer runtime consumes) plus integer labels.
#include <cstdint>
#include <string>
#include <vector>

#include "ifq/shape.hpp"

namespace ifq::trainer {

struct Dataset {
  Shape3 shape;                  // of one image
  int classes = 0;
  std::vector<uint8_t> images;   // count * shape.elements(), CHW per image
  std::vector<int32_t> labels;   // count
  std::vector<std::string> class_names;  // optional

  int64_t size() const { return int64_t(labels.size()); }
  std::vector<uint8_t> image(int64_t i) const;
  // The first n samples (or all when n >= size()).
  Dataset head(int64_t n) const;
};

// IDX files (LeCun's format; .gz read through zlib). Throws ifq::Error naming
// the file and the problem (bad magic, truncated data, count mismatch).
Dataset load_idx(const std::string& images_path, const std::string& labels_path);

// Fashion-MNIST from `dir` (default: the Debian package's location);
// split is "train" or "t10k". A missing file gives an error that says how to
// install the data set.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";
Dataset load_fashion_mnist(const std::string& split, const std::string& dir = kFashionMnistDir);

// Class-per-folder image tree (ImageNet layout: ROOT/<class>/<image>);
// classes sorted by folder name; images decoded with stb_image (PNG, JPEG,
// BMP, ...), converted to `shape.c` channels and resized (shorter side to
// `resize_short`, then centre crop to shape.h x shape.w). Unreadable images
// are skipped and counted in *skipped.
Dataset load_image_folder(const std::string& root, Shape3 shape, int resize_short,
                          int64_t* skipped = nullptr);

// Training-time augmentation of one CHW image in place: random crop with
// `pad` zero pixels around it and a random horizontal flip, driven by `rng`.
struct Augment {
  bool flip = false;
  int crop_pad = 0;
  bool any() const { return flip || crop_pad > 0; }
};
void augment_image(uint8_t* chw, Shape3 shape, const Augment& aug, uint64_t& rng_state);

// splitmix64 step: the trainer's only random source for data order and
// augmentation, so a run is a pure function of its seed and step.
uint64_t splitmix64(uint64_t& state);

}  // namespace ifq::trainer
