// Piecewise-Gaussian step sizes (ifq/train/weight_quantizers.hpp): fit two
// Gaussian pieces, then choose the step with the least expected squared
// quantization error under the fitted density, by numerical integration.
#include <algorithm>
#include <cmath>
#include <functional>

#include "ifq/error.hpp"
#include "ifq/train/weight_quantizers.hpp"

namespace ifq {
namespace {

constexpr double kPi = 3.14159265358979323846;
double pdf(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2 * kPi); }
double cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }
// 1 - cdf(z), accurate far into the tail (where 1 - cdf would round to 0).
double upper_tail(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

// A density on [lo, hi] as weighted sample points (midpoint rule).
struct Density {
  std::vector<double> x, w;
  void add_piece(double lo, double hi, const std::function<double(double)>& f, int points = 2000) {
    const double h = (hi - lo) / points;
    for (int i = 0; i < points; ++i) {
      const double at = lo + (i + 0.5) * h;
      x.push_back(at);
      w.push_back(f(at) * h);
    }
  }
  double expect(const std::function<double(double)>& g) const {
    double s = 0;
    for (size_t i = 0; i < x.size(); ++i) s += w[i] * g(x[i]);
    return s;
  }
};

// The argument in [lo, hi] minimizing `f`: a log-spaced scan, then golden
// sections in the best point's bracket (f need not be smooth there).
double minimize_log(double lo, double hi, const std::function<double(double)>& f) {
  const int n = 160;
  const double ratio = std::pow(hi / lo, 1.0 / (n - 1));
  int best = 0;
  double best_v = f(lo);
  for (int i = 1; i < n; ++i) {
    const double v = f(lo * std::pow(ratio, i));
    if (v < best_v) best_v = v, best = i;
  }
  double a = lo * std::pow(ratio, std::max(0, best - 1)), b = lo * std::pow(ratio, std::min(n - 1, best + 1));
  const double g = (std::sqrt(5.0) - 1) / 2;
  double c = b - g * (b - a), d = a + g * (b - a), fc = f(c), fd = f(d);
  for (int it = 0; it < 40; ++it) {
    if (fc < fd) b = d, d = c, fd = fc, c = b - g * (b - a), fc = f(c);
    else a = c, c = d, fc = fd, d = a + g * (b - a), fd = f(d);
  }
  const double x = (a + b) / 2;
  return f(x) <= best_v ? x : lo * std::pow(ratio, best);
}

// sigma of a zero-mean Gaussian truncated to [a, b] whose second moment is
// `m2` (bisection on log sigma; the moment grows with sigma on either kind
// of piece).
double matched_sigma(double a, double b, double m2) {
  auto moment = [&](double s) {
    const double za = a / s;
    if (std::isinf(b)) {
      // Tail piece [a, inf): s^2 (1 + za * mills), mills = pdf/upper tail;
      // far out (za > 25) the asymptotic a^2 + 2 s^2, where both underflow.
      if (za > 25) return a * a + 2 * s * s;
      return s * s * (1 + za * pdf(za) / upper_tail(za));
    }
    const double zb = b / s, mass = cdf(zb) - cdf(za);
    return s * s * (1 + (za * pdf(za) - zb * pdf(zb)) / std::max(mass, 1e-300));
  };
  double lo = 1e-6 * std::sqrt(m2) + 1e-30, hi = 1e3 * std::sqrt(m2) + 1e-30;
  for (int it = 0; it < 200; ++it) {
    const double mid = std::sqrt(lo * hi);
    (moment(mid) < m2 ? lo : hi) = mid;
  }
  return std::sqrt(lo * hi);
}

}  // namespace

