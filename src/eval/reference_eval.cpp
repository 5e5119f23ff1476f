// The float reference evaluator: the meaning of every float layer, in double.
// Kept deliberately plain; it is a specification, not a fast path.
#include "ifq/reference_eval.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/overloaded.hpp"
#include "ifq/error.hpp"

namespace ifq {
namespace {

using Map = std::vector<double>;

// Element `index` of a weight tensor whose output is `out` (float_model.hpp).
template <class L>
double weight_value(const L& l, size_t index, size_t out) {
  return real_weight(l.weight_kind, l.weight[index], l.alpha.empty() ? 0.0f : l.alpha[out], l.fixed);
}

Map conv(const ConvLayer& l, const Map& x, const Shape3& in, const Shape3& out) {
  Map y(size_t(out.elements()), 0.0);
  const int k = l.kernel;
  for (int o = 0; o < out.c; ++o) {
    double* yo = &y[size_t(o) * out.h * out.w];
    const double b = l.bias.empty() ? 0.0 : double(l.bias[o]);
    std::fill(yo, yo + size_t(out.h) * out.w, b);
    // Stored filter o % unique of input_repeat * C columns; column j reads channel j % C.
    const size_t row = size_t(o % l.unique_filters()), columns = size_t(l.input_repeat) * in.c;
    for (size_t j = 0; j < columns; ++j)
      for (int ky = 0; ky < k; ++ky)
        for (int kx = 0; kx < k; ++kx) {
          const int c = int(j % size_t(in.c));
          const size_t wi = ((row * columns + j) * k + ky) * k + kx;
          const double w = weight_value(l, wi, size_t(o));
          // Output columns whose input column lies inside the image; the
          // bounds are hoisted out of the loop (same sums in the same order)
          // so the compiler can vectorise it.
          const int shift = kx - l.pad;  // ix = ox * stride + shift
          const int ox_lo = shift >= 0 ? 0 : (-shift + l.stride - 1) / l.stride;
          const int ox_hi = in.w - 1 - shift < 0 ? 0 : std::min(out.w, (in.w - 1 - shift) / l.stride + 1);
          for (int oy = 0; oy < out.h; ++oy) {
            const int iy = oy * l.stride - l.pad + ky;
            if (iy < 0 || iy >= in.h) continue;
            const double* xr = &x[(size_t(c) * in.h + iy) * in.w];
            double* yr = yo + size_t(oy) * out.w;
            if (l.stride == 1)
              for (int ox = ox_lo; ox < ox_hi; ++ox) yr[ox] += w * xr[ox + shift];
            else
              for (int ox = ox_lo; ox < ox_hi; ++ox) yr[ox] += w * xr[ox * l.stride + shift];
          }
        }
  }
  return y;
}

Map fc(const FcLayer& l, const Map& x) {
  Map y(size_t(l.out_features));
  for (int o = 0; o < l.out_features; ++o) {
    double s = l.bias.empty() ? 0.0 : double(l.bias[o]);
    for (size_t i = 0; i < x.size(); ++i)
      s += weight_value(l, size_t(o) * x.size() + i, size_t(o)) * x[i];
    y[o] = s;
  }
  return y;
}

// Darknet max pooling: window starts at out*stride - pad/2; positions
// outside the input are skipped (they never win).
Map maxpool(const MaxPoolLayer& l, const Map& x, const Shape3& in, const Shape3& out) {
  Map y(size_t(out.elements()));
  const int offset = l.pad / 2;
  for (int c = 0; c < out.c; ++c)
    for (int oy = 0; oy < out.h; ++oy)
      for (int ox = 0; ox < out.w; ++ox) {
        double best = -std::numeric_limits<double>::infinity();
        for (int ky = 0; ky < l.size; ++ky)
          for (int kx = 0; kx < l.size; ++kx) {
            const int iy = oy * l.stride - offset + ky, ix = ox * l.stride - offset + kx;
            if (iy >= 0 && iy < in.h && ix >= 0 && ix < in.w)
              best = std::max(best, x[(size_t(c) * in.h + iy) * in.w + ix]);
          }
        y[(size_t(c) * out.h + oy) * out.w + ox] = best;
      }
  return y;
}

struct Evaluator {
  const FloatModel& model;
  std::vector<Shape3> shapes;
  FloatTrace trace;
  bool record = false;

