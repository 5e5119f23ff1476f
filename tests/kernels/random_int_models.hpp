#pragma once
// Random integer networks and tensors for the kernel tests: built directly as
// IntModels (no converter involved), so shapes can be swept freely.
#include <cstdint>
#include <random>
#include <vector>

#include "ifq/int_model.hpp"
#include "ifq/runtime.hpp"

namespace ifq::testing {

// Levels uniformly in [0, 2^bits).
IntTensor random_levels(Shape3 shape, int bits, std::mt19937& rng);
// Binary (+1/-1) conv weights.
IntConvOp random_binary_conv(int in, int out, int kernel, int stride, int pad, std::mt19937& rng);
// Integer conv weights of `weight_bits` bits, uniform in
// [-2^(bits-1), 2^(bits-1) - 1] with both ends in every stored filter
// (weight_bits 1: +1/-1), with DupNet sharing: out / duplicate stored filters
// of input_repeat * in channels; negate (0/1 per output) when `negate`.
IntConvOp random_multibit_conv(int in, int out, int kernel, int stride, int pad, int weight_bits, std::mt19937& rng,
                               int duplicate = 1, int input_repeat = 1, bool negate = false);
// Ascending thresholds spread around an accumulator of standard deviation
// `sigma`; some channels get INT32_MIN / INT32_MAX entries.
IntThresholdOp random_thresholds(int channels, int bits, double sigma, std::mt19937& rng);

struct RandomNetSpec {
  Shape3 input{3, 24, 24};
  int first_kernel = 3, first_stride = 1, first_pad = 1;
  bool first_binary = true;  // else multi-bit integer weights on pixels
  int first_weight_bits = 6;
  int first_out = 8;
  int bits = 2;
  struct Layer {
    int out, kernel, stride, pad;
    int pool_size = 0, pool_stride = 0, pool_pad = 0;
    bool pool_after_threshold = false;
    // weight_bits > 1 or any sharing: random_multibit_conv (else random_binary_conv).
    int weight_bits = 1;
    int duplicate = 1, input_repeat = 1;
    bool negate = false;
  };
  std::vector<Layer> layers;
  int last_out = 7;       // final 1x1 conv + requant
  bool first_pool = true;
};

IntModel random_int_net(const RandomNetSpec& spec, std::mt19937& rng);

}  // namespace ifq::testing
