// Class-per-folder image trees (ImageNet layout), decoded with stb_image.
#include <stb/stb_image.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "ifq/error.hpp"
#include "ifq/train/dataset.hpp"

namespace ifq::trainer {
namespace fs = std::filesystem;
namespace {

// Bilinear resize of an HWC image (channels fixed), then centre crop.
std::vector<uint8_t> resize_crop_to_chw(const uint8_t* hwc, int w, int h, int c, int resize_short, Shape3 out) {
  const double scale = double(resize_short) / double(std::min(w, h));
  const int rw = std::max(out.w, int(std::lround(w * scale))), rh = std::max(out.h, int(std::lround(h * scale)));
  const int x0 = (rw - out.w) / 2, y0 = (rh - out.h) / 2;
  std::vector<uint8_t> chw(size_t(out.elements()));
  for (int y = 0; y < out.h; ++y)
    for (int x = 0; x < out.w; ++x) {
      const double sx = std::clamp((x + x0 + 0.5) * double(w) / rw - 0.5, 0.0, double(w - 1));
      const double sy = std::clamp((y + y0 + 0.5) * double(h) / rh - 0.5, 0.0, double(h - 1));
      const int ix = int(sx), iy = int(sy);
      const int jx = std::min(ix + 1, w - 1), jy = std::min(iy + 1, h - 1);
      const double fx = sx - ix, fy = sy - iy;
      for (int ch = 0; ch < c; ++ch) {
        auto at = [&](int yy, int xx) { return double(hwc[(size_t(yy) * size_t(w) + size_t(xx)) * size_t(c) + size_t(ch)]); };
        double v = (1 - fy) * ((1 - fx) * at(iy, ix) + fx * at(iy, jx)) + fy * ((1 - fx) * at(jy, ix) + fx * at(jy, jx));
        chw[(size_t(ch) * size_t(out.h) + size_t(y)) * size_t(out.w) + size_t(x)] = uint8_t(std::clamp(std::lround(v), 0L, 255L));
      }
    }
  return chw;
}

}  // namespace

Dataset load_image_folder(const std::string& root, Shape3 shape, int resize_short, int64_t* skipped) {
  if (!fs::is_directory(root)) throw Error("image folder '" + root + "' does not exist or is not a directory");
  if (shape.c != 1 && shape.c != 3) throw Error("image folder: channels must be 1 or 3, got " + std::to_string(shape.c));
  if (resize_short < std::max(shape.h, shape.w)) resize_short = std::max(shape.h, shape.w);
  Dataset d;
  d.shape = shape;
  for (const auto& e : fs::directory_iterator(root))
    if (e.is_directory()) d.class_names.push_back(e.path().filename().string());
  std::sort(d.class_names.begin(), d.class_names.end());
  if (d.class_names.empty()) throw Error("image folder '" + root + "' has no class sub-folders (expected ROOT/<class>/<image>)");
  d.classes = int(d.class_names.size());
  int64_t bad = 0;
  for (int cls = 0; cls < d.classes; ++cls) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(fs::path(root) / d.class_names[size_t(cls)]))
      if (e.is_regular_file()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      int w = 0, h = 0, n = 0;
      uint8_t* px = stbi_load(f.string().c_str(), &w, &h, &n, shape.c);
      if (!px) {
        ++bad;
        continue;
      }
      auto chw = resize_crop_to_chw(px, w, h, shape.c, resize_short, shape);
      stbi_image_free(px);
      d.images.insert(d.images.end(), chw.begin(), chw.end());
      d.labels.push_back(cls);
    }
  }
  if (skipped) *skipped = bad;
  if (d.labels.empty()) throw Error("image folder '" + root + "': no readable images (" + std::to_string(bad) + " unreadable)");
  return d;
}

}  // namespace ifq::trainer