  void run(Map x, int begin, int end) {
    if (record) trace.layer_outputs.assign(size_t(begin), {});
    if (record && begin > 0) trace.layer_outputs.back() = x;
    for (int i = begin; i < end; ++i) {
      const Shape3 in = i > 0 ? shapes[size_t(i) - 1] : Shape3{};
      const Shape3 out = shapes[size_t(i)];
      std::visit(Overloaded{
                     [&](const InputLayer&) {},
                     [&](const ConvLayer& l) { x = conv(l, x, in, out); },
                     [&](const FcLayer& l) { x = fc(l, x); },
                     [&](const MaxPoolLayer& l) { x = maxpool(l, x, in, out); },
                     [&](const BatchNormLayer& l) {
                       const size_t plane = size_t(in.h) * in.w;
                       for (int c = 0; c < in.c; ++c) {
                         const double g = l.gamma.empty() ? 1.0 : double(l.gamma[c]);
                         const double b = l.beta.empty() ? 0.0 : double(l.beta[c]);
                         const double sd = std::sqrt(double(l.var[c]) + double(l.eps));
                         for (size_t p = 0; p < plane; ++p) {
                           double& v = x[size_t(c) * plane + p];
                           v = g * (v - double(l.mean[c])) / sd + b;
                         }
                       }
                     },
                     [&](const HwgqLayer& l) {
                       const auto thr = hwgq_thresholds(l.bits, double(l.step));
                       std::vector<int32_t> levels(x.size());
                       for (size_t p = 0; p < x.size(); ++p) {
                         int level = 0;
                         for (double t : thr) level += x[p] > t;
                         levels[p] = level;
                         x[p] = level * double(l.step);
                       }
                       trace.quant_layer.push_back(i);
                       trace.quant_levels.push_back(std::move(levels));
                     },
                     [&](const ReluLayer&) {
                       for (double& v : x) v = std::max(v, 0.0);
                     },
                     [&](const LeakyLayer& l) {
                       for (double& v : x) v = v > 0 ? v : v * double(l.slope);
                     },
                     [&](const FlattenLayer&) {},
                     [&](const RegionLayer&) {},
                 },
                 model.layers[size_t(i)]);
      if (record) trace.layer_outputs.push_back(x);
    }
    trace.output = std::move(x);
    trace.output_shape = end > 0 ? shapes[size_t(end) - 1] : Shape3{};
  }
};

int clamp_end(const FloatModel& model, int end) {
  const int n = int(model.layers.size());
  if (end < 0) return n;
  if (end > n) throw Error("evaluate_float: end " + std::to_string(end) + " is past the last layer");
  return end;
}

}  // namespace

FloatTrace evaluate_float(const FloatModel& model, const std::vector<uint8_t>& image, int end, bool record_layers) {
  Evaluator ev{model, infer_shapes(model), {}, record_layers};
  end = clamp_end(model, end);
  const auto& input = std::get<InputLayer>(model.layers[0]);
  if (image.size() != size_t(input.shape.elements()))
    throw Error("evaluate_float: image has " + std::to_string(image.size()) + " bytes, the model expects " +
                input.shape.str());
  Map x(image.size());
  const size_t plane = size_t(input.shape.h) * input.shape.w;
  for (size_t p = 0; p < x.size(); ++p) {
    const size_t c = p / plane;
    x[p] = (double(image[p]) - input.mean[c]) / double(input.std[c]);
  }
  ev.run(std::move(x), 1, end);
  return std::move(ev.trace);
}

FloatTrace evaluate_float_from_levels(const FloatModel& model, int begin, const std::vector<int32_t>& levels,
                                      int end) {
  Evaluator ev{model, infer_shapes(model), {}, false};
  end = clamp_end(model, end);
  if (begin < 1 || begin > end || !std::holds_alternative<HwgqLayer>(model.layers[size_t(begin) - 1]))
    throw Error("evaluate_float_from_levels: layer " + std::to_string(begin - 1) + " is not an HWGQ layer");
  const auto& q = std::get<HwgqLayer>(model.layers[size_t(begin) - 1]);
  if (levels.size() != size_t(ev.shapes[size_t(begin) - 1].elements()))
    throw Error("evaluate_float_from_levels: wrong number of levels");
  Map x(levels.size());
  for (size_t p = 0; p < x.size(); ++p) x[p] = levels[p] * double(q.step);
  ev.run(std::move(x), begin, end);
  return std::move(ev.trace);
}

}  // namespace ifq
