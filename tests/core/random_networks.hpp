#pragma once
// Random float quantization networks for the exactness tests: odd channel
// counts, k = 1..4, BN with negative and zero scales, pooling before BN,
// after BN and after the quantizer, first and last layers non-quantized or
// quantized. BN statistics are calibrated on random images (like a trained
// network's running statistics) so every level is actually reached.
#include <cstdint>
#include <random>
#include <vector>

#include "ifq/float_model.hpp"

namespace ifq::testing {

struct RandomNetworkSpec {
  bool quantized_first = false;  // binary first conv on the image (uniform std)
  bool fc_last = true;           // flatten + fc, else a 1x1 conv head
  bool binary_last = false;      // the output layer has binary weights
  int quantized_blocks = 3;
  bool share_weights = false;    // DupNet: duplicated filters and repeated inputs in the blocks
  // > 0: the blocks, and a quantized first or last layer, have fixed weights
  // of this many bits (random codes over the whole range, a random zero point,
  // per-output alpha) instead of binary ones.
  int fixed_weight_bits = 0;
};

FloatModel random_network(std::mt19937& rng, const RandomNetworkSpec& spec);
std::vector<uint8_t> random_image(std::mt19937& rng, const Shape3& shape);

}  // namespace ifq::testing
