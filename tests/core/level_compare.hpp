#pragma once
// Comparing the integer runtime's levels with the float reference's.
#include <cmath>
#include <cstdint>
#include <vector>

#include "ifq/float_model.hpp"
#include "ifq/int_model.hpp"
#include "ifq/reference_eval.hpp"
#include "ifq/runtime.hpp"

namespace ifq::testing {

struct LevelCount {
  int64_t compared = 0, mismatched = 0;
  void add(const LevelCount& o) { compared += o.compared, mismatched += o.mismatched; }
};

// The HWGQ step of the quantizer that produced the float tensor at `layer`
// (the layer itself or the quantizer before the pools that follow it).
inline double step_at(const FloatModel& m, int layer) {
  for (int i = layer; i >= 0; --i)
    if (auto* q = std::get_if<HwgqLayer>(&m.layers[size_t(i)])) return q->step;
  return 0;
}

inline IntTensor levels_of(const std::vector<double>& x, double step, const Shape3& shape) {
  IntTensor t{shape, std::vector<int32_t>(x.size())};
  for (size_t i = 0; i < x.size(); ++i) t.data[i] = int32_t(std::lround(x[i] / step));
  return t;
}

inline LevelCount count_mismatches(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  LevelCount c;
  c.compared = int64_t(a.size());
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) c.mismatched += a[i] != b[i];
  if (a.size() != b.size()) c.mismatched += int64_t(a.size() > b.size() ? a.size() - b.size() : b.size() - a.size());
  return c;
}

// Teacher forcing (paper Table 2: non-quantized substructures stay float):
// every substructure of kind `kind` whose output is levels gets the float
// network's levels as input and its output levels are compared.
inline LevelCount compare_substructures(const FloatModel& fm, const IntModel& im, ReferenceRuntime& rt,
                                        const FloatTrace& trace, SubstructureKind kind) {
  const auto int_shapes = infer_int_shapes(im);
  LevelCount total;
  for (const auto& span : im.substructures) {
    if (span.kind != kind || span.layer_begin == 0) continue;
    const double out_step = step_at(fm, span.layer_end - 1);
    if (out_step == 0) continue;  // the output substructure: no levels
    const IntTensor in = levels_of(trace.layer_outputs[size_t(span.layer_begin) - 1],
                                   step_at(fm, span.layer_begin - 1), int_shapes[size_t(span.op_begin) - 1]);
    const IntTensor got = rt.run_range(in, span.op_begin, span.op_end);
    const IntTensor want = levels_of(trace.layer_outputs[size_t(span.layer_end) - 1], out_step, got.shape);
    total.add(count_mismatches(got.data, want.data));
  }
  return total;
}

// Without teacher forcing: the whole integer network on `image`, every
// threshold op's levels against the float network's quantizer at the same
// position (a network whose every substructure is integrated: the first conv
// reads the image). `rt` must record (set_record(true)).
inline LevelCount compare_every_quantizer(const FloatModel& fm, const IntModel& im, ReferenceRuntime& rt,
                                          const std::vector<uint8_t>& image) {
  const FloatTrace trace = evaluate_float(fm, image);
  rt.run(image);
  LevelCount total;
  size_t q = 0;
  for (size_t op = 0; op < im.ops.size(); ++op)
    if (std::holds_alternative<IntThresholdOp>(im.ops[op])) {
      if (q >= trace.quant_levels.size()) return {total.compared, total.mismatched + 1};
      total.add(count_mismatches(rt.recorded()[op].data, trace.quant_levels[q++]));
    }
  // Every quantizer became one threshold op.
  if (q != trace.quant_levels.size()) total.mismatched += 1;
  return total;
}

}  // namespace ifq::testing
