// Real-photo detection samples (see photo_mix.hpp). No LibTorch here.
#include "ifq/train/photo_mix.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include "ifq/detect/datasets.hpp"
#include "ifq/error.hpp"
#include "ifq/train/dataset.hpp"
#include "ifq/train/detection_data.hpp"

namespace ifq::trainer {

namespace {

double parse_number(const std::string& text, const std::string& field, const std::string& whole) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(v))
    throw Error("--set '" + whole + "': " + field + " '" + text + "' is not a number");
  return v;
}

}  // namespace

PhotoSetSpec parse_photo_set_spec(const std::string& text) {
  PhotoSetSpec spec;
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t colon; (colon = text.find(':', start)) != std::string::npos; start = colon + 1)
    parts.push_back(text.substr(start, colon - start));
  parts.push_back(text.substr(start));
  if (parts.size() > 4 || parts[0].empty() || (parts.size() == 4 && parts[3].empty()))
    throw Error("--set '" + text + "': expected FILE[:WEIGHT[:MIN_FACE[:SOFT]]]");
  spec.gt_file = parts[0];
  if (parts.size() > 1) spec.weight = parse_number(parts[1], "weight", text);
  if (parts.size() > 2) spec.min_face = parse_number(parts[2], "minimum face size", text);
  if (parts.size() > 3) spec.soft_file = parts[3];
  if (!(spec.weight > 0)) throw Error("--set '" + text + "': the weight must be > 0");
  if (spec.min_face < 0) throw Error("--set '" + text + "': the minimum face size must be >= 0");
  return spec;
}

int64_t PhotoSet::faces() const {
  int64_t n = 0;
  for (const LabelledPhoto& p : photos) n += int64_t(p.faces.size());
  return n;
}

int64_t PhotoSet::ignored() const {
  int64_t n = 0;
  for (const LabelledPhoto& p : photos) n += int64_t(p.ignore.size());
  return n;
}

int64_t PhotoSet::soft() const {
  int64_t n = 0;
  for (const LabelledPhoto& p : photos) n += int64_t(p.soft.size());
  return n;
}

int PhotoSet::largest_side() const {
  int side = 0;
  for (const LabelledPhoto& p : photos) side = std::max({side, p.image.width, p.image.height});
  return side;
}

namespace {

// Paths of two annotation files are compared as written relative to each
// file's folder, lexically normalised ("a/./b.jpg" == "a/b.jpg").
std::string photo_key(const std::filesystem::path& folder, const std::string& path) {
  return (folder / path).lexically_normal().string();
}

// The teacher's detections by photo (keys from photo_key). Scores must be
// in (0, 1]: they become objectness targets.
std::map<std::string, std::vector<detect::Detection>> load_soft_targets(const std::string& file) {
  const std::filesystem::path folder = std::filesystem::path(file).parent_path();
  std::map<std::string, std::vector<detect::Detection>> by_photo;
  for (detect::ImageDetections& im : detect::load_detections(file)) {
    for (const detect::Detection& d : im.detections)
      if (!(d.score > 0 && d.score <= 1))
        throw Error("'" + file + "': soft target score " + std::to_string(d.score) + " for '" + im.name +
                    "' is outside (0, 1]");
    auto& list = by_photo[photo_key(folder, im.name)];
    list.insert(list.end(), im.detections.begin(), im.detections.end());
  }
  return by_photo;
}

bool overlaps_any(const detect::Box& b, const std::vector<detect::Box>& boxes) {
  for (const detect::Box& o : boxes)
    if (detect::iou(b, o) >= kSoftOverlap) return true;
  return false;
}

}  // namespace

