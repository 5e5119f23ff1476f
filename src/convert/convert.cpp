// Float quantization network -> integer network.
//   Quantized substructures: integrated conversion (folding.hpp), exact; or
//   separated conversion with Q_m = 2^m for the paper's Table 2 comparison.
//   Non-quantized substructures: separated conversion (paper §2.2, Eq. 5),
//   every float value x becoming floor(x * 2^m), products divided back by an
//   arithmetic right shift (floor division by 2^m).
#include <algorithm>
#include <cmath>
#include <limits>

#include "convert/converter.hpp"
#include "core/overloaded.hpp"
#include "ifq/convert.hpp"
#include "ifq/error.hpp"
#include "ifq/memory.hpp"
#include "ifq/substructure.hpp"

namespace ifq {
namespace convert_detail {

int64_t floor_scaled(double x, int m, const std::string& what) {
  const double v = std::floor(std::ldexp(x, m));
  if (!(std::fabs(v) < std::ldexp(1.0, 62)))
    throw Error(what + ": value " + std::to_string(x) + " * 2^" + std::to_string(m) + " does not fit in 64 bits");
  return int64_t(v);
}

WeightView view_of(const Layer& layer, const Shape3& in) {
  WeightView v;
  if (auto* c = std::get_if<ConvLayer>(&layer)) {
    v = {true, c->out_channels, int(c->filter_size(in.c)), c->kernel, c->stride, c->pad, c->weight_kind,
         &c->weight, &c->alpha, &c->bias};
    v.fixed = c->fixed;
    v.rows = c->unique_filters();
    v.duplicate = c->duplicate;
    v.input_repeat = c->input_repeat;
    v.in_channels = in.c;
  } else {
    auto& f = std::get<FcLayer>(layer);
    v = {false, f.out_features, int(in.elements()), 1, 1, 0, f.weight_kind, &f.weight, &f.alpha, &f.bias};
    v.fixed = f.fixed;
    v.rows = f.out_features;
    v.in_channels = in.c;
    v.spatial = in.h * in.w;
  }
  return v;
}

ConvertResult Converter::run() {
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

}  // namespace convert_detail


ConvertResult convert(const FloatModel& model, const ConvertOptions& options) {
  for (int m : {options.quantized_m, options.first_m, options.last_m, options.middle_m})
    if (m < 0 || m > 24) throw Error("convert: m must be in 0..24, got " + std::to_string(m));
  if (options.quantized == ConversionKind::None) throw Error("convert: quantized conversion must be integrated or separated");
  return convert_detail::Converter(model, options).run();
}

}  // namespace ifq
