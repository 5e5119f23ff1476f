#pragma once
#include <cstdint>
#include <string>

namespace ifq {

// A feature map: channels x height x width, stored channel-major (CHW).
struct Shape3 {
  int c = 0, h = 0, w = 0;
  int64_t elements() const { return int64_t(c) * h * w; }
  bool operator==(const Shape3&) const = default;
  std::string str() const {
    return std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w);
  }
};

// Output size of a sliding window. Convolution pads `pad` on each side;
// max pooling follows Darknet: `pad` is the TOTAL padding, begin = pad / 2,
// and padded positions never win the max.
inline int conv_out_size(int in, int kernel, int stride, int pad) {
  return (in + 2 * pad - kernel) / stride + 1;
}
inline int pool_out_size(int in, int size, int stride, int pad) {
  return (in + pad - size) / stride + 1;
}

}  // namespace ifq
