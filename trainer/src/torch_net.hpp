#pragma once
// The LibTorch network mirroring a FloatModel layer for layer. Internal to
// ifq_trainer: only torch_net.cpp and trainer_loop.cpp include LibTorch.
#include <torch/torch.h>

#include <functional>
#include <vector>

#include "ifq/float_model.hpp"

namespace ifq::trainer {

class TorchNet {
 public:
  // trainable: latent weights get gradients and binary layers recompute alpha
  // from them on every forward; otherwise alpha comes from the model.
  TorchNet(const FloatModel& model, torch::Dtype dtype, bool trainable, torch::Device device);

  // uint8 NCHW images -> normalised input of the model's dtype.
  torch::Tensor normalize(const torch::Tensor& images_u8) const;
  // Logits [N, classes] (the last layer's output flattened); for a network
  // ending in [region], the raw maps [N, C, H, W]. `levels`, when
  // given, receives every HWGQ layer's integer levels (int32, NCHW).
  torch::Tensor forward(const torch::Tensor& x, bool training, std::vector<torch::Tensor>* levels = nullptr);

  std::vector<torch::Tensor> parameters() const;  // trainable tensors, fixed order
  std::vector<torch::Tensor> buffers() const;     // BN running statistics, fixed order
  FloatModel export_model() const;
  const std::vector<int>& quant_layers() const { return quant_layers_; }
  // Data-parallel training with synchronised BN: `sum` returns its argument
  // summed over every rank; training-mode BN then uses the global batch's
  // statistics (and sums its gradient terms the same way). Unset: each
  // process's own batch (torch's BN).
  using StatSum = std::function<torch::Tensor(const torch::Tensor&)>;
  void set_batch_stat_sum(StatSum sum) { stat_sum_ = std::move(sum); }

 private:
  struct L {
    int kind = 0;  // index into ifq::Layer's variant
    torch::Tensor weight, bias, alpha;               // conv / fc
    torch::Tensor gamma, beta, mean, var;            // batch norm
  };
  torch::Tensor binarize(const L& l, bool training) const;
  // sign(w) with sign(0) = +1; trainable: the hard-tanh straight-through estimator.
  torch::Tensor binary_sign(const torch::Tensor& w) const;
  // A DupNet conv with duplicate > 1 (ConvLayer): the stored filters' outputs
  // tiled, then each output's own alpha and bias.
  torch::Tensor duplicated_conv(const L& l, const ConvLayer& c, const torch::Tensor& x) const;
  // Training-mode BN over the global batch (stat_sum_), updating the running statistics.
  torch::Tensor synced_batch_norm(const torch::Tensor& x, L& l, double eps) const;

  FloatModel model_;  // geometry and hyper-parameters; tensors live in layers_
  std::vector<L> layers_;
  std::vector<int> quant_layers_;
  torch::Dtype dtype_;
  bool trainable_;
  torch::Device device_;
  StatSum stat_sum_;
};

}  // namespace ifq::trainer
