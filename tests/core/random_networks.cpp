#include "random_networks.hpp"

#include <algorithm>
#include <cmath>

#include "ifq/reference_eval.hpp"

namespace ifq::testing {
namespace {

const double kHalfGaussianStep[] = {0, 0.7979, 0.5388, 0.3217, 0.1842};

int uniform_int(std::mt19937& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
double uniform(std::mt19937& rng, double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }

std::vector<float> gaussian(std::mt19937& rng, size_t n, double sd) {
  std::normal_distribution<double> d(0, sd);
  std::vector<float> v(n);
  for (auto& x : v) x = float(d(rng));
  return v;
}

// Per-channel mean/variance of the model's current output on random images.
void calibrate(std::mt19937& rng, const FloatModel& m, std::vector<double>& mean, std::vector<double>& var) {
  const auto shapes = infer_shapes(m);
  const Shape3 out = shapes.back();
  mean.assign(size_t(out.c), 0);
  var.assign(size_t(out.c), 0);
  std::vector<double> sq(size_t(out.c), 0);
  const auto& in = std::get<InputLayer>(m.layers[0]);
  const int images = 6;
  const size_t plane = size_t(out.h) * out.w;
  for (int i = 0; i < images; ++i) {
    const auto t = evaluate_float(m, random_image(rng, in.shape));
    for (size_t p = 0; p < t.output.size(); ++p) {
      mean[p / plane] += t.output[p];
      sq[p / plane] += t.output[p] * t.output[p];
    }
  }
  const double n = double(images * plane);
  for (size_t c = 0; c < mean.size(); ++c) {
    mean[c] /= n;
    var[c] = std::max(sq[c] / n - mean[c] * mean[c], 1e-4);
  }
}

BatchNormLayer random_bn(std::mt19937& rng, const FloatModel& m) {
  std::vector<double> mean, var;
  calibrate(rng, m, mean, var);
  BatchNormLayer bn;
  bn.eps = float(uniform(rng, 1e-6, 1e-3));
  const bool affine = uniform_int(rng, 0, 3) != 0;  // released HWGQ models have no gamma/beta
  for (size_t c = 0; c < mean.size(); ++c) {
    bn.mean.push_back(float(mean[c] + uniform(rng, -0.3, 0.3) * std::sqrt(var[c])));
    bn.var.push_back(float(var[c] * uniform(rng, 0.5, 2.0)));
    if (affine) {
      const int kind = uniform_int(rng, 0, 9);
      // 20% negative scale, 10% zero scale, the rest positive.
      const double g = kind < 2 ? -uniform(rng, 0.3, 1.5) : kind < 3 ? 0.0 : uniform(rng, 0.3, 1.5);
      bn.gamma.push_back(float(g));
      bn.beta.push_back(float(uniform(rng, -0.5, 1.0)));
    }
  }
  return bn;
}

// share: DupNet weight sharing (ConvLayer): a random duplicate dividing
// out_c and input_repeat 1..3; each copy's alpha is its stored filter's mean
// |w| (as trained) or, sometimes, its own.
// Fixed codes uniform over the whole b-bit range (both ends reached), a
// random zero point, alpha per output scaled so the real weights are ~0.5.
void random_fixed(std::mt19937& rng, int bits, std::vector<float>& weight, std::vector<float>& alpha, int outputs,
                  FixedWeights& fixed) {
  fixed.bits = bits;
  const int lo = fixed_code_min(bits), hi = fixed_code_max(bits);
  fixed.zero_point = uniform_int(rng, 0, 1) ? 0 : uniform_int(rng, lo, hi);
  for (float& w : weight) w = float(uniform_int(rng, lo, hi));
  weight[0] = float(lo);
  weight.back() = float(hi);
  for (int o = 0; o < outputs; ++o) alpha.push_back(float(uniform(rng, 0.5, 1.5) / double(1 << (bits - 1))));
}

ConvLayer random_conv(std::mt19937& rng, const Shape3& in, int out_c, WeightKind kind, bool bias, bool share = false,
                      int fixed_bits = 0) {
  const int side = std::min(in.h, in.w);
  ConvLayer c;
  c.out_channels = out_c;
  c.kernel = uniform_int(rng, 0, 2) == 0 ? 1 : 3;
  c.pad = c.kernel == 3 ? (side < 3 ? 1 : uniform_int(rng, 0, 1)) : 0;
  c.stride = side >= 5 && uniform_int(rng, 0, 3) == 0 ? 2 : 1;
  if (share) {
    std::vector<int> divisors;
    for (int d = 1; d <= out_c; ++d)
      if (out_c % d == 0) divisors.push_back(d);
    c.duplicate = divisors[size_t(uniform_int(rng, 0, int(divisors.size()) - 1))];
    c.input_repeat = uniform_int(rng, 1, 3);
  }
  c.weight_kind = kind;
  const size_t n = size_t(c.filter_size(in.c)), rows = size_t(c.unique_filters());
  c.weight = gaussian(rng, rows * n, 0.5);
  if (kind == WeightKind::Binary) {
    const bool own_alpha = share && uniform_int(rng, 0, 2) == 0;  // no draw otherwise: older tests keep their networks
    for (int o = 0; o < out_c; ++o) {
      double s = 0;
      for (size_t i = 0; i < n; ++i) s += std::fabs(c.weight[size_t(o) % rows * n + i]);
      c.alpha.push_back(float(s / double(n) * (own_alpha ? uniform(rng, 0.5, 2.0) : 1.0)));
    }
    // Exact zeros pin the sign(0) = +1 rule.
    c.weight[0] = 0.0f;
  }
  if (kind == WeightKind::Fixed) random_fixed(rng, fixed_bits, c.weight, c.alpha, out_c, c.fixed);
  if (bias) c.bias = gaussian(rng, size_t(out_c), 0.3);
  return c;
}

HwgqLayer random_hwgq(std::mt19937& rng) {
  const int k = uniform_int(rng, 1, 4);
  return HwgqLayer{k, float(kHalfGaussianStep[k] * uniform(rng, 0.8, 1.25))};
}

// conv [pool] bn [pool] hwgq [pool], the pool in at most one place.
void add_block(std::mt19937& rng, FloatModel& m, WeightKind kind, bool share, int fixed_bits) {
  const Shape3 in = infer_shapes(m).back();
  // Odd: 1..13; sharing also takes multiples of 2 and 3 up to 18.
  const int out_c = share && uniform_int(rng, 0, 1) ? uniform_int(rng, 1, 6) * uniform_int(rng, 2, 3)
                                                    : 2 * uniform_int(rng, 0, 6) + 1;
  m.layers.push_back(random_conv(rng, in, out_c, kind, uniform_int(rng, 0, 1) == 1, share, fixed_bits));
  const Shape3 cur = infer_shapes(m).back();
  const int pool_at = cur.h >= 4 && cur.w >= 4 ? uniform_int(rng, 0, 3) : 0;  // 0 none, 1 before BN, 2 after BN, 3 after quant
  auto pool = [&] {
    const bool stride1 = uniform_int(rng, 0, 2) == 0;  // Tiny-YOLO's 2/1 pool
    return MaxPoolLayer{2, stride1 ? 1 : 2, stride1 ? 1 : uniform_int(rng, 0, 1)};
  };
  if (pool_at == 1) m.layers.push_back(pool());
  m.layers.push_back(random_bn(rng, m));
  if (pool_at == 2) m.layers.push_back(pool());
  m.layers.push_back(random_hwgq(rng));
  if (pool_at == 3) m.layers.push_back(pool());
}

}  // namespace

std::vector<uint8_t> random_image(std::mt19937& rng, const Shape3& shape) {
  std::vector<uint8_t> img(size_t(shape.elements()));
  for (auto& p : img) p = uint8_t(uniform_int(rng, 0, 255));
  return img;
}

FloatModel random_network(std::mt19937& rng, const RandomNetworkSpec& spec) {
  FloatModel m;
  m.name = "random";
  InputLayer in;
  in.shape = {uniform_int(rng, 1, 3), uniform_int(rng, 7, 14), uniform_int(rng, 7, 14)};
  const bool uniform_std = spec.quantized_first || uniform_int(rng, 0, 1) == 0;
  const float common = float(uniform(rng, 40, 255));
  for (int c = 0; c < in.shape.c; ++c) {
    in.mean.push_back(uniform_int(rng, 0, 1) ? 0 : uniform_int(rng, 60, 200));
    in.std.push_back(uniform_std ? common : float(uniform(rng, 40, 255)));
  }
  m.layers.push_back(in);
  const int fb = spec.fixed_weight_bits;
  const WeightKind integer_kind = fb > 0 ? WeightKind::Fixed : WeightKind::Binary;
  add_block(rng, m, spec.quantized_first ? integer_kind : WeightKind::Float, spec.share_weights, fb);
  for (int b = 0; b < spec.quantized_blocks; ++b) add_block(rng, m, integer_kind, spec.share_weights, fb);
  const WeightKind last = spec.binary_last ? integer_kind : WeightKind::Float;
  const Shape3 cur = infer_shapes(m).back();
  if (spec.fc_last) {
    m.layers.push_back(FlattenLayer{});
    FcLayer fc;
    fc.out_features = uniform_int(rng, 2, 10);
    fc.weight_kind = last;
    fc.weight = gaussian(rng, size_t(fc.out_features) * size_t(cur.elements()), 0.2);
    if (last == WeightKind::Binary) fc.alpha.assign(size_t(fc.out_features), float(uniform(rng, 0.05, 0.3)));
    if (last == WeightKind::Fixed) random_fixed(rng, fb, fc.weight, fc.alpha, fc.out_features, fc.fixed);
    fc.bias = gaussian(rng, size_t(fc.out_features), 0.5);
    m.layers.push_back(fc);
  } else {
    ConvLayer head = random_conv(rng, cur, 2 * uniform_int(rng, 1, 5) + 1, last, true, false, fb);
    head.kernel = 1, head.pad = 0, head.stride = 1;
    head.weight = gaussian(rng, size_t(head.out_channels) * cur.c, 0.3);
    if (last == WeightKind::Fixed) {
      head.alpha.clear();
      random_fixed(rng, fb, head.weight, head.alpha, head.out_channels, head.fixed);
    }
    m.layers.push_back(head);
    m.layers.push_back(LeakyLayer{0.1f});
  }
  infer_shapes(m);
  return m;
}

}  // namespace ifq::testing
