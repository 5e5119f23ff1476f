#pragma once
#include <cstdint>
#include <vector>

namespace ifq {

// Fully connected over the flattened (CHW) input; same arithmetic as conv.
struct IntFcOp {
  int in_features = 0, out_features = 0;
  int weight_bits = 1;
  int acc_shift = 0;
  std::vector<int32_t> weight;  // [out][in]
};

}  // namespace ifq
