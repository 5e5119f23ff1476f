// The reference evaluator's convolution hoists its bounds checks out of the
// inner loop (so it vectorises); this checks it against the plain loop with
// the same summation order, bit for bit, over kernels, strides and paddings
// where the hoisted bounds are easy to get wrong.
#include <gtest/gtest.h>

#include <random>

#include "ifq/reference_eval.hpp"

namespace ifq {
namespace {

std::vector<double> naive_conv(const ConvLayer& l, const std::vector<double>& x, Shape3 in, Shape3 out) {
  std::vector<double> y(size_t(out.elements()));
  const int k = l.kernel;
  for (int o = 0; o < out.c; ++o) {
    for (int i = 0; i < out.h * out.w; ++i) y[size_t(o) * out.h * out.w + i] = l.bias.empty() ? 0.0 : l.bias[o];
    for (int c = 0; c < in.c; ++c)
      for (int ky = 0; ky < k; ++ky)
        for (int kx = 0; kx < k; ++kx) {
          const double w = l.weight[((size_t(o) * in.c + c) * k + ky) * k + kx];
          for (int oy = 0; oy < out.h; ++oy)
            for (int ox = 0; ox < out.w; ++ox) {
              const int iy = oy * l.stride - l.pad + ky, ix = ox * l.stride - l.pad + kx;
              if (iy >= 0 && iy < in.h && ix >= 0 && ix < in.w)
                y[(size_t(o) * out.h + oy) * out.w + ox] += w * x[(size_t(c) * in.h + iy) * in.w + ix];
            }
        }
  }
  return y;
}

TEST(ReferenceConv, HoistedBoundsEqualThePlainLoopBitForBit) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(-1, 1);
  int cases = 0;
  for (int k : {1, 2, 3, 5})
    for (int stride : {1, 2, 3})
      for (int pad : {0, 1, 2, 3})
        for (int side : {1, 4, 7}) {
          if (side + 2 * pad < k) continue;
          const Shape3 in{2, side, side + 2};
          FloatModel m;
          m.layers.push_back(InputLayer{in, {0, 0}, {1.f, 1.f}});
          ConvLayer c;
          c.out_channels = 3, c.kernel = k, c.stride = stride, c.pad = pad;
          for (int i = 0; i < 3 * 2 * k * k; ++i) c.weight.push_back(float(u(rng)));
          c.bias = {0.5f, -0.25f, 0.f};
          m.layers.push_back(c);
          std::vector<uint8_t> image(size_t(in.elements()));
          for (auto& p : image) p = uint8_t(rng() & 0xff);
          const FloatTrace t = evaluate_float(m, image);
          const std::vector<double> x(image.begin(), image.end());
          EXPECT_EQ(t.output, naive_conv(c, x, in, t.output_shape)) << "k" << k << " s" << stride << " p" << pad << " side " << side;
          ++cases;
        }
  EXPECT_GT(cases, 100);
}

}  // namespace
}  // namespace ifq
