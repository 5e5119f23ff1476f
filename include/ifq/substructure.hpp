#pragma once
// Substructure division (paper §3.1, Table 1). A quantized substructure is
// {conv|fc with binary or fixed (multi-bit) weights on an integer input, [maxpool], [BN],
// [maxpool], HWGQ}: exactly one weight layer and one quantizer. Everything
// between quantized substructures is grouped into non-quantized ones.
#include <string>
#include <vector>

#include "ifq/float_model.hpp"
#include "ifq/int_model.hpp"

namespace ifq {

struct Substructure {
  SubstructureKind kind = SubstructureKind::NonQuantized;
  int layer_begin = 0, layer_end = 0;  // half-open indices into model.layers
  // For a substructure ending in a quantizer (either kind): the positions of
  // its parts, -1 when absent.
  int weight_layer = -1, pool_before_bn = -1, bn = -1, pool_after_bn = -1, quant = -1;
  std::string describe(const FloatModel& model) const;  // "conv,pool,bn,hwgq"
};

std::vector<Substructure> divide_substructures(const FloatModel& model);

}  // namespace ifq
