// conv: integer convolution (include/ifq/ops/conv.hpp).
#include <algorithm>

#include "ifq/limits.hpp"
#include "ifq/memory.hpp"
#include "ops/dense.hpp"
#include "ops/op_definitions.hpp"

namespace ifq {

IntConvOp sum_input_blocks(const IntConvOp& conv) {
  if (conv.input_repeat == 1) return conv;
  IntConvOp summed = conv;
  summed.input_repeat = 1;
  const int64_t block = summed.filter_size(), filters = conv.stored_filters();
  summed.weight.assign(size_t(filters * block), 0);
  int32_t lo = 0, hi = 0;
  for (int64_t u = 0; u < filters; ++u)
    for (int r = 0; r < conv.input_repeat; ++r)
      for (int64_t t = 0; t < block; ++t) {
        int32_t& w = summed.weight[size_t(u * block + t)];
        w += conv.weight[size_t((u * conv.input_repeat + r) * block + t)];
        if (r + 1 == conv.input_repeat) lo = std::min(lo, w), hi = std::max(hi, w);
      }
  summed.weight_bits = std::max(2, signed_bits_for(lo, hi));
  return summed;
}

namespace ops {

void fields(IntConvOp& o, OpFields& f, const Shape3&) {
  f.attr("in_channels", o.in_channels, 1, limits::kMaxChannels);
  f.attr("out_channels", o.out_channels, 1, limits::kMaxChannels);
  f.attr("size", o.kernel, 1, limits::kMaxWindow);
  f.attr("stride", o.stride, 1, limits::kMaxStride);
  f.attr("pad", o.pad, 0, limits::kMaxPad);
  f.attr("weight_bits", o.weight_bits, 1, limits::kMaxWeightBits);
  f.attr("acc_shift", o.acc_shift, 0, 62);
  f.added_attr("duplicate", o.duplicate, 1, limits::kMaxChannels, 1);
  f.added_attr("input_repeat", o.input_repeat, 1, limits::kMaxInputRepeat, 1);
  // duplicate >= 1 here (the visitors stop at a bad field); that it divides
  // out_channels is check()'s rule, and the count stays in range either way.
  f.weights(o.weight, o.weight_bits, size_t(o.stored_filters()) * size_t(o.filter_size()));
  f.added_flags("negate", o.negate, size_t(o.out_channels));
}

Shape3 check(const IntConvOp& o, const Shape3& in, const OpCheck& c) {
  c.require(o.in_channels == in.c,
            "in_channels " + std::to_string(o.in_channels) + " but input has " + std::to_string(in.c));
  c.require(o.out_channels % o.duplicate == 0, "duplicate " + std::to_string(o.duplicate) +
                                                   " does not divide out_channels " + std::to_string(o.out_channels));
  for (uint8_t n : o.negate) c.require(n <= 1, "negate flags must be 0 or 1");
  c.require(o.pad < o.kernel + limits::kMaxPadBeyondWindow, "bad geometry: pad " + std::to_string(o.pad) +
                                                                 " not below kernel + " +
                                                                 std::to_string(limits::kMaxPadBeyondWindow));
  c.require(in.h + 2 * o.pad >= o.kernel && in.w + 2 * o.pad >= o.kernel, "kernel larger than padded input");
  return {o.out_channels, conv_out_size(in.h, o.kernel, o.stride, o.pad), conv_out_size(in.w, o.kernel, o.stride, o.pad)};
}

IntTensor reference(const IntConvOp& op, const IntTensor& in, const Shape3& out_shape) {
  IntTensor out{out_shape, std::vector<int32_t>(size_t(out_shape.elements()))};
  const int k = op.kernel;
  const size_t plane = size_t(in.shape.c) * k * k;
  // The receptive field once; a stored filter's input_repeat column blocks
  // all read it (column j reads input channel j % C).
  std::vector<int32_t> patch(plane);
  const size_t filter = size_t(op.filter_size());
  for (int oy = 0; oy < out_shape.h; ++oy)
    for (int ox = 0; ox < out_shape.w; ++ox) {
      // Gather the receptive field; zero outside the input (zero padding).
      size_t p = 0;
      for (int c = 0; c < in.shape.c; ++c)
        for (int ky = 0; ky < k; ++ky)
          for (int kx = 0; kx < k; ++kx) {
            const int iy = oy * op.stride - op.pad + ky, ix = ox * op.stride - op.pad + kx;
            const bool inside = iy >= 0 && iy < in.shape.h && ix >= 0 && ix < in.shape.w;
            patch[p++] = inside ? in.data[(size_t(c) * in.shape.h + iy) * in.shape.w + ix] : 0;
          }
      for (int o = 0; o < op.out_channels; ++o) {
        const int32_t* w = &op.weight[size_t(o % op.stored_filters()) * filter];
        uint64_t acc = 0;  // modulo 2^64, as dot_wrapping
        for (int r = 0; r < op.input_repeat; ++r) acc += uint64_t(dot_wrapping(w + size_t(r) * plane, patch.data(), plane));
        if (!op.negate.empty() && op.negate[size_t(o)]) acc = 0 - acc;
        out.data[(size_t(o) * out_shape.h + oy) * out_shape.w + ox] = saturate32(int64_t(acc) >> op.acc_shift);
      }
    }
  return out;
}

void account_memory(const IntConvOp& o, OpMemory& m, MemoryFlow& flow) {
  // Stored filters only (the paper's size: unique weights); a row's |w| sum
  // covers all its input_repeat blocks, so the accumulator bound holds.
  account_dense(o.weight, o.weight_bits, o.stored_filters(), o.acc_shift, m, flow);
  if (!o.negate.empty()) m.other_params = int64_t(o.negate.size()), m.other_bits = 1;
}

ValueRange output_range(const IntConvOp&, ValueRange) { return kFullInt32Range; }

std::string emit_c(const IntConvOp& op, CEmitter& e) {
  // The microcontroller runtime reads each input value once per filter
  // (the weights are copied only when there are blocks to sum).
  IntConvOp summed;
  if (op.input_repeat > 1) summed = sum_input_blocks(op);
  const IntConvOp& o = op.input_repeat > 1 ? summed : op;
  return emit_dense_c(e, o.weight, o.weight_bits,
                      {o.kernel, o.kernel, o.stride, o.pad, o.stored_filters(), o.acc_shift, o.duplicate,
                       o.input_repeat, &o.negate});
}

}  // namespace ops
}  // namespace ifq
