#include "ifq/float_model.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/input_size.hpp"
#include "core/overloaded.hpp"
#include "ifq/error.hpp"
#include "ifq/limits.hpp"

namespace ifq {
namespace {

[[noreturn]] void fail(size_t index, const Layer& layer, const std::string& what) {
  throw Error("layer " + std::to_string(index) + " (" + layer_type_name(layer) + "): " + what);
}

void require_size(size_t index, const Layer& layer, const char* name, size_t got, size_t want) {
  if (got != want)
    fail(index, layer, std::string(name) + " has " + std::to_string(got) + " values, expected " +
                           std::to_string(want));
}

void require_optional_size(size_t index, const Layer& layer, const char* name, size_t got,
                           size_t want) {
  if (got != 0) require_size(index, layer, name, got, want);
}

void require_finite(size_t index, const Layer& layer, const char* name, const std::vector<float>& v) {
  for (float x : v)
    if (!std::isfinite(x)) fail(index, layer, std::string(name) + " holds a non-finite value");
}

void check_weights(size_t index, const Layer& layer, WeightKind kind, const FixedWeights& fixed,
                   const std::vector<float>& weight, const std::vector<float>& alpha, const std::vector<float>& bias,
                   size_t out, size_t fan_in, size_t weight_rows) {
  const size_t weights = weight.size(), alphas = alpha.size(), biases = bias.size();
  require_finite(index, layer, "weight", weight);
  require_finite(index, layer, "alpha", alpha);
  require_finite(index, layer, "bias", bias);
  for (float a : alpha)
    if (a < 0) fail(index, layer, "alpha must be >= 0 (a per-output weight scale)");
  require_size(index, layer, "weight", weights, weight_rows * fan_in);
  if (kind != WeightKind::Float)
    require_size(index, layer, "alpha", alphas, out);
  else if (alphas != 0)
    fail(index, layer, "alpha given for float weights");
  require_optional_size(index, layer, "bias", biases, out);
  if (kind != WeightKind::Fixed) {
    if (fixed.bits != 0 || fixed.zero_point != 0) fail(index, layer, "weight bits / zero point given for non-fixed weights");
    return;
  }
  if (fixed.bits < 2 || fixed.bits > limits::kMaxFixedWeightBits)
    fail(index, layer, "fixed weights need 2.." + std::to_string(limits::kMaxFixedWeightBits) + " bits, got " +
                           std::to_string(fixed.bits));
  const int lo = fixed_code_min(fixed.bits), hi = fixed_code_max(fixed.bits);
  if (fixed.zero_point < lo || fixed.zero_point > hi)
    fail(index, layer, "zero point " + std::to_string(fixed.zero_point) + " outside the code range " +
                           std::to_string(lo) + ".." + std::to_string(hi));
  for (float q : weight)
    if (q != std::floor(q) || q < float(lo) || q > float(hi))
      fail(index, layer, "fixed weight " + std::to_string(q) + " is not an integer code in " + std::to_string(lo) +
                             ".." + std::to_string(hi));
}

}  // namespace

int fixed_code_min(int bits) { return -(1 << (bits - 1)); }
int fixed_code_max(int bits) { return (1 << (bits - 1)) - 1; }

int32_t integer_weight(WeightKind kind, float w, const FixedWeights& fixed) {
  if (kind == WeightKind::Binary) return w >= 0.0f ? 1 : -1;  // sign(0) = +1
  if (kind == WeightKind::Fixed) return int32_t(w) - fixed.zero_point;
  throw Error("internal: integer_weight of float weights");
}

double real_weight(WeightKind kind, float w, float alpha, const FixedWeights& fixed) {
  if (kind == WeightKind::Float) return double(w);
  return double(alpha) * double(integer_weight(kind, w, fixed));
}

std::string scale_x_y_problem(double s) {
  if (s >= kMinScaleXY && s <= kMaxScaleXY) return {};  // NaN fails both
  // The bounds are whole numbers: printed as such.
  return "scale_x_y " + std::to_string(s) + " is outside [" + std::to_string(int(kMinScaleXY)) + ", " +
         std::to_string(int(kMaxScaleXY)) + "]";
}

const std::vector<float>* binary_latent_weights(const Layer& layer) {
  if (auto* c = std::get_if<ConvLayer>(&layer); c && c->weight_kind == WeightKind::Binary) return &c->weight;
  if (auto* f = std::get_if<FcLayer>(&layer); f && f->weight_kind == WeightKind::Binary) return &f->weight;
  return nullptr;
}

const char* layer_type_name(const Layer& layer) {
  return std::visit(Overloaded{
                        [](const InputLayer&) { return "input"; },
                        [](const ConvLayer&) { return "conv"; },
                        [](const FcLayer&) { return "fc"; },
                        [](const MaxPoolLayer&) { return "maxpool"; },
                        [](const BatchNormLayer&) { return "batchnorm"; },
                        [](const HwgqLayer&) { return "hwgq"; },
                        [](const ReluLayer&) { return "relu"; },
                        [](const LeakyLayer&) { return "leaky"; },
                        [](const FlattenLayer&) { return "flatten"; },
                        [](const RegionLayer&) { return "region"; },
                    },
                    layer);
}

Shape3 validate_layer(size_t i, const Layer& layer, Shape3 cur) {
    if ((i == 0) != std::holds_alternative<InputLayer>(layer))
      fail(i, layer, i == 0 ? "the first layer must be an input layer" : "only layer 0 may be an input");
    std::visit(
        Overloaded{
            [&](const InputLayer& l) {
              if (l.shape.c <= 0 || l.shape.h <= 0 || l.shape.w <= 0 || l.shape.c > limits::kMaxInputChannels ||
                  l.shape.h > limits::kMaxInputSide || l.shape.w > limits::kMaxInputSide)
                fail(i, layer, "bad input shape " + l.shape.str());
              require_size(i, layer, "mean", l.mean.size(), size_t(l.shape.c));
              require_size(i, layer, "std", l.std.size(), size_t(l.shape.c));
              for (int m : l.mean)
                if (m < 0 || m > 255) fail(i, layer, "mean must be an integer pixel value 0..255");
              for (float s : l.std)
                if (!(s > 0) || !std::isfinite(s)) fail(i, layer, "std must be positive and finite");
              cur = l.shape;
            },
            [&](const ConvLayer& l) {
              if (l.out_channels <= 0 || l.kernel <= 0 || l.stride <= 0 || l.pad < 0 ||
                  l.out_channels > limits::kMaxChannels || l.kernel > limits::kMaxWindow ||
                  l.stride > limits::kMaxStride || l.pad >= l.kernel + limits::kMaxPadBeyondWindow)
                fail(i, layer, "bad geometry");
              if (l.duplicate < 1 || l.out_channels % l.duplicate != 0)
                fail(i, layer, "duplicate " + std::to_string(l.duplicate) + " must divide the " +
                                   std::to_string(l.out_channels) + " filters");
              if (l.input_repeat < 1 || l.input_repeat > limits::kMaxInputRepeat)
                fail(i, layer, "input_repeat " + std::to_string(l.input_repeat) + " outside 1.." +
                                   std::to_string(limits::kMaxInputRepeat));
              check_weights(i, layer, l.weight_kind, l.fixed, l.weight, l.alpha, l.bias, size_t(l.out_channels),
                            size_t(l.filter_size(cur.c)), size_t(l.unique_filters()));
              if (cur.h + 2 * l.pad < l.kernel || cur.w + 2 * l.pad < l.kernel)
                fail(i, layer, "kernel larger than padded input " + cur.str());
              cur = {l.out_channels, conv_out_size(cur.h, l.kernel, l.stride, l.pad),
                     conv_out_size(cur.w, l.kernel, l.stride, l.pad)};
            },
            [&](const FcLayer& l) {
              if (l.out_features <= 0 || l.out_features > limits::kMaxFeatures) fail(i, layer, "bad output count");
              check_weights(i, layer, l.weight_kind, l.fixed, l.weight, l.alpha, l.bias,
                            size_t(l.out_features), size_t(cur.elements()), size_t(l.out_features));
              cur = {l.out_features, 1, 1};
            },
            [&](const MaxPoolLayer& l) {
              if (l.size <= 0 || l.size > limits::kMaxWindow || l.stride <= 0 || l.stride > limits::kMaxStride ||
                  l.pad < 0 || l.pad >= l.size + l.stride)
                fail(i, layer, "bad geometry");
              if (cur.h + l.pad < l.size || cur.w + l.pad < l.size)
                fail(i, layer, "window larger than input " + cur.str());
              cur = {cur.c, pool_out_size(cur.h, l.size, l.stride, l.pad),
                     pool_out_size(cur.w, l.size, l.stride, l.pad)};
            },
            [&](const BatchNormLayer& l) {
              const size_t c = size_t(cur.c);
              require_size(i, layer, "mean", l.mean.size(), c);
              require_size(i, layer, "var", l.var.size(), c);
              require_optional_size(i, layer, "gamma", l.gamma.size(), c);
              require_optional_size(i, layer, "beta", l.beta.size(), c);
              if (!(l.eps >= 0) || !std::isfinite(l.eps)) fail(i, layer, "eps must be >= 0");
              require_finite(i, layer, "mean", l.mean);
              require_finite(i, layer, "gamma", l.gamma);
              require_finite(i, layer, "beta", l.beta);
              for (size_t k = 0; k < c; ++k)
                if (!(l.var[k] + l.eps > 0) || !std::isfinite(l.var[k]))
                  fail(i, layer, "var + eps must be positive (channel " + std::to_string(k) + ")");
            },
            [&](const HwgqLayer& l) {
              if (l.bits < 1 || l.bits > 8) fail(i, layer, "bits must be 1..8");
              if (!(l.step > 0) || !std::isfinite(l.step)) fail(i, layer, "step must be positive");
            },
            [&](const ReluLayer&) {},
            [&](const LeakyLayer& l) {
              if (!(l.slope >= 0 && l.slope < 1)) fail(i, layer, "slope must be in [0, 1)");
            },
            [&](const FlattenLayer&) { cur = {int(cur.elements()), 1, 1}; },
            [&](const RegionLayer& l) {
              if (l.num <= 0 || l.classes <= 0 || l.coords != 4) fail(i, layer, "bad region parameters");
              require_size(i, layer, "anchors", l.anchors.size(), size_t(2 * l.num));
              // An anchor is a prior box size: zero or negative ones decode to
              // empty or inverted boxes (issue 15: cfg files with them were accepted).
              for (float a : l.anchors)
                if (!(a > 0) || !std::isfinite(a)) fail(i, layer, "anchors must be positive finite sizes");
              if (const std::string why = scale_x_y_problem(l.scale_x_y); !why.empty()) fail(i, layer, why);
              if (cur.c != l.num * (l.coords + 1 + l.classes))
                fail(i, layer, "input has " + std::to_string(cur.c) + " channels, expected num*(coords+1+classes)");
            },
        },
        layer);
    if (cur.elements() <= 0 || cur.elements() > (int64_t(1) << 31))
      fail(i, layer, "output shape " + cur.str() + " is empty or too large");
    return cur;
}

std::vector<Shape3> infer_shapes(const FloatModel& model) {
  if (model.layers.empty()) throw Error("model '" + model.name + "' has no layers");
  std::vector<Shape3> shapes;
  Shape3 cur{};
  for (size_t i = 0; i < model.layers.size(); ++i) shapes.push_back(cur = validate_layer(i, model.layers[i], cur));
  return shapes;
}

std::vector<double> hwgq_thresholds(int bits, double step) {
  // HWGQ's first threshold is 0, not 0.5 step: x <= 0 maps to level 0 and any
  // positive x to at least level 1 (reference: hwgq quant_layer forward).
  std::vector<double> t;
  const int levels = 1 << bits;
  t.push_back(0.0);
  for (int j = 1; j + 1 < levels; ++j) t.push_back((j + 0.5) * step);
  return t;
}

double hwgq_default_step(int bits) {
  // Minimisers of E[(x - Q(x))^2] over a unit half-Gaussian with the HWGQ
  // thresholds {0, 1.5s, 2.5s, ...}, computed numerically (algorithms.md §1).
  static const double steps[] = {0.7979, 0.5388, 0.3217, 0.1842, 0.1030, 0.0566, 0.0307, 0.0165};
  if (bits < 1 || bits > 8) throw Error("hwgq bits must be 1..8, got " + std::to_string(bits));
  return steps[bits - 1];
}

int hwgq_level(double x, int bits, double step) {
  int level = 0;
  for (double t : hwgq_thresholds(bits, step))
    if (x > t) ++level;
  return level;
}

int64_t count_parameters(const FloatModel& model) {
  int64_t n = 0;
  for (const Layer& layer : model.layers) {
    if (auto* c = std::get_if<ConvLayer>(&layer)) n += int64_t(c->weight.size() + c->bias.size());
    else if (auto* f = std::get_if<FcLayer>(&layer)) n += int64_t(f->weight.size() + f->bias.size());
    else if (auto* bn = std::get_if<BatchNormLayer>(&layer)) n += int64_t(bn->gamma.size() + bn->beta.size());
  }
  return n;
}

int64_t largest_layer_elements(const FloatModel& model) {
  const std::vector<Shape3> shapes = infer_shapes(model);
  int64_t peak = 0;
  for (size_t i = 1; i < shapes.size(); ++i) peak = std::max<int64_t>(peak, shapes[i].elements());
  return peak;
}

FloatModel with_input_size(FloatModel model, int height, int width) {
  if (model.layers.empty() || !std::holds_alternative<InputLayer>(model.layers[0]))
    throw Error("model '" + model.name + "' does not start with an input layer");
  return core_detail::moved_to_input_size(
      std::move(model), height, width, [](FloatModel& m) -> Shape3& { return std::get<InputLayer>(m.layers[0]).shape; },
      [](const FloatModel& m) { infer_shapes(m); });
}

}  // namespace ifq
