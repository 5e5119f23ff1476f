#pragma once
#include <cstdint>
#include <vector>

#include "ifq/shape.hpp"

namespace ifq {

// uint8 image (CHW) -> pixel - mean[c]. Always op 0, and only op 0.
struct IntInputOp {
  Shape3 shape;
  std::vector<int32_t> mean;
};

}  // namespace ifq
