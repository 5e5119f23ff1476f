#include "quantnet.hpp"

#include <algorithm>
#include <cmath>

namespace ifq::trainer {

double quantnet_temperature(int step, int total) {
  const double t = total > 1 ? std::clamp(double(step) / double(total - 1), 0.0, 1.0) : 1.0;
  return std::pow(kQuantNetMaxTemperature, t);
}

QuantNetMap::QuantNetMap(torch::Dtype dtype, torch::Device device) {
  // g starts as the identity (v = 0) with its hidden units spread over the
  // normalised weights' range; deterministic, so a run depends on its seed only.
  constexpr int kHidden = 8;
  auto opts = torch::TensorOptions().dtype(dtype).device(device);
  v_ = torch::zeros({kHidden}, opts);
  c_ = torch::ones({kHidden}, opts);
  d_ = torch::linspace(-2.0, 2.0, kHidden, opts);
  e_ = torch::ones({1}, opts);
  for (auto& t : parameters()) t.set_requires_grad(true);
}

torch::Tensor QuantNetMap::map(const torch::Tensor& w) const {
  const torch::Tensor u = w / w.pow(2).mean().sqrt().clamp_min(1e-12);
  const torch::Tensor hidden = torch::tanh(u.unsqueeze(-1) * c_ + d_);  // [..., hidden]
  return e_ * u + (hidden * v_).sum(-1);
}

torch::Tensor QuantNetMap::soft_sign(const torch::Tensor& w, double tau) const { return torch::tanh(tau * map(w)); }

}  // namespace ifq::trainer
