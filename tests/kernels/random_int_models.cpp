#include "random_int_models.hpp"

#include <algorithm>
#include <climits>
#include <cmath>

namespace ifq::testing {

IntTensor random_levels(Shape3 shape, int bits, std::mt19937& rng) {
  std::uniform_int_distribution<int> d(0, (1 << bits) - 1);
  IntTensor t{shape, std::vector<int32_t>(size_t(shape.elements()))};
  for (auto& v : t.data) v = d(rng);
  return t;
}

namespace {
// A conv's geometry, no weights yet.
IntConvOp conv_shape(int in, int out, int kernel, int stride, int pad, int weight_bits) {
  IntConvOp c;
  c.in_channels = in;
  c.out_channels = out;
  c.kernel = kernel;
  c.stride = stride;
  c.pad = pad;
  c.weight_bits = weight_bits;
  return c;
}
}  // namespace

IntConvOp random_binary_conv(int in, int out, int kernel, int stride, int pad, std::mt19937& rng) {
  IntConvOp c = conv_shape(in, out, kernel, stride, pad, 1);
  c.weight.resize(size_t(in) * out * kernel * kernel);
  std::bernoulli_distribution b(0.5);
  for (auto& w : c.weight) w = b(rng) ? 1 : -1;
  return c;
}

IntConvOp random_multibit_conv(int in, int out, int kernel, int stride, int pad, int weight_bits, std::mt19937& rng,
                               int duplicate, int input_repeat, bool negate) {
  IntConvOp c = conv_shape(in, out, kernel, stride, pad, weight_bits);
  c.duplicate = duplicate;
  c.input_repeat = input_repeat;
  const int64_t filter = c.filter_size();
  c.weight.resize(size_t(c.stored_filters() * filter));
  if (weight_bits == 1) {
    std::bernoulli_distribution b(0.5);
    for (auto& w : c.weight) w = b(rng) ? 1 : -1;
  } else {
    const int lo = -(1 << (weight_bits - 1)), hi = (1 << (weight_bits - 1)) - 1;
    std::uniform_int_distribution<int> w(lo, hi);
    for (auto& v : c.weight) v = w(rng);
    std::uniform_int_distribution<int64_t> at(0, filter - 1);
    for (int u = 0; u < c.stored_filters(); ++u) {
      int32_t* f = &c.weight[size_t(u * filter)];
      f[at(rng)] = lo;
      f[at(rng)] = hi;  // may overwrite lo when filter is tiny; the next filter gets both
    }
    if (filter == 1 && c.stored_filters() >= 2) c.weight[0] = lo, c.weight[1] = hi;
  }
  if (negate) {
    std::bernoulli_distribution coin(0.4);
    for (int o = 0; o < out; ++o) c.negate.push_back(coin(rng) ? 1 : 0);
  }
  return c;
}

IntThresholdOp random_thresholds(int channels, int bits, double sigma, std::mt19937& rng) {
  IntThresholdOp t;
  t.bits = bits;
  t.channels = channels;
  const int n = (1 << bits) - 1;
  std::normal_distribution<double> start(-0.5 * sigma, 0.5 * sigma);
  std::uniform_real_distribution<double> gap(0.05 * sigma, 1.5 * sigma / n + 0.05 * sigma);
  std::uniform_int_distribution<int> special(0, 19);
  for (int c = 0; c < channels; ++c) {
    double v = start(rng);
    const int kind = special(rng);
    for (int i = 0; i < n; ++i) {
      int32_t thr = int32_t(std::floor(v));
      if (kind == 0) thr = INT32_MIN;            // always above: constant top level
      if (kind == 1) thr = INT32_MAX;            // never above: constant 0
      if (kind == 2 && i == n - 1) thr = INT32_MAX;
      t.thresholds.push_back(thr);
      v += gap(rng);
    }
  }
  return t;
}

IntModel random_int_net(const RandomNetSpec& spec, std::mt19937& rng) {
  IntModel m;
  m.name = "random-int-net";
  IntInputOp in;
  in.shape = spec.input;
  std::uniform_int_distribution<int> mean(60, 190);
  for (int c = 0; c < spec.input.c; ++c) in.mean.push_back(mean(rng));
  m.ops.push_back(in);

  IntConvOp first;
  if (spec.first_binary) {
    first = random_binary_conv(spec.input.c, spec.first_out, spec.first_kernel, spec.first_stride, spec.first_pad, rng);
  } else {
    first.in_channels = spec.input.c;
    first.out_channels = spec.first_out;
    first.kernel = spec.first_kernel;
    first.stride = spec.first_stride;
    first.pad = spec.first_pad;
    first.weight_bits = spec.first_weight_bits;
    const int lim = (1 << (spec.first_weight_bits - 1));
    std::uniform_int_distribution<int> w(-lim, lim - 1);
    first.weight.resize(size_t(first.in_channels) * first.out_channels * first.kernel * first.kernel);
    for (auto& v : first.weight) v = w(rng);
  }
  m.ops.push_back(first);
  const double pix_sigma = 70.0 * std::sqrt(double(spec.input.c * spec.first_kernel * spec.first_kernel)) *
                           (spec.first_binary ? 1.0 : double(1 << (spec.first_weight_bits - 1)) / 1.7);
  if (spec.first_pool) {
    IntMaxPoolOp p;
    p.size = 2;
    p.stride = 2;
    m.ops.push_back(p);
  }
  m.ops.push_back(random_thresholds(spec.first_out, spec.bits, pix_sigma, rng));
  int channels = spec.first_out;
  const double level_rms = std::sqrt(((1 << spec.bits) - 1) * (2.0 * (1 << spec.bits) - 1) / 6.0);
  for (const auto& l : spec.layers) {
    const bool plain = l.weight_bits == 1 && l.duplicate == 1 && l.input_repeat == 1 && !l.negate;
    if (plain)
      m.ops.push_back(random_binary_conv(channels, l.out, l.kernel, l.stride, l.pad, rng));
    else
      m.ops.push_back(random_multibit_conv(channels, l.out, l.kernel, l.stride, l.pad, l.weight_bits, rng,
                                           l.duplicate, l.input_repeat, l.negate));
    // RMS of uniform weights in [-2^(B-1), 2^(B-1) - 1]: about 2^(B-1) / sqrt(3).
    const double w_rms = l.weight_bits == 1 ? 1.0 : double(1 << (l.weight_bits - 1)) / std::sqrt(3.0);
    IntMaxPoolOp p;
    p.size = l.pool_size;
    p.stride = l.pool_stride;
    p.pad = l.pool_pad;
    std::bernoulli_distribution coin(0.3);
    for (int c = 0; c < l.out; ++c) p.take_min.push_back(coin(rng) ? 1 : 0);
    if (l.pool_size && !l.pool_after_threshold) m.ops.push_back(p);
    m.ops.push_back(random_thresholds(
        l.out, spec.bits, w_rms * level_rms * std::sqrt(double(l.input_repeat * channels * l.kernel * l.kernel)), rng));
    if (l.pool_size && l.pool_after_threshold) m.ops.push_back(p);
    channels = l.out;
  }
  m.ops.push_back(random_binary_conv(channels, spec.last_out, 1, 1, 0, rng));
  IntRequantOp r;
  r.shift = 7;
  r.frac_bits = 5;
  std::uniform_int_distribution<int> mult(1, 300), bias(-2000, 2000);
  for (int c = 0; c < spec.last_out; ++c) {
    r.multiplier.push_back(mult(rng));
    r.bias.push_back(bias(rng));
  }
  m.ops.push_back(r);
  m.output.frac_bits = 5;
  return m;
}

}  // namespace ifq::testing
