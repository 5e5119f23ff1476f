#include "ifq/kernels/bench_models.hpp"

#include <cmath>
#include <random>

#include "ifq/error.hpp"

namespace ifq::kernels {

QuantNetSpec tinier_yolo_spec(int input_size, int bits, uint32_t seed) {
  if (input_size < 32 || input_size % 32 != 0)
    throw Error("Tinier-YOLO input size must be a positive multiple of 32, got " + std::to_string(input_size));
  QuantNetSpec spec;
  spec.input = {3, input_size, input_size};
  spec.bits = bits;
  spec.seed = seed;
  for (int f : {8, 16, 32, 64, 128}) spec.convs.push_back({f, 3, 1, 1, 2, 2});
  spec.convs.push_back({256, 3, 1, 1, 2, 1});
  spec.convs.push_back({512, 3, 1, 1, 0, 0});
  spec.convs.push_back({512, 1, 1, 0, 0, 0});
  spec.convs.push_back({30, 1, 1, 0, 0, 0});
  spec.region = true;
  return spec;
}

FloatModel random_quant_net(const QuantNetSpec& spec) {
  if (spec.convs.empty()) throw Error("random_quant_net: no conv layers");
  std::mt19937 rng(spec.seed);
  std::uniform_real_distribution<float> uni(-1.f, 1.f);
  std::normal_distribution<float> normal(0.f, 1.f);
  FloatModel m;
  m.name = "random-quant-net";
  InputLayer in;
  in.shape = spec.input;
  for (int c = 0; c < spec.input.c; ++c) {
    in.mean.push_back(100 + 20 * c % 60);
    in.std.push_back(60.f);
  }
  m.layers.push_back(in);
  const float step = float(hwgq_default_step(spec.bits));
  int channels = spec.input.c;
  // Mean square of the input values of the next conv, for the BN variance.
  double in_mean_sq = 1.0;  // normalised pixels
  for (size_t l = 0; l < spec.convs.size(); ++l) {
    const QuantConvSpec& cs = spec.convs[l];
    const bool last = l + 1 == spec.convs.size();
    ConvLayer conv;
    conv.out_channels = cs.out_channels;
    conv.kernel = cs.kernel;
    conv.stride = cs.stride;
    conv.pad = cs.pad;
    conv.weight_kind = WeightKind::Binary;
    const int fan_in = channels * cs.kernel * cs.kernel;
    conv.weight.resize(size_t(cs.out_channels) * fan_in);
    for (auto& w : conv.weight) w = uni(rng);
    for (int o = 0; o < cs.out_channels; ++o) {
      double a = 0;
      for (int t = 0; t < fan_in; ++t) a += std::fabs(conv.weight[size_t(o) * fan_in + t]);
      conv.alpha.push_back(float(a / fan_in));
    }
    if (spec.weight_bits > 1) {
      // Codes uniform over the b-bit range (RMS ~ 2^(b-1) / sqrt(3)), alpha
      // scaled so each weight's RMS stays the binary layer's alpha.
      const int lo = fixed_code_min(spec.weight_bits), hi = fixed_code_max(spec.weight_bits);
      std::uniform_int_distribution<int> code(lo, hi);
      conv.weight_kind = WeightKind::Fixed;
      conv.fixed = {spec.weight_bits, 0};
      for (auto& w : conv.weight) w = float(code(rng));
      for (float& a : conv.alpha) a *= float(std::sqrt(3.0) / std::ldexp(1.0, spec.weight_bits - 1));
    }
    if (last)
      for (int o = 0; o < cs.out_channels; ++o) conv.bias.push_back(0.1f * normal(rng));
    m.layers.push_back(conv);
    if (cs.pool_size > 0) {
      MaxPoolLayer p;
      p.size = cs.pool_size;
      p.stride = cs.pool_stride;
      p.pad = cs.pool_stride == 1 ? cs.pool_size - 1 : 0;  // Darknet keeps the size at stride 1
      m.layers.push_back(p);
    }
    if (!last) {
      // Pre-activation std of a +-alpha sum of fan_in terms with random signs.
      // (Fixed weights: alpha * code has about the binary alpha's RMS.)
      double alpha_mean = 0;
      for (float a : conv.alpha) alpha_mean += a;
      alpha_mean /= conv.alpha.size();
      if (spec.weight_bits > 1) alpha_mean *= std::ldexp(1.0, spec.weight_bits - 1) / std::sqrt(3.0);
      const double sigma = alpha_mean * std::sqrt(fan_in * in_mean_sq);
      BatchNormLayer bn;
      for (int o = 0; o < cs.out_channels; ++o) {
        bn.mean.push_back(float(sigma * 0.3 * normal(rng)));
        const double s = sigma * (0.7 + 0.6 * (uni(rng) + 1) / 2);
        bn.var.push_back(float(s * s));
      }
      m.layers.push_back(bn);
      HwgqLayer q;
      q.bits = spec.bits;
      q.step = step;
      m.layers.push_back(q);
      // Levels of a unit Gaussian through HWGQ: mean square about 0.5 (level*step)^2 spread.
      in_mean_sq = 0.5;
    }
    channels = cs.out_channels;
  }
  if (spec.region) {
    RegionLayer r;
    r.classes = 1;
    r.num = 5;
    r.coords = 4;
    r.anchors = {1.08f, 1.19f, 3.42f, 4.41f, 6.63f, 11.38f, 9.42f, 5.11f, 16.62f, 10.52f};
    m.layers.push_back(r);
  }
  return m;
}

}  // namespace ifq::kernels
