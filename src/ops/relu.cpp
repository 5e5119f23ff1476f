// relu: max(z, 0) (include/ifq/ops/relu.hpp).
#include <algorithm>

#include "ops/op_definitions.hpp"

namespace ifq::ops {

void fields(IntReluOp&, OpFields&, const Shape3&) {}

Shape3 check(const IntReluOp&, const Shape3& in, const OpCheck&) { return in; }

int32_t pointwise_value(const IntReluOp&, size_t, int32_t z) { return std::max(z, 0); }

void account_memory(const IntReluOp&, OpMemory&, MemoryFlow&) {}

ValueRange output_range(const IntReluOp&, ValueRange in) {
  return {std::max<int64_t>(in.lo, 0), std::max<int64_t>(in.hi, 0)};
}

std::string emit_c(const IntReluOp&, CEmitter& e) { return e.op_entry("IFQ_OP_RELU", "NULL"); }

}  // namespace ifq::ops