PhotoSet load_photo_set(const PhotoSetSpec& spec, int64_t* skipped) {
  const std::filesystem::path folder = std::filesystem::path(spec.gt_file).parent_path();
  const auto soft_targets = spec.soft_file.empty() ? std::map<std::string, std::vector<detect::Detection>>{}
                                                   : load_soft_targets(spec.soft_file);
  PhotoSet set;
  set.name = spec.gt_file;
  set.weight = spec.weight;
  int64_t bad = 0;
  const std::vector<detect::WiderImage> labelled = detect::load_wider_gt(spec.gt_file);
  // A soft-target file for other photos is a mistake (a path written from
  // another folder, say): it would silently teach nothing.
  std::set<std::string> keys;
  for (const detect::WiderImage& wi : labelled) keys.insert(photo_key(folder, wi.path));
  for (const auto& [key, detections] : soft_targets)
    if (!keys.count(key))
      throw Error("'" + spec.soft_file + "': soft targets for " + key + ", which is not in '" + spec.gt_file + "'");
  for (const detect::WiderImage& wi : labelled) {
    LabelledPhoto photo;
    try {
      photo.image = detect::load_image((folder / wi.path).string());
    } catch (const Error& e) {
      // An unreadable image costs one photo, not the run.
      std::fprintf(stderr, "ifq train: skipping %s\n", e.what());
      ++bad;
      continue;
    }
    double scale = 1;
    const int longest = std::max(photo.image.width, photo.image.height);
    if (spec.max_side > 0 && longest > spec.max_side) {
      scale = double(spec.max_side) / longest;
      photo.image = detect::resize_area_bilinear(photo.image, std::max(1, int(std::lround(photo.image.width * scale))),
                                                 std::max(1, int(std::lround(photo.image.height * scale))));
    }
    for (const detect::WiderFace& f : wi.faces) {
      const detect::Box b{f.box.x * scale, f.box.y * scale, f.box.w * scale, f.box.h * scale};
      if (b.area() <= 0) continue;
      (f.invalid || f.box.size() < spec.min_face ? photo.ignore : photo.faces).push_back(b);
    }
    const auto soft = soft_targets.find(photo_key(folder, wi.path));
    if (soft != soft_targets.end())
      for (const detect::Detection& d : soft->second) {
        const detect::Box b{d.box.x * scale, d.box.y * scale, d.box.w * scale, d.box.h * scale};
        if (b.area() <= 0 || overlaps_any(b, photo.faces) || overlaps_any(b, photo.ignore)) continue;
        if (b.size() < spec.min_face)
          photo.ignore.push_back(b);
        else
          photo.soft.push_back({b, d.score, d.class_id});
      }
    set.photos.push_back(std::move(photo));
  }
  if (skipped) *skipped += bad;
  if (set.photos.empty()) throw Error("'" + spec.gt_file + "' gives no readable images");
  return set;
}

void check_photo_augment(const PhotoAugment& a) {
  auto bad = [](const std::string& what) { throw Error("photo augmentation: " + what); };
  if (a.inference_side < 32) bad("the inference side must be >= 32");
  if (!(a.zoom_min > 0) || !(a.zoom_min <= a.zoom_max)) bad("need 0 < zoom min <= zoom max");
  if (!(a.aspect >= 1)) bad("aspect must be >= 1");
  for (double p : {a.keep_aspect, a.mosaic, a.min_visible})
    if (!(p >= 0 && p <= 1)) bad("keep-aspect, mosaic and min-visible are fractions in [0, 1]");
  if (!(a.hue >= 0 && a.hue <= 0.5)) bad("hue must be in [0, 0.5] of a turn");
  if (!(a.saturation >= 1) || !(a.exposure >= 1)) bad("saturation and exposure ranges must be >= 1");
  if (!(a.min_face >= 0)) bad("the minimum face size must be >= 0");
}

namespace {

// Where one photo lands: destination = source * (kx, ky) + (ox, oy), drawn
// only inside the window [wx0, wx1) x [wy0, wy1) of the canvas.
struct Placement {
  double kx = 1, ky = 1, ox = 0, oy = 0;
  int wx0 = 0, wy0 = 0, wx1 = 0, wy1 = 0;
};

const LabelledPhoto& pick_photo(const std::vector<PhotoSet>& sets, double total_weight, uint64_t& rng) {
  double r = uniform(rng, 0, total_weight);
  size_t s = 0;
  while (s + 1 < sets.size() && r >= sets[s].weight) r -= sets[s++].weight;
  const PhotoSet& set = sets[s];
  return set.photos[size_t(splitmix64(rng) % uint64_t(set.photos.size()))];
}

// A random zoom/aspect/position for `photo` in the window, in the inference
// view's pixels (zoom 1 = the photo stretched to side x side, or fitted into it
// with its aspect kept).
Placement place(const LabelledPhoto& photo, const PhotoAugment& a, double zoom_factor, int wx0, int wy0, int wx1,
                int wy1, uint64_t& rng) {
  Placement p{1, 1, 0, 0, wx0, wy0, wx1, wy1};
  const double zoom = zoom_factor * std::exp(uniform(rng, std::log(a.zoom_min), std::log(a.zoom_max)));
  const double stretch = std::sqrt(rand_scale(rng, a.aspect));
  const double side = a.inference_side * zoom;
  const int W = photo.image.width, H = photo.image.height;
  double w = side, h = side;
  if (uniform(rng, 0, 1) < a.keep_aspect) (W >= H ? h : w) *= double(std::min(W, H)) / std::max(W, H);
  w *= stretch, h /= stretch;
  p.kx = w / W, p.ky = h / H;
  const double ww = wx1 - wx0, wh = wy1 - wy0;
  // Larger than the window: a random crop; smaller: a random position in it.
  p.ox = wx0 + (w > ww ? uniform(rng, ww - w, 0) : uniform(rng, 0, ww - w));
  p.oy = wy0 + (h > wh ? uniform(rng, wh - h, 0) : uniform(rng, 0, wh - h));
  return p;
}

// Bilinear resampling of the photo into its window of the RGB canvas (taps
// outside the photo read its edge); photos shrunk 2x or more are first
// area-averaged so no pixel is skipped.
void draw(const detect::Image& photo, const Placement& p, detect::Image& canvas) {
  const int factor = int(1 / std::max(p.kx, p.ky));
  const detect::Image shrunk = factor >= 2 ? detect::shrink_by(photo, factor) : detect::Image{};
  const detect::Image& src = factor >= 2 ? shrunk : photo;
  const double sx = double(src.width) / photo.width, sy = double(src.height) / photo.height;
  const int x0 = std::max(p.wx0, int(std::floor(p.ox))), x1 = std::min(p.wx1, int(std::ceil(p.ox + p.kx * photo.width)));
  const int y0 = std::max(p.wy0, int(std::floor(p.oy))), y1 = std::min(p.wy1, int(std::ceil(p.oy + p.ky * photo.height)));
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x)
      detect::sample_bilinear(src, ((x + 0.5 - p.ox) / p.kx) * sx - 0.5, ((y + 0.5 - p.oy) / p.ky) * sy - 0.5,
                              canvas.at(x, y));
}

