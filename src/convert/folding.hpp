#pragma once
// The threshold folding of integrated conversion (paper §3.2, Eq. 6-8), in one
// place. Derivation, per output channel, with acc = W_b ⊗ X_q the exact
// integer accumulator and a > 0 the real value of one accumulator unit
// (alpha * input step for binary weights):
//
//   y = a*acc + b                        conv (+ bias)
//   z = g*(y - mu)/sd + beta             BN, sd = sqrt(var + eps)
//     = s*acc + c,   s = g*a/sd,   c = g*(b - mu)/sd + beta
//   level = #{i : z > t_i}               HWGQ, t = {0, 1.5D, 2.5D, ...}
//
//   s > 0:  z > t_i  <=>  acc > T_i = (t_i - c)/s  <=>  acc > floor(T_i)
//           (acc is an integer, so only the integer part of T_i matters).
//   s < 0:  z > t_i  <=>  acc < T_i  <=>  -acc > -ceil(T_i) = floor(-T_i).
//           The converter negates that channel's weights (acc' = -acc) and
//           stores floor(-T_i), ascending again.
//   s = 0:  z = c for every input: level = #{i : c > t_i}; thresholds become
//           INT32_MIN ("always exceeded") or INT32_MAX ("never").
//
// Each T_i is computed in double and floored on its own: a shared
// (base, offset) pair floored once is NOT exact (see compact_form.cpp).
// Values outside int32 saturate to INT32_MIN / INT32_MAX, which is exact
// because the converter proves |acc| < 2^31 - 1.
#include <cstdint>
#include <vector>

namespace ifq::fold {

struct ChannelAffine {
  double a = 1;      // real value of one accumulator unit, > 0 (or 0: constant)
  double bias = 0;   // conv bias
  double gamma = 1, mu = 0, sd = 1, beta = 0;  // BN (identity when absent)
};

struct FoldedChannel {
  bool negate = false;              // weights negated (s < 0)
  bool constant = false;            // s == 0
  std::vector<int32_t> thresholds;  // ascending, on the (possibly negated) accumulator
};

FoldedChannel fold_channel(const ChannelAffine& ch, const std::vector<double>& quant_thresholds);

// floor(x) saturated to the int32 range (x may be +-inf).
int32_t floor_to_int32(double x);

}  // namespace ifq::fold
