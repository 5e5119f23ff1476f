#pragma once
#include <cstdint>
#include <vector>

namespace ifq {

// Max pooling (Darknet geometry: `pad` is the total padding, the window
// starts at out * stride - pad / 2, padded positions never win).
// take_min[c] != 0 pools channel c with min: used when a channel's weights
// were negated for a negative BN scale and the float network pools BEFORE BN
// (max of the original = -min of the negated).
struct IntMaxPoolOp {
  int size = 2, stride = 2, pad = 0;
  std::vector<uint8_t> take_min;  // [channels] or empty (all max)
};

}  // namespace ifq
