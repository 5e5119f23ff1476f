// ifq train --init: copy a trained model's parameters into a cfg network.
#include "ifq_trainer/init_weights.hpp"

#include <cmath>

#include "ifq/error.hpp"

namespace ifq::trainer {
namespace {

template <class T>
std::vector<T*> layers_of(FloatModel& m) {
  std::vector<T*> out;
  for (Layer& l : m.layers)
    if (auto* p = std::get_if<T>(&l)) out.push_back(p);
  return out;
}
template <class T>
std::vector<const T*> layers_of(const FloatModel& m) {
  std::vector<const T*> out;
  for (const Layer& l : m.layers)
    if (auto* p = std::get_if<T>(&l)) out.push_back(p);
  return out;
}

void need(bool ok, const std::string& from_name, const std::string& what) {
  if (!ok) throw Error("--init '" + from_name + "' does not fit the network: " + what);
}

// A binary layer's alpha is mean |W| per output (what training recomputes).
template <class L>
void copy_weighted(L& dst, const L& src, int64_t per_output) {
  dst.weight = src.weight;
  dst.bias = src.bias;
  if (dst.weight_kind == WeightKind::Binary) {
    const int64_t outs = int64_t(dst.weight.size()) / per_output;
    dst.alpha.assign(size_t(outs), 0.f);
    for (int64_t o = 0; o < outs; ++o) {
      double s = 0;
      for (int64_t i = 0; i < per_output; ++i) s += std::fabs(dst.weight[size_t(o * per_output + i)]);
      dst.alpha[size_t(o)] = float(s / double(per_output));
    }
  } else {
    dst.alpha.clear();
  }
}

}  // namespace

int copy_trained_weights(FloatModel& into, const FloatModel& from, const std::string& from_name) {
  int copied = 0;
  auto convs = layers_of<ConvLayer>(into);
  auto src_convs = layers_of<ConvLayer>(from);
  need(convs.size() == src_convs.size(), from_name,
       std::to_string(src_convs.size()) + " convolutions, the network has " + std::to_string(convs.size()));
  for (size_t i = 0; i < convs.size(); ++i) {
    ConvLayer& d = *convs[i];
    const ConvLayer& s = *src_convs[i];
    need(d.out_channels == s.out_channels && d.kernel == s.kernel && d.weight.size() == s.weight.size() &&
             d.bias.size() == s.bias.size(),
         from_name, "convolution " + std::to_string(i + 1) + " has another shape");
    copy_weighted(d, s, int64_t(d.weight.size()) / d.out_channels);
    ++copied;
  }
  auto fcs = layers_of<FcLayer>(into);
  auto src_fcs = layers_of<FcLayer>(from);
  need(fcs.size() == src_fcs.size(), from_name, "another number of fully connected layers");
  for (size_t i = 0; i < fcs.size(); ++i) {
    need(fcs[i]->weight.size() == src_fcs[i]->weight.size() && fcs[i]->bias.size() == src_fcs[i]->bias.size(),
         from_name, "fully connected layer " + std::to_string(i + 1) + " has another shape");
    copy_weighted(*fcs[i], *src_fcs[i], int64_t(fcs[i]->weight.size()) / fcs[i]->out_features);
    ++copied;
  }
  auto bns = layers_of<BatchNormLayer>(into);
  auto src_bns = layers_of<BatchNormLayer>(from);
  need(bns.size() == src_bns.size(), from_name, "another number of batch norms");
  for (size_t i = 0; i < bns.size(); ++i) {
    need(bns[i]->mean.size() == src_bns[i]->mean.size() && bns[i]->gamma.size() == src_bns[i]->gamma.size(),
         from_name, "batch norm " + std::to_string(i + 1) + " has another size");
    *bns[i] = *src_bns[i];
    ++copied;
  }
  return copied;
}

}  // namespace ifq::trainer
