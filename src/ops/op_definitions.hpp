#pragma once
// What every op of the registry (include/ifq/ops/op_list.hpp) defines, in its
// own src/ops/<name>.cpp. Declared here for every op at once from the list,
// so a definition an op lacks is a link error, and dispatched over IntOp in
// registry.cpp.
#include <cstdint>
#include <string>

#include "ifq/int_model.hpp"
#include "ifq/memory.hpp"
#include "ifq/ops/c_emitter.hpp"
#include "ifq/ops/value_range.hpp"
#include "ifq/runtime.hpp"
#include "ops/op_fields.hpp"

namespace ifq::ops {

// Raises "integer op <i> (<name>): <what>" for the op being checked.
class OpCheck {
 public:
  OpCheck(size_t index, const char* name) : index_(index), name_(name) {}
  [[noreturn]] void fail(const std::string& what) const;
  void require(bool ok, const std::string& what) const {
    if (!ok) fail(what);
  }

 private:
  size_t index_;
  const char* name_;
};

// The memory report's running state (report/memory.cpp): a bound on
// |value| of the tensor flowing between ops and its bits per element.
struct MemoryFlow {
  int64_t max_abs = 255;
  int value_bits = 8;
};

// Per op:
//   fields          stored fields with their limits (see op_fields.hpp)
//   check           what fields() cannot say (cross-field rules, fit to the
//                   input shape); returns the output shape. Runs after the
//                   fields passed their limits.
//   account_memory  the op's parameter bits and what it does to the value flow
//   output_range    value range of the output given the input's
//   emit_c          the op's entry in the C export (IFQ_OP_* of ifq_micro.h)
//   reference       (layer ops) the specification's arithmetic
//   pointwise_value (pointwise ops) one value of channel c
#define IFQ_DECLARE_OP_layer(T) IntTensor reference(const T& op, const IntTensor& in, const Shape3& out);
#define IFQ_DECLARE_OP_pointwise(T) int32_t pointwise_value(const T& op, size_t channel, int32_t x);
#define IFQ_DECLARE_OP(T, name, role)                                   \
  void fields(T& op, OpFields& f, const Shape3& in);                   \
  Shape3 check(const T& op, const Shape3& in, const OpCheck& c);       \
  void account_memory(const T& op, OpMemory& m, MemoryFlow& flow);     \
  ValueRange output_range(const T& op, ValueRange in);                 \
  std::string emit_c(const T& op, CEmitter& e);                        \
  IFQ_DECLARE_OP_##role(T)
IFQ_INT_OPS(IFQ_DECLARE_OP)
#undef IFQ_DECLARE_OP

// Stored fields of any op (dispatch over the list).
void visit_fields(IntOp& op, OpFields& f, const Shape3& in);
// A default-constructed op of the type named `name`, or false if none is.
bool make_op(const std::string& name, IntOp& out);

// Helpers shared by several ops.
int32_t saturate32(int64_t v);
// Per-channel map of a pointwise op over a CHW tensor.
template <class PerValue>
IntTensor map_channels(const IntTensor& in, PerValue f) {
  IntTensor out{in.shape, std::vector<int32_t>(in.data.size())};
  const size_t plane = size_t(in.shape.h) * in.shape.w;
  for (size_t i = 0; i < in.data.size(); ++i) out.data[i] = f(i / plane, in.data[i]);
  return out;
}
// Bits of the widest signed value in v (at least 1).
int signed_bits_of(const std::vector<int64_t>& v);

}  // namespace ifq::ops
