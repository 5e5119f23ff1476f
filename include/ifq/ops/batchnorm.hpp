#pragma once
#include <cstdint>
#include <vector>

namespace ifq {

// Batch norm in fixed point: z = (((y - mean[c]) * scale[c]) >> shift) + beta[c].
struct IntBatchNormOp {
  int shift = 0;
  std::vector<int64_t> mean, scale, beta;  // [channels]
};

}  // namespace ifq
