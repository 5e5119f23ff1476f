#pragma once
// The range an op's output values are known to lie in, given its input's.
// Levels are [0, 2^bits - 1]; ops that do not narrow the range give the full
// int32 range the reference saturates to. The C export stores tensors in
// the narrowest type this allows; the fast runtime packs a convolution's
// input as bit planes when it is levels.
#include <climits>
#include <cstdint>

#include "ifq/limits.hpp"

namespace ifq {


struct ValueRange {
  int64_t lo = INT32_MIN, hi = INT32_MAX;
  bool operator==(const ValueRange&) const = default;
  // Bits b of the levels 0..2^b - 1 this range is (b <= kMaxLevelBits), or 0.
  int level_bits() const {
    if (lo != 0 || hi < 1 || hi > (int64_t(1) << limits::kMaxLevelBits) - 1) return 0;
    int b = 0;
    while ((int64_t(1) << b) - 1 < hi) ++b;
    return (int64_t(1) << b) - 1 == hi ? b : 0;
  }
};

inline constexpr ValueRange kFullInt32Range{INT32_MIN, INT32_MAX};

inline ValueRange level_range(int bits) { return {0, (int64_t(1) << bits) - 1}; }

}  // namespace ifq