// The photo's faces in the canvas, normalised; cut or tiny faces become
// ignore regions.
void add_truths(const LabelledPhoto& photo, const Placement& p, const PhotoAugment& a, int side,
                std::vector<TruthBox>& truths) {
  auto emit = [&](const detect::Box& b, bool positive, double objectness) {
    const detect::Box full{p.ox + b.x * p.kx, p.oy + b.y * p.ky, b.w * p.kx, b.h * p.ky};
    const double x0 = std::max<double>(full.x, p.wx0), x1 = std::min<double>(full.right(), p.wx1);
    const double y0 = std::max<double>(full.y, p.wy0), y1 = std::min<double>(full.bottom(), p.wy1);
    if (x1 - x0 < 0.5 || y1 - y0 < 0.5) return;  // outside the window
    const double visible = (x1 - x0) * (y1 - y0) / full.area();
    TruthBox t;
    t.x = (x0 + x1) / 2 / side, t.y = (y0 + y1) / 2 / side;
    t.w = (x1 - x0) / side, t.h = (y1 - y0) / side;
    t.ignore = !positive || visible < a.min_visible || full.size() < a.min_face;
    t.objectness = objectness;
    truths.push_back(t);
  };
  for (const detect::Box& b : photo.faces) emit(b, true, 1.0);
  for (const detect::Box& b : photo.ignore) emit(b, false, 1.0);
  for (const detect::Detection& d : photo.soft) emit(d.box, true, d.score);
}

}  // namespace

void sample_photo_mix(const std::vector<PhotoSet>& sets, const PhotoAugment& a, Shape3 shape, uint64_t& rng,
                      uint8_t* chw, std::vector<TruthBox>& truths) {
  if (sets.empty()) throw Error("photo mix: no photo sets");
  if (shape.w != shape.h) throw Error("photo mix: samples are square, not " + shape.str());
  double total = 0;
  for (const PhotoSet& s : sets) {
    if (s.photos.empty() || !(s.weight > 0)) throw Error("photo mix: set '" + s.name + "' is empty or has weight <= 0");
    total += s.weight;
  }
  const int side = shape.w;
  detect::Image canvas = detect::make_image(side, side, 127, 127, 127);
  truths.clear();
  if (uniform(rng, 0, 1) < a.mosaic) {
    // Four photos around a random centre, each at about half the zoom so a
    // quadrant shows a good part of its photo.
    const int cx = int(std::lround(uniform(rng, 0.3, 0.7) * side)), cy = int(std::lround(uniform(rng, 0.3, 0.7) * side));
    const int xs[3] = {0, cx, side}, ys[3] = {0, cy, side};
    for (int q = 0; q < 4; ++q) {
      const LabelledPhoto& photo = pick_photo(sets, total, rng);
      const Placement p = place(photo, a, 0.5, xs[q % 2], ys[q / 2], xs[q % 2 + 1], ys[q / 2 + 1], rng);
      draw(photo.image, p, canvas);
      add_truths(photo, p, a, side, truths);
    }
  } else {
    const LabelledPhoto& photo = pick_photo(sets, total, rng);
    const Placement p = place(photo, a, 1.0, 0, 0, side, side, rng);
    draw(photo.image, p, canvas);
    add_truths(photo, p, a, side, truths);
  }
  const std::vector<uint8_t> planes = detect::to_chw(canvas, shape.c);
  std::copy(planes.begin(), planes.end(), chw);
  const double hue = a.hue > 0 ? uniform(rng, -a.hue, a.hue) : 0.0;
  const double s = rand_scale(rng, a.saturation), e = rand_scale(rng, a.exposure);
  if (hue != 0 || s != 1 || e != 1) colour_jitter(chw, shape, hue, s, e);
  if (a.flip && (splitmix64(rng) & 1)) flip_detection(chw, shape, truths);
}

}  // namespace ifq::trainer
