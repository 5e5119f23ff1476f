#pragma once
#include <cstdint>
#include <vector>

namespace ifq {

// Integer convolution (weight_bits == 1: weights are -1/+1). Accumulates in
// int64, then out = saturate32(acc >> acc_shift). acc_shift is 0 whenever the
// input is levels or pixels (the converter proves those sums fit in int32).
struct IntConvOp {
  int in_channels = 0, out_channels = 0, kernel = 1, stride = 1, pad = 0;
  int weight_bits = 1;
  int acc_shift = 0;
  std::vector<int32_t> weight;  // [out][in][kernel][kernel]
};

}  // namespace ifq
