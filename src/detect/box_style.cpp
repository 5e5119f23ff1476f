// Box styles: applying, fitting and storing the linear box correction (see
// box_style.hpp).
#include "ifq/detect/box_style.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>

#include "ifq/atomic_file.hpp"
#include "ifq/error.hpp"

namespace ifq::detect {
namespace {

constexpr double kPi = 3.14159265358979323846;

double median(std::vector<double> v) {
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + long(mid), v.end());
  const double upper = v[mid];
  if (v.size() % 2) return upper;
  return (*std::max_element(v.begin(), v.begin() + long(mid)) + upper) / 2;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

struct Pair {
  Box detection, face;
};

// Greedy one-to-one matching of one photo under `style`, best score first.
void match_photo(const BoxStyleFitImage& image, const BoxStyle& style, const BoxStyleFitOptions& options,
                 std::vector<Pair>& pairs) {
  std::vector<const Detection*> kept;
  for (const Detection& d : image.detections)
    if (d.score >= options.min_score && d.box.area() > 0) kept.push_back(&d);
  std::stable_sort(kept.begin(), kept.end(), [](const Detection* a, const Detection* b) { return a->score > b->score; });
  std::vector<bool> taken(image.faces.size(), false);
  for (const Detection* d : kept) {
    const Box styled = apply_box_style(d->box, style);
    long best = -1;
    double best_iou = options.min_iou;
    for (size_t f = 0; f < image.faces.size(); ++f) {
      if (taken[f] || image.faces[f].area() <= 0) continue;
      const double o = iou(styled, image.faces[f]);
      if (o >= best_iou) best = long(f), best_iou = o;
    }
    if (best >= 0) {
      taken[size_t(best)] = true;
      pairs.push_back({d->box, image.faces[size_t(best)]});
    }
  }
}

std::vector<Pair> match_all(const std::vector<BoxStyleFitImage>& images, const BoxStyle& style,
                            const BoxStyleFitOptions& options) {
  std::vector<Pair> pairs;
  for (const BoxStyleFitImage& image : images) match_photo(image, style, options, pairs);
  return pairs;
}

BoxStyle style_of(const std::vector<Pair>& pairs) {
  std::vector<double> dx, dy, lw, lh;
  for (const Pair& p : pairs) {
    const Box& d = p.detection;
    const Box& f = p.face;
    dx.push_back((f.x + f.w / 2 - (d.x + d.w / 2)) / d.w);
    dy.push_back((f.y + f.h / 2 - (d.y + d.h / 2)) / d.h);
    lw.push_back(std::log(f.w / d.w));
    lh.push_back(std::log(f.h / d.h));
  }
  return {median(dx), median(dy), std::exp(median(lw)), std::exp(median(lh))};
}

// Median IoU and share above 0.5 of the pairs under `style`.
std::pair<double, double> agreement(const std::vector<Pair>& pairs, const BoxStyle& style) {
  std::vector<double> ious;
  long over = 0;
  for (const Pair& p : pairs) {
    ious.push_back(iou(apply_box_style(p.detection, style), p.face));
    over += ious.back() > 0.5;
  }
  return {median(ious), double(over) / double(pairs.size())};
}

}  // namespace

Box apply_box_style(const Box& box, const BoxStyle& style) {
  const double w = box.w * style.sw, h = box.h * style.sh;
  const double cx = box.x + box.w / 2 + style.dx * box.w, cy = box.y + box.h / 2 + style.dy * box.h;
  return box_from_centre(cx, cy, w, h);
}

BoxStyleFit fit_box_style(const std::vector<BoxStyleFitImage>& images, const BoxStyleFitOptions& options) {
  if (!(options.min_iou > 0 && options.min_iou <= 1)) throw Error("box style: the matching IoU must be in (0, 1]");
  if (options.rounds < 1) throw Error("box style: at least one round of matching and fitting");
  BoxStyle style;
  std::vector<Pair> pairs;
  for (int round = 0; round < options.rounds; ++round) {
    pairs = match_all(images, style, options);
    if (long(pairs.size()) < std::max(1, options.min_pairs))
      throw Error("box style: only " + std::to_string(pairs.size()) + " detection(s) at score >= " +
                  number(options.min_score) + " match a face (IoU >= " + number(options.min_iou) +
                  "); a fit needs at least " + std::to_string(std::max(1, options.min_pairs)));
    style = style_of(pairs);
  }
  BoxStyleFit fit;
  fit.style = style;
  fit.options = options;
  fit.pairs = (long long)pairs.size();
  std::tie(fit.median_iou_before, fit.share_over_half_before) = agreement(pairs, BoxStyle{});
  std::tie(fit.median_iou_after, fit.share_over_half_after) = agreement(pairs, style);
  return fit;
}

Box region_bounding_box(const FaceRegion& region) {
  if (const Box* b = std::get_if<Box>(&region)) return *b;
  const Ellipse& e = std::get<Ellipse>(region);
  const double c = std::cos(e.angle), s = std::sin(e.angle);
  const double half_w = std::sqrt(e.major * e.major * c * c + e.minor * e.minor * s * s);
  const double half_h = std::sqrt(e.major * e.major * s * s + e.minor * e.minor * c * c);
  return box_from_centre(e.cx, e.cy, 2 * half_w, 2 * half_h);
}

Ellipse ellipse_in_box(const Box& box) {
  const bool tall = box.h >= box.w;
  return {(tall ? box.h : box.w) / 2, (tall ? box.w : box.h) / 2, tall ? kPi / 2 : 0.0, box.x + box.w / 2,
          box.y + box.h / 2};
}

BoxStyle load_box_style(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error("box style '" + file + "': cannot read the file");
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception&) {
    throw Error("box style '" + file + "': not JSON");
  }
  if (!j.is_object() || !j.contains("format") || j["format"] != "ifq-box-style")
    throw Error("box style '" + file + "': not an ifq box style (\"format\": \"ifq-box-style\" missing)");
  double v[4];
  const char* names[4] = {"dx", "dy", "sw", "sh"};
  for (int k = 0; k < 4; ++k) {
    if (!j.contains(names[k]) || !j[names[k]].is_number() || !std::isfinite(j[names[k]].get<double>()))
      throw Error("box style '" + file + "': \"" + names[k] + "\" is missing or not a finite number");
    v[k] = j[names[k]].get<double>();
  }
  if (!(v[2] > 0 && v[3] > 0)) throw Error("box style '" + file + "': the scales sw and sh must be > 0");
  return {v[0], v[1], v[2], v[3]};
}

void save_box_style(const std::string& file, const BoxStyleFit& fit,
                    const std::vector<std::pair<std::string, std::string>>& notes) {
  nlohmann::json j{{"format", "ifq-box-style"},
                   {"dx", fit.style.dx},
                   {"dy", fit.style.dy},
                   {"sw", fit.style.sw},
                   {"sh", fit.style.sh},
                   {"pairs", fit.pairs},
                   {"min_score", fit.options.min_score},
                   {"min_iou", fit.options.min_iou},
                   {"rounds", fit.options.rounds},
                   {"median_iou_before", fit.median_iou_before},
                   {"median_iou_after", fit.median_iou_after},
                   {"share_iou_over_half_before", fit.share_over_half_before},
                   {"share_iou_over_half_after", fit.share_over_half_after},
                   {"notes", nlohmann::json::object()}};
  for (const auto& [key, value] : notes) j["notes"][key] = value;
  write_file_atomic(file, j.dump(2) + "\n");
}

}  // namespace ifq::detect
