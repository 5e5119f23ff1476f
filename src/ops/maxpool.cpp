// maxpool: max (or per-channel min) pooling (include/ifq/ops/maxpool.hpp).
#include <algorithm>
#include <limits>

#include "ifq/limits.hpp"
#include "ops/op_definitions.hpp"

namespace ifq::ops {

void fields(IntMaxPoolOp& o, OpFields& f, const Shape3& in) {
  f.attr("size", o.size, 1, limits::kMaxWindow);
  f.attr("stride", o.stride, 1, limits::kMaxStride);
  f.attr("pad", o.pad, 0, limits::kMaxPad);
  f.optional_flags("take_min", o.take_min, size_t(in.c));
}

Shape3 check(const IntMaxPoolOp& o, const Shape3& in, const OpCheck& c) {
  c.require(o.pad < o.size + o.stride, "bad geometry: pad " + std::to_string(o.pad) + " not below size + stride");
  c.require(in.h + o.pad >= o.size && in.w + o.pad >= o.size, "window larger than input");
  return {in.c, pool_out_size(in.h, o.size, o.stride, o.pad), pool_out_size(in.w, o.size, o.stride, o.pad)};
}

// Darknet geometry: window origin out*stride - pad/2; outside positions skipped.
IntTensor reference(const IntMaxPoolOp& op, const IntTensor& in, const Shape3& out_shape) {
  IntTensor out{out_shape, std::vector<int32_t>(size_t(out_shape.elements()))};
  const int offset = op.pad / 2;
  for (int c = 0; c < out_shape.c; ++c) {
    const bool use_min = !op.take_min.empty() && op.take_min[size_t(c)];
    for (int oy = 0; oy < out_shape.h; ++oy)
      for (int ox = 0; ox < out_shape.w; ++ox) {
        int32_t best = use_min ? std::numeric_limits<int32_t>::max() : std::numeric_limits<int32_t>::min();
        for (int ky = 0; ky < op.size; ++ky)
          for (int kx = 0; kx < op.size; ++kx) {
            const int iy = oy * op.stride - offset + ky, ix = ox * op.stride - offset + kx;
            if (iy < 0 || iy >= in.shape.h || ix < 0 || ix >= in.shape.w) continue;
            const int32_t v = in.data[(size_t(c) * in.shape.h + iy) * in.shape.w + ix];
            best = use_min ? std::min(best, v) : std::max(best, v);
          }
        out.data[(size_t(c) * out_shape.h + oy) * out_shape.w + ox] = best;
      }
  }
  return out;
}

void account_memory(const IntMaxPoolOp& o, OpMemory& m, MemoryFlow&) {
  m.other_params = o.take_min.empty() ? 0 : int64_t(o.take_min.size());
  m.other_bits = 1;
}

// Every output is one of the window's inputs.
ValueRange output_range(const IntMaxPoolOp&, ValueRange in) { return in; }

std::string emit_c(const IntMaxPoolOp& p, CEmitter& e) {
  std::string take_min = "NULL";
  if (std::any_of(p.take_min.begin(), p.take_min.end(), [](uint8_t v) { return v != 0; }))
    take_min = e.array("min", "uint8_t", 1, c_literals(p.take_min, [](uint8_t v) { return v ? "1" : "0"; }));
  const auto params = e.params("ifq_pool_params", ".size = " + std::to_string(p.size) + ", .stride = " +
                                                      std::to_string(p.stride) + ", .pad = " + std::to_string(p.pad) +
                                                      ", .take_min = " + take_min);
  return e.op_entry("IFQ_OP_MAXPOOL", params);
}

}  // namespace ifq::ops
