// FDDB discrete/continuous ROC (evaluate.cpp + Results.cpp semantics).
#include "ifq/detect/fddb_eval.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "ifq/atomic_file.hpp"
#include "ifq/error.hpp"
#include "text_lines.hpp"

namespace ifq::detect {
namespace {

// One image's overlaps, computed once for every threshold: each face
// against each detection, and which detections lie on an ignore region.
struct ImageOverlaps {
  std::vector<std::vector<double>> overlap;  // [face][detection]
  std::vector<bool> on_ignore;               // [detection]
};

ImageOverlaps image_overlaps(const FddbEvalImage& image, EllipseRaster how) {
  const size_t nf = image.faces.size(), nd = image.detections.size();
  std::vector<RowSpans> face_px(nf), det_px(nd);
  for (size_t a = 0; a < nf; ++a) face_px[a] = rasterise(image.faces[a], image.width, image.height, how);
  for (size_t d = 0; d < nd; ++d) det_px[d] = rasterise(image.detections[d].box, image.width, image.height);
  ImageOverlaps o;
  o.overlap.assign(nf, std::vector<double>(nd, 0.0));
  for (size_t a = 0; a < nf; ++a) {
    for (size_t d = 0; d < nd; ++d) {
      const long long inter = intersection_area(face_px[a], det_px[d]);
      const long long uni = face_px[a].area() + det_px[d].area() - inter;
      o.overlap[a][d] = uni > 0 ? double(inter) / double(uni) : 0.0;
    }
  }
  // Detections on an ignore region (IoU > 0.5, or more than half of the
  // detection inside it) are never false positives.
  o.on_ignore.assign(nd, false);
  for (const Box& ig : image.ignore) {
    const RowSpans ig_px = rasterise(ig, image.width, image.height);
    for (size_t d = 0; d < nd; ++d) {
      const long long inter = intersection_area(ig_px, det_px[d]);
      const long long uni = ig_px.area() + det_px[d].area() - inter;
      o.on_ignore[d] = o.on_ignore[d] || (uni > 0 && 2 * inter > uni) || 2 * inter > det_px[d].area();
    }
  }
  return o;
}

// The official per-image step at threshold t: keep detections with score
// >= t, match them to the faces, and say which are true positives
// (overlap > 0.5) and what the matched overlaps add up to.
struct ImageMatch {
  std::vector<size_t> kept;          // detections with score >= t
  std::vector<bool> true_positive;   // [detection]
  double tp_disc = 0, tp_cont = 0;
};

ImageMatch match_at(const FddbEvalImage& image, const ImageOverlaps& o, double t) {
  const size_t nf = image.faces.size(), nd = image.detections.size();
  ImageMatch m;
  m.true_positive.assign(nd, false);
  for (size_t d = 0; d < nd; ++d)
    if (image.detections[d].score >= t) m.kept.push_back(d);
  // As Matching::runHungarian: drop rows and columns without any overlap
  // (they cannot be matched), then match the rest.
  std::vector<size_t> rows, cols;
  for (size_t a = 0; a < nf; ++a) {
    for (size_t d : m.kept)
      if (o.overlap[a][d] > 0) {
        rows.push_back(a);
        break;
      }
  }
  for (size_t d : m.kept) {
    for (size_t a = 0; a < nf; ++a)
      if (o.overlap[a][d] > 0) {
        cols.push_back(d);
        break;
      }
  }
  std::vector<std::vector<double>> w(rows.size(), std::vector<double>(cols.size()));
  for (size_t i = 0; i < rows.size(); ++i)
    for (size_t j = 0; j < cols.size(); ++j) w[i][j] = o.overlap[rows[i]][cols[j]];
  const std::vector<int> match = max_weight_matching(w);
  for (size_t i = 0; i < rows.size(); ++i) {
    if (match[i] < 0) continue;
    const double score = w[i][size_t(match[i])];
    m.tp_cont += score;
    if (score > 0.5) {
      m.tp_disc += 1;
      m.true_positive[cols[size_t(match[i])]] = true;
    }
  }
  return m;
}

// One image at each of its unique scores (ascending), the official
// per-image loop: keep detections with score >= t, match, count.
FddbImageCurve image_curve(const FddbEvalImage& image, const std::vector<double>& scores, EllipseRaster how) {
  const ImageOverlaps o = image_overlaps(image, how);
  FddbImageCurve curve;
  curve.faces = (long long)image.faces.size();
  curve.scores = scores;
  for (double t : scores) {
    const ImageMatch m = match_at(image, o, t);
    double fp = 0;
    for (size_t d : m.kept)
      if (!m.true_positive[d] && !o.on_ignore[d]) fp += 1;
    curve.tp_disc.push_back(m.tp_disc);
    curve.tp_cont.push_back(m.tp_cont);
    curve.fp.push_back(fp);
  }
  return curve;
}

std::string format_double(double v) {
  std::ostringstream s;  // default stream formatting, as the official tool
  s << v;
  return s.str();
}

}  // namespace

FddbResult evaluate_fddb(const std::vector<FddbEvalImage>& images, EllipseRaster how) {
  FddbResult result;
  result.raster = how;
  result.images = int(images.size());
  result.fp_budget = static_cast<long long>(std::floor(0.1 * double(images.size())));
  for (const FddbEvalImage& im : images) {
    if (im.width <= 0 || im.height <= 0) throw Error("fddb: image " + im.name + " has no size");
    result.faces += (long long)im.faces.size();
    result.detections += (long long)im.detections.size();
    std::vector<double> scores;
    for (const Detection& d : im.detections) {
      if (!std::isfinite(d.score)) throw Error("fddb: image " + im.name + " has a non-finite detection score");
      scores.push_back(d.score);
    }
    std::sort(scores.begin(), scores.end());
    scores.erase(std::unique(scores.begin(), scores.end()), scores.end());
    result.image_curves.push_back(image_curve(im, scores, how));
  }
  merge_fddb_curves(result.image_curves, {}, result.disc, result.cont);
  result.detection_rate_at_fp = detection_rate_at(result.disc, double(result.fp_budget));
  return result;
}

void merge_fddb_curves(const std::vector<FddbImageCurve>& curves, const std::vector<int>& multiplicity,
                       std::vector<RocPoint>& disc, std::vector<RocPoint>& cont) {
  if (!multiplicity.empty() && multiplicity.size() != curves.size())
    throw Error("fddb: " + std::to_string(multiplicity.size()) + " multiplicities for " +
                std::to_string(curves.size()) + " images");
  auto times = [&](size_t k) { return multiplicity.empty() ? 1 : multiplicity[k]; };
  // Unique scores of all images taken.
  std::vector<double> global;
  bool any_without_detections = false;
  double faces = 0;
  for (size_t k = 0; k < curves.size(); ++k) {
    if (times(k) < 0) throw Error("fddb: negative multiplicity for image " + std::to_string(k));
    if (times(k) == 0) continue;
    global.insert(global.end(), curves[k].scores.begin(), curves[k].scores.end());
    any_without_detections |= curves[k].scores.empty();
    faces += double(times(k)) * double(curves[k].faces);
  }
  std::sort(global.begin(), global.end());
  global.erase(std::unique(global.begin(), global.end()), global.end());
  // The official tool gives an image without detections one result at
  // threshold DBL_MAX, which the merge turns into a final (0, 0) point.
  if (any_without_detections) global.push_back(std::numeric_limits<double>::max());

  // An image's counts at global threshold t are those at its smallest unique
  // score >= t (zero above its largest): piecewise constant over ranges of
  // global indices, summed with difference arrays.
  struct Counts {
    double tp_disc = 0, tp_cont = 0, fp = 0;
  };
  const size_t g = global.size();
  std::vector<Counts> diff(g + 1);
  for (size_t k = 0; k < curves.size(); ++k) {
    const FddbImageCurve& c = curves[k];
    const double m = times(k);
    if (m == 0) continue;
    size_t begin = 0;
    for (size_t j = 0; j < c.scores.size(); ++j) {
      const size_t end = size_t(std::lower_bound(global.begin(), global.end(), c.scores[j]) - global.begin()) + 1;
      diff[begin].tp_disc += m * c.tp_disc[j];
      diff[begin].tp_cont += m * c.tp_cont[j];
      diff[begin].fp += m * c.fp[j];
      diff[end].tp_disc -= m * c.tp_disc[j];
      diff[end].tp_cont -= m * c.tp_cont[j];
      diff[end].fp -= m * c.fp[j];
      begin = end;
    }
  }
  disc.clear();
  cont.clear();
  Counts run;
  for (size_t i = 0; i < g; ++i) {
    run.tp_disc += diff[i].tp_disc;
    run.tp_cont += diff[i].tp_cont;
    run.fp += diff[i].fp;
    // Sums of integers and of overlaps: round the integer ones back exactly.
    const double tp = std::nearbyint(run.tp_disc), fp = std::nearbyint(run.fp);
    disc.push_back(RocPoint{faces > 0 ? tp / faces : 0.0, faces > 0 ? fp : 0.0, global[i]});
    cont.push_back(RocPoint{faces > 0 ? run.tp_cont / faces : 0.0, faces > 0 ? fp : 0.0, global[i]});
  }
}

double detection_rate_at(const std::vector<RocPoint>& roc, double fp_budget) {
  double best = 0;
  for (const RocPoint& p : roc)
    if (p.fp <= fp_budget) best = std::max(best, p.tpr);
  return best;
}

void save_roc(const std::vector<RocPoint>& roc, const std::string& file, bool with_threshold) {
  std::string out;
  for (const RocPoint& p : roc) {
    out += format_double(p.tpr) + " " + format_double(p.fp);
    if (with_threshold) out += " " + format_double(p.threshold);
    out += "\n";
  }
  write_file_atomic(file, out);
}

std::vector<RocPoint> load_roc(const std::string& file) {
  TextLines in(file);
  std::vector<RocPoint> roc;
  std::vector<double> v;
  while (true) {
    in.skip_blank();
    if (in.done()) break;
    if (!parse_numbers(in.next("a ROC line"), v) || (v.size() != 2 && v.size() != 3))
      in.fail("expected \"TPR FP [threshold]\"");
    roc.push_back(RocPoint{v[0], v[1], v.size() == 3 ? v[2] : 0.0});
  }
  return roc;
}

void save_roc_files(const FddbResult& result, const std::string& prefix) {
  save_roc(result.disc, prefix + "DiscROC.txt", true);
  save_roc(result.cont, prefix + "ContROC.txt", false);
}

std::vector<FalsePositive> top_false_positives(const std::vector<FddbEvalImage>& images, const FddbResult& result,
                                               int count, EllipseRaster how) {
  if (count <= 0) return {};
  // The highest threshold at which the ROC has counted `count` false
  // positives (disc is in ascending threshold, so descending FP); the lowest
  // one, i.e. all of them, when there are fewer.
  double t = result.disc.empty() ? 0.0 : result.disc.front().threshold;
  for (const RocPoint& p : result.disc)
    if (p.fp >= double(count)) t = p.threshold;
  std::vector<FalsePositive> found;
  for (const FddbEvalImage& image : images) {
    if (image.detections.empty()) continue;
    const ImageOverlaps o = image_overlaps(image, how);
    const ImageMatch m = match_at(image, o, t);
    for (size_t d : m.kept) {
      if (m.true_positive[d] || o.on_ignore[d]) continue;
      double best = 0;
      for (const std::vector<double>& row : o.overlap) best = std::max(best, row[d]);
      found.push_back(FalsePositive{image.name, image.detections[d], best});
    }
  }
  std::stable_sort(found.begin(), found.end(), [](const FalsePositive& a, const FalsePositive& b) {
    return a.detection.score > b.detection.score;
  });
  return found;
}

}  // namespace ifq::detect