FixedFormat piecewise_gaussian_format(const std::vector<float>& weights, int bits) {
  // Validates bits and the weights, and gives the mean's zero point rule.
  zero_centred_format(weights, bits);
  double mean = 0;
  for (float w : weights) mean += w;
  mean /= double(weights.size());
  double left2 = 0, right2 = 0;
  int64_t left = 0, right = 0;
  for (float w : weights) {
    const double d = double(w) - mean;
    if (d < 0) left2 += d * d, ++left;
    else right2 += d * d, ++right;
  }
  const double n = double(weights.size());
  const double sl = left ? std::sqrt(left2 / double(left)) : 0.0, sr = right ? std::sqrt(right2 / double(right)) : 0.0;
  const double spread = std::max({sl, sr, 1e-12});
  // Each side a half-Gaussian carrying that side's share of the weights.
  Density d;
  if (sl > 0) d.add_piece(-8 * sl, 0, [&](double x) { return double(left) / n * 2 * pdf(x / sl) / sl; });
  if (sr > 0) d.add_piece(0, 8 * sr, [&](double x) { return double(right) / n * 2 * pdf(x / sr) / sr; });
  // The zero point is chosen with the step: of the two integers around
  // -mean / step, the one with the smaller expected error (rounding alone
  // flips between them where mean / step is near a half).
  auto expected = [&](const FixedFormat& f) {
    return d.expect([&](double x) {
      const double w = mean + x, e = w - f.step * (fixed_code(w, f, bits) - f.zero_point);
      return e * e;
    });
  };
  auto best_format = [&](double step) {
    FixedFormat best{step, 0};
    double best_error = INFINITY;
    for (double z : {std::floor(-mean / step), std::ceil(-mean / step)}) {
      const FixedFormat f{step, int(std::clamp(z, double(fixed_code_min(bits)), double(fixed_code_max(bits))))};
      const double e = expected(f);
      if (e < best_error) best_error = e, best = f;
    }
    return std::pair{best, best_error};
  };
  const double levels = std::ldexp(1.0, bits);
  // Rounded to float32, as a model file stores alpha: training and the file agree.
  const double step = double(float(
      minimize_log(spread / levels / 4, spread * 16 / levels, [&](double st) { return best_format(st).second; })));
  return best_format(step).first;
}

double piecewise_gaussian_hwgq_step(const std::vector<float>& inputs, int bits) {
  std::vector<double> pos;
  for (float x : inputs) {
    if (!std::isfinite(x)) throw Error("piecewise-Gaussian step: an input is not finite");
    if (x > 0) pos.push_back(x);
  }
  if (pos.size() < 16) throw Error("piecewise-Gaussian step: fewer than 16 positive inputs to fit");
  std::nth_element(pos.begin(), pos.begin() + long(pos.size() / 2), pos.end());
  const double median = pos[pos.size() / 2];
  double m2_low = 0, m2_high = 0;
  int64_t low = 0, high = 0;
  for (double x : pos) {
    if (x <= median) m2_low += x * x, ++low;
    else m2_high += x * x, ++high;
  }
  const double share = double(pos.size()) / double(inputs.size());
  const double s_low = matched_sigma(0, median, m2_low / double(std::max<int64_t>(low, 1)));
  const double s_high = high ? matched_sigma(median, INFINITY, m2_high / double(high)) : s_low;
  const double p_low = share * double(low) / double(pos.size()), p_high = share - p_low;
  Density d;
  const double mass_low = cdf(median / s_low) - 0.5, mass_high = upper_tail(median / s_high);
  d.add_piece(0, median, [&](double x) { return p_low * pdf(x / s_low) / s_low / mass_low; });
  if (p_high > 0)
    d.add_piece(median, median + 10 * s_high, [&](double x) { return p_high * pdf(x / s_high) / s_high / mass_high; });
  auto mse = [&](double step) {
    return d.expect([&](double x) {
      const double e = x - double(hwgq_level(x, bits, step)) * step;
      return e * e;
    });
  };
  const double scale = std::sqrt((m2_low + m2_high) / double(pos.size()));
  return minimize_log(scale / std::ldexp(1.0, bits) / 4, scale * 8, mse);
}

}  // namespace ifq
