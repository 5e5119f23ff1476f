#pragma once
// A tiny Tinier-YOLO-shaped face detector with random weights and random
// images, shared by the detection tests.
#include <random>
#include <vector>

#include "ifq/detect/image.hpp"
#include "ifq/float_model.hpp"

namespace ifq::testing {

inline std::vector<float> random_vector(std::mt19937_64& rng, size_t n, double lo, double hi) {
  std::uniform_real_distribution<double> d(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = float(d(rng));
  return v;
}

// A tiny Tinier-YOLO-shaped face detector with random weights: float first
// conv, binary middle conv, 1x1 float detection conv (5 anchors x 6 = 30).
inline FloatModel random_detector(uint64_t seed) {
  std::mt19937_64 rng(seed);
  FloatModel m;
  m.name = "random-tiny-face";
  m.layers.push_back(InputLayer{Shape3{3, 64, 64}, {128, 128, 128}, {64.f, 64.f, 64.f}});
  auto bn = [&](int c) {
    BatchNormLayer b;
    b.mean = random_vector(rng, size_t(c), -0.2, 0.2);
    b.var = random_vector(rng, size_t(c), 0.5, 2.0);
    b.gamma = random_vector(rng, size_t(c), 0.5, 1.5);
    b.beta = random_vector(rng, size_t(c), -0.1, 0.3);
    return b;
  };
  ConvLayer c1;
  c1.out_channels = 8;
  c1.kernel = 3;
  c1.pad = 1;
  c1.weight = random_vector(rng, 8 * 3 * 9, -0.5, 0.5);
  m.layers.push_back(c1);
  m.layers.push_back(bn(8));
  m.layers.push_back(HwgqLayer{2, 0.5388f});
  m.layers.push_back(MaxPoolLayer{2, 2, 0});
  ConvLayer c2;
  c2.out_channels = 16;
  c2.kernel = 3;
  c2.pad = 1;
  c2.weight_kind = WeightKind::Binary;
  c2.weight = random_vector(rng, 16 * 8 * 9, -1, 1);
  c2.alpha = random_vector(rng, 16, 0.05, 0.2);
  m.layers.push_back(c2);
  m.layers.push_back(MaxPoolLayer{2, 2, 0});
  m.layers.push_back(bn(16));
  m.layers.push_back(HwgqLayer{2, 0.5388f});
  m.layers.push_back(MaxPoolLayer{2, 2, 0});
  ConvLayer c3;
  c3.out_channels = 30;
  c3.kernel = 1;
  c3.weight = random_vector(rng, 30 * 16, -0.4, 0.4);
  c3.bias = random_vector(rng, 30, -0.5, 0.5);
  m.layers.push_back(c3);
  RegionLayer r;
  r.anchors = {0.5f, 0.6f, 1.0f, 1.2f, 1.6f, 2.0f, 2.4f, 3.0f, 3.5f, 4.0f};
  m.layers.push_back(r);
  return m;
}

inline detect::Image random_image(std::mt19937_64& rng, int w, int h) {
  detect::Image im = detect::make_image(w, h);
  for (auto& v : im.rgb) v = uint8_t(rng() & 0xff);
  return im;
}

}  // namespace ifq::testing
