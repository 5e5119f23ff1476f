#pragma once
#include <cstdint>
#include <vector>

namespace ifq {

// Separated conversion (paper Eq. 5): y = ((x * multiplier[c]) >> shift) + bias[c],
// result fixed-point with frac_bits fractional bits.
struct IntRequantOp {
  int shift = 0;
  int frac_bits = 0;
  std::vector<int64_t> multiplier;  // [channels]
  std::vector<int64_t> bias;        // [channels]
};

}  // namespace ifq
