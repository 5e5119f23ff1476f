// ifq train --init: copy a trained model's parameters into a cfg network.
#include "ifq/train/init_weights.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "ifq/error.hpp"
#include "ifq/train/weight_quantizers.hpp"

namespace ifq::trainer {
namespace {

// Pointers to every layer of kind L, in order (const for a const model).
template <class L, class Model>
auto layers_of(Model& m) {
  using Ptr = std::conditional_t<std::is_const_v<Model>, const L*, L*>;
  std::vector<Ptr> out;
  for (auto& l : m.layers)
    if (auto* p = std::get_if<L>(&l)) out.push_back(p);
  return out;
}

void need(bool ok, const std::string& from_name, const std::string& what) {
  if (!ok) throw Error("--init '" + from_name + "' does not fit the network: " + what);
}

// A binary layer's alpha is mean |W| per output (what training recomputes);
// output o uses stored row o % rows (a DupNet conv stores fewer rows).
template <class L>
void copy_weighted(L& dst, const L& src, int64_t outputs, int64_t rows) {
  dst.weight = src.weight;
  dst.bias = src.bias;
  if (dst.weight_kind == WeightKind::Binary) {
    const int64_t per_row = int64_t(dst.weight.size()) / rows;
    dst.alpha.assign(size_t(outputs), 0.f);
    for (int64_t o = 0; o < outputs; ++o) {
      double s = 0;
      for (int64_t i = 0; i < per_row; ++i) s += std::fabs(dst.weight[size_t(o % rows * per_row + i)]);
      dst.alpha[size_t(o)] = float(s / double(per_row));
    }
  } else {
    dst.alpha.clear();
  }
}

// A conv that reads its input `times` times more (DupNet input_repeat)
// computing what `s` computes: each filter's input blocks repeated, scaled by
// 1 / times. Binary layers too: alpha (mean |w|) scales by 1 / times and the
// signs are unchanged, so the repeated blocks sum to the same alpha * sign.
ConvLayer repeat_inputs(const ConvLayer& s, int times) {
  if (times == 1) return s;
  ConvLayer r = s;
  r.input_repeat = s.input_repeat * times;
  const size_t rows = size_t(s.unique_filters()), per_row = s.weight.size() / rows;
  r.weight.clear();
  for (size_t u = 0; u < rows; ++u)
    for (int t = 0; t < times; ++t)
      for (size_t i = 0; i < per_row; ++i) r.weight.push_back(s.weight[u * per_row + i] / float(times));
  return r;
}

// A conv that shares its filters `times` times less (DupNet duplicate d ->
// d / times) computing what `s` computes: output o reads stored filter
// o % rows, so the filters tiled `times` times give every output the filter
// it read before. Training then lets the tiled copies drift apart: the
// network's spare weight budget starts from the trained function.
ConvLayer unshare_filters(const ConvLayer& s, int times) {
  if (times == 1) return s;
  ConvLayer r = s;
  r.duplicate = s.duplicate / times;
  for (int t = 1; t < times; ++t) r.weight.insert(r.weight.end(), s.weight.begin(), s.weight.end());
  return r;
}

// `d` may read its input more often (input_repeat a multiple of s's) and
// share its filters less (duplicate a divisor of s's); nothing else differs.
bool same_shape(const ConvLayer& d, const ConvLayer& s) {
  return d.out_channels == s.out_channels && d.kernel == s.kernel && s.duplicate % d.duplicate == 0 &&
         d.input_repeat % s.input_repeat == 0 &&
         d.weight.size() == s.weight.size() * size_t(d.input_repeat / s.input_repeat) *
                                size_t(s.duplicate / d.duplicate) &&
         d.bias.size() == s.bias.size();
}
bool same_shape(const FcLayer& d, const FcLayer& s) {
  return d.weight.size() == s.weight.size() && d.bias.size() == s.bias.size();
}
bool same_shape(const BatchNormLayer& d, const BatchNormLayer& s) {
  return d.mean.size() == s.mean.size() && d.gamma.size() == s.gamma.size();
}
// Fixed (multi-bit) weights as float ones holding their real values
// (real_weights): the latent weights training continues from.
template <class L>
L as_latent(L s) {
  if (s.weight_kind != WeightKind::Fixed) return s;
  s.weight = real_weights(s);
  s.weight_kind = WeightKind::Float;
  s.fixed = {};
  s.alpha.clear();
  return s;
}

void copy_layer(ConvLayer& d, const ConvLayer& s) {
  copy_weighted(d,
                unshare_filters(repeat_inputs(as_latent(s), d.input_repeat / s.input_repeat), s.duplicate / d.duplicate),
                d.out_channels, d.unique_filters());
}
void copy_layer(FcLayer& d, const FcLayer& s) { copy_weighted(d, as_latent(s), d.out_features, d.out_features); }
void copy_layer(BatchNormLayer& d, const BatchNormLayer& s) { d = s; }

// The n-th layer of kind L of `from` into the n-th of `into`, for every n.
template <class L>
int copy_each(FloatModel& into, const FloatModel& from, const std::string& from_name, const std::string& what) {
  const auto dst = layers_of<L>(into);
  const auto src = layers_of<L>(from);
  need(dst.size() == src.size(), from_name,
       std::to_string(src.size()) + " " + what + " layers, the network has " + std::to_string(dst.size()));
  for (size_t i = 0; i < dst.size(); ++i) {
    need(same_shape(*dst[i], *src[i]), from_name, what + " layer " + std::to_string(i + 1) + " has another shape");
    copy_layer(*dst[i], *src[i]);
  }
  return int(dst.size());
}

// The next layer of kind L of `from`, if `l` is one: copied into `l` when the
// shapes match. Returns false at the first one that does not (or when `from`
// has no more of that kind), which ends the leading part.
template <class L>
bool copy_next(Layer& l, const std::vector<const L*>& src, size_t& next, bool& copied) {
  auto* d = std::get_if<L>(&l);
  if (!d) return true;
  if (next >= src.size() || !same_shape(*d, *src[next])) return false;
  copy_layer(*d, *src[next++]);
  copied = true;
  return true;
}

// --init-backbone: `into`'s layers in order, each from the next of its kind
// in `from`, up to the first that does not fit. One walk over every kind, so
// a batch norm whose conv was not copied is not copied either.
int copy_leading_layers(FloatModel& into, const FloatModel& from, const std::string& from_name) {
  const auto convs = layers_of<ConvLayer>(from);
  const auto fcs = layers_of<FcLayer>(from);
  const auto bns = layers_of<BatchNormLayer>(from);
  size_t next_conv = 0, next_fc = 0, next_bn = 0;
  int copied_layers = 0;
  for (Layer& l : into.layers) {
    bool copied = false;
    if (!copy_next(l, convs, next_conv, copied) || !copy_next(l, fcs, next_fc, copied) ||
        !copy_next(l, bns, next_bn, copied))
      break;
    copied_layers += copied;
  }
  need(copied_layers > 0, from_name, "not even the first layer has the same shape");
  return copied_layers;
}

}  // namespace

int copy_trained_weights(FloatModel& into, const FloatModel& from, const std::string& from_name, bool prefix_only) {
  if (prefix_only) return copy_leading_layers(into, from, from_name);
  const int n = copy_each<ConvLayer>(into, from, from_name, "convolution") +
                copy_each<FcLayer>(into, from, from_name, "fully connected") +
                copy_each<BatchNormLayer>(into, from, from_name, "batch norm");
  need(n > 0, from_name, "not even the first layer has the same shape");
  return n;
}

}  // namespace ifq::trainer
