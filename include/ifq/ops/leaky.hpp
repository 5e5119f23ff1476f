#pragma once
#include <cstdint>

namespace ifq {

// z < 0 ? (z * multiplier) >> shift : z
struct IntLeakyOp {
  int shift = 0;
  int64_t multiplier = 0;
};

}  // namespace ifq
