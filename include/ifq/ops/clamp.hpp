#pragma once
#include <cstdint>

namespace ifq {

// min(max(z, lo), hi): bounds a fixed-point value (a ReLU6-style activation).
// Added as the worked example of docs/adding-an-op.md; the converter does
// not emit it yet.
struct IntClampOp {
  int32_t lo = 0, hi = 0;
};

}  // namespace ifq
