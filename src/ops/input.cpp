// input: the uint8 image minus the per-channel mean (include/ifq/ops/input.hpp).
#include "ifq/error.hpp"
#include "ifq/limits.hpp"
#include "ops/op_definitions.hpp"

#include <algorithm>

namespace ifq::ops {

void fields(IntInputOp& o, OpFields& f, const Shape3&) {
  f.attr("channels", o.shape.c, 1, limits::kMaxInputChannels);
  f.attr("height", o.shape.h, 1, limits::kMaxInputSide);
  f.attr("width", o.shape.w, 1, limits::kMaxInputSide);
  f.attr_list("mean", o.mean, size_t(o.shape.c), 0, 255);
}

Shape3 check(const IntInputOp& o, const Shape3&, const OpCheck&) { return o.shape; }

IntTensor reference(const IntInputOp&, const IntTensor&, const Shape3&) {
  throw Error("apply_int_op: the input op takes an image, use run()");
}

void account_memory(const IntInputOp& o, OpMemory& m, MemoryFlow& flow) {
  m.other_params = int64_t(o.mean.size());
  m.other_bits = 8;
  flow.value_bits = 8;  // the image itself
}

// A pixel minus its channel's mean.
ValueRange output_range(const IntInputOp& o, ValueRange) {
  return {-*std::max_element(o.mean.begin(), o.mean.end()), 255 - *std::min_element(o.mean.begin(), o.mean.end())};
}

// The segment source reading the stored image; the mean is the image
// tensor's `sub`, applied on every read.
std::string emit_c(const IntInputOp&, CEmitter& e) { return e.op_entry("IFQ_OP_INPUT", "NULL"); }

}  // namespace ifq::ops
