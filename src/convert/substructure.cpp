// Substructure division (paper §3.1). The layer list is cut after every HWGQ
// layer (and the max pools / flatten that directly follow it, which work on
// levels and are exact integer operations). Each piece that has the shape
// [flatten] {conv|fc binary or fixed} [maxpool] [bn] [maxpool] hwgq, and whose input is
// integer (levels of the previous quantizer, or the 8-bit image when every
// channel has the same std), is a quantized substructure; every other piece is
// non-quantized.
#include "ifq/substructure.hpp"

#include <cmath>

#include "ifq/error.hpp"

namespace ifq {
namespace {

bool is_weight(const Layer& l) { return std::holds_alternative<ConvLayer>(l) || std::holds_alternative<FcLayer>(l); }

// Binary or fixed weights are integers times a per-output scale.
struct WeightInfo {
  WeightKind kind = WeightKind::Float;
  int fixed_bits = 0;
};
WeightInfo weight_info(const Layer& l) {
  if (auto* c = std::get_if<ConvLayer>(&l)) return {c->weight_kind, c->fixed.bits};
  if (auto* f = std::get_if<FcLayer>(&l)) return {f->weight_kind, f->fixed.bits};
  return {};
}
bool has_integer_weights(const Layer& l) { return weight_info(l).kind != WeightKind::Float; }

// "(b)" for binary weights, "(w4)" for 4-bit fixed ones.
std::string weight_tag(const Layer& l) {
  const WeightInfo w = weight_info(l);
  if (w.kind == WeightKind::Binary) return "(b)";
  if (w.kind == WeightKind::Fixed) return "(w" + std::to_string(w.fixed_bits) + ")";
  return "";
}

bool uniform_std(const InputLayer& in) {
  for (float s : in.std)
    if (s != in.std[0]) return false;
  return true;
}

// Fills the part positions of [begin, end) if it has the substructure shape
// {weight, [pool], [bn], [pool], hwgq, trailing pools/flatten}.
bool match_parts(const FloatModel& m, int begin, int end, Substructure& s) {
  int i = begin;
  if (i < end && std::holds_alternative<InputLayer>(m.layers[size_t(i)])) ++i;
  if (i < end && std::holds_alternative<FlattenLayer>(m.layers[size_t(i)])) ++i;
  if (i >= end || !is_weight(m.layers[size_t(i)])) return false;
  s.weight_layer = i++;
  if (i < end && std::holds_alternative<MaxPoolLayer>(m.layers[size_t(i)])) s.pool_before_bn = i++;
  if (i < end && std::holds_alternative<BatchNormLayer>(m.layers[size_t(i)])) s.bn = i++;
  if (i < end && std::holds_alternative<MaxPoolLayer>(m.layers[size_t(i)])) s.pool_after_bn = i++;
  if (i >= end || !std::holds_alternative<HwgqLayer>(m.layers[size_t(i)])) {
    s.weight_layer = s.pool_before_bn = s.bn = s.pool_after_bn = -1;
    return false;
  }
  s.quant = i;
  return true;
}

}  // namespace

std::string Substructure::describe(const FloatModel& model) const {
  std::string out;
  for (int i = layer_begin; i < layer_end; ++i) {
    if (!out.empty()) out += ",";
    const Layer& l = model.layers[size_t(i)];
    out += layer_type_name(l);
    out += weight_tag(l);
  }
  return out;
}

std::vector<Substructure> divide_substructures(const FloatModel& model) {
  infer_shapes(model);
  std::vector<Substructure> out;
  const int n = int(model.layers.size());
  int begin = 0;
  while (begin < n) {
    int end = begin;
    while (end < n && !std::holds_alternative<HwgqLayer>(model.layers[size_t(end)])) ++end;
    if (end < n) {
      ++end;  // include the quantizer
      while (end < n && (std::holds_alternative<MaxPoolLayer>(model.layers[size_t(end)]) ||
                         std::holds_alternative<FlattenLayer>(model.layers[size_t(end)])))
        ++end;
    }
    Substructure s;
    s.layer_begin = begin;
    s.layer_end = end;
    if (match_parts(model, begin, end, s)) {
      const bool input_is_image = begin == 0;
      const bool integer_input =
          input_is_image ? uniform_std(std::get<InputLayer>(model.layers[0])) : true;
      s.kind = has_integer_weights(model.layers[size_t(s.weight_layer)]) && integer_input ? SubstructureKind::Quantized
                                                                                 : SubstructureKind::NonQuantized;
    }
    out.push_back(s);
    begin = end;
  }
  return out;
}

}  // namespace ifq
