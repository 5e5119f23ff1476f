#pragma once
#include <cstdint>
#include <vector>

namespace ifq {

// Quantizer on fixed-point values: level = #{i : z > thresholds[i]}.
struct IntQuantOp {
  int bits = 2;
  std::vector<int64_t> thresholds;  // 2^bits - 1, ascending
};

}  // namespace ifq
