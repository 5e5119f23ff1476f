#pragma once
// Top-1 and top-5 accuracy of classifier logits.
#include <cstdint>
#include <vector>

namespace ifq::trainer {

// Top-1 and top-5 accuracy of logits (count * classes) against labels.
struct Accuracy {
  double top1 = 0, top5 = 0;
};
Accuracy accuracy_from_logits(const std::vector<float>& logits, int classes, const std::vector<int32_t>& labels);
Accuracy accuracy_from_logits(const std::vector<double>& logits, int classes, const std::vector<int32_t>& labels);

}  // namespace ifq::trainer
