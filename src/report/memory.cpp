// Memory accounting (paper §4.1.3, Table 4). Parameter bits are the bits a
// deployment must store: binary weights 1 bit, integer weights their
// weight_bits, thresholds the bits of the accumulator range they compare
// against. Each op's rule is its account_memory() (src/ops/<name>.cpp).
#include "ifq/memory.hpp"

#include <algorithm>
#include <cstdlib>

#include "ifq/runtime.hpp"
#include "ops/op_definitions.hpp"

namespace ifq {

int signed_bits_for(int64_t lo, int64_t hi) {
  int n = 1;
  while (n < 64 && (lo < -(int64_t(1) << (n - 1)) || hi > (int64_t(1) << (n - 1)) - 1)) ++n;
  return n;
}

MemoryReport account_memory(const IntModel& model) {
  const auto shapes = infer_int_shapes(model);
  MemoryReport rep;
  ops::MemoryFlow flow;  // |value| bound and bits per element of the current tensor
  for (size_t i = 0; i < model.ops.size(); ++i) {
    OpMemory m;
    m.op_index = int(i);
    m.name = int_op_name(model.ops[i]);
    m.output_shape = shapes[i];
    std::visit([&](const auto& o) { ops::account_memory(o, m, flow); }, model.ops[i]);
    flow.max_abs = std::min<int64_t>(flow.max_abs, int64_t(1) << 31);
    m.output_bits = flow.value_bits;
    m.feature_map_bits = shapes[i].elements() * flow.value_bits;
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
