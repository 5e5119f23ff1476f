// clamp: min(max(z, lo), hi) (include/ifq/ops/clamp.hpp).
#include <algorithm>

#include "ops/op_definitions.hpp"

namespace ifq::ops {

void fields(IntClampOp& o, OpFields& f, const Shape3&) {
  f.attr("lo", o.lo, INT32_MIN, INT32_MAX);
  f.attr("hi", o.hi, INT32_MIN, INT32_MAX);
}

Shape3 check(const IntClampOp& o, const Shape3& in, const OpCheck& c) {
  c.require(o.lo <= o.hi, "lo " + std::to_string(o.lo) + " above hi " + std::to_string(o.hi));
  return in;
}

int32_t pointwise_value(const IntClampOp& o, size_t, int32_t z) { return std::clamp(z, o.lo, o.hi); }

void account_memory(const IntClampOp& o, OpMemory& m, MemoryFlow& flow) {
  m.other_params = 2;
  m.other_bits = signed_bits_of({o.lo, o.hi});
  flow.max_abs = std::min(flow.max_abs, std::max(std::abs(int64_t(o.lo)), std::abs(int64_t(o.hi))));
}

ValueRange output_range(const IntClampOp& o, ValueRange in) {
  return {std::clamp<int64_t>(in.lo, o.lo, o.hi), std::clamp<int64_t>(in.hi, o.lo, o.hi)};
}

std::string emit_c(const IntClampOp& o, CEmitter& e) {
  return e.op_entry("IFQ_OP_CLAMP",
                    e.params("ifq_clamp_params", ".lo = " + c_int32(o.lo) + ", .hi = " + c_int32(o.hi)));
}

}  // namespace ifq::ops
