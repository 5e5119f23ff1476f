#pragma once
#include <cstdint>
#include <vector>

namespace ifq {

// Integer convolution (weight_bits == 1: weights are -1/+1). Accumulates in
// int64, then out = saturate32(acc >> acc_shift). acc_shift is 0 whenever the
// input is levels or pixels (the converter proves those sums fit in int32).
//
// DupNet weight sharing (ConvLayer in float_model.hpp): the weights hold
// out_channels / duplicate stored filters of input_repeat * in_channels
// channels; output o accumulates stored filter o % (out_channels / duplicate),
// whose channel j reads input channel j % in_channels, and is negated when
// negate[o] is set (a copy whose BN scale is negative: the copies share one
// filter, so the sign cannot be folded into the weights). The copies of a
// filter share one accumulator: the fast runtime computes it once.
struct IntConvOp {
  int in_channels = 0, out_channels = 0, kernel = 1, stride = 1, pad = 0;
  int weight_bits = 1;
  int acc_shift = 0;
  int duplicate = 1, input_repeat = 1;
  std::vector<int32_t> weight;  // [out_channels / duplicate][input_repeat * in_channels][kernel][kernel]
  std::vector<uint8_t> negate;  // [out_channels] 0/1, or empty: none negated

  int stored_filters() const { return out_channels / duplicate; }
  int64_t filter_size() const { return int64_t(input_repeat) * in_channels * kernel * kernel; }
  bool shares_weights() const { return duplicate != 1 || input_repeat != 1 || !negate.empty(); }
};

// The same convolution with each stored filter's input_repeat blocks summed
// (a plain copy when input_repeat is 1)
// into one (input_repeat 1, integer weights): the same integer sums with
// input_repeat times fewer products, for kernels that read the input once
// per filter. |w| < 2^23 and input_repeat <= 64 keep the sums in int32.
IntConvOp sum_input_blocks(const IntConvOp& conv);

}  // namespace ifq
