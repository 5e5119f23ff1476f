// ifq train --init: copy a trained model's parameters into a cfg network.
#include "ifq/train/init_weights.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "ifq/error.hpp"

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

// The n-th layer of kind L of `from` into the n-th of `into`, for every n.
template <class L, class SameShape, class Copy>
int copy_each(FloatModel& into, const FloatModel& from, const std::string& from_name, const std::string& what,
              bool prefix_only, SameShape same_shape, Copy copy) {
  const auto dst = layers_of<L>(into);
  const auto src = layers_of<L>(from);
  if (prefix_only) {
    size_t n = 0;
    for (; n < std::min(dst.size(), src.size()) && same_shape(*dst[n], *src[n]); ++n) copy(*dst[n], *src[n]);
    return int(n);
  }
  need(dst.size() == src.size(), from_name,
       std::to_string(src.size()) + " " + what + " layers, the network has " + std::to_string(dst.size()));
  for (size_t i = 0; i < dst.size(); ++i) {
    need(same_shape(*dst[i], *src[i]), from_name, what + " layer " + std::to_string(i + 1) + " has another shape");
    copy(*dst[i], *src[i]);
  }
  return int(dst.size());
}

}  // namespace

int copy_trained_weights(FloatModel& into, const FloatModel& from, const std::string& from_name, bool prefix_only) {
  const int convs = copy_each<ConvLayer>(
      into, from, from_name, "convolution", prefix_only,
      [](const ConvLayer& d, const ConvLayer& s) {
        return d.out_channels == s.out_channels && d.kernel == s.kernel && d.duplicate == s.duplicate &&
               d.input_repeat % s.input_repeat == 0 &&
               d.weight.size() == s.weight.size() * size_t(d.input_repeat / s.input_repeat) &&
               d.bias.size() == s.bias.size();
      },
      [](ConvLayer& d, const ConvLayer& s) {
        copy_weighted(d, repeat_inputs(s, d.input_repeat / s.input_repeat), d.out_channels, d.unique_filters());
      });
  const int fcs = copy_each<FcLayer>(
      into, from, from_name, "fully connected", prefix_only,
      [](const FcLayer& d, const FcLayer& s) { return d.weight.size() == s.weight.size() && d.bias.size() == s.bias.size(); },
      [](FcLayer& d, const FcLayer& s) { copy_weighted(d, s, d.out_features, d.out_features); });
  const int bns = copy_each<BatchNormLayer>(
      into, from, from_name, "batch norm", prefix_only,
      [](const BatchNormLayer& d, const BatchNormLayer& s) {
        return d.mean.size() == s.mean.size() && d.gamma.size() == s.gamma.size();
      },
      [](BatchNormLayer& d, const BatchNormLayer& s) { d = s; });
  need(convs + fcs + bns > 0, from_name, "not even the first layer has the same shape");
  return convs + fcs + bns;
}

}  // namespace ifq::trainer
