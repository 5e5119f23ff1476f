#pragma once
// The bit-packing contract of the fast binary kernels (docs/bit-packing.md).
//
// A k-bit levels map (values 0..2^k-1, C x H x W) is stored as k bit-planes;
// plane i holds bit i of every level. Each plane is a sequence of rows of the
// map padded by `pad` zero pixels on every side (the pad of the convolution
// that reads it), so a window never needs a bounds check. A row is a
// bit-stream, least significant bit of each byte first, in which padded pixel
// xp, channel c sits at bit xp * C + c ("channel-minor"): the C x k window of
// one kernel row is then one contiguous run of k*C bits. Rows start on 8-byte
// boundaries; every bit that is not a level bit (pad pixels, row tail) is zero.
// The buffer ends with kOverReadBytes spare bytes so a kernel may load 64 bits
// at any bit offset of any row without reading past the allocation.
//
// Weights of a binary convolution (+1/-1) are one bit each, 1 for +1, in the
// order the kernels read activations: for each kernel row ky a segment of
// kernel*C bits (kx-major, channel-minor, matching the row bit-stream) padded
// with zero bits to whole 64-bit words; segments follow each other. Zero
// padding bits in both operands contribute nothing: Σ_j w_j x_j is
// Σ_i 2^i (2·popcount(a_i & w) - popcount(a_i)) over the real bits only.
#include <cstdint>
#include <cstring>
#include <vector>

namespace ifq::kernels {

inline constexpr int kWordBits = 64;
inline constexpr int64_t kOverReadBytes = 16;
inline constexpr int kMaxPackedBits = 8;  // levels of more bits are not packed

struct PackedLayout {
  int channels = 0, height = 0, width = 0, pad = 0, bits = 1;

  int padded_height() const { return height + 2 * pad; }
  int padded_width() const { return width + 2 * pad; }
  int64_t row_bits() const { return int64_t(padded_width()) * channels; }
  int64_t row_bytes() const { return ((row_bits() + 63) / 64) * 8; }
  int64_t plane_bytes() const { return row_bytes() * padded_height(); }
  // Bytes to allocate, over-read allowance included.
  int64_t total_bytes() const { return plane_bytes() * bits + kOverReadBytes; }
  // Start of padded row yp of plane i.
  int64_t row_offset(int plane, int yp) const { return plane * plane_bytes() + int64_t(yp) * row_bytes(); }
};

// Words of one kernel-row segment and of a whole window (per bit-plane).
inline int segment_words(int kernel, int channels) { return (kernel * channels + 63) / 64; }
inline int window_words(int kernel, int channels) { return kernel * segment_words(kernel, channels); }

// 64 bits of a bit-stream starting at bit `bit` (little-endian, LSB first).
// Reads bytes [bit/8, bit/8 + 9): callers rely on the over-read allowance.
inline uint64_t load_bits64(const uint8_t* stream, int64_t bit) {
  const uint8_t* p = stream + (bit >> 3);
  const unsigned shift = unsigned(bit & 7);
  uint64_t v;
  std::memcpy(&v, p, 8);
  v >>= shift;
  if (shift) v |= uint64_t(p[8]) << (64 - shift);
  return v;
}

// Packs an int32 CHW levels map (every value must be in [0, 2^bits)) into the
// layout; the whole buffer (layout.total_bytes()) is written, padding zeroed.
void pack_levels(const int32_t* chw, const PackedLayout& layout, uint8_t* out);
// Inverse of pack_levels (tests and debugging).
std::vector<int32_t> unpack_levels(const uint8_t* packed, const PackedLayout& layout);

// Packs binary conv weights [out][in][k][k] (each +1 or -1) into
// out * window_words(k, in) words in the contract's order.
std::vector<uint64_t> pack_binary_weights(const int32_t* weight, int out, int in, int kernel);

}  // namespace ifq::kernels
