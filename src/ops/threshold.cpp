// threshold: integrated conversion, levels from per-channel thresholds
// (include/ifq/ops/threshold.hpp).
#include "ifq/limits.hpp"
#include "ops/op_definitions.hpp"

namespace ifq::ops {

namespace {
size_t per_channel(const IntThresholdOp& o) { return (size_t(1) << o.bits) - 1; }
}  // namespace

void fields(IntThresholdOp& o, OpFields& f, const Shape3&) {
  f.attr("bits", o.bits, 1, limits::kMaxLevelBits);
  f.attr("channels", o.channels, 1, limits::kMaxChannels);
  f.tensor("thresholds", o.thresholds, size_t(o.channels) * per_channel(o));
}

Shape3 check(const IntThresholdOp& o, const Shape3& in, const OpCheck& c) {
  c.require(o.channels == in.c, "channel count differs from input");
  const size_t n = per_channel(o);
  for (size_t ch = 0; ch < size_t(o.channels); ++ch)
    for (size_t t = 1; t < n; ++t)
      c.require(o.thresholds[ch * n + t - 1] <= o.thresholds[ch * n + t],
                "thresholds of channel " + std::to_string(ch) + " not ascending");
  return in;
}

int32_t pointwise_value(const IntThresholdOp& o, size_t c, int32_t x) {
  const size_t n = per_channel(o);
  const int32_t* t = &o.thresholds[c * n];
  int32_t level = 0;
  for (size_t i = 0; i < n; ++i) level += x > t[i];
  return level;
}

// Thresholds are stored at the bits of the accumulator range they compare
// against (a threshold beyond the range is equivalent to the range's edge).
void account_memory(const IntThresholdOp& o, OpMemory& m, MemoryFlow& flow) {
  m.thresholds = int64_t(o.thresholds.size());
  m.threshold_bits = signed_bits_for(-flow.max_abs - 1, flow.max_abs);
  flow.max_abs = (int64_t(1) << o.bits) - 1;
  flow.value_bits = o.bits;
}

ValueRange output_range(const IntThresholdOp& o, ValueRange) { return level_range(o.bits); }

std::string emit_c(const IntThresholdOp& o, CEmitter& e) {
  const auto t = e.array("t", "int32_t", 4, c_literals(o.thresholds, [](int32_t v) { return c_int32(v); }));
  return e.op_entry("IFQ_OP_THRESHOLD", e.params("ifq_threshold_params", ".count = " + std::to_string(per_channel(o)) +
                                                                             ", .thresholds = " + t));
}

}  // namespace ifq::ops
