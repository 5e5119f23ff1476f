// Separated conversion (paper Eq. 5): layer by layer, every float value x
// becoming floor(x * 2^m), products divided back by an arithmetic right shift.
#include <algorithm>
#include <cmath>
#include <limits>

#include "convert/converter.hpp"
#include "core/overloaded.hpp"
#include "ifq/error.hpp"
#include "ifq/memory.hpp"

namespace ifq::convert_detail {

void Converter::convert_chain(int begin, int end, int m) {
  for (int i = begin; i < end; ++i) {
    const Layer& l = model_.layers[size_t(i)];
    if (std::holds_alternative<InputLayer>(l)) continue;
    if (is_weight_layer(l)) {
      separated_weight_layer(i, m);
    } else if (auto* bn = std::get_if<BatchNormLayer>(&l)) {
      to_fixed(m);
      IntBatchNormOp op;
      op.shift = m;
      for (size_t c = 0; c < bn->mean.size(); ++c) {
        const double g = bn->gamma.empty() ? 1.0 : double(bn->gamma[c]);
        const double sd = std::sqrt(double(bn->var[c]) + double(bn->eps));
        op.mean.push_back(clamp_param(floor_scaled(bn->mean[c], repr_.frac, where(i)), where(i)));
        op.scale.push_back(clamp_param(floor_scaled(g / sd, m, where(i)), where(i)));
        op.beta.push_back(clamp_param(floor_scaled(bn->beta.empty() ? 0.0 : bn->beta[c], repr_.frac, where(i)), where(i)));
      }
      out_.model.ops.push_back(std::move(op));
      repr_.max_abs = int64_t(1) << 31;
    } else if (auto* q = std::get_if<HwgqLayer>(&l)) {
      to_fixed(m);
      IntQuantOp op;
      op.bits = q->bits;
      for (double t : hwgq_thresholds(q->bits, double(q->step))) op.thresholds.push_back(floor_scaled(t, repr_.frac, where(i)));
      out_.model.ops.push_back(std::move(op));
      repr_ = Repr{Repr::Levels, {}, double(q->step), q->bits, 0, (int64_t(1) << q->bits) - 1};
    } else {
      emit_simple(i, m);
    }
  }
}

int64_t Converter::clamp_param(int64_t v, const std::string& what) {
  if (v <= INT32_MIN || v >= INT32_MAX) throw Error(what + ": parameter does not fit in int32 at this m; lower m");
  return v;
}

// Pool, activation, flatten, region: no float parameters.
void Converter::emit_simple(int i, int m) {
  const Layer& l = model_.layers[size_t(i)];
  std::visit(Overloaded{
                 [&](const MaxPoolLayer&) { out_.model.ops.push_back(pool_op(i)); },
                 [&](const ReluLayer&) {
                   if (repr_.kind == Repr::Levels) return;  // levels are >= 0 already
                   to_fixed(m);
                   out_.model.ops.push_back(IntReluOp{});
                 },
                 [&](const LeakyLayer& k) {
                   if (repr_.kind == Repr::Levels) return;
                   to_fixed(m);
                   out_.model.ops.push_back(IntLeakyOp{m, floor_scaled(k.slope, m, where(i))});
                 },
                 [&](const FlattenLayer&) {
                   if (i + 1 >= int(model_.layers.size()) || !std::holds_alternative<FcLayer>(model_.layers[size_t(i) + 1]))
                     throw Error(where(i) + ": flatten is supported only directly before a fully connected layer");
                 },
                 [&](const RegionLayer& r) { out_.model.region = region_info(r); },
                 [&](const auto&) { throw Error(where(i) + ": unexpected layer in this position"); },
             },
             l);
}

// Converts the current tensor to fixed point with m fractional bits.
void Converter::to_fixed(int m) {
  if (repr_.kind == Repr::Fixed && repr_.frac == m) return;
  IntRequantOp op;
  op.frac_bits = m;
  const int channels = shapes_for_current();
  if (repr_.kind == Repr::Fixed) {
    // Change of m between substructures.
    op.shift = repr_.frac > m ? repr_.frac - m : 0;
    op.multiplier.assign(size_t(channels), repr_.frac > m ? 1 : int64_t(1) << (m - repr_.frac));
  } else if (repr_.kind == Repr::Levels) {
    op.shift = 0;
    op.multiplier.assign(size_t(channels), floor_scaled(repr_.step, m, "requantization"));
  } else {
    op.shift = 0;
    for (int c = 0; c < channels; ++c) op.multiplier.push_back(floor_scaled(repr_.pixel_scale[size_t(c)], m, "input scaling"));
  }
  op.bias.assign(size_t(channels), 0);
  out_.model.ops.push_back(std::move(op));
  repr_ = Repr{Repr::Fixed, {}, 0, 0, m, int64_t(1) << 31};
}

// conv/fc with every value converted separately (paper Eq. 5):
//   acc = sum(Wq * x); y = ((acc * M) >> shift) + floor(b * 2^m)
void Converter::separated_weight_layer(int i, int m) {
  const Shape3 in = in_shape(i);
  const WeightView v = view_of(model_.layers[size_t(i)], in);
  std::vector<int32_t> weights(size_t(v.out) * size_t(v.fan_in));
  std::vector<int64_t> multiplier(size_t(v.out));
  int bits = 1, shift = 0, acc_shift = 0;
  // Binary or fixed: integer weights times a per-output alpha.
  const bool integer_weights = v.kind != WeightKind::Float;
  const bool pixels = repr_.kind == Repr::Pixels;
  const double min_pixel_unit =
      pixels ? *std::min_element(repr_.pixel_scale.begin(), repr_.pixel_scale.end()) : 1.0;
  int64_t lo = 0, hi = 0;
  for (int o = 0; o < v.out; ++o)
    for (int k = 0; k < v.fan_in; ++k) {
      const size_t idx = size_t(o) * v.fan_in + k;
      if (integer_weights && !pixels) {
        weights[idx] = v.integer(idx);
        lo = std::min<int64_t>(lo, weights[idx]), hi = std::max<int64_t>(hi, weights[idx]);
        continue;
      }
      // Float weights (or integer weights on pixels with per-channel std):
      // floor(W_eff * 2^m), the pixel scale folded in.
      double w = v.real(idx);
      if (pixels) w *= repr_.pixel_scale[size_t(v.channel_of(k))] / min_pixel_unit;
      const int64_t q = floor_scaled(w, m, where(i));
      if (q < -(int64_t(1) << 23) || q >= (int64_t(1) << 23))
        throw Error(where(i) + ": weight needs more than 24 bits at m=" + std::to_string(m) + "; lower m");
      weights[idx] = int32_t(q);
      lo = std::min(lo, q), hi = std::max(hi, q);
    }
  if (!(v.kind == WeightKind::Binary && !pixels)) bits = std::max(2, signed_bits_for(lo, hi));
  for (int o = 0; o < v.out; ++o) {
    if (pixels) {
      // acc ~ 2^m * real / min_unit: the input normalisation 1/std is a
      // float value of its own, converted with Q_m^2 like the paper's bias.
      multiplier[size_t(o)] = floor_scaled(min_pixel_unit, 2 * m, where(i));
      shift = 2 * m;
    } else if (repr_.kind == Repr::Levels) {
      const int64_t step_q = floor_scaled(repr_.step, m, where(i));
      multiplier[size_t(o)] = integer_weights ? floor_scaled((*v.alpha)[size_t(o)], m, where(i)) * step_q : step_q;
      shift = m;
    } else {  // fixed input with frac bits f: acc scale 2^(f+m) for float weights
      if (integer_weights) {
        multiplier[size_t(o)] = floor_scaled((*v.alpha)[size_t(o)], m, where(i));
        shift = repr_.frac;
      } else {
        acc_shift = repr_.frac;  // back to 2^m inside the accumulation
        multiplier[size_t(o)] = 1;
      }
    }
  }
  if (repr_.kind != Repr::Fixed) check_acc_bound(i, v, weights);
  emit_weight_op(v, in, std::move(weights), bits, acc_shift);
  IntRequantOp rq;
  rq.shift = shift;
  rq.frac_bits = m;
  rq.multiplier = std::move(multiplier);
  for (int o = 0; o < v.out; ++o) rq.bias.push_back(floor_scaled(v.b(o), m, where(i)));
  out_.model.ops.push_back(std::move(rq));
  repr_ = Repr{Repr::Fixed, {}, 0, 0, m, int64_t(1) << 31};
}

}  // namespace ifq::convert_detail
