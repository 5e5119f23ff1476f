#pragma once
// The float tensors a layer of a float model holds, by name: what
// `ifq model-diff` compares and `ifq model-average` averages.
#include <vector>

#include "ifq/float_model.hpp"

namespace ifq::cli {

struct LayerTensor {
  const char* name;
  std::vector<float>* values;
  bool binary_weights;  // latent weights of a binary layer (their signs are what the integer model sees)
};

// Weights, alpha and bias of conv and fc layers; gamma, beta and the running
// mean and variance of BN layers; empty (absent) tensors left out. The HWGQ
// step and other settings are part of the graph (float_model_graph), not here.
inline std::vector<LayerTensor> layer_tensors(Layer& layer) {
  std::vector<LayerTensor> out;
  auto add = [&](const char* name, std::vector<float>& v, bool binary = false) {
    if (!v.empty()) out.push_back({name, &v, binary});
  };
  auto weighted = [&](auto& l) {
    add("weight", l.weight, l.weight_kind == WeightKind::Binary);
    add("alpha", l.alpha);
    add("bias", l.bias);
  };
  if (auto* c = std::get_if<ConvLayer>(&layer)) weighted(*c);
  if (auto* f = std::get_if<FcLayer>(&layer)) weighted(*f);
  if (auto* n = std::get_if<BatchNormLayer>(&layer)) {
    add("gamma", n->gamma);
    add("beta", n->beta);
    add("mean", n->mean);
    add("var", n->var);
  }
  return out;
}

}  // namespace ifq::cli
