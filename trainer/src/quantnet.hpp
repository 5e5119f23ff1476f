#pragma once
// QuantNet (Liu et al., ECCV workshops 2020, arXiv 2009.04626) as ifq trains
// it (docs/quantizers.md): a binary layer's weights pass through a small
// differentiable sub-network instead of a straight-through estimator.
//
//   u = w / rms(w)                       the layer's latent weights, normalised
//   g(u) = e*u + sum_j v_j*tanh(c_j*u + d_j)   elementwise, 8 hidden units
//   b = tanh(tau * g(u))                 forward pass: alpha * b
//
// tau is annealed from 1 to kQuantNetMaxTemperature over the run, so b tends
// to exactly +-1 with gradients flowing through tanh and g all along. The
// deployed weight is sign(g(u)) with the layer's usual alpha = mean |w|: the
// exported float model stores g(u) as the latent weight (only its sign is
// read). Internal to ifq_trainer (LibTorch).
#include <torch/torch.h>

#include <vector>

namespace ifq::trainer {

inline constexpr double kQuantNetMaxTemperature = 200.0;

// The temperature at `step` of `total`: geometric from 1 to the maximum.
double quantnet_temperature(int step, int total);

class QuantNetMap {
 public:
  QuantNetMap() = default;
  QuantNetMap(torch::Dtype dtype, torch::Device device);
  bool defined() const { return e_.defined(); }
  torch::Tensor map(const torch::Tensor& w) const;                  // g(u)
  torch::Tensor soft_sign(const torch::Tensor& w, double tau) const;  // tanh(tau * g(u))
  std::vector<torch::Tensor> parameters() const { return {v_, c_, d_, e_}; }

 private:
  torch::Tensor v_, c_, d_, e_;
};

}  // namespace ifq::trainer
