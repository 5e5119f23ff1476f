// Dispatch over the op registry (include/ifq/ops/op_list.hpp): every generic
// entry point visits the IntOp variant and calls the op's own definition.
#include <algorithm>
#include <climits>
#include <type_traits>

#include "ifq/error.hpp"
#include "ops/op_definitions.hpp"

namespace ifq {
namespace {

template <class T>
struct OpInfo;
#define IFQ_OP_INFO(T, op_name, op_role)                       \
  template <>                                                  \
  struct OpInfo<T> {                                           \
    static constexpr const char* name = #op_name;              \
    static constexpr bool pointwise = ops_role_##op_role;      \
  };
constexpr bool ops_role_layer = false;
constexpr bool ops_role_pointwise = true;
IFQ_INT_OPS(IFQ_OP_INFO)
#undef IFQ_OP_INFO

}  // namespace

const char* int_op_name(const IntOp& op) {
  return std::visit([](const auto& o) { return OpInfo<std::decay_t<decltype(o)>>::name; }, op);
}

bool int_op_is_pointwise(const IntOp& op) {
  return std::visit([](const auto& o) { return OpInfo<std::decay_t<decltype(o)>>::pointwise; }, op);
}

ValueRange int_op_output_range(const IntOp& op, ValueRange in) {
  return std::visit([&](const auto& o) { return ops::output_range(o, in); }, op);
}

IntTensor apply_int_op(const IntOp& op, const IntTensor& in, const Shape3& out_shape) {
  return std::visit(
      [&](const auto& o) -> IntTensor {
        if constexpr (OpInfo<std::decay_t<decltype(o)>>::pointwise)
          return ops::map_channels(in, [&](size_t c, int32_t x) { return ops::pointwise_value(o, c, x); });
        else
          return ops::reference(o, in, out_shape);
      },
      op);
}

int32_t apply_pointwise(const IntOp& op, size_t channel, int32_t x) {
  return std::visit(
      [&](const auto& o) -> int32_t {
        if constexpr (OpInfo<std::decay_t<decltype(o)>>::pointwise)
          return ops::pointwise_value(o, channel, x);
        else
          throw Error(std::string("apply_pointwise: ") + OpInfo<std::decay_t<decltype(o)>>::name +
                      " is not a pointwise op");
      },
      op);
}

std::string emit_int_op_c(const IntOp& op, CEmitter& e) {
  return std::visit([&](const auto& o) { return ops::emit_c(o, e); }, op);
}

std::string CEmitter::op_entry(const char* kind, const std::string& params_ref) const {
  return std::string("{.kind = ") + kind + ", .out = " + c_shape(output_shape()) + ", .params = " + params_ref + "}";
}

std::string c_int32(int64_t v) {
  if (v == INT32_MIN) return "(-2147483647 - 1)";
  return std::to_string(v);
}

std::string c_int64(int64_t v) {
  if (v == INT64_MIN) return "(-INT64_C(9223372036854775807) - 1)";
  return "INT64_C(" + std::to_string(v) + ")";
}

std::string c_shape(const Shape3& s) {
  return "{.c = " + std::to_string(s.c) + ", .h = " + std::to_string(s.h) + ", .w = " + std::to_string(s.w) + "}";
}

namespace ops {

void visit_fields(IntOp& op, OpFields& f, const Shape3& in) {
  std::visit([&](auto& o) { fields(o, f, in); }, op);
}

bool make_op(const std::string& name, IntOp& out) {
  bool found = false;
#define IFQ_MAKE_OP(T, op_name, role) \
  if (!found && name == #op_name) out = T{}, found = true;
  IFQ_INT_OPS(IFQ_MAKE_OP)
#undef IFQ_MAKE_OP
  return found;
}

void OpCheck::fail(const std::string& what) const {
  throw Error("integer op " + std::to_string(index_) + " (" + name_ + "): " + what);
}

int32_t saturate32(int64_t v) { return int32_t(std::clamp<int64_t>(v, INT32_MIN, INT32_MAX)); }

int signed_bits_of(const std::vector<int64_t>& v) {
  int64_t lo = 0, hi = 0;
  for (int64_t x : v) lo = std::min(lo, x), hi = std::max(hi, x);
  return signed_bits_for(lo, hi);
}

}  // namespace ops
}  // namespace ifq
