#pragma once
// A fixed, documented hold-out of labelled photos: an image belongs to the
// test part when FNV-1a-64 of its bbx_gt path line, mod 100, is below the
// test percentage. The rule depends on nothing but the path, so the split is
// the same on every machine, for every run, and when a set grows.
#include <cstdint>
#include <string>
#include <vector>

#include "ifq/detect/datasets.hpp"

namespace ifq::detect {

uint64_t fnv1a64(const std::string& text);
bool in_holdout(const std::string& path, int test_percent);

struct HoldoutSplit {
  std::vector<WiderImage> train, test;
};
HoldoutSplit split_holdout(const std::vector<WiderImage>& images, int test_percent);

// `path` (relative to `from_folder`) made relative to `to_folder`, so an
// annotation file can live elsewhere than the photos.
std::string rebase_path(const std::string& path, const std::string& from_folder, const std::string& to_folder);
// The same images with every path rebased so.
std::vector<WiderImage> rebase_paths(std::vector<WiderImage> images, const std::string& from_folder,
                                     const std::string& to_folder);

}  // namespace ifq::detect
