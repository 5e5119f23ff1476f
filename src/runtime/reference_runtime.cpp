// The reference integer runtime: runs the ops in order through apply_int_op,
// each op's reference arithmetic as its registry definition states it
// (src/ops/<name>.cpp). Scalar and plain on purpose: the fast kernels and the
// C export are tested against it. Only integer arithmetic; right shifts of
// negative values are arithmetic (floor), as C++20 defines them.
#include "ifq/runtime.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "ifq/error.hpp"

namespace ifq {

ReferenceRuntime::ReferenceRuntime(IntModel model) : model_(std::move(model)), shapes_(infer_int_shapes(model_)) {}

int64_t ReferenceRuntime::arena_bytes() const {
  // run() keeps one op's input and output alive at a time (int32 each), plus
  // the uint8 image while the input op runs.
  int64_t peak = shapes_[0].elements() * int64_t(1 + sizeof(int32_t));
  for (size_t i = 1; i < shapes_.size(); ++i)
    peak = std::max(peak, (shapes_[i - 1].elements() + shapes_[i].elements()) * int64_t(sizeof(int32_t)));
  return peak;
}

IntTensor ReferenceRuntime::run(const std::vector<uint8_t>& image) {
  const auto& input = std::get<IntInputOp>(model_.ops[0]);
  if (image.size() != size_t(input.shape.elements()))
    throw Error("run: image has " + std::to_string(image.size()) + " bytes, the model expects " + input.shape.str() +
                " (" + std::to_string(input.shape.elements()) + ")");
  IntTensor x{input.shape, std::vector<int32_t>(image.size())};
  const size_t plane = size_t(input.shape.h) * input.shape.w;
  for (size_t i = 0; i < image.size(); ++i) x.data[i] = int32_t(image[i]) - input.mean[i / plane];
  recorded_.clear();
  if (record_) recorded_.push_back(x);
  return run_range(x, 1, int(model_.ops.size()));
}

IntTensor ReferenceRuntime::run_range(const IntTensor& input, int begin, int end) {
  if (begin < 1 || end > int(model_.ops.size()) || begin > end)
    throw Error("run_range: bad op range [" + std::to_string(begin) + ", " + std::to_string(end) + ")");
  if (!(input.shape == shapes_[size_t(begin) - 1]) || input.data.size() != size_t(input.shape.elements()))
    throw Error("run_range: input shape " + input.shape.str() + " but op " + std::to_string(begin) + " expects " +
                shapes_[size_t(begin) - 1].str());
  IntTensor x = input;
  for (int i = begin; i < end; ++i) {
    x = apply_int_op(model_.ops[size_t(i)], x, shapes_[size_t(i)]);
    if (record_) recorded_.push_back(x);
  }
  return x;
}

}  // namespace ifq
