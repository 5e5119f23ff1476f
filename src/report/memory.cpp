// Memory accounting (paper §4.1.3, Table 4). Parameter bits are the bits a
// deployment must store: binary weights 1 bit, integer weights their
// weight_bits, thresholds the bits of the accumulator range they compare
// against (a threshold beyond the range is equivalent to the range's edge).
#include "ifq/memory.hpp"

#include <algorithm>
#include <cstdlib>

#include "core/overloaded.hpp"
#include "ifq/runtime.hpp"

namespace ifq {

int signed_bits_for(int64_t lo, int64_t hi) {
  int n = 1;
  while (n < 64 && (lo < -(int64_t(1) << (n - 1)) || hi > (int64_t(1) << (n - 1)) - 1)) ++n;
  return n;
}

namespace {

int bits_of(const std::vector<int64_t>& v) {
  int64_t lo = 0, hi = 0;
  for (int64_t x : v) lo = std::min(lo, x), hi = std::max(hi, x);
  return signed_bits_for(lo, hi);
}

int64_t max_row_abs_sum(const std::vector<int32_t>& w, size_t rows) {
  const size_t n = w.size() / rows;
  int64_t best = 0;
  for (size_t r = 0; r < rows; ++r) {
    int64_t s = 0;
    for (size_t i = 0; i < n; ++i) s += std::abs(int64_t(w[r * n + i]));
    best = std::max(best, s);
  }
  return best;
}

// a * b >> shift, saturated at 2^40 (bounds only need to be safe, not tight).
int64_t bound_product(int64_t a, int64_t b, int shift) {
  const double v = double(a) * double(b) / double(int64_t(1) << shift);
  return v >= double(int64_t(1) << 40) ? int64_t(1) << 40 : int64_t(v);
}

}  // namespace

MemoryReport account_memory(const IntModel& model) {
  const auto shapes = infer_int_shapes(model);
  MemoryReport rep;
  int64_t max_abs = 255;  // bound on |value| of the current tensor
  int value_bits = 8;     // bits per element of the current tensor
  for (size_t i = 0; i < model.ops.size(); ++i) {
    OpMemory m;
    m.op_index = int(i);
    m.name = int_op_name(model.ops[i]);
    m.output_shape = shapes[i];
    std::visit(Overloaded{
                   [&](const IntInputOp& o) {
                     m.other_params = int64_t(o.mean.size());
                     m.other_bits = 8;
                     value_bits = 8;  // the image itself
                   },
                   [&](const IntConvOp& o) {
                     m.weights = int64_t(o.weight.size());
                     m.weight_bits = o.weight_bits;
                     max_abs = bound_product(max_row_abs_sum(o.weight, size_t(o.out_channels)), max_abs, o.acc_shift);
                     value_bits = 32;
                   },
                   [&](const IntFcOp& o) {
                     m.weights = int64_t(o.weight.size());
                     m.weight_bits = o.weight_bits;
                     max_abs = bound_product(max_row_abs_sum(o.weight, size_t(o.out_features)), max_abs, o.acc_shift);
                     value_bits = 32;
                   },
                   [&](const IntMaxPoolOp& o) {
                     m.other_params = o.take_min.empty() ? 0 : int64_t(o.take_min.size());
                     m.other_bits = 1;
                   },
                   [&](const IntThresholdOp& o) {
                     m.thresholds = int64_t(o.thresholds.size());
                     m.threshold_bits = signed_bits_for(-max_abs - 1, max_abs);
                     max_abs = (int64_t(1) << o.bits) - 1;
                     value_bits = o.bits;
                   },
                   [&](const IntRequantOp& o) {
                     m.other_params = int64_t(o.multiplier.size() + o.bias.size());
                     m.other_bits = std::max(bits_of(o.multiplier), bits_of(o.bias));
                     max_abs = int64_t(1) << 31;
                     value_bits = 32;
                   },
                   [&](const IntBatchNormOp& o) {
                     m.other_params = int64_t(3 * o.mean.size());
                     m.other_bits = std::max({bits_of(o.mean), bits_of(o.scale), bits_of(o.beta)});
                     value_bits = 32;
                   },
                   [&](const IntQuantOp& o) {
                     m.thresholds = int64_t(o.thresholds.size());
                     m.threshold_bits = bits_of(o.thresholds);
                     max_abs = (int64_t(1) << o.bits) - 1;
                     value_bits = o.bits;
                   },
                   [&](const IntReluOp&) {},
                   [&](const IntLeakyOp& o) {
                     m.other_params = 1;
                     m.other_bits = bits_of({o.multiplier});
                   },
               },
               model.ops[i]);
    max_abs = std::min<int64_t>(max_abs, int64_t(1) << 31);
    m.output_bits = value_bits;
    m.feature_map_bits = shapes[i].elements() * value_bits;
    m.model_bits = m.weights * m.weight_bits + m.thresholds * m.threshold_bits + m.other_params * m.other_bits;
    rep.model_size_bits += m.model_bits;
    rep.weight_size_bits += m.weights * m.weight_bits;
    rep.ops.push_back(m);
  }
  rep.model_size_bytes = (rep.model_size_bits + 7) / 8;
  rep.weight_size_bytes = (rep.weight_size_bits + 7) / 8;

  // Paper definition: the largest memory of one layer, where a substructure's
  // layer is its weight layer's output map (before pooling) held at the bits
  // of the substructure's output (k for a quantizer: the fused conv-pool-
  // threshold kernel never stores the accumulator map). The input image is
  // not counted, as in the paper's Table 4.
  for (const auto& span : model.substructures) {
    int64_t elements = 0;
    for (int i = span.op_begin; i < span.op_end; ++i)
      if (std::holds_alternative<IntConvOp>(model.ops[size_t(i)]) || std::holds_alternative<IntFcOp>(model.ops[size_t(i)]))
        elements = std::max(elements, shapes[size_t(i)].elements());
    if (span.op_end <= span.op_begin) continue;
    const int bits = rep.ops[size_t(span.op_end) - 1].output_bits;
    rep.feature_map_peak_bits = std::max(rep.feature_map_peak_bits, elements * bits);
  }
  rep.arena_bytes = ReferenceRuntime(model).arena_bytes();
  return rep;
}

}  // namespace ifq
