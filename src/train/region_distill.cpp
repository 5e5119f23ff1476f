// Float-teacher distillation terms on the region output (region_distill.hpp).
#include "ifq/train/region_distill.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "ifq/error.hpp"

namespace ifq::trainer {
namespace {

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// p log(p/q) + (1-p) log((1-p)/(1-q)), with 0 log 0 = 0 and q kept off 0/1.
double bernoulli_kl(double p, double q) {
  q = std::clamp(q, 1e-12, 1 - 1e-12);
  double kl = 0;
  if (p > 0) kl += p * std::log(p / q);
  if (p < 1) kl += (1 - p) * std::log((1 - p) / (1 - q));
  return kl;
}

}  // namespace

void add_region_distillation(const float* student, const float* teacher, int batch, int grid_h, int grid_w,
                             const RegionLossParams& p, const DistillWeights& w, RegionLossResult& r) {
  if (!(w.object >= 0) || !(w.coord >= 0))
    throw Error("distillation weights must be >= 0 (got object " + std::to_string(w.object) + ", coord " +
                std::to_string(w.coord) + ")");
  if (batch <= 0 || grid_h <= 0 || grid_w <= 0) throw Error("distillation: empty batch or grid");
  const int entries = p.coords + 1 + p.classes;
  const int64_t hw = int64_t(grid_h) * grid_w;
  const int64_t per_image = int64_t(p.num) * entries * hw;
  if (int64_t(r.grad.size()) != per_image * batch)
    throw Error("distillation: the gradient has " + std::to_string(r.grad.size()) + " entries, the output " +
                std::to_string(per_image * batch));
  const double inv_batch = 1.0 / batch;
  double object = 0, coord = 0;
  std::vector<double> ps(size_t(p.classes)), pt(size_t(p.classes));
  for (int b = 0; b < batch; ++b)
    for (int n = 0; n < p.num; ++n)
      for (int64_t c = 0; c < hw; ++c) {
        const int64_t k0 = int64_t(b) * per_image + int64_t(n) * entries * hw + c;
        auto at = [&](int e) { return k0 + e * hw; };
        // Objectness: the gradient of the KL w.r.t. the student's logit is σ(s) − σ(t).
        const double so = sigmoid(student[at(4)]), to = sigmoid(teacher[at(4)]);
        object += w.object * bernoulli_kl(to, so) * inv_batch;
        r.grad[size_t(at(4))] += float(w.object * (so - to) * inv_batch);
        const double cw = w.coord * to * inv_batch;
        if (cw == 0) continue;
        for (int e = 0; e < 4; ++e) {
          const bool logistic = e < 2;  // x, y go through σ; w, h are log-scales
          const double s = logistic ? sigmoid(student[at(e)]) : double(student[at(e)]);
          const double t = logistic ? sigmoid(teacher[at(e)]) : double(teacher[at(e)]);
          coord += 0.5 * cw * (s - t) * (s - t);
          r.grad[size_t(at(e))] += float(cw * (s - t) * (logistic ? s * (1 - s) : 1.0));
        }
        if (p.classes < 2) continue;
        auto softmax = [&](const float* raw, std::vector<double>& out) {
          double mx = -1e300, sum = 0;
          for (int q = 0; q < p.classes; ++q) mx = std::max(mx, double(raw[at(5 + q)]));
          for (int q = 0; q < p.classes; ++q) sum += out[size_t(q)] = std::exp(double(raw[at(5 + q)]) - mx);
          for (double& v : out) v /= sum;
        };
        softmax(student, ps);
        softmax(teacher, pt);
        for (int q = 0; q < p.classes; ++q) {
          if (pt[size_t(q)] > 0) coord += cw * pt[size_t(q)] * std::log(pt[size_t(q)] / std::max(ps[size_t(q)], 1e-300));
          r.grad[size_t(at(5 + q))] += float(cw * (ps[size_t(q)] - pt[size_t(q)]));
        }
      }
  r.distill = object + coord;
  r.loss += r.distill;
}

}  // namespace ifq::trainer
