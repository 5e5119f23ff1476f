// YOLOv2 region loss on plain arrays (see region_loss.hpp). Follows darknet's
// region_layer.c forward pass: it fills a per-entry target and weight, later
// terms overwriting earlier ones exactly where darknet overwrites its delta.
#include "ifq/train/region_loss.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "ifq/detect/region.hpp"
#include "ifq/error.hpp"

namespace ifq::trainer {
namespace {

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// kBoxIou: a coordinate entry whose gradient the IoU box loss gives.
enum Part : uint8_t { kNone, kCoord, kObject, kNoObject, kPrior, kBoxIou };

}  // namespace

RegionLossParams region_loss_params(const RegionLayer& layer, const std::map<std::string, double>& keys) {
  RegionLossParams p;
  p.classes = layer.classes;
  p.num = layer.num;
  p.coords = layer.coords;
  if (p.coords != 4) throw Error("region loss: coords = " + std::to_string(p.coords) + " (only 4 is supported)");
  if (layer.anchors.size() != size_t(2 * p.num))
    throw Error("region loss: " + std::to_string(layer.anchors.size()) + " anchor values for num = " +
                std::to_string(p.num) + " (need 2 * num)");
  for (float a : layer.anchors) {
    if (!(a > 0)) throw Error("region loss: anchor sizes must be positive (got " + std::to_string(a) + ")");
    p.anchors.push_back(double(a));
  }
  p.scale_x_y = layer.scale_x_y;
  if (const std::string why = scale_x_y_problem(p.scale_x_y); !why.empty()) throw Error("region loss: " + why);
  auto get = [&](const char* key, double def) {
    auto it = keys.find(key);
    return it == keys.end() ? def : it->second;
  };
  p.thresh = get("thresh", 0.6);
  p.object_scale = get("object_scale", 1);
  p.noobject_scale = get("noobject_scale", 1);
  p.class_scale = get("class_scale", 1);
  p.coord_scale = get("coord_scale", 1);
  p.rescore = get("rescore", 0) != 0;
  p.bias_match = get("bias_match", 0) != 0;
  for (auto [name, v] : {std::pair{"object_scale", p.object_scale}, {"noobject_scale", p.noobject_scale},
                         {"class_scale", p.class_scale}, {"coord_scale", p.coord_scale}})
    if (v < 0) throw Error(std::string("region loss: ") + name + " must be >= 0 (got " + std::to_string(v) + ")");
  if (p.thresh < 0 || p.thresh > 1) throw Error("region loss: thresh must be in [0, 1] (got " + std::to_string(p.thresh) + ")");
  return p;
}

RegionLossResult region_loss(const float* raw, int batch, int grid_h, int grid_w, const RegionLossParams& p,
                             const std::vector<std::vector<TruthBox>>& truths, int64_t images_seen) {
  if (batch <= 0 || grid_h <= 0 || grid_w <= 0) throw Error("region loss: empty batch or grid");
  if (int(truths.size()) != batch)
    throw Error("region loss: " + std::to_string(truths.size()) + " truth lists for a batch of " + std::to_string(batch));
  if (p.anchors.size() != size_t(2 * p.num)) throw Error("region loss: need 2 * num anchor values");
  const int entries = p.coords + 1 + p.classes;
  const int64_t hw = int64_t(grid_h) * grid_w;
  const int64_t per_image = int64_t(p.num) * entries * hw;
  const int64_t total = per_image * batch;
  auto idx = [&](int b, int n, int entry, int j, int i) {
    return int64_t(b) * per_image + (int64_t(n) * entries + entry) * hw + int64_t(j) * grid_w + i;
  };
  // Predicted box of anchor n at cell (i, j), in image fractions.
  auto pred_box = [&](int b, int n, int j, int i) {
    return detect::region_box(raw[idx(b, n, 0, j, i)], raw[idx(b, n, 1, j, i)], raw[idx(b, n, 2, j, i)],
                              raw[idx(b, n, 3, j, i)], i, j, p.anchors[size_t(2 * n)], p.anchors[size_t(2 * n + 1)],
                              grid_w, grid_h, p.scale_x_y);
  };
  auto truth_box = [](const TruthBox& t) { return detect::box_from_centre(t.x, t.y, t.w, t.h); };

  std::vector<double> target(size_t(total), 0.0), weight(size_t(total), 0.0);
  std::vector<uint8_t> part(size_t(total), kNone);
  // Class target per (image, anchor, cell): -1 = no class term.
  std::vector<int> cls_target(size_t(int64_t(batch) * p.num * hw), -1);
  auto set = [&](int64_t k, double t, double w, Part what) {
    target[size_t(k)] = t;
    weight[size_t(k)] = w;
    part[size_t(k)] = what;
  };

  for (int b = 0; b < batch; ++b) {
    for (const TruthBox& t : truths[size_t(b)]) {
      if (!(t.w > 0 && t.h > 0 && t.w <= 1 && t.h <= 1) || !(t.x >= 0 && t.x <= 1 && t.y >= 0 && t.y <= 1))
        throw Error("region loss: truth box (x " + std::to_string(t.x) + ", y " + std::to_string(t.y) + ", w " +
                    std::to_string(t.w) + ", h " + std::to_string(t.h) + ") is outside the image or empty");
      if (!(t.objectness > 0 && t.objectness <= 1))
        throw Error("region loss: truth objectness " + std::to_string(t.objectness) + " is outside (0, 1]");
      if (t.class_id < 0 || t.class_id >= p.classes)
        throw Error("region loss: truth class " + std::to_string(t.class_id) + " but the region has " +
                    std::to_string(p.classes) + " classes");
    }
    for (int j = 0; j < grid_h; ++j)
      for (int i = 0; i < grid_w; ++i)
        for (int n = 0; n < p.num; ++n) {
          const detect::Box pb = pred_box(b, n, j, i);
          double best = 0;
          bool ignored = false;
          for (const TruthBox& t : truths[size_t(b)]) {
            if (t.ignore) {
              const double cx = (i + 0.5) / grid_w, cy = (j + 0.5) / grid_h;
              ignored = ignored || (std::abs(cx - t.x) <= t.w / 2 && std::abs(cy - t.y) <= t.h / 2) ||
                        (std::min(grid_w - 1, int(t.x * grid_w)) == i && std::min(grid_h - 1, int(t.y * grid_h)) == j);
              continue;
            }
            best = std::max(best, detect::iou(pb, truth_box(t)));
          }
          // No-object term unless the prediction already overlaps a truth
          // well or its cell lies on an ignore region.
          if (best <= p.thresh && !ignored) set(idx(b, n, 4, j, i), 0.0, p.noobject_scale, kNoObject);
          // Warm-up: pull every box towards its anchor at the cell centre so
          // the shapes start at the priors (darknet: net.seen < 12800).
          if (images_seen < p.warmup_images) {
            set(idx(b, n, 0, j, i), 0.5, p.warmup_scale, kPrior);
            set(idx(b, n, 1, j, i), 0.5, p.warmup_scale, kPrior);
            set(idx(b, n, 2, j, i), 0.0, p.warmup_scale, kPrior);
            set(idx(b, n, 3, j, i), 0.0, p.warmup_scale, kPrior);
          }
        }
  }

  // IoU box losses to compute, by the tx entry of the responsible anchor; a
  // later truth on the same anchor replaces an earlier one, as its squared
  // error targets would.
  struct BoxJob {
    int b, n, j, i;
    TruthBox truth;
    double scale;
  };
  std::map<int64_t, BoxJob> box_jobs;

  RegionLossResult r;
  double iou_sum = 0;
  int recalled = 0;
  // Makes cell (i, j) learn truth t with its best-matching anchor; `own`: the
  // cell holding t's centre (the one the IoU/recall statistics count).
  auto assign = [&](int b, const TruthBox& t, int i, int j, bool own) {
    // The responsible anchor: best shape IoU (both boxes centred at 0).
    int best_n = 0;
    double best_iou = -1;
    for (int n = 0; n < p.num; ++n) {
      detect::Box pb = pred_box(b, n, j, i);
      if (p.bias_match) {
        pb.w = p.anchors[size_t(2 * n)] / grid_w;
        pb.h = p.anchors[size_t(2 * n + 1)] / grid_h;
      }
      const double iou =
          detect::iou(detect::box_from_centre(0, 0, pb.w, pb.h), detect::box_from_centre(0, 0, t.w, t.h));
      if (iou > best_iou) {
        best_iou = iou;
        best_n = n;
      }
    }
    const double iou = detect::iou(pred_box(b, best_n, j, i), truth_box(t));
    // Small boxes weigh more: coord_scale * (2 - w*h), as darknet; a soft
    // (teacher-scored) face weighs its score.
    const double cs = p.coord_scale * (2.0 - t.w * t.h) * t.objectness;
    if (p.box_loss == BoxLoss::kSquaredError) {
      set(idx(b, best_n, 0, j, i), t.x * grid_w - i, cs, kCoord);
      set(idx(b, best_n, 1, j, i), t.y * grid_h - j, cs, kCoord);
      set(idx(b, best_n, 2, j, i), std::log(t.w * grid_w / p.anchors[size_t(2 * best_n)]), cs, kCoord);
      set(idx(b, best_n, 3, j, i), std::log(t.h * grid_h / p.anchors[size_t(2 * best_n + 1)]), cs, kCoord);
    } else {
      for (int e = 0; e < 4; ++e) set(idx(b, best_n, e, j, i), 0.0, 0.0, kBoxIou);
      box_jobs[idx(b, best_n, 0, j, i)] = {b, best_n, j, i, t, cs * p.box_loss_weight};
    }
    set(idx(b, best_n, 4, j, i), (p.rescore ? iou : 1.0) * t.objectness, p.object_scale, kObject);
    cls_target[size_t((int64_t(b) * p.num + best_n) * hw + int64_t(j) * grid_w + i)] = t.class_id;
    if (!own || t.objectness < 1) return;  // statistics: labelled faces only
    iou_sum += iou;
    if (iou > 0.5) ++recalled;
    ++r.truths;
  };
  auto own_cell = [&](const TruthBox& t) {
    return std::pair{std::min(grid_w - 1, int(t.x * grid_w)), std::min(grid_h - 1, int(t.y * grid_h))};
  };
  // With scale_x_y > 1 the nearest horizontal and vertical neighbours whose
  // offset range reaches a truth's centre learn it too. They go first, so a
  // truth's own cell always wins an anchor another truth's neighbour claims.
  if (const double reach = (p.scale_x_y - 1) / 2; reach > 0)
    for (int b = 0; b < batch; ++b)
      for (const TruthBox& t : truths[size_t(b)]) {
        if (t.ignore) continue;
        const auto [i, j] = own_cell(t);
        const double fx = t.x * grid_w - i, fy = t.y * grid_h - j;
        if (fx < reach && i > 0) assign(b, t, i - 1, j, false);
        if (fx > 1 - reach && i + 1 < grid_w) assign(b, t, i + 1, j, false);
        if (fy < reach && j > 0) assign(b, t, i, j - 1, false);
        if (fy > 1 - reach && j + 1 < grid_h) assign(b, t, i, j + 1, false);
      }
  for (int b = 0; b < batch; ++b)
    for (const TruthBox& t : truths[size_t(b)]) {
      if (t.ignore) continue;
      const auto [i, j] = own_cell(t);
      assign(b, t, i, j, true);
    }

  r.grad.assign(size_t(total), 0.0f);
  const double inv_batch = 1.0 / batch;
  for (int b = 0; b < batch; ++b)
    for (int n = 0; n < p.num; ++n)
      for (int64_t c = 0; c < hw; ++c) {
        for (int e = 0; e < 5; ++e) {
          const int64_t k = idx(b, n, e, 0, 0) + c;
          if (part[size_t(k)] == kNone || part[size_t(k)] == kBoxIou) continue;
          // Activated value and its derivative: the centre offset for x, y,
          // σ for objectness, identity for w, h.
          double a = raw[k], da = 1;
          if (e == 4) {
            a = sigmoid(raw[k]);
            da = a * (1 - a);
          } else if (e < 2) {
            const double s = sigmoid(raw[k]);
            a = detect::region_offset(raw[k], p.scale_x_y);
            da = p.scale_x_y * s * (1 - s);
          }
          const double d = target[size_t(k)] - a, w = weight[size_t(k)];
          const double l = 0.5 * w * d * d * inv_batch;
          r.grad[size_t(k)] = float(-w * d * inv_batch * da);
          switch (part[size_t(k)]) {
            case kCoord: r.coord += l; break;
            case kObject: r.object += l; break;
            case kNoObject: r.noobject += l; break;
            case kPrior: r.prior += l; break;
            default: break;
          }
        }
        const int cls = cls_target[size_t((int64_t(b) * p.num + n) * hw + c)];
        if (cls < 0) continue;
        // Softmax cross-entropy, computed stably.
        const int64_t k0 = idx(b, n, 5, 0, 0) + c;
        double mx = -1e300;
        for (int q = 0; q < p.classes; ++q) mx = std::max(mx, double(raw[k0 + q * hw]));
        double sum = 0;
        for (int q = 0; q < p.classes; ++q) sum += std::exp(double(raw[k0 + q * hw]) - mx);
        for (int q = 0; q < p.classes; ++q) {
          const double prob = std::exp(double(raw[k0 + q * hw]) - mx) / sum;
          r.grad[size_t(k0 + q * hw)] = float(p.class_scale * (prob - (q == cls ? 1.0 : 0.0)) * inv_batch);
          if (q == cls) r.class_term += -p.class_scale * std::log(std::max(prob, 1e-300)) * inv_batch;
        }
      }
  for (const auto& [k, job] : box_jobs) {
    const detect::Box pb = pred_box(job.b, job.n, job.j, job.i);
    const BoxIouLoss l = box_iou_loss(p.box_loss, pb, truth_box(job.truth));
    const double s = job.scale * inv_batch;
    r.coord += s * l.loss;
    // Chain rule through the decode: cx = (i + scale·σ(tx) − (scale − 1)/2) / W,
    // w = e^tw · anchor / W.
    const double sx = sigmoid(raw[k]), sy = sigmoid(raw[k + hw]);
    r.grad[size_t(k)] = float(s * l.d_cx * p.scale_x_y * sx * (1 - sx) / grid_w);
    r.grad[size_t(k + hw)] = float(s * l.d_cy * p.scale_x_y * sy * (1 - sy) / grid_h);
    r.grad[size_t(k + 2 * hw)] = float(s * l.d_w * pb.w);
    r.grad[size_t(k + 3 * hw)] = float(s * l.d_h * pb.h);
  }
  r.loss = r.coord + r.object + r.noobject + r.class_term + r.prior;
  r.avg_iou = r.truths ? iou_sum / r.truths : 0;
  r.recall = r.truths ? double(recalled) / r.truths : 0;
  return r;
}

}  // namespace ifq::trainer
