#include "ifq/train/weight_quantizers.hpp"

#include <algorithm>
#include <cmath>

#include "ifq/error.hpp"
#include "ifq/limits.hpp"

namespace ifq {
namespace {

void check_bits(int bits) {
  if (bits < 2 || bits > limits::kMaxFixedWeightBits)
    throw Error("fixed weights need 2.." + std::to_string(limits::kMaxFixedWeightBits) + " bits, got " +
                std::to_string(bits));
}

template <class L>
void quantize_weights(L& layer, int bits, const FixedFormat& format, int outputs) {
  check_bits(bits);
  if (layer.weight_kind == WeightKind::Fixed) throw Error("internal: weights already fixed");
  for (float& w : layer.weight) w = float(fixed_code(double(w), format, bits));
  layer.weight_kind = WeightKind::Fixed;
  layer.fixed = {bits, format.zero_point};
  layer.alpha.assign(size_t(outputs), float(format.step));
}

template <class L>
std::vector<float> real_weights_of(const L& layer, size_t rows) {
  const size_t per_row = layer.weight.size() / rows;
  std::vector<float> real(layer.weight.size());
  for (size_t i = 0; i < real.size(); ++i)
    real[i] = float(real_weight(layer.weight_kind, layer.weight[i],
                                layer.alpha.empty() ? 0.0f : layer.alpha[i / per_row], layer.fixed));
  return real;
}

}  // namespace

std::vector<float> real_weights(const ConvLayer& layer) { return real_weights_of(layer, size_t(layer.unique_filters())); }
std::vector<float> real_weights(const FcLayer& layer) { return real_weights_of(layer, size_t(layer.out_features)); }

FixedFormat zero_centred_format(const std::vector<float>& weights, int bits) {
  check_bits(bits);
  if (weights.empty()) throw Error("zero-centred format of an empty weight set");
  double sum = 0;
  for (float w : weights) {
    if (!std::isfinite(w)) throw Error("zero-centred format: a weight is not finite");
    sum += double(w);
  }
  const double mean = sum / double(weights.size());
  const auto [lo_it, hi_it] = std::minmax_element(weights.begin(), weights.end());
  const double lo = double(*lo_it) - mean, hi = double(*hi_it) - mean;
  // Codes -2^(b-1) .. 2^(b-1)-1: the negative side holds one more step.
  const double half = std::ldexp(1.0, bits - 1);
  const double need = std::max({hi / (half - 0.5), -lo / (half + 0.5), 1e-30});
  FixedFormat f;
  f.step = std::ldexp(1.0, int(std::ceil(std::log2(need))));
  // The mean as an integer number of steps, kept inside the code range.
  f.zero_point = int(std::clamp(-std::nearbyint(mean / f.step), -half, half - 1));
  return f;
}

int fixed_code(double w, const FixedFormat& format, int bits) {
  const double half = std::ldexp(1.0, bits - 1);
  // std::nearbyint rounds half to even in the default rounding mode, as torch.round.
  return int(std::clamp(std::nearbyint(w / format.step) + format.zero_point, -half, half - 1));
}

void quantize_layer_weights(ConvLayer& layer, int bits, const FixedFormat& format) {
  quantize_weights(layer, bits, format, layer.out_channels);
}
void quantize_layer_weights(FcLayer& layer, int bits, const FixedFormat& format) {
  quantize_weights(layer, bits, format, layer.out_features);
}

FixedFormat fixed_format(FixedRule rule, const std::vector<float>& weights, int bits) {
  return rule == FixedRule::ZeroCentred ? zero_centred_format(weights, bits) : piecewise_gaussian_format(weights, bits);
}

FloatModel with_fixed_weights(FloatModel model, int bits, FixedRule rule) {
  for (Layer& l : model.layers) {
    if (auto* c = std::get_if<ConvLayer>(&l); c && c->weight_kind == WeightKind::Binary)
      quantize_layer_weights(*c, bits, fixed_format(rule, c->weight, bits));
    if (auto* f = std::get_if<FcLayer>(&l); f && f->weight_kind == WeightKind::Binary)
      quantize_layer_weights(*f, bits, fixed_format(rule, f->weight, bits));
  }
  infer_shapes(model);
  return model;
}

}  // namespace ifq
