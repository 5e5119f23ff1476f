// WIDER FACE AP: port of the official wider_eval.m (see wider_eval.hpp).
#include "ifq/detect/wider_eval.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ifq/error.hpp"

namespace ifq::detect {

double wider_overlap(const Box& a, const Box& b) {
  // boxoverlap.m on [x1 y1 x2 y2] with x2 = x + w and the +1 pixel rule.
  const double ax2 = a.x + a.w, ay2 = a.y + a.h, bx2 = b.x + b.w, by2 = b.y + b.h;
  const double iw = std::min(ax2, bx2) - std::max(a.x, b.x) + 1;
  const double ih = std::min(ay2, by2) - std::max(a.y, b.y) + 1;
  if (iw <= 0 || ih <= 0) return 0.0;
  const double inter = iw * ih;
  const double uni = (a.w + 1) * (a.h + 1) + (b.w + 1) * (b.h + 1) - inter;
  return inter / uni;
}

WiderApResult evaluate_wider(const std::vector<WiderEvalImage>& images, double iou_threshold, int thresholds) {
  if (thresholds < 1) throw Error("wider: need at least one threshold");
  // norm_score: min-max over every prediction of every image.
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& im : images)
    for (const auto& d : im.detections) {
      if (!std::isfinite(d.score)) throw Error("wider: non-finite detection score");
      lo = std::min(lo, d.score);
      hi = std::max(hi, d.score);
    }
  const double range = hi - lo;

  WiderApResult result;
  std::vector<double> proposals(thresholds, 0.0), recalled(thresholds, 0.0);
  for (const auto& im : images) {
    for (int k : im.keep)
      if (k < 0 || size_t(k) >= im.truth.size()) throw Error("wider: subset index out of range");
    result.faces += (long long)im.keep.size();
    if (im.truth.empty() || im.detections.empty()) continue;

    // Predictions in descending normalised score (stable).
    std::vector<Detection> pred = im.detections;
    for (auto& d : pred) d.score = range > 0 ? (d.score - lo) / range : 1.0;
    std::stable_sort(pred.begin(), pred.end(), [](const Detection& a, const Detection& b) { return a.score > b.score; });

    // image_evaluation: 1 = recalled, -1 = ignored face, 0 = not yet.
    std::vector<char> in_subset(im.truth.size(), 0);
    for (int k : im.keep) in_subset[size_t(k)] = 1;
    std::vector<int> recall_state(im.truth.size(), 0);
    std::vector<int> proposal(pred.size(), 1);
    std::vector<long long> pred_recall(pred.size(), 0);
    long long recalled_now = 0;
    for (size_t h = 0; h < pred.size(); ++h) {
      double best = -1;
      size_t idx = 0;
      for (size_t t = 0; t < im.truth.size(); ++t) {
        const double o = wider_overlap(im.truth[t], pred[h].box);
        if (o > best) {  // MATLAB max: first index of the maximum
          best = o;
          idx = t;
        }
      }
      if (best >= iou_threshold) {
        if (!in_subset[idx]) {
          recall_state[idx] = -1;
          proposal[h] = -1;
        } else if (recall_state[idx] == 0) {
          recall_state[idx] = 1;
          ++recalled_now;
        }
      }
      pred_recall[h] = recalled_now;
    }
    // image_pr_info: at threshold 1 - t/N, the predictions up to the last one
    // with score >= it (scores descend, thresholds descend: one moving end).
    size_t end = 0;
    long long counted = 0;
    for (int t = 0; t < thresholds; ++t) {
      const double thr = 1.0 - double(t + 1) / thresholds;
      while (end < pred.size() && pred[end].score >= thr) counted += proposal[end++] == 1;
      if (end == 0) continue;
      proposals[t] += double(counted);
      recalled[t] += double(pred_recall[end - 1]);
    }
  }

  // dataset_pr_info and VOCap.
  result.precision.resize(thresholds);
  result.recall.resize(thresholds);
  for (int t = 0; t < thresholds; ++t) {
    // 0/0 is NaN in MATLAB, which max() in the envelope skips; 0 is equivalent.
    result.precision[t] = proposals[t] > 0 ? recalled[t] / proposals[t] : 0.0;
    result.recall[t] = result.faces > 0 ? recalled[t] / double(result.faces) : 0.0;
  }
  std::vector<double> mrec{0.0}, mpre{0.0};
  mrec.insert(mrec.end(), result.recall.begin(), result.recall.end());
  mpre.insert(mpre.end(), result.precision.begin(), result.precision.end());
  mrec.push_back(1.0);
  mpre.push_back(0.0);
  for (size_t i = mpre.size() - 1; i-- > 0;) mpre[i] = std::max(mpre[i], mpre[i + 1]);
  double ap = 0;
  for (size_t i = 1; i < mrec.size(); ++i)
    if (mrec[i] != mrec[i - 1]) ap += (mrec[i] - mrec[i - 1]) * mpre[i];
  result.ap = ap;
  return result;
}

}  // namespace ifq::detect
