#include "ifq/detect/face_pack.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "ifq/detect/datasets.hpp"
#include "ifq/detect/holdout_split.hpp"
#include "ifq/detect/image.hpp"
#include "ifq/error.hpp"

namespace ifq::detect {

FacePackResult pack_face_set(const std::string& gt, const std::string& out_dir, const FacePackOptions& options,
                             const std::function<void(int, int)>& progress) {
  namespace fs = std::filesystem;
  if (options.max_side < 16) throw Error("face pack: max side " + std::to_string(options.max_side) + " is below 16");
  if (options.keep_percent < 1 || options.keep_percent > 100)
    throw Error("face pack: keep percent " + std::to_string(options.keep_percent) + " is not 1..100");
  const std::vector<WiderImage> images = load_wider_gt(gt);
  const fs::path from = fs::path(gt).parent_path();
  fs::create_directories(fs::path(out_dir) / "images");
  std::vector<WiderImage> packed;
  FacePackResult result;
  int done = 0;
  for (const WiderImage& wi : images) {
    if (progress) progress(done++, int(images.size()));
    if (fnv1a64("pack:" + wi.path) % 100 >= uint64_t(options.keep_percent)) continue;
    const Image photo = load_image((from / wi.path).string());
    const int longest = std::max(photo.width, photo.height);
    const double scale = longest > options.max_side ? double(options.max_side) / longest : 1.0;
    const int w = std::max(1, int(std::lround(photo.width * scale)));
    const int h = std::max(1, int(std::lround(photo.height * scale)));
    char name[32];
    std::snprintf(name, sizeof name, "images/%06d.jpg", result.photos);
    const std::string file = (fs::path(out_dir) / name).string();
    save_image(resize_area_bilinear(photo, w, h), file, options.jpeg_quality);
    result.bytes += int64_t(fs::file_size(file));
    WiderImage out{name, wi.faces};
    const double sx = double(w) / photo.width, sy = double(h) / photo.height;
    for (WiderFace& f : out.faces) f.box = Box{f.box.x * sx, f.box.y * sy, f.box.w * sx, f.box.h * sy};
    result.faces += int64_t(out.faces.size());
    packed.push_back(std::move(out));
    ++result.photos;
  }
  if (progress) progress(done, int(images.size()));
  save_wider_gt(packed, (fs::path(out_dir) / "bbx_gt.txt").string());
  return result;
}

}  // namespace ifq::detect
