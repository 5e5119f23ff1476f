#pragma once
// Networks with random weights for benchmarks and whole-network tests.
// IFQ-Tinier-YOLO (algorithms.md §7): Tiny-YOLO with halved filters
// 8,16,32,64,128,256 (3x3, each followed by 2x2 max pooling, stride 2 for the
// first five and stride 1 for the sixth), 512 3x3, 512 1x1, and a 1x1
// detection conv with 30 outputs (1 class, 5 anchors); every conv binary,
// HWGQ activations. Batch-norm statistics are set so each layer's
// pre-activation is roughly unit-variance, which spreads the levels over all
// 2^bits values (a network whose levels were all 0 would measure nothing).
#include <cstdint>
#include <vector>

#include "ifq/float_model.hpp"
#include "ifq/int_model.hpp"

namespace ifq::kernels {

struct QuantConvSpec {
  int out_channels = 8, kernel = 3, stride = 1, pad = 1;
  int pool_size = 0, pool_stride = 0;  // 0: no pooling after this conv
};

struct QuantNetSpec {
  Shape3 input{3, 416, 416};
  int bits = 2;
  // All but the last conv are followed by [maxpool] BN HWGQ; the last conv is
  // linear with a bias (the fixed-point last layer).
  std::vector<QuantConvSpec> convs;
  bool region = false;  // append a YOLOv2 region head (1 class, 5 anchors)
  uint32_t seed = 1;
  // 1: binary convs; 2..8: fixed (multi-bit) weights with random codes over
  // the whole range and the same weight RMS (docs/quantizers.md).
  int weight_bits = 1;
};

QuantNetSpec tinier_yolo_spec(int input_size = 416, int bits = 2, uint32_t seed = 1);
FloatModel random_quant_net(const QuantNetSpec& spec);

}  // namespace ifq::kernels
