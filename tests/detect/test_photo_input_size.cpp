// detect::photo_input_size, the per-photo network input of `ifq detect`'s
// default (--input-size auto): aspect kept, whole output cells, the longer
// side inside [model side, max side].
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ifq/detect/detector.hpp"
#include "ifq/error.hpp"

namespace {

using ifq::detect::photo_input_size;

TEST(PhotoInputSize, KeepsOrdinaryPhotosAtTheirOwnResolution) {
  EXPECT_EQ(photo_input_size(640, 480, 416, 1600, 32), std::make_pair(640, 480));
  EXPECT_EQ(photo_input_size(1024, 768, 416, 1600, 32), std::make_pair(1024, 768));
  EXPECT_EQ(photo_input_size(640, 427, 416, 1600, 32), std::make_pair(640, 416));  // 13.3 cells -> 13
}

TEST(PhotoInputSize, EnlargesSmallPhotosToTheModelSizeAndShrinksLargeOnes) {
  EXPECT_EQ(photo_input_size(250, 250, 416, 1600, 32), std::make_pair(416, 416));
  EXPECT_EQ(photo_input_size(200, 100, 416, 1600, 32), std::make_pair(416, 224));  // 208 -> 6.5 cells -> 7
  EXPECT_EQ(photo_input_size(4000, 3000, 416, 1600, 32), std::make_pair(1600, 1216));  // 1200 -> 37.5 -> 38 cells
  EXPECT_EQ(photo_input_size(3000, 4000, 416, 1600, 32), std::make_pair(1216, 1600));
}

TEST(PhotoInputSize, RandomPhotosGiveWholeCellsInsideTheLimitsWithTheAspectNearlyKept) {
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<int> side(1, 5000), pick(0, 3);
  const int strides[4] = {1, 8, 16, 32};
  for (int i = 0; i < 20000; ++i) {
    const int w = side(rng), h = side(rng), stride = strides[pick(rng)];
    const int model_side = 416, max_side = 640 + 32 * pick(rng) * 10 + pick(rng);
    const auto [iw, ih] = photo_input_size(w, h, model_side, max_side, stride);
    ASSERT_EQ(iw % stride, 0);
    ASSERT_EQ(ih % stride, 0);
    ASSERT_GE(std::min(iw, ih), stride);
    ASSERT_LE(std::max(iw, ih), max_side) << w << "x" << h << " stride " << stride;
    // The longer side reaches the model's size unless the photo is larger than that (rounding: half a cell).
    ASSERT_GE(std::max(iw, ih) + stride / 2.0 + 1, std::min<double>(std::max(w, h), model_side)) << w << "x" << h;
    // The aspect is kept to within a cell on each side, unless a side was forced to one cell.
    const double scale = double(std::max(iw, ih)) / std::max(w, h);
    if (std::min(iw, ih) > stride && std::max(iw, ih) < max_side - stride) {
      ASSERT_LE(std::abs(iw - w * scale), stride) << w << "x" << h;
      ASSERT_LE(std::abs(ih - h * scale), stride) << w << "x" << h;
    }
  }
}

TEST(PhotoInputSize, NonPositiveSizesAreErrors) {
  EXPECT_THROW(photo_input_size(0, 10, 416, 1600, 32), ifq::Error);
  EXPECT_THROW(photo_input_size(10, 10, 416, 1600, 0), ifq::Error);
}

}  // namespace
