#pragma once
// Golden parity files (docs/training.md "Golden parity file"): sample input
// images, LibTorch's HWGQ levels at every quantized layer and the logits, so
// tests can demand that the integer runtime reproduces the levels exactly.
//
// Layout: "IFQGOLD1", uint64 little-endian JSON header length, the JSON
// header {version, model, precision, input_shape [c,h,w], samples,
// quant_layers [i...], level_shapes [[c,h,w]...], level_bits [k...],
// classes}, then per sample: the image (c*h*w uint8), each quantized layer's
// levels (uint8 each, CHW), the logits (float64 little-endian).
#include <cstdint>
#include <string>
#include <vector>

#include "ifq/float_model.hpp"
#include "ifq/shape.hpp"
#include "ifq/train/dataset.hpp"

namespace ifq::trainer {

struct GoldenSample {
  std::vector<uint8_t> image;
  std::vector<std::vector<int32_t>> levels;  // [quant layer][C*H*W]
  std::vector<double> logits;
};

struct GoldenFile {
  std::string model;
  std::string precision;  // "float64" or "float32": LibTorch's evaluation precision
  Shape3 input_shape;
  std::vector<int> quant_layers;     // FloatModel layer index of each HWGQ layer
  std::vector<Shape3> level_shapes;  // output shape of each
  std::vector<int> level_bits;
  int classes = 0;
  std::vector<GoldenSample> samples;
};

void save_golden(const GoldenFile& golden, const std::string& path);  // temp + rename
GoldenFile load_golden(const std::string& path);                      // throws ifq::Error
// make_golden (LibTorch) is in ifq_trainer/trainer.hpp.

}  // namespace ifq::trainer
