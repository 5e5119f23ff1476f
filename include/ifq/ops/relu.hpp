#pragma once

namespace ifq {

// max(z, 0)
struct IntReluOp {};

}  // namespace ifq
