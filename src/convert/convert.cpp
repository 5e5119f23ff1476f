// Float quantization network -> integer network.
//   Quantized substructures: integrated conversion (folding.hpp), exact; or
//   separated conversion with Q_m = 2^m for the paper's Table 2 comparison.
//   Non-quantized substructures: separated conversion (paper §2.2, Eq. 5),
//   every float value x becoming floor(x * 2^m), products divided back by an
//   arithmetic right shift (floor division by 2^m).
#include <algorithm>
#include <cmath>
#include <limits>

#include "convert/folding.hpp"
#include "core/overloaded.hpp"
#include "ifq/convert.hpp"
#include "ifq/error.hpp"
#include "ifq/memory.hpp"
#include "ifq/substructure.hpp"

namespace ifq {
namespace {

// How the current integer tensor relates to the float network's tensor.
struct Repr {
  enum Kind { Pixels, Levels, Fixed } kind = Pixels;
  std::vector<double> pixel_scale;  // Pixels: real = value * pixel_scale[c] (1/std)
  double step = 0;                  // Levels: real = value * step
  int bits = 0;                     // Levels
  int frac = 0;                     // Fixed: real = value / 2^frac
  int64_t max_abs = 0;              // a bound on |value|, for overflow proofs
};

int64_t floor_scaled(double x, int m, const std::string& what) {
  const double v = std::floor(std::ldexp(x, m));
  if (!(std::fabs(v) < std::ldexp(1.0, 62)))
    throw Error(what + ": value " + std::to_string(x) + " * 2^" + std::to_string(m) + " does not fit in 64 bits");
  return int64_t(v);
}

struct WeightView {
  bool is_conv = true;
  int out = 0, fan_in = 0, kernel = 1, stride = 1, pad = 0;
  WeightKind kind = WeightKind::Float;
  const std::vector<float>* weight = nullptr;
  const std::vector<float>* alpha = nullptr;
  const std::vector<float>* bias = nullptr;
  double w(size_t i) const { return (*weight)[i]; }
  double b(int o) const { return bias->empty() ? 0.0 : double((*bias)[size_t(o)]); }
};

WeightView view_of(const Layer& layer, const Shape3& in) {
  WeightView v;
  if (auto* c = std::get_if<ConvLayer>(&layer)) {
    v = {true, c->out_channels, in.c * c->kernel * c->kernel, c->kernel, c->stride, c->pad,
         c->weight_kind, &c->weight, &c->alpha, &c->bias};
  } else {
    auto& f = std::get<FcLayer>(layer);
    v = {false, f.out_features, int(in.elements()), 1, 1, 0, f.weight_kind, &f.weight, &f.alpha, &f.bias};
  }
  return v;
}

class Converter {
 public:
  Converter(const FloatModel& model, const ConvertOptions& opt)
      : model_(model), opt_(opt), shapes_(infer_shapes(model)) {}

  ConvertResult run() {
    const auto& input = std::get<InputLayer>(model_.layers[0]);
    out_.model.name = model_.name;
    out_.model.ops.push_back(IntInputOp{input.shape, std::vector<int32_t>(input.mean.begin(), input.mean.end())});
    repr_.kind = Repr::Pixels;
    for (float s : input.std) repr_.pixel_scale.push_back(1.0 / double(s));
    repr_.max_abs = 255;

    const auto subs = divide_substructures(model_);
    for (size_t si = 0; si < subs.size(); ++si) {
      const Substructure& s = subs[si];
      sub_index_ = int(si);
      SubstructureSpan span;
      span.kind = s.kind;
      span.layer_begin = s.layer_begin;
      span.layer_end = s.layer_end;
      span.op_begin = int(out_.model.ops.size());
      if (si == 0) span.op_begin = 0;
      const bool last = si + 1 == subs.size();
      const int m_nonq = si == 0 ? opt_.first_m : last ? opt_.last_m : opt_.middle_m;
      if (s.kind == SubstructureKind::Quantized && opt_.quantized == ConversionKind::Integrated) {
        span.conversion = ConversionKind::Integrated;
        span.m = 0;
        convert_folded(s, /*weight_m=*/-1);
      } else if (s.kind == SubstructureKind::Quantized) {
        span.conversion = ConversionKind::Separated;
        span.m = opt_.quantized_m;
        convert_chain(s.layer_begin, s.layer_end, opt_.quantized_m);
      } else if (s.quant >= 0 && opt_.fold_thresholds_in_nonquantized && repr_.kind != Repr::Fixed) {
        // Only the weights lose precision (floor(W * 2^m)); bias, BN and
        // thresholds are folded exactly on top of the converted weights.
        span.conversion = ConversionKind::Separated;
        span.m = m_nonq;
        convert_folded(s, m_nonq);
      } else {
        span.conversion = ConversionKind::Separated;
        span.m = m_nonq;
        convert_chain(s.layer_begin, s.layer_end, m_nonq);
      }
      if (last && repr_.kind == Repr::Pixels) to_fixed(m_nonq);
      span.op_end = int(out_.model.ops.size());
      out_.model.substructures.push_back(span);
    }
    auto& o = out_.model.output;
    o.is_levels = repr_.kind == Repr::Levels;
    o.bits = o.is_levels ? repr_.bits : 0;
    o.level_step = o.is_levels ? repr_.step : 0;
    o.frac_bits = repr_.kind == Repr::Fixed ? repr_.frac : 0;
    infer_int_shapes(out_.model);
    return std::move(out_);
  }

