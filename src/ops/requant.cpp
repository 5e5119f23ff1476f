// requant: separated conversion, x * multiplier >> shift + bias
// (include/ifq/ops/requant.hpp).
#include "ops/op_definitions.hpp"

namespace ifq::ops {

void fields(IntRequantOp& o, OpFields& f, const Shape3& in) {
  f.attr("shift", o.shift, 0, 62);
  f.attr("frac_bits", o.frac_bits, 0, 30);
  // |multiplier| < 2^32 keeps x * multiplier inside int64 for any int32 x.
  f.tensor("multiplier", o.multiplier, size_t(in.c), -(int64_t(1) << 32) + 1, (int64_t(1) << 32) - 1);
  f.tensor("bias", o.bias, size_t(in.c), int64_t(INT32_MIN) + 1, int64_t(INT32_MAX) - 1);
}

Shape3 check(const IntRequantOp&, const Shape3& in, const OpCheck&) { return in; }

int32_t pointwise_value(const IntRequantOp& o, size_t c, int32_t x) {
  return saturate32(((int64_t(x) * o.multiplier[c]) >> o.shift) + o.bias[c]);
}

void account_memory(const IntRequantOp& o, OpMemory& m, MemoryFlow& flow) {
  m.other_params = int64_t(o.multiplier.size() + o.bias.size());
  m.other_bits = std::max(signed_bits_of(o.multiplier), signed_bits_of(o.bias));
  flow.max_abs = int64_t(1) << 31;
  flow.value_bits = 32;
}

ValueRange output_range(const IntRequantOp&, ValueRange) { return kFullInt32Range; }

std::string emit_c(const IntRequantOp& o, CEmitter& e) {
  auto i64 = [](int64_t v) { return c_int64(v); };
  const auto mul = e.array("mul", "int64_t", 8, c_literals(o.multiplier, i64));
  const auto bias = e.array("bias", "int64_t", 8, c_literals(o.bias, i64));
  return e.op_entry("IFQ_OP_REQUANT", e.params("ifq_requant_params", ".shift = " + std::to_string(o.shift) +
                                                                         ", .multiplier = " + mul + ", .bias = " + bias));
}

}  // namespace ifq::ops
