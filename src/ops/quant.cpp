// quant: HWGQ quantizer on fixed-point values (include/ifq/ops/quant.hpp).
#include "ifq/limits.hpp"
#include "ops/op_definitions.hpp"

namespace ifq::ops {

void fields(IntQuantOp& o, OpFields& f, const Shape3&) {
  f.attr("bits", o.bits, 1, limits::kMaxLevelBits);
  f.tensor("thresholds", o.thresholds, (size_t(1) << o.bits) - 1, INT64_MIN, INT64_MAX);
}

Shape3 check(const IntQuantOp& o, const Shape3& in, const OpCheck& c) {
  for (size_t t = 1; t < o.thresholds.size(); ++t)
    c.require(o.thresholds[t - 1] <= o.thresholds[t], "thresholds not ascending");
  return in;
}

int32_t pointwise_value(const IntQuantOp& o, size_t, int32_t z) {
  int32_t level = 0;
  for (int64_t t : o.thresholds) level += int64_t(z) > t;
  return level;
}

void account_memory(const IntQuantOp& o, OpMemory& m, MemoryFlow& flow) {
  m.thresholds = int64_t(o.thresholds.size());
  m.threshold_bits = signed_bits_of(o.thresholds);
  flow.max_abs = (int64_t(1) << o.bits) - 1;
  flow.value_bits = o.bits;
}

ValueRange output_range(const IntQuantOp& o, ValueRange) { return level_range(o.bits); }

std::string emit_c(const IntQuantOp& o, CEmitter& e) {
  const auto t = e.array("t", "int64_t", 8, c_literals(o.thresholds, [](int64_t v) { return c_int64(v); }));
  return e.op_entry("IFQ_OP_QUANT", e.params("ifq_quant_params", ".count = " + std::to_string(o.thresholds.size()) +
                                                                     ", .thresholds = " + t));
}

}  // namespace ifq::ops