 private:
  const FloatModel& model_;
  const ConvertOptions& opt_;
  std::vector<Shape3> shapes_;
  ConvertResult out_;
  Repr repr_;
  int sub_index_ = 0;

  void note(const std::string& text) { out_.notes.push_back({sub_index_, text}); }
  const Shape3& in_shape(int layer) const { return shapes_[size_t(layer) - 1]; }
  std::string where(int layer) const {
    return "layer " + std::to_string(layer) + " (" + layer_type_name(model_.layers[size_t(layer)]) + ")";
  }

  // ---- integrated: {weight, [pool], [bn], [pool], hwgq, [pools]} ----------
  // weight_m < 0: binary weights taken as they are (quantized substructure).
  // weight_m >= 0: weights converted to floor(W_eff * 2^m) first.
  void convert_folded(const Substructure& s, int weight_m) {
    const int wl = s.weight_layer;
    const Shape3 in = in_shape(wl);
    const WeightView v = view_of(model_.layers[size_t(wl)], in);
    const int plane = v.is_conv ? v.kernel * v.kernel : 1;
    const int spatial = v.is_conv ? 1 : in.h * in.w;  // fc: input c index = i / spatial

    // Real value of one input unit per input channel, and the smallest one:
    // per-channel differences (input std) are folded into the weights as
    // ratios >= 1, the common unit stays exact in the threshold maths.
    auto input_unit = [&](int c) {
      if (repr_.kind == Repr::Pixels) return repr_.pixel_scale[size_t(v.is_conv ? c : c / spatial)];
      return repr_.step;
    };
    const double min_unit = repr_.kind == Repr::Pixels
                                ? *std::min_element(repr_.pixel_scale.begin(), repr_.pixel_scale.end())
                                : repr_.step;
    std::vector<int32_t> weights(size_t(v.out) * size_t(v.fan_in));
    std::vector<double> unit(size_t(v.out));  // a: real value of one accumulator unit
    if (weight_m < 0) {
      // Binary weights: acc = sum(sign(w) * x); a = alpha * input unit, the
      // same for every input channel (the division checked it).
      for (size_t i = 0; i < weights.size(); ++i) weights[i] = v.w(i) >= 0 ? 1 : -1;
      for (int o = 0; o < v.out; ++o) unit[size_t(o)] = double((*v.alpha)[size_t(o)]) * min_unit;
    } else {
      for (int o = 0; o < v.out; ++o)
        for (int i = 0; i < v.fan_in; ++i) {
          const size_t idx = size_t(o) * v.fan_in + i;
          const int c = v.is_conv ? i / plane : i;
          double w = v.kind == WeightKind::Binary ? (v.w(idx) >= 0 ? 1.0 : -1.0) * double((*v.alpha)[size_t(o)]) : v.w(idx);
          w *= input_unit(c) / min_unit;
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
    if (weight_m >= 0) {
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

  void check_acc_bound(int layer, const WeightView& v, const std::vector<int32_t>& w) {
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

  void emit_weight_op(const WeightView& v, const Shape3& in, std::vector<int32_t> weights, int bits, int acc_shift) {
    if (v.is_conv) {
      IntConvOp op;
      op.in_channels = in.c;
      op.out_channels = v.out;
      op.kernel = v.kernel;
      op.stride = v.stride;
      op.pad = v.pad;
      op.weight_bits = bits;
      op.acc_shift = acc_shift;
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

  IntMaxPoolOp pool_op(int layer) const {
    const auto& p = std::get<MaxPoolLayer>(model_.layers[size_t(layer)]);
    IntMaxPoolOp op;
    op.size = p.size;
    op.stride = p.stride;
    op.pad = p.pad;
    return op;
  }

  // ---- separated: layer by layer with Q_m = 2^m ----------------------------
  void convert_chain(int begin, int end, int m) {
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

  static bool is_weight_layer(const Layer& l) {
    return std::holds_alternative<ConvLayer>(l) || std::holds_alternative<FcLayer>(l);
  }

  int64_t clamp_param(int64_t v, const std::string& what) {
    if (v <= INT32_MIN || v >= INT32_MAX) throw Error(what + ": parameter does not fit in int32 at this m; lower m");
    return v;
  }

  // Pool, activation, flatten, region: no float parameters.
  void emit_simple(int i, int m) {
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
                   [&](const RegionLayer& r) {
                     auto& info = out_.model.region;
                     info.present = true;
                     info.classes = r.classes;
                     info.num = r.num;
                     info.coords = r.coords;
                     info.anchors = r.anchors;
                   },
                   [&](const auto&) { throw Error(where(i) + ": unexpected layer in this position"); },
               },
               l);
  }

  // Converts the current tensor to fixed point with m fractional bits.
  void to_fixed(int m) {
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

  int shapes_for_current() { return infer_int_shapes(out_.model).back().c; }

  // conv/fc with every value converted separately (paper Eq. 5):
  //   acc = sum(Wq * x); y = ((acc * M) >> shift) + floor(b * 2^m)
  void separated_weight_layer(int i, int m) {
    const Shape3 in = in_shape(i);
    const WeightView v = view_of(model_.layers[size_t(i)], in);
    const int plane = v.is_conv ? v.kernel * v.kernel : 1;
    const int spatial = v.is_conv ? 1 : in.h * in.w;
    std::vector<int32_t> weights(size_t(v.out) * size_t(v.fan_in));
    std::vector<int64_t> multiplier(size_t(v.out));
    int bits = 1, shift = 0, acc_shift = 0;
    const bool binary = v.kind == WeightKind::Binary;
    const bool pixels = repr_.kind == Repr::Pixels;
    const double min_pixel_unit =
        pixels ? *std::min_element(repr_.pixel_scale.begin(), repr_.pixel_scale.end()) : 1.0;
    int64_t lo = 0, hi = 0;
    for (int o = 0; o < v.out; ++o)
      for (int k = 0; k < v.fan_in; ++k) {
        const size_t idx = size_t(o) * v.fan_in + k;
        if (binary && !pixels) {
          weights[idx] = v.w(idx) >= 0 ? 1 : -1;
          continue;
        }
        // Float weights (or binary weights on pixels with per-channel std):
        // floor(W_eff * 2^m), the pixel scale folded in.
        double w = binary ? (v.w(idx) >= 0 ? 1.0 : -1.0) * double((*v.alpha)[size_t(o)]) : v.w(idx);
        if (pixels) w *= repr_.pixel_scale[size_t(v.is_conv ? k / plane : k / spatial)] / min_pixel_unit;
        const int64_t q = floor_scaled(w, m, where(i));
        if (q < -(int64_t(1) << 23) || q >= (int64_t(1) << 23))
          throw Error(where(i) + ": weight needs more than 24 bits at m=" + std::to_string(m) + "; lower m");
        weights[idx] = int32_t(q);
        lo = std::min(lo, q), hi = std::max(hi, q);
      }
    if (!(binary && !pixels)) bits = std::max(2, signed_bits_for(lo, hi));
    for (int o = 0; o < v.out; ++o) {
      if (pixels) {
        // acc ~ 2^m * real / min_unit: the input normalisation 1/std is a
        // float value of its own, converted with Q_m^2 like the paper's bias.
        multiplier[size_t(o)] = floor_scaled(min_pixel_unit, 2 * m, where(i));
        shift = 2 * m;
      } else if (repr_.kind == Repr::Levels) {
        const int64_t step_q = floor_scaled(repr_.step, m, where(i));
        multiplier[size_t(o)] = binary ? floor_scaled((*v.alpha)[size_t(o)], m, where(i)) * step_q : step_q;
        shift = m;
      } else {  // fixed input with frac bits f: acc scale 2^(f+m) for float weights
        if (binary) {
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
};

}  // namespace

ConvertResult convert(const FloatModel& model, const ConvertOptions& options) {
  for (int m : {options.quantized_m, options.first_m, options.last_m, options.middle_m})
    if (m < 0 || m > 24) throw Error("convert: m must be in 0..24, got " + std::to_string(m));
  if (options.quantized == ConversionKind::None) throw Error("convert: quantized conversion must be integrated or separated");
  return Converter(model, options).run();
}

}  // namespace ifq
