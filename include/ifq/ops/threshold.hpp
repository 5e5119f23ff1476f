#pragma once
#include <cstdint>
#include <vector>

namespace ifq {

// Integrated conversion (paper Eq. 7-8): level = #{i : x > thresholds[c][i]},
// thresholds ascending, 2^bits - 1 per channel. INT32_MIN / INT32_MAX encode
// "always" / "never" (zero BN scale, out-of-range folds).
struct IntThresholdOp {
  int bits = 2;
  int channels = 0;
  std::vector<int32_t> thresholds;  // [channels][2^bits - 1]
};

}  // namespace ifq
