// Detection data set loading and flip augmentation (no LibTorch here).
#include "ifq/train/detection_data.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "ifq/detect/datasets.hpp"
#include "ifq/detect/detector.hpp"
#include "ifq/error.hpp"
#include "ifq/train/dataset.hpp"

namespace ifq::trainer {

void add_detection_image(DetectionDataset& data, const detect::Image& image, const std::vector<detect::Box>& boxes) {
  const Shape3 s = data.shape;
  if (image.width <= 0 || image.height <= 0) throw Error("detection data: empty image");
  // Exactly what the detector will feed the network (stretch, RGB or luma).
  const std::vector<uint8_t> chw = detect::network_input(image, s);
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

void add_imglab_detection(DetectionDataset& data, const std::string& xml_file, Shape3 inference, int crops,
                          uint64_t seed, int64_t* skipped) {
  const Shape3 out = data.shape;
  if (inference.w < out.w || inference.h < out.h)
    throw Error("imglab photos: the inference size " + inference.str() + " is smaller than the training size " + out.str());
  const std::filesystem::path folder = std::filesystem::path(xml_file).parent_path();
  int64_t bad = 0;
  uint64_t rng = seed ^ 0xA0761D6478BD642Full;
  for (const detect::ImglabImage& ii : detect::load_imglab_xml(xml_file)) {
    detect::Image img;
    try {
      img = detect::load_image((folder / ii.file).string());
    } catch (const Error& e) {
      std::fprintf(stderr, "ifq train: skipping %s\n", e.what());
      ++bad;
      continue;
    }
    const detect::Image big = detect::resize_bilinear(img, inference.w, inference.h);
    const double sx = double(inference.w) / img.width, sy = double(inference.h) / img.height;
    for (int k = 0; k < crops; ++k) {
      const int x0 = int(splitmix64(rng) % uint64_t(inference.w - out.w + 1));
      const int y0 = int(splitmix64(rng) % uint64_t(inference.h - out.h + 1));
      const detect::Image window = detect::crop(big, x0, y0, out.w, out.h);
      std::vector<detect::Box> boxes;
      for (const detect::ImglabBox& b : ii.boxes) {
        if (b.ignore) continue;
        const detect::Box scaled{b.box.x * sx - x0, b.box.y * sy - y0, b.box.w * sx, b.box.h * sy};
        const detect::Box inside = detect::clip_box(scaled, out.w, out.h);
        if (inside.area() >= 0.5 * scaled.area()) boxes.push_back(scaled);
      }
      add_detection_image(data, window, boxes);
    }
  }
  if (skipped) *skipped += bad;
}

void flip_detection(uint8_t* chw, Shape3 shape, std::vector<TruthBox>& truths) {
  for (int c = 0; c < shape.c; ++c)
    for (int y = 0; y < shape.h; ++y) {
      uint8_t* row = chw + (int64_t(c) * shape.h + y) * shape.w;
      std::reverse(row, row + shape.w);
    }
  for (TruthBox& t : truths) t.x = 1.0 - t.x;
}

double uniform(uint64_t& rng, double lo, double hi) {
  return lo + (hi - lo) * double(splitmix64(rng) >> 11) * (1.0 / 9007199254740992.0);
}

double rand_scale(uint64_t& rng, double s) { return s > 1 ? std::exp(uniform(rng, -std::log(s), std::log(s))) : 1.0; }

namespace {

void jitter_crop(uint8_t* chw, Shape3 shape, std::vector<TruthBox>& truths, double jitter, uint64_t& rng) {
  const double W = shape.w, H = shape.h;
  const double left = uniform(rng, -jitter, jitter) * W, right = uniform(rng, -jitter, jitter) * W;
  const double top = uniform(rng, -jitter, jitter) * H, bottom = uniform(rng, -jitter, jitter) * H;
  const double cw = W - left - right, ch = H - top - bottom;  // crop window, >= (1 - 2 jitter) of the image
  const std::vector<uint8_t> src(chw, chw + shape.elements());
  for (int c = 0; c < shape.c; ++c) {
    const uint8_t* plane = src.data() + int64_t(c) * shape.h * shape.w;
    for (int y = 0; y < shape.h; ++y) {
      const double sy = top + (y + 0.5) * ch / H - 0.5;
      const int y0 = int(std::floor(sy));
      const double fy = sy - y0;
      for (int x = 0; x < shape.w; ++x) {
        const double sx = left + (x + 0.5) * cw / W - 0.5;
        const int x0 = int(std::floor(sx));
        const double fx = sx - x0;
        // Bilinear; taps outside the image read grey.
        auto at = [&](int yy, int xx) -> double {
          return (yy < 0 || yy >= shape.h || xx < 0 || xx >= shape.w) ? 127.0 : plane[int64_t(yy) * shape.w + xx];
        };
        const double v = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) +
                         fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
        chw[(int64_t(c) * shape.h + y) * shape.w + x] = uint8_t(std::clamp(std::lround(v), 0L, 255L));
      }
    }
  }
  std::vector<TruthBox> kept;
  for (TruthBox t : truths) {
    double x0 = ((t.x - t.w / 2) * W - left) / cw, x1 = ((t.x + t.w / 2) * W - left) / cw;
    double y0 = ((t.y - t.h / 2) * H - top) / ch, y1 = ((t.y + t.h / 2) * H - top) / ch;
    const double ux0 = x0, ux1 = x1, uy0 = y0, uy1 = y1;
    x0 = std::clamp(x0, 0.0, 1.0), x1 = std::clamp(x1, 0.0, 1.0);
    y0 = std::clamp(y0, 0.0, 1.0), y1 = std::clamp(y1, 0.0, 1.0);
    if (x1 - x0 <= 1e-3 || y1 - y0 <= 1e-3) continue;
    if ((x1 - x0) * (y1 - y0) < 0.25 * (ux1 - ux0) * (uy1 - uy0)) continue;
    t.x = (x0 + x1) / 2, t.y = (y0 + y1) / 2, t.w = x1 - x0, t.h = y1 - y0;
    kept.push_back(t);
  }
  truths = std::move(kept);
}

}  // namespace

void colour_jitter(uint8_t* chw, Shape3 shape, double hue_turn, double saturation, double exposure) {
  const int64_t n = int64_t(shape.h) * shape.w;
  if (shape.c == 3) {
    uint8_t *r = chw, *g = chw + n, *b = chw + 2 * n;
    if (hue_turn != 0) {
      // Hue: rotate the chroma plane of YIQ (BT.601 luma stays put).
      const double c = std::cos(2 * M_PI * hue_turn), s = std::sin(2 * M_PI * hue_turn);
      for (int64_t i = 0; i < n; ++i) {
        const double y = 0.299 * r[i] + 0.587 * g[i] + 0.114 * b[i];
        const double ci = 0.596 * r[i] - 0.274 * g[i] - 0.322 * b[i];
        const double cq = 0.211 * r[i] - 0.523 * g[i] + 0.312 * b[i];
        const double i2 = c * ci - s * cq, q2 = s * ci + c * cq;
        r[i] = uint8_t(std::clamp(std::lround(y + 0.956 * i2 + 0.621 * q2), 0L, 255L));
        g[i] = uint8_t(std::clamp(std::lround(y - 0.272 * i2 - 0.647 * q2), 0L, 255L));
        b[i] = uint8_t(std::clamp(std::lround(y - 1.106 * i2 + 1.703 * q2), 0L, 255L));
      }
    }
    for (int64_t i = 0; i < n; ++i) {
      const double luma = 0.299 * r[i] + 0.587 * g[i] + 0.114 * b[i];
      for (uint8_t* p : {r + i, g + i, b + i})
        *p = uint8_t(std::clamp(std::lround((luma + saturation * (*p - luma)) * exposure), 0L, 255L));
    }
  } else {
    for (int64_t i = 0; i < int64_t(shape.elements()); ++i)
      chw[i] = uint8_t(std::clamp(std::lround(chw[i] * exposure), 0L, 255L));
  }
}

void augment_detection(uint8_t* chw, Shape3 shape, std::vector<TruthBox>& truths, const DetectionAugment& aug,
                       uint64_t& rng) {
  if (aug.jitter > 0) jitter_crop(chw, shape, truths, aug.jitter, rng);
  if (aug.saturation > 1 || aug.exposure > 1) {
    const double s = rand_scale(rng, aug.saturation), e = rand_scale(rng, aug.exposure);
    colour_jitter(chw, shape, 0, s, e);
  }
  if (aug.flip && (splitmix64(rng) & 1)) flip_detection(chw, shape, truths);
}

}  // namespace ifq::trainer
