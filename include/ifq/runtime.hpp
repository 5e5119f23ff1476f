#pragma once
// The reference integer runtime: scalar, readable, integer arithmetic only.
// It is the specification every fast kernel is tested against.
#include <cstdint>
#include <vector>

#include "ifq/int_model.hpp"

namespace ifq {

struct IntTensor {
  Shape3 shape;
  std::vector<int32_t> data;  // CHW
};

class ReferenceRuntime {
 public:
  // Validates and plans buffers. The runtime owns its copy of the model, so
  // ReferenceRuntime(load_int_model(path)) is safe.
  explicit ReferenceRuntime(IntModel model);

  // Runs every op on an 8-bit CHW image.
  IntTensor run(const std::vector<uint8_t>& image);
  // Runs ops [begin, end) from a given input tensor (teacher forcing).
  IntTensor run_range(const IntTensor& input, int begin, int end);
  // Every op's output of the last run() (kept only when record is on).
  void set_record(bool record) { record_ = record; }
  const std::vector<IntTensor>& recorded() const { return recorded_; }

  const std::vector<Shape3>& shapes() const { return shapes_; }
  // Peak bytes of feature maps this runtime holds at once: one op's int32
  // input and output (the fast runtime plans far less).
  int64_t arena_bytes() const;

 private:
  IntModel model_;
  std::vector<Shape3> shapes_;
  bool record_ = false;
  std::vector<IntTensor> recorded_;
};

// One op on one tensor (used by run(); exposed for kernel tests).
IntTensor apply_int_op(const IntOp& op, const IntTensor& input, const Shape3& out_shape);
// One value of channel `channel` through a pointwise op (int_op_is_pointwise):
// the formula the reference and the fast runtime both use.
int32_t apply_pointwise(const IntOp& op, size_t channel, int32_t x);

}  // namespace ifq
