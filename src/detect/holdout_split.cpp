// Deterministic hold-out split of bbx_gt images (see holdout_split.hpp).
#include "ifq/detect/holdout_split.hpp"

#include <filesystem>

#include "ifq/error.hpp"

namespace ifq::detect {

uint64_t fnv1a64(const std::string& text) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

bool in_holdout(const std::string& path, int test_percent) { return int(fnv1a64(path) % 100) < test_percent; }

HoldoutSplit split_holdout(const std::vector<WiderImage>& images, int test_percent) {
  if (test_percent < 0 || test_percent > 100)
    throw Error("hold-out: the test percentage must be in [0, 100], not " + std::to_string(test_percent));
  HoldoutSplit s;
  for (const WiderImage& wi : images) (in_holdout(wi.path, test_percent) ? s.test : s.train).push_back(wi);
  return s;
}

std::string rebase_path(const std::string& path, const std::string& from_folder, const std::string& to_folder) {
  namespace fs = std::filesystem;
  const fs::path from = fs::absolute(from_folder.empty() ? "." : from_folder);
  const fs::path to = fs::absolute(to_folder.empty() ? "." : to_folder);
  return (from / path).lexically_normal().lexically_relative(to).string();
}

std::vector<WiderImage> rebase_paths(std::vector<WiderImage> images, const std::string& from_folder,
                                     const std::string& to_folder) {
  for (WiderImage& wi : images) wi.path = rebase_path(wi.path, from_folder, to_folder);
  return images;
}

}  // namespace ifq::detect
