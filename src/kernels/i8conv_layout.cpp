// The int8 kernel's weight layout and scratch size (kernel_list.hpp,
// I8convArgs); the kernels themselves are i8conv_impl.inc per path.
#include <cstddef>

#include "ifq/kernels/kernel_list.hpp"

namespace ifq::kernels {

std::vector<int8_t> pack_i8conv_weights(const int32_t* weight, int out, int in, int kernel) {
  const int taps = kernel * kernel, groups = in / 4, blocks = (out + kI8convBlock - 1) / kI8convBlock;
  std::vector<int8_t> packed(size_t(blocks) * taps * groups * kI8convBlock * 4, 0);
  for (int o = 0; o < out; ++o)
    for (int c = 0; c < in; ++c)
      for (int t = 0; t < taps; ++t) {
        const int64_t dst = ((int64_t(o / kI8convBlock) * taps + t) * groups + c / 4) * kI8convBlock * 4 +
                            (o % kI8convBlock) * 4 + c % 4;
        packed[size_t(dst)] = int8_t(weight[(int64_t(o) * in + c) * taps + t]);
      }
  return packed;
}

// The band's unpacked input rows (a pixel's C bytes each, 64 bytes of slack
// for the unpacker's 8-byte stores) and their per-pixel channel sums, and
// one output row's window sums.
int64_t i8conv_scratch_bytes(int kernel, int stride, int band_rows, int in_channels, int padded_w, int out_w) {
  const auto up = [](int64_t v) { return (v + 63) / 64 * 64; };
  const int64_t rows = int64_t(band_rows - 1) * stride + kernel;
  return rows * (up(int64_t(padded_w) * in_channels + 64) + up(int64_t(padded_w) * 4)) + up(int64_t(out_w) * 4);
}

}  // namespace ifq::kernels
