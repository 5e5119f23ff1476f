#include "random_float_nets.hpp"

#include <algorithm>
#include <cmath>

#include "ifq/reference_eval.hpp"

namespace ifq::export_test {
namespace {

const double kHwgqStep[] = {0.0, 0.7979, 0.5388, 0.3217, 0.1842};

int uniform_int(std::mt19937& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
double uniform(std::mt19937& rng, double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }
bool coin(std::mt19937& rng, double p = 0.5) { return uniform(rng, 0, 1) < p; }

Shape3 current_shape(const FloatModel& m) { return infer_shapes(m).back(); }

// Fills weights (and alpha for binary) for a layer with fan_in inputs.
void fill_weights(std::mt19937& rng, int out, int fan_in, WeightKind kind, std::vector<float>& weight,
                  std::vector<float>& alpha, std::vector<float>& bias, bool with_bias) {
  std::normal_distribution<double> n(0.0, 1.0 / std::sqrt(double(fan_in)));
  weight.resize(size_t(out) * size_t(fan_in));
  for (auto& w : weight) w = float(n(rng));
  // A few exact zeros: sign(0) = +1 must hold end to end.
  for (int i = 0; i < out; ++i)
    if (coin(rng, 0.3)) weight[size_t(i) * size_t(fan_in)] = 0.0f;
  alpha.clear();
  if (kind == WeightKind::Binary)
    for (int o = 0; o < out; ++o) {
      double s = 0;
      for (int i = 0; i < fan_in; ++i) s += std::fabs(weight[size_t(o) * size_t(fan_in) + size_t(i)]);
      alpha.push_back(float(std::max(s / fan_in, 1e-3)));
    }
  bias.clear();
  if (with_bias)
    for (int o = 0; o < out; ++o) bias.push_back(float(uniform(rng, -0.3, 0.3)));
}

// Per-channel mean and variance of the model's current output on random images.
void measure_channels(std::mt19937& rng, const FloatModel& m, std::vector<double>& mean, std::vector<double>& var,
                      int images) {
  const Shape3 in = std::get<InputLayer>(m.layers[0]).shape;
  const Shape3 out = current_shape(m);
  mean.assign(size_t(out.c), 0.0);
  var.assign(size_t(out.c), 0.0);
  std::vector<double> sq(size_t(out.c), 0.0);
  const int64_t plane = int64_t(out.h) * out.w;
  for (int k = 0; k < images; ++k) {
    const FloatTrace t = evaluate_float(m, random_image(rng, in));
    for (int64_t i = 0; i < int64_t(t.output.size()); ++i) {
      mean[size_t(i / plane)] += t.output[size_t(i)];
      sq[size_t(i / plane)] += t.output[size_t(i)] * t.output[size_t(i)];
    }
  }
  const double n = double(images * plane);
  for (size_t c = 0; c < mean.size(); ++c) {
    mean[c] /= n;
    var[c] = std::max(sq[c] / n - mean[c] * mean[c], 1e-4);
  }
}

// BN calibrated on the current output, with random (also negative and zero) gamma.
BatchNormLayer calibrated_bn(std::mt19937& rng, const FloatModel& m, bool affine, int images = 4) {
  std::vector<double> mean, var;
  measure_channels(rng, m, mean, var, images);
  BatchNormLayer bn;
  for (size_t c = 0; c < mean.size(); ++c) {
    const double sd = std::sqrt(var[c]);
    bn.mean.push_back(float(mean[c] + uniform(rng, -0.3, 0.3) * sd));
    bn.var.push_back(float(var[c] * uniform(rng, 0.6, 1.4)));
    if (affine) {
      const double r = uniform(rng, 0, 1);
      bn.gamma.push_back(r < 0.12 ? 0.0f : r < 0.4 ? float(-uniform(rng, 0.5, 1.5)) : float(uniform(rng, 0.5, 1.5)));
      bn.beta.push_back(float(uniform(rng, -0.4, 0.6)));
    }
  }
  return bn;
}

bool can_pool(const Shape3& s) { return s.h >= 2 && s.w >= 2; }

MaxPoolLayer random_pool(std::mt19937& rng) {
  MaxPoolLayer p;
  p.size = 2;
  p.stride = uniform_int(rng, 1, 2);
  p.pad = uniform_int(rng, 0, 1);
  return p;
}

ConvLayer random_conv(std::mt19937& rng, const Shape3& in, WeightKind kind, int out, bool with_bias) {
  ConvLayer c;
  c.out_channels = out;
  c.kernel = std::min({uniform_int(rng, 1, 4), in.h + 2, in.w + 2});
  c.pad = std::min(uniform_int(rng, 0, c.kernel / 2 + 1), c.kernel);
  while (in.h + 2 * c.pad < c.kernel || in.w + 2 * c.pad < c.kernel) ++c.pad;
  c.stride = in.h >= 6 && in.w >= 6 ? uniform_int(rng, 1, 2) : 1;
  c.weight_kind = kind;
  fill_weights(rng, out, in.c * c.kernel * c.kernel, kind, c.weight, c.alpha, c.bias, with_bias);
  return c;
}

// {weight} [pool] [bn] [pool] hwgq [pool]
void add_quantized_tail(std::mt19937& rng, FloatModel& m) {
  if (coin(rng, 0.4) && can_pool(current_shape(m))) m.layers.push_back(random_pool(rng));
  m.layers.push_back(calibrated_bn(rng, m, coin(rng, 0.8)));
  if (coin(rng, 0.3) && can_pool(current_shape(m))) m.layers.push_back(random_pool(rng));
  HwgqLayer q;
  q.bits = uniform_int(rng, 1, 4);
  q.step = float(kHwgqStep[q.bits]);
  m.layers.push_back(q);
  if (coin(rng, 0.2) && can_pool(current_shape(m))) m.layers.push_back(random_pool(rng));
}

// {weight} [bn] [relu|leaky]: a non-quantized substructure with fixed-point output.
void add_fixed_tail(std::mt19937& rng, FloatModel& m) {
  if (coin(rng, 0.7)) m.layers.push_back(calibrated_bn(rng, m, true));
  const int act = uniform_int(rng, 0, 2);
  if (act == 1) m.layers.push_back(ReluLayer{});
  if (act == 2) m.layers.push_back(LeakyLayer{float(uniform(rng, 0.05, 0.3))});
}

}  // namespace

std::vector<uint8_t> random_image(std::mt19937& rng, const Shape3& shape) {
  std::vector<uint8_t> img(size_t(shape.elements()));
  for (auto& p : img) p = uint8_t(uniform_int(rng, 0, 255));
  return img;
}

FloatModel random_float_net(std::mt19937& rng) {
  FloatModel m;
  m.name = "random";
  InputLayer in;
  in.shape = {uniform_int(rng, 1, 3), uniform_int(rng, 6, 13), uniform_int(rng, 6, 13)};
  const bool uniform_std = coin(rng, 0.6);
  const float std0 = float(uniform(rng, 30, 255));
  for (int c = 0; c < in.shape.c; ++c) {
    in.mean.push_back(uniform_int(rng, 0, 255));
    in.std.push_back(uniform_std ? std0 : float(uniform(rng, 30, 255)));
  }
  m.layers.push_back(in);

  const int blocks = uniform_int(rng, 1, 3);
  for (int b = 0; b < blocks; ++b) {
    const Shape3 s = current_shape(m);
    // Fixed-point tails only in the middle: a quantizer must follow somewhere.
    const bool fixed_tail = b > 0 && coin(rng, 0.25);
    const WeightKind kind = coin(rng, fixed_tail ? 0.5 : 0.75) ? WeightKind::Binary : WeightKind::Float;
    m.layers.push_back(random_conv(rng, s, kind, uniform_int(rng, 1, 6), coin(rng, 0.5)));
    if (fixed_tail)
      add_fixed_tail(rng, m);
    else
      add_quantized_tail(rng, m);
  }

  // Head: a conv or flatten + fc, binary or float, sometimes BN / activation.
  const Shape3 s = current_shape(m);
  const WeightKind kind = coin(rng) ? WeightKind::Binary : WeightKind::Float;
  const int out = uniform_int(rng, 1, 6);
  if (coin(rng)) {
    m.layers.push_back(random_conv(rng, s, kind, out, coin(rng, 0.7)));
  } else {
    m.layers.push_back(FlattenLayer{});
    FcLayer f;
    f.out_features = out;
    f.weight_kind = kind;
    fill_weights(rng, out, int(s.elements()), kind, f.weight, f.alpha, f.bias, coin(rng, 0.7));
    m.layers.push_back(f);
  }
  if (coin(rng, 0.3)) add_fixed_tail(rng, m);
  infer_shapes(m);
  return m;
}

FloatModel tinier_yolo_face(int width, int height, uint32_t seed) {
  std::mt19937 rng(seed);
  FloatModel m;
  m.name = "tinier-yolo-face";
  InputLayer in;
  in.shape = {3, height, width};
  in.mean = {0, 0, 0};
  in.std = {255.0f, 255.0f, 255.0f};  // uniform std: the first conv is a quantized substructure
  m.layers.push_back(in);
  auto block = [&](int filters, int kernel, int pool_stride) {
    const Shape3 s = current_shape(m);
    ConvLayer c;
    c.out_channels = filters;
    c.kernel = kernel;
    c.pad = kernel / 2;
    c.weight_kind = WeightKind::Binary;
    fill_weights(rng, filters, s.c * kernel * kernel, WeightKind::Binary, c.weight, c.alpha, c.bias, false);
    m.layers.push_back(c);
    m.layers.push_back(calibrated_bn(rng, m, true, /*images=*/1));
    m.layers.push_back(HwgqLayer{2, float(kHwgqStep[2])});
    if (pool_stride > 0) m.layers.push_back(MaxPoolLayer{2, pool_stride, pool_stride == 1 ? 1 : 0});
  };
  for (int f : {8, 16, 32, 64, 128}) block(f, 3, 2);
  block(256, 3, 1);
  block(512, 3, 0);
  block(512, 1, 0);
  const Shape3 s = current_shape(m);
  ConvLayer head;
  head.out_channels = 30;
  head.kernel = 1;
  head.weight_kind = WeightKind::Binary;
  fill_weights(rng, 30, s.c, WeightKind::Binary, head.weight, head.alpha, head.bias, true);
  m.layers.push_back(head);
  RegionLayer r;
  r.anchors = {1.08f, 1.19f, 3.42f, 4.41f, 6.63f, 11.38f, 9.42f, 5.11f, 16.62f, 10.52f};
  m.layers.push_back(r);
  infer_shapes(m);
  return m;
}

FloatModel dupnet_tinier_yolo_face(int width, int height, uint32_t seed) {
  std::mt19937 rng(seed);
  FloatModel m;
  m.name = "dupnet-tinier-yolo-face";
  m.layers.push_back(InputLayer{{3, height, width}, {0, 0, 0}, {255.0f, 255.0f, 255.0f}});
  // models/dupnet-tinier-yolo-face.cfg: filters, kernel, pool stride, duplicate, input_repeat.
  auto block = [&](int filters, int kernel, int pool_stride, int duplicate, int input_repeat) {
    const Shape3 s = current_shape(m);
    ConvLayer c;
    c.out_channels = filters;
    c.kernel = kernel;
    c.pad = kernel / 2;
    c.duplicate = duplicate;
    c.input_repeat = input_repeat;
    c.weight_kind = WeightKind::Binary;
    fill_weights(rng, c.unique_filters(), int(c.filter_size(s.c)), WeightKind::Binary, c.weight, c.alpha, c.bias,
                 false);
    for (int o = c.unique_filters(); o < filters; ++o) c.alpha.push_back(c.alpha[size_t(o % c.unique_filters())]);
    m.layers.push_back(c);
    m.layers.push_back(calibrated_bn(rng, m, true, /*images=*/1));
    m.layers.push_back(HwgqLayer{2, float(kHwgqStep[2])});
    if (pool_stride > 0) m.layers.push_back(MaxPoolLayer{2, pool_stride, pool_stride == 1 ? 1 : 0});
  };
  block(8, 3, 2, 1, 4);
  for (int f : {16, 32, 64}) block(f, 3, 2, 1, 1);
  block(128, 3, 2, 2, 1);
  block(256, 3, 1, 8, 1);
  block(512, 3, 0, 16, 1);
  block(256, 1, 0, 8, 1);
  const Shape3 s = current_shape(m);
  ConvLayer head;
  head.out_channels = 30;
  head.kernel = 3;
  head.pad = 1;
  head.weight_kind = WeightKind::Binary;
  fill_weights(rng, 30, s.c * 9, WeightKind::Binary, head.weight, head.alpha, head.bias, true);
  m.layers.push_back(head);
  RegionLayer r;
  r.anchors = {0.48f, 0.87f, 0.90f, 1.62f, 1.61f, 2.88f, 3.31f, 4.82f, 5.80f, 7.83f};
  m.layers.push_back(r);
  infer_shapes(m);
  return m;
}

FloatModel fashion_classifier(uint32_t seed) {
  std::mt19937 rng(seed);
  FloatModel m;
  m.name = "fashion-hwgq";
  m.layers.push_back(InputLayer{{1, 28, 28}, {73}, {90.0f}});
  auto conv = [&](int filters, WeightKind kind) {
    const Shape3 s = current_shape(m);
    ConvLayer c;
    c.out_channels = filters;
    c.kernel = 3;
    c.pad = 1;
    c.weight_kind = kind;
    fill_weights(rng, filters, s.c * 9, kind, c.weight, c.alpha, c.bias, kind == WeightKind::Float);
    m.layers.push_back(c);
    m.layers.push_back(MaxPoolLayer{2, 2, 0});
    m.layers.push_back(calibrated_bn(rng, m, false));
    m.layers.push_back(HwgqLayer{2, float(kHwgqStep[2])});
  };
  conv(16, WeightKind::Float);
  conv(32, WeightKind::Binary);
  auto fc = [&](int out, WeightKind kind) {
    const Shape3 s = current_shape(m);
    FcLayer f;
    f.out_features = out;
    f.weight_kind = kind;
    fill_weights(rng, out, int(s.elements()), kind, f.weight, f.alpha, f.bias, kind == WeightKind::Float);
    m.layers.push_back(f);
  };
  m.layers.push_back(FlattenLayer{});
  fc(256, WeightKind::Binary);
  m.layers.push_back(calibrated_bn(rng, m, false));
  m.layers.push_back(HwgqLayer{2, float(kHwgqStep[2])});
  fc(10, WeightKind::Float);
  infer_shapes(m);
  return m;
}

}  // namespace ifq::export_test
