// leaky: leaky ReLU in fixed point (include/ifq/ops/leaky.hpp).
#include "ops/op_definitions.hpp"

namespace ifq::ops {

void fields(IntLeakyOp& o, OpFields& f, const Shape3&) {
  f.attr("shift", o.shift, 0, 62);
  f.attr("multiplier", o.multiplier, 0, INT32_MAX);
}

Shape3 check(const IntLeakyOp&, const Shape3& in, const OpCheck&) { return in; }

int32_t pointwise_value(const IntLeakyOp& o, size_t, int32_t z) {
  return z < 0 ? saturate32((int64_t(z) * o.multiplier) >> o.shift) : z;
}

void account_memory(const IntLeakyOp& o, OpMemory& m, MemoryFlow&) {
  m.other_params = 1;
  m.other_bits = signed_bits_of({o.multiplier});
}

// Non-negative inputs pass unchanged; a negative one may land anywhere below 0.
ValueRange output_range(const IntLeakyOp&, ValueRange in) { return in.lo >= 0 ? in : kFullInt32Range; }

std::string emit_c(const IntLeakyOp& o, CEmitter& e) {
  return e.op_entry("IFQ_OP_LEAKY", e.params("ifq_leaky_params", ".shift = " + std::to_string(o.shift) +
                                                                     ", .multiplier = " + c_int64(o.multiplier)));
}

}  // namespace ifq::ops
