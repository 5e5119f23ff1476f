// Integrated conversion of a substructure {weight, [pool], [bn], [pool], hwgq,
// [pools]}: every float value folded into integer thresholds (folding.hpp).
#include <algorithm>
#include <cmath>
#include <limits>

#include "convert/converter.hpp"
#include "core/overloaded.hpp"
#include "ifq/error.hpp"
#include "ifq/memory.hpp"

namespace ifq::convert_detail {

void Converter::convert_folded(const Substructure& s, int weight_m) {
  const int wl = s.weight_layer;
  const Shape3 in = in_shape(wl);
  const WeightView v = view_of(model_.layers[size_t(wl)], in);

  // Real value of one input unit per input channel, and the smallest one:
  // per-channel differences (input std) are folded into the weights as
  // ratios >= 1, the common unit stays exact in the threshold maths.
  auto input_unit = [&](int channel) {
    if (repr_.kind == Repr::Pixels) return repr_.pixel_scale[size_t(channel)];
    return repr_.step;
  };
  const double min_unit = repr_.kind == Repr::Pixels
                              ? *std::min_element(repr_.pixel_scale.begin(), repr_.pixel_scale.end())
                              : repr_.step;
  std::vector<int32_t> weights(size_t(v.out) * size_t(v.fan_in));
  std::vector<double> unit(size_t(v.out));  // a: real value of one accumulator unit
  if (weight_m < 0) {
    // Binary or fixed weights: acc = sum(integer weight * x); a = alpha *
    // input unit, the same for every input channel (the division checked it).
    for (size_t i = 0; i < weights.size(); ++i) weights[i] = v.integer(i);
    for (int o = 0; o < v.out; ++o) unit[size_t(o)] = double((*v.alpha)[size_t(o)]) * min_unit;
  } else {
    for (int o = 0; o < v.out; ++o)
      for (int i = 0; i < v.fan_in; ++i) {
        const size_t idx = size_t(o) * v.fan_in + i;
        const double w = v.real(idx) * input_unit(v.channel_of(i)) / min_unit;
        const int64_t q = floor_scaled(w, weight_m, where(wl));
        if (q < -(int64_t(1) << 23) || q >= (int64_t(1) << 23))
          throw Error(where(wl) + ": weight needs more than 24 bits at m=" + std::to_string(weight_m) + "; lower m");
        weights[idx] = int32_t(q);
      }
    std::fill(unit.begin(), unit.end(), std::ldexp(min_unit, -weight_m));
  }

  // BN and quantizer parameters.
  const auto& q = std::get<HwgqLayer>(model_.layers[size_t(s.quant)]);
  const auto t = hwgq_thresholds(q.bits, double(q.step));
  const BatchNormLayer* bn = s.bn >= 0 ? &std::get<BatchNormLayer>(model_.layers[size_t(s.bn)]) : nullptr;
  IntThresholdOp thr;
  thr.bits = q.bits;
  thr.channels = v.out;
  std::vector<uint8_t> negated(size_t(v.out), 0);
  int n_neg = 0, n_const = 0;
  for (int o = 0; o < v.out; ++o) {
    fold::ChannelAffine ch;
    ch.a = unit[size_t(o)];
    ch.bias = v.b(o);
    if (bn) {
      ch.gamma = bn->gamma.empty() ? 1.0 : double(bn->gamma[size_t(o)]);
      ch.beta = bn->beta.empty() ? 0.0 : double(bn->beta[size_t(o)]);
      ch.mu = double(bn->mean[size_t(o)]);
      ch.sd = std::sqrt(double(bn->var[size_t(o)]) + double(bn->eps));
    }
    const auto folded = fold::fold_channel(ch, t);
    if (folded.negate) {
      negated[size_t(o)] = 1;
      ++n_neg;
      for (int i = 0; i < v.fan_in; ++i) weights[size_t(o) * v.fan_in + i] *= -1;
    }
    n_const += folded.constant;
    thr.thresholds.insert(thr.thresholds.end(), folded.thresholds.begin(), folded.thresholds.end());
  }
  if (n_neg) note(std::to_string(n_neg) + " channel(s) with negative BN scale: weights and thresholds negated");
  if (n_const) note(std::to_string(n_const) + " channel(s) with zero scale: constant output level");

  // Bits after the negation: -(-2^(b-1)) needs one more bit.
  int weight_bits = 1;
  if (weight_m >= 0 || v.kind == WeightKind::Fixed) {
    const auto [lo, hi] = std::minmax_element(weights.begin(), weights.end());
    weight_bits = std::max(2, signed_bits_for(*lo, *hi));
  }
  check_acc_bound(wl, v, weights);
  emit_weight_op(v, in, std::move(weights), weight_bits, /*acc_shift=*/0);
  if (s.pool_before_bn >= 0) {
    // The float network pools y = a*acc + b (a > 0) before BN: pool the
    // accumulator with max; a negated channel holds -acc, whose min is
    // -max(acc), so those channels pool with min.
    auto pool = pool_op(s.pool_before_bn);
    if (n_neg) pool.take_min = negated;
    out_.model.ops.push_back(pool);
  }
  if (s.pool_after_bn >= 0) {
    // Pooling z (after BN): z is increasing in the (possibly negated)
    // accumulator for every channel, so a plain max is exact.
    out_.model.ops.push_back(pool_op(s.pool_after_bn));
  }
  out_.model.ops.push_back(std::move(thr));
  repr_ = Repr{Repr::Levels, {}, double(q.step), q.bits, 0, (int64_t(1) << q.bits) - 1};
  for (int i = s.quant + 1; i < s.layer_end; ++i) emit_simple(i, 0);
}

void Converter::check_acc_bound(int layer, const WeightView& v, const std::vector<int32_t>& w) {
  // |acc| <= max over filters of sum|w| * max|x|; must stay below 2^31 - 1
  // so that INT32_MIN / INT32_MAX thresholds keep their meaning.
  int64_t worst = 0;
  for (int o = 0; o < v.out; ++o) {
    int64_t s = 0;
    for (int i = 0; i < v.fan_in; ++i) s += std::abs(int64_t(w[size_t(o) * v.fan_in + i]));
    worst = std::max(worst, s);
  }
  const double bound = double(worst) * double(repr_.max_abs);
  if (bound >= double(std::numeric_limits<int32_t>::max()))
    throw Error(where(layer) + ": the int32 accumulator could overflow (bound " + std::to_string(bound) +
                "); use a smaller m for this substructure");
}

// A duplicated conv's copies are stored once when their integer rows agree
// up to sign (always so for binary weights: a copy differs only by a
// negative BN scale; not so where each copy's alpha was scaled into its
// weights, then every row is stored).
namespace {
std::vector<uint8_t> copy_signs(const WeightView& v, const std::vector<int32_t>& weights) {
  const size_t n = size_t(v.fan_in);
  std::vector<uint8_t> negate(size_t(v.out), 0);
  for (int o = v.rows; o < v.out; ++o) {
    const int32_t* row = &weights[size_t(o) * n];
    const int32_t* first = &weights[size_t(o % v.rows) * n];
    const bool same = std::equal(row, row + n, first);
    const bool opposite = std::equal(row, row + n, first, [](int32_t a, int32_t b) { return a == -b; });
    if (!same && !opposite) return {};
    negate[size_t(o)] = !same;
  }
  return negate;
}
}  // namespace

void Converter::emit_weight_op(const WeightView& v, const Shape3& in, std::vector<int32_t> weights, int bits, int acc_shift) {
  if (v.is_conv) {
    IntConvOp op;
    op.in_channels = in.c;
    op.out_channels = v.out;
    op.kernel = v.kernel;
    op.stride = v.stride;
    op.pad = v.pad;
    op.weight_bits = bits;
    op.acc_shift = acc_shift;
    op.input_repeat = v.input_repeat;
    if (v.duplicate > 1) {
      if (auto negate = copy_signs(v, weights); !negate.empty()) {
        op.duplicate = v.duplicate;
        weights.resize(size_t(v.rows) * size_t(v.fan_in));
        if (std::count(negate.begin(), negate.end(), 1)) op.negate = std::move(negate);
      } else {
        note("a duplicated conv's copies differ after conversion (each copy's alpha is in its weights): all " +
             std::to_string(v.out) + " filters stored");
      }
    }
    op.weight = std::move(weights);
    out_.model.ops.push_back(std::move(op));
  } else {
    IntFcOp op;
    op.in_features = int(in.elements());
    op.out_features = v.out;
    op.weight_bits = bits;
    op.acc_shift = acc_shift;
    op.weight = std::move(weights);
    out_.model.ops.push_back(std::move(op));
  }
}

IntMaxPoolOp Converter::pool_op(int layer) const {
  const auto& p = std::get<MaxPoolLayer>(model_.layers[size_t(layer)]);
  IntMaxPoolOp op;
  op.size = p.size;
  op.stride = p.stride;
  op.pad = p.pad;
  return op;
}

}  // namespace ifq::convert_detail
