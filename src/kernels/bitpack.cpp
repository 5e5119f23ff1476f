// Reference packing routines of the bit-packing contract (bitpack.hpp).
#include "ifq/kernels/bitpack.hpp"

#include <string>

#include "ifq/error.hpp"

namespace ifq::kernels {

void pack_levels(const int32_t* chw, const PackedLayout& L, uint8_t* out) {
  std::memset(out, 0, size_t(L.total_bytes()));
  const int32_t limit = int32_t(1) << L.bits;
  for (int c = 0; c < L.channels; ++c)
    for (int y = 0; y < L.height; ++y)
      for (int x = 0; x < L.width; ++x) {
        const int32_t v = chw[(int64_t(c) * L.height + y) * L.width + x];
        if (v < 0 || v >= limit)
          throw Error("pack_levels: value " + std::to_string(v) + " at channel " + std::to_string(c) +
                      " is not a " + std::to_string(L.bits) + "-bit level");
        const int64_t bit = int64_t(x + L.pad) * L.channels + c;
        for (int i = 0; i < L.bits; ++i)
          if ((v >> i) & 1) out[L.row_offset(i, y + L.pad) + (bit >> 3)] |= uint8_t(1u << (bit & 7));
      }
}

std::vector<int32_t> unpack_levels(const uint8_t* packed, const PackedLayout& L) {
  std::vector<int32_t> chw(size_t(L.channels) * L.height * L.width, 0);
  for (int c = 0; c < L.channels; ++c)
    for (int y = 0; y < L.height; ++y)
      for (int x = 0; x < L.width; ++x) {
        const int64_t bit = int64_t(x + L.pad) * L.channels + c;
        int32_t v = 0;
        for (int i = 0; i < L.bits; ++i)
          v |= int32_t((packed[L.row_offset(i, y + L.pad) + (bit >> 3)] >> (bit & 7)) & 1) << i;
        chw[(int64_t(c) * L.height + y) * L.width + x] = v;
      }
  return chw;
}

std::vector<uint64_t> pack_binary_weights(const int32_t* weight, int out, int in, int kernel) {
  const int sw = segment_words(kernel, in), words = kernel * sw;
  std::vector<uint64_t> packed(size_t(out) * words, 0);
  for (int o = 0; o < out; ++o)
    for (int c = 0; c < in; ++c)
      for (int ky = 0; ky < kernel; ++ky)
        for (int kx = 0; kx < kernel; ++kx) {
          const int32_t w = weight[((int64_t(o) * in + c) * kernel + ky) * kernel + kx];
          if (w != 1 && w != -1)
            throw Error("binary weight of output " + std::to_string(o) + " is " + std::to_string(w) +
                        " (expected +1 or -1)");
          if (w == 1) {
            const int bit = kx * in + c;  // within the ky segment: kx-major, channel-minor
            packed[size_t(o) * words + ky * sw + bit / 64] |= uint64_t(1) << (bit % 64);
          }
        }
  return packed;
}

}  // namespace ifq::kernels

// Scratch sizes the kernels of kernel_list.hpp need (must match kernels_impl.inc:
// 8 groups of 8 pixel lanes per im2col chunk).
#include "ifq/kernels/kernel_list.hpp"
namespace ifq::kernels {
int64_t bconv_scratch_words(int kernel, int in_channels, int bits) {
  return int64_t(kBconvChunkPixels) * bits * (window_words(kernel, in_channels) + 1);
}
std::vector<uint64_t> group_binary_weights(const std::vector<uint64_t>& rows, int out, int words) {
  const int groups = (out + 7) / 8;
  std::vector<uint64_t> g(size_t(groups) * words * 8, 0);
  for (int o = 0; o < out; ++o)
    for (int w = 0; w < words; ++w) g[(size_t(o / 8) * words + w) * 8 + o % 8] = rows[size_t(o) * words + w];
  return g;
}
bool bconv_narrow_fits(int kernel, int in_channels, int stride) {
  return in_channels % 8 == 0 && kernel >= 1 && stride >= 1 && kernel * in_channels <= 32 &&
         (3 * stride + kernel) * (in_channels / 8) <= 16;
}
int64_t pixconv_scratch_ints(int channels, int kernel, int padded_w, int out_channels) {
  // int16 kernels: the taps' input offsets (int64). 8-bit kernel (pixconv_vnni.inc):
  // `kernel` rows of padded_w + 32 interleaved dwords, their row tags, the
  // weights as byte quadruples and the folded means.
  const int64_t offsets = 2 * int64_t(channels) * kernel * kernel + 16;
  const int64_t u8 = int64_t(kernel) * (padded_w + 32) + kernel + int64_t(out_channels) * (kernel * kernel + 1) + 16;
  return offsets > u8 ? offsets : u8;
}
int64_t pixconv_input_slack(int stride) { return 32 * int64_t(stride) + 64; }
int64_t epilogue_scratch_ints(int channels, int out_w, int conv_w) {
  const int64_t ow16 = (int64_t(out_w) + 15) / 16 * 16;
  const int64_t cw16 = (int64_t(conv_w > out_w ? conv_w : out_w) + 15) / 16 * 16;
  const int64_t c64 = (int64_t(channels) + 63) / 64 * 64;
  // vals [ow16], counts / pooling column buffer [cw16], levels [channels][out_w] bytes
  const int64_t channel_major = ow16 + cw16 + (int64_t(channels) * out_w + 3) / 4 + 16;
  const int64_t pixel_major = 3 * c64 + c64 / 4 + 16;
  return channel_major > pixel_major ? channel_major : pixel_major;
}
}  // namespace ifq::kernels
