// The bit-packing contract (bitpack.hpp): order, zero padding, over-read.
#include <gtest/gtest.h>

#include <random>

#include "ifq/error.hpp"
#include "ifq/kernels/bitpack.hpp"
#include "random_int_models.hpp"

namespace ifq::kernels {
namespace {

TEST(BitPack, RoundTripAndZeroPaddingOverSweptShapes) {
  std::mt19937 rng(11);
  for (int c : {1, 3, 7, 8, 13, 64, 65}) {
    for (int bits = 1; bits <= 8; bits += (bits < 4 ? 1 : 4)) {
      for (int pad : {0, 1, 2}) {
        const Shape3 s{c, 1 + int(rng() % 9), 1 + int(rng() % 11)};
        const IntTensor t = testing::random_levels(s, bits, rng);
        const PackedLayout L{c, s.h, s.w, pad, bits};
        std::vector<uint8_t> buf(size_t(L.total_bytes()), 0xAB);
        pack_levels(t.data.data(), L, buf.data());
        EXPECT_EQ(unpack_levels(buf.data(), L), t.data) << "c=" << c << " bits=" << bits << " pad=" << pad;
        // Every bit that is not a level bit is zero: count set bits both ways.
        int64_t set_bits = 0, level_bits = 0;
        for (uint8_t b : buf) set_bits += __builtin_popcount(b);
        for (int32_t v : t.data) level_bits += __builtin_popcount(uint32_t(v));
        EXPECT_EQ(set_bits, level_bits);
        EXPECT_EQ(L.row_bytes() % 8, 0);
      }
    }
  }
}

TEST(BitPack, BitOrderIsChannelMinorLsbFirst) {
  // One pixel at (y=0, x=1), channel 2 of 3, level 0b10 with pad 1: plane 1,
  // padded row 1, bit (1 + 1) * 3 + 2 = 8 -> byte 1, bit 0.
  const PackedLayout L{3, 2, 2, 1, 2};
  std::vector<int32_t> chw(12, 0);
  chw[(2 * 2 + 0) * 2 + 1] = 2;
  std::vector<uint8_t> buf(size_t(L.total_bytes()));
  pack_levels(chw.data(), L, buf.data());
  for (int64_t i = 0; i < L.total_bytes(); ++i) {
    const bool expect = i == L.row_offset(1, 1) + 1;
    EXPECT_EQ(buf[size_t(i)], expect ? 1 : 0) << "byte " << i;
  }
}

TEST(BitPack, Load64AtAnyBitOffset) {
  std::mt19937_64 rng(5);
  std::vector<uint8_t> stream(64 + kOverReadBytes);
  for (auto& b : stream) b = uint8_t(rng());
  for (int64_t bit = 0; bit <= 64 * 8 - 64; ++bit) {
    uint64_t expect = 0;
    for (int j = 0; j < 64; ++j) {
      const int64_t b = bit + j;
      expect |= uint64_t((stream[size_t(b >> 3)] >> (b & 7)) & 1) << j;
    }
    ASSERT_EQ(load_bits64(stream.data(), bit), expect) << "bit " << bit;
  }
}

TEST(BitPack, WeightsFollowTheActivationOrder) {
  // 2 outputs, 3 inputs, 3x3: segment = 9 bits (kx-major, channel-minor).
  std::vector<int32_t> w(2 * 3 * 9, -1);
  w[((1 * 3 + 2) * 3 + 1) * 3 + 2] = 1;  // o=1, c=2, ky=1, kx=2 -> word ky*1, bit 2*3+2 = 8
  const auto p = pack_binary_weights(w.data(), 2, 3, 3);
  ASSERT_EQ(p.size(), size_t(2 * window_words(3, 3)));
  for (size_t i = 0; i < p.size(); ++i) EXPECT_EQ(p[i], i == 4 ? uint64_t(1) << 8 : 0u) << i;
}

TEST(BitPack, RejectsNonBinaryWeightsAndOutOfRangeLevels) {
  std::vector<int32_t> w(9, 1);
  w[4] = 0;
  EXPECT_THROW(pack_binary_weights(w.data(), 1, 1, 3), Error);
  const PackedLayout L{1, 1, 2, 0, 2};
  std::vector<int32_t> chw = {1, 4};
  std::vector<uint8_t> buf(size_t(L.total_bytes()));
  EXPECT_THROW(pack_levels(chw.data(), L, buf.data()), Error);
}

}  // namespace
}  // namespace ifq::kernels
