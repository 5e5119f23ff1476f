#include <algorithm>

#include "ifq/error.hpp"
#include "ifq/train/accuracy.hpp"

namespace ifq::trainer {
namespace {

template <typename T>
Accuracy accuracy_impl(const std::vector<T>& logits, int classes, const std::vector<int32_t>& labels) {
  if (classes <= 0 || logits.size() != labels.size() * size_t(classes))
    throw Error("accuracy: " + std::to_string(logits.size()) + " logits for " + std::to_string(labels.size()) +
                " labels and " + std::to_string(classes) + " classes");
  Accuracy a;
  if (labels.empty()) return a;
  int64_t top1 = 0, top5 = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const T* row = logits.data() + i * size_t(classes);
    const T target = row[labels[i]];
    // Rank = classes scoring strictly higher, ties broken by lower index
    // first (as argmax does).
    int rank = 0;
    for (int c = 0; c < classes; ++c)
      if (row[c] > target || (row[c] == target && c < labels[i])) ++rank;
    top1 += rank == 0;
    top5 += rank < 5;
  }
  a.top1 = double(top1) / double(labels.size());
  a.top5 = double(top5) / double(labels.size());
  return a;
}

}  // namespace

Accuracy accuracy_from_logits(const std::vector<float>& logits, int classes, const std::vector<int32_t>& labels) {
  return accuracy_impl(logits, classes, labels);
}
Accuracy accuracy_from_logits(const std::vector<double>& logits, int classes, const std::vector<int32_t>& labels) {
  return accuracy_impl(logits, classes, labels);
}

}  // namespace ifq::trainer
