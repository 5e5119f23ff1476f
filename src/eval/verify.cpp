#include "ifq/verify.hpp"

#include <cmath>

#include "ifq/error.hpp"
#include "ifq/reference_eval.hpp"
#include "ifq/runtime.hpp"

namespace ifq {
namespace {

// The step of the quantizer whose levels the float tensor after `layer`
// holds (the layer itself, or the quantizer before pools/flatten after it).
double level_step_at(const FloatModel& m, int layer) {
  for (int i = layer; i >= 0; --i) {
    const Layer& l = m.layers[size_t(i)];
    if (auto* q = std::get_if<HwgqLayer>(&l)) return double(q->step);
    if (!std::holds_alternative<MaxPoolLayer>(l) && !std::holds_alternative<FlattenLayer>(l)) return 0;
  }
  return 0;
}

IntTensor to_levels(const std::vector<double>& x, double step, const Shape3& shape) {
  IntTensor t{shape, std::vector<int32_t>(x.size())};
  for (size_t i = 0; i < x.size(); ++i) t.data[i] = int32_t(std::lround(x[i] / step));
  return t;
}

int64_t mismatches(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  if (a.size() != b.size()) throw Error("verify: tensor sizes differ");
  int64_t n = 0;
  for (size_t i = 0; i < a.size(); ++i) n += a[i] != b[i];
  return n;
}

}  // namespace

int64_t VerifyReport::quantized_mismatched() const {
  int64_t n = 0;
  for (const auto& s : substructures) n += s.kind == SubstructureKind::Quantized ? s.levels_mismatched : 0;
  return n;
}

int64_t VerifyReport::quantized_compared() const {
  int64_t n = 0;
  for (const auto& s : substructures) n += s.kind == SubstructureKind::Quantized ? s.levels_compared : 0;
  return n;
}

VerifyReport verify_conversion(const FloatModel& fm, const IntModel& im, const std::vector<std::vector<uint8_t>>& images) {
  const auto int_shapes = infer_int_shapes(im);
  ReferenceRuntime rt(im);
  VerifyReport rep;
  for (size_t s = 0; s < im.substructures.size(); ++s) {
    const auto& span = im.substructures[s];
    if (span.layer_end > int(fm.layers.size())) throw Error("verify: the integer model does not belong to this float model");
    if (level_step_at(fm, span.layer_end - 1) > 0) rep.substructures.push_back({int(s), span.kind, 0, 0});
  }
  for (const auto& image : images) {
    const FloatTrace trace = evaluate_float(fm, image, -1, /*record_layers=*/true);
    for (auto& agreement : rep.substructures) {
      const auto& span = im.substructures[size_t(agreement.index)];
      const double out_step = level_step_at(fm, span.layer_end - 1);
      IntTensor got;
      if (span.layer_begin == 0) {
        rt.set_record(true);
        rt.run(image);
        got = rt.recorded()[size_t(span.op_end) - 1];
        rt.set_record(false);
      } else {
        const double in_step = level_step_at(fm, span.layer_begin - 1);
        if (in_step == 0) continue;  // input is not levels: nothing to force
        got = rt.run_range(to_levels(trace.layer_outputs[size_t(span.layer_begin) - 1], in_step,
                                     int_shapes[size_t(span.op_begin) - 1]),
                           span.op_begin, span.op_end);
      }
      const IntTensor want = to_levels(trace.layer_outputs[size_t(span.layer_end) - 1], out_step, got.shape);
      agreement.levels_compared += int64_t(want.data.size());
      agreement.levels_mismatched += mismatches(got.data, want.data);
    }
    // End to end: the integer network alone.
    rt.set_record(true);
    rt.run(image);
    for (const auto& agreement : rep.substructures) {
      const auto& span = im.substructures[size_t(agreement.index)];
      const auto& got = rt.recorded()[size_t(span.op_end) - 1];
      const IntTensor want = to_levels(trace.layer_outputs[size_t(span.layer_end) - 1],
                                       level_step_at(fm, span.layer_end - 1), got.shape);
      rep.end_to_end_compared += int64_t(want.data.size());
      rep.end_to_end_mismatched += mismatches(got.data, want.data);
    }
    rt.set_record(false);
    ++rep.inputs;
  }
  return rep;
}

}  // namespace ifq
