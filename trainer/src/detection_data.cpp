// Detection data set loading and flip augmentation (no LibTorch here).
#include "ifq_trainer/detection_data.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "ifq/detect/datasets.hpp"
#include "ifq/error.hpp"

namespace ifq::trainer {

void add_detection_image(DetectionDataset& data, const detect::Image& image, const std::vector<detect::Box>& boxes) {
  const Shape3 s = data.shape;
  if (s.c != 1 && s.c != 3) throw Error("detection data: networks with " + std::to_string(s.c) + " input channels are not supported (1 or 3)");
  if (image.width <= 0 || image.height <= 0) throw Error("detection data: empty image");
  const detect::Image resized =
      (image.width == s.w && image.height == s.h) ? image : detect::resize_bilinear(image, s.w, s.h);
  const std::vector<uint8_t> chw = detect::to_chw(resized, s.c);
  std::vector<TruthBox> truths;
  for (const detect::Box& b : boxes) {
    const detect::Box c = detect::clip_box(b, image.width, image.height);
    if (c.area() <= 0) continue;
    TruthBox t;
    t.x = (c.x + c.w / 2) / image.width;
    t.y = (c.y + c.h / 2) / image.height;
    t.w = c.w / image.width;
    t.h = c.h / image.height;
    truths.push_back(t);
  }
  data.images.insert(data.images.end(), chw.begin(), chw.end());
  data.truths.push_back(std::move(truths));
}

DetectionDataset load_wider_detection(const std::string& gt_file, const std::string& image_root, Shape3 shape,
                                      int64_t* skipped, int64_t max_images) {
  const std::vector<detect::WiderImage> list = detect::load_wider_gt(gt_file);
  DetectionDataset data;
  data.shape = shape;
  int64_t bad = 0;
  for (const detect::WiderImage& wi : list) {
    if (max_images > 0 && data.size() >= max_images) break;
    detect::Image img;
    const std::string path = (std::filesystem::path(image_root) / wi.path).string();
    try {
      img = detect::load_image(path);
    } catch (const Error& e) {
      // An unreadable image costs one sample, not the run.
      std::fprintf(stderr, "ifq train: skipping %s\n", e.what());
      ++bad;
      continue;
    }
    std::vector<detect::Box> boxes;
    for (const detect::WiderFace& f : wi.faces)
      if (!f.invalid) boxes.push_back(f.box);
    add_detection_image(data, img, boxes);
  }
  if (skipped) *skipped = bad;
  if (data.size() == 0) throw Error("'" + gt_file + "' gives no readable images under '" + image_root + "'");
  return data;
}

void flip_detection(uint8_t* chw, Shape3 shape, std::vector<TruthBox>& truths) {
  for (int c = 0; c < shape.c; ++c)
    for (int y = 0; y < shape.h; ++y) {
      uint8_t* row = chw + (int64_t(c) * shape.h + y) * shape.w;
      std::reverse(row, row + shape.w);
    }
  for (TruthBox& t : truths) t.x = 1.0 - t.x;
}

}  // namespace ifq::trainer
