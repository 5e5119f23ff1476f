// batchnorm: batch norm in fixed point (include/ifq/ops/batchnorm.hpp).
#include <algorithm>

#include "ops/op_definitions.hpp"

namespace ifq::ops {

void fields(IntBatchNormOp& o, OpFields& f, const Shape3& in) {
  f.attr("shift", o.shift, 0, 62);
  // Inside the int32 range, (y - mean) * scale stays inside int64:
  // |y - mean| < 2^32, |scale| < 2^31.
  const int64_t lo = int64_t(INT32_MIN) + 1, hi = int64_t(INT32_MAX) - 1;
  f.tensor("mean", o.mean, size_t(in.c), lo, hi);
  f.tensor("scale", o.scale, size_t(in.c), lo, hi);
  f.tensor("beta", o.beta, size_t(in.c), lo, hi);
}

Shape3 check(const IntBatchNormOp&, const Shape3& in, const OpCheck&) { return in; }

int32_t pointwise_value(const IntBatchNormOp& o, size_t c, int32_t y) {
  return saturate32((((int64_t(y) - o.mean[c]) * o.scale[c]) >> o.shift) + o.beta[c]);
}

void account_memory(const IntBatchNormOp& o, OpMemory& m, MemoryFlow& flow) {
  m.other_params = int64_t(3 * o.mean.size());
  m.other_bits = std::max({signed_bits_of(o.mean), signed_bits_of(o.scale), signed_bits_of(o.beta)});
  flow.value_bits = 32;
}

ValueRange output_range(const IntBatchNormOp&, ValueRange) { return kFullInt32Range; }

std::string emit_c(const IntBatchNormOp& o, CEmitter& e) {
  auto i64 = [](int64_t v) { return c_int64(v); };
  const auto mean = e.array("mean", "int64_t", 8, c_literals(o.mean, i64));
  const auto scale = e.array("scale", "int64_t", 8, c_literals(o.scale, i64));
  const auto beta = e.array("beta", "int64_t", 8, c_literals(o.beta, i64));
  return e.op_entry("IFQ_OP_BATCHNORM", e.params("ifq_batchnorm_params", ".shift = " + std::to_string(o.shift) +
                                                                             ", .mean = " + mean + ", .scale = " +
                                                                             scale + ", .beta = " + beta));
}

}  // namespace ifq::ops
