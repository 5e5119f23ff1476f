// The paper's compact threshold storage (Eq. 8): thr'_i = i*base' + offset'.
// HWGQ's thresholds are {0, 1.5D, 2.5D, ...}: uniform only from the second
// one on, so the first is stored apart. After each threshold is floored
// separately (the only exact choice), the integers floor(i*base' + offset')
// form an arithmetic progression only when the fractional parts line up. An
// integer (first, base, step) triple therefore reproduces a channel exactly
// iff its floored thresholds from the second on are equally spaced. With k<=2
// that always holds (two values); with k>=3 it usually does not.
#include "ifq/convert.hpp"

namespace ifq {

std::vector<CompactFormReport> compact_threshold_report(const IntModel& model) {
  std::vector<CompactFormReport> out;
  for (size_t i = 0; i < model.ops.size(); ++i) {
    const auto* op = std::get_if<IntThresholdOp>(&model.ops[i]);
    if (!op) continue;
    CompactFormReport r;
    r.op_index = int(i);
    r.channels = op->channels;
    const size_t n = (size_t(1) << op->bits) - 1;
    for (int c = 0; c < op->channels; ++c) {
      const int32_t* t = &op->thresholds[size_t(c) * n];
      bool exact = true;
      for (size_t j = 3; j < n && exact; ++j) exact = int64_t(t[j]) - t[j - 1] == int64_t(t[2]) - t[1];
      r.channels_exact += exact;
    }
    out.push_back(r);
  }
  return out;
}

}  // namespace ifq
