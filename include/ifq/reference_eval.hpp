#pragma once
// The float reference evaluator: what a float quantization network computes,
// in double precision, with no LibTorch. It is the specification the integer
// runtime is tested against.
#include <cstdint>
#include <vector>

#include "ifq/float_model.hpp"

namespace ifq {

struct FloatTrace {
  std::vector<double> output;  // the last layer's output (CHW)
  Shape3 output_shape;
  // For every HWGQ layer, in order: its index and its integer levels (CHW).
  std::vector<int> quant_layer;
  std::vector<std::vector<int32_t>> quant_levels;
  // Every layer's output (index = layer), filled only when asked for.
  std::vector<std::vector<double>> layer_outputs;
};

// Runs layers [0, end) on an 8-bit CHW image (end = -1: all layers).
FloatTrace evaluate_float(const FloatModel& model, const std::vector<uint8_t>& image, int end = -1,
                          bool record_layers = false);

// Runs layers [begin, end) starting from the HWGQ levels produced by layer
// begin-1 (which must be an HWGQ layer). Used to keep non-quantized
// substructures in float while integer ones are tested (paper Table 2).
FloatTrace evaluate_float_from_levels(const FloatModel& model, int begin,
                                      const std::vector<int32_t>& levels, int end = -1);

}  // namespace ifq
