// fc: fully connected layer (include/ifq/ops/fc.hpp).
#include "ifq/limits.hpp"
#include "ops/dense.hpp"
#include "ops/op_definitions.hpp"

namespace ifq::ops {

void fields(IntFcOp& o, OpFields& f, const Shape3&) {
  f.attr("in_features", o.in_features, 1, int64_t(1) << 30);
  f.attr("out_features", o.out_features, 1, limits::kMaxFeatures);
  f.attr("weight_bits", o.weight_bits, 1, limits::kMaxWeightBits);
  f.attr("acc_shift", o.acc_shift, 0, 62);
  f.weights(o.weight, o.weight_bits, size_t(o.out_features) * size_t(o.in_features));
}

Shape3 check(const IntFcOp& o, const Shape3& in, const OpCheck& c) {
  c.require(o.in_features == in.elements(), "in_features " + std::to_string(o.in_features) + " but input has " +
                                                std::to_string(in.elements()));
  return {o.out_features, 1, 1};
}

IntTensor reference(const IntFcOp& op, const IntTensor& in, const Shape3& out_shape) {
  IntTensor out{out_shape, std::vector<int32_t>(size_t(op.out_features))};
  for (int o = 0; o < op.out_features; ++o) {
    const int64_t acc = dot_wrapping(&op.weight[size_t(o) * op.in_features], in.data.data(), size_t(op.in_features));
    out.data[size_t(o)] = saturate32(acc >> op.acc_shift);
  }
  return out;
}

void account_memory(const IntFcOp& o, OpMemory& m, MemoryFlow& flow) {
  account_dense(o.weight, o.weight_bits, o.out_features, o.acc_shift, m, flow);
}

ValueRange output_range(const IntFcOp&, ValueRange) { return kFullInt32Range; }

// The C runtime has no fc: weight [o][(c*H + y)*W + x] over the flattened
// CHW input is a conv whose kernel covers the whole input.
std::string emit_c(const IntFcOp& o, CEmitter& e) {
  const Shape3 in = e.input_shape();
  return emit_dense_c(e, o.weight, o.weight_bits, {in.h, in.w, 1, 0, o.out_features, o.acc_shift});
}

}  // namespace ifq::ops
