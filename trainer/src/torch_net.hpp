#pragma once
// The LibTorch network mirroring a FloatModel layer for layer. Internal to
// ifq_trainer: only torch_net.cpp and trainer_loop.cpp include LibTorch.
#include <torch/torch.h>

#include <functional>
#include <vector>

#include "ifq/float_model.hpp"
#include "ifq/train/weight_quantizers.hpp"
#include "quantnet.hpp"

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
  // given, receives every HWGQ layer's integer levels (int32, NCHW);
  // `conv_inputs`, the feature map entering every conv layer after the first
  // (before any input_repeat), for attention transfer.
  torch::Tensor forward(const torch::Tensor& x, bool training, std::vector<torch::Tensor>* levels = nullptr,
                        std::vector<torch::Tensor>* conv_inputs = nullptr);

  std::vector<torch::Tensor> parameters() const;  // trainable tensors, fixed order
  // The latent weights of binary conv and fc layers (a subset of parameters()).
  std::vector<torch::Tensor> binary_latent_weights() const;
  // BN running statistics, fixed-weight formats and refitted HWGQ steps, fixed order.
  std::vector<torch::Tensor> buffers() const;
  // Every BN layer's running mean and variance (a subset of buffers()).
  std::vector<torch::Tensor> bn_statistics() const;
  // Fixed (multi-bit) weight layers (float_model.hpp) train on latent float
  // weights: while active, the forward pass uses them quantized in their
  // layer's current format (step, zero point) with a straight-through
  // gradient; inactive, the latent weights themselves (the float phase of
  // iterative retraining). refresh_fixed_formats() re-chooses every format
  // from the latent weights by the rule (weight_quantizers.hpp).
  bool has_fixed_weights() const;
  void set_fixed_weights_active(bool active) { fixed_active_ = active; }
  void refresh_fixed_formats(FixedRule rule);
  // QuantNet (quantnet.hpp): every binary layer gets its sub-network (call
  // before parameters() is handed to an optimizer); the temperature is set
  // per step by the trainer.
  void enable_quantnet();
  void set_quantnet_temperature(double tau) { quantnet_tau_ = tau; }
  // Piecewise-Gaussian HWGQ steps (weight_quantizers.hpp): every HWGQ layer's
  // step becomes trained state (a buffer, checkpointed); while capturing,
  // forward keeps a sample of each HWGQ layer's inputs, from which
  // refit_hwgq_steps() chooses the steps.
  void enable_hwgq_step_refit();
  void set_capture_hwgq_inputs(bool capture) { capture_hwgq_inputs_ = capture; }
  void refit_hwgq_steps();
  FloatModel export_model() const;
  const std::vector<int>& quant_layers() const { return quant_layers_; }
  // Data-parallel training with synchronised BN: `sum` returns its argument
  // summed over every rank; training-mode BN then uses the global batch's
  // statistics (and sums its gradient terms the same way). Unset: each
  // process's own batch (torch's BN).
  using StatSum = std::function<torch::Tensor(const torch::Tensor&)>;
  void set_batch_stat_sum(StatSum sum) { stat_sum_ = std::move(sum); }
  // The weight of a training-mode batch in BN's running statistics (torch's
  // momentum, 0.1 while training). Precise BN sets 1/(i+1) for its i-th
  // batch, which makes the running statistics the plain mean over its batches.
  void set_bn_momentum(double momentum) { bn_momentum_ = momentum; }

 private:
  struct L {
    int kind = 0;  // index into ifq::Layer's variant
    torch::Tensor weight, bias, alpha;               // conv / fc
    torch::Tensor gamma, beta, mean, var;            // batch norm
    QuantNetMap quantnet;                            // binary layers under QuantNet
    torch::Tensor hwgq_step;                         // HWGQ with refitted steps: {step} (float64, CPU)
    std::vector<float> captured;                     // a sample of its inputs, while capturing
    int fixed_bits = 0;                              // fixed weights: their bits, and
    torch::Tensor fixed_format;                      // {step, zero point} (float64, CPU)
  };
  // The weights a fixed layer's forward pass uses (see has_fixed_weights).
  torch::Tensor fixed_weight(const L& l) const;
  torch::Tensor binarize(const L& l, bool training) const;
  // The +-1 factors of a binary layer: sign(w) (straight-through when
  // trainable) or, under QuantNet, tanh(tau * g(u)).
  torch::Tensor binary_values(const L& l) const;
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
  bool fixed_active_ = true;
  double quantnet_tau_ = 1.0;
  double bn_momentum_ = 0.1;
  bool capture_hwgq_inputs_ = false;
  torch::Device device_;
  StatSum stat_sum_;
};

}  // namespace ifq::trainer
