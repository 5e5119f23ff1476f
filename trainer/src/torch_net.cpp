#include "torch_net.hpp"

#include <algorithm>
#include <cmath>

#include "ifq/error.hpp"
#include "ifq/train/weight_quantizers.hpp"
#include "ifq_trainer/trainer.hpp"

namespace ifq::trainer {
namespace {

torch::Tensor to_tensor(const std::vector<float>& v, std::vector<int64_t> shape, torch::Dtype dtype,
                        torch::Device device) {
  auto t = torch::from_blob(const_cast<float*>(v.data()), shape, torch::kFloat32).clone();
  return t.to(device, dtype);
}

std::vector<float> to_vector(const torch::Tensor& t) {
  auto c = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

// A fixed layer's real weights (real_weights; alpha * (q - z) rounded to
// float32 like the tensor it fills). The trainer's formats have one step per layer
// (weight_quantizers.hpp): a file with per-output scales trains from these
// real weights and is re-quantized per layer; a DupNet copy must share its
// filter's alpha.
template <class Layer>
std::vector<float> fixed_real_weights(const Layer& l, int64_t rows, const std::string& where) {
  for (size_t o = 0; o < l.alpha.size(); ++o)
    if (l.alpha[o] != l.alpha[o % size_t(rows)])
      throw Error(where + ": a duplicated copy with its own fixed-weight scale is not supported by the trainer");
  return real_weights(l);
}

// HWGQ forward (levels by comparison with the reference thresholds) and its
// clipped straight-through gradient.
torch::Tensor hwgq(const torch::Tensor& x, int bits, double step, bool ste, torch::Tensor* levels_out) {
  const std::vector<double> thr = hwgq_thresholds(bits, step);
  torch::Tensor level = torch::zeros_like(x, x.options().dtype(torch::kInt32));
  {
    torch::NoGradGuard no_grad;
    for (double t : thr) level += (x > t).to(torch::kInt32);
  }
  if (levels_out) *levels_out = level;
  torch::Tensor q = level.to(x.scalar_type()) * step;
  if (!ste) return q;
  const double clip = double((1 << bits) - 1) * step;
  torch::Tensor pass = ((x > 0) & (x <= clip)).to(x.scalar_type());
  torch::Tensor lin = x * pass;
  return lin + (q - lin).detach();
}

// Darknet max pooling: `pad` total, begin = pad / 2, padding never wins.
torch::Tensor maxpool(const torch::Tensor& x, const MaxPoolLayer& p) {
  torch::Tensor in = x;
  if (p.pad > 0) {
    const int64_t b = p.pad / 2, e = p.pad - p.pad / 2;
    in = torch::constant_pad_nd(x, {b, e, b, e}, -std::numeric_limits<double>::infinity());
  }
  return torch::max_pool2d(in, {p.size, p.size}, {p.stride, p.stride});
}

// BN over the global batch of data-parallel training, as PyTorch's
// SyncBatchNorm: forward sums each rank's per-channel statistics, backward
// the two per-channel gradient sums; the rest is torch's fused per-channel
// arithmetic (fewer passes over the maps than a composite of autograd ops:
// Fashion-MNIST on 2 ranks went from 1,330 to 1,452 images/s).
struct SyncBatchNorm : torch::autograd::Function<SyncBatchNorm> {
  static std::vector<int64_t> reduced_dims(const torch::Tensor& x) {
    std::vector<int64_t> dims{0};
    for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
    return dims;
  }
  static std::vector<int64_t> channel_shape(const torch::Tensor& x) {
    std::vector<int64_t> shape(size_t(x.dim()), 1);
    shape[1] = x.size(1);
    return shape;
  }

  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& gamma,
                               const torch::Tensor& beta, const TorchNet::StatSum* sum, double momentum,
                               double eps, torch::Tensor running_mean, torch::Tensor running_var) {
    const int64_t channels = x.size(1);
    const auto dims = reduced_dims(x);
    // Each rank's mean and variance (torch's stable two-pass), combined as
    // sums of x and x^2 in double, with the element count, in one collective.
    const double local = double(x.numel() / channels);
    auto [local_var, local_mean] = torch::var_mean(x, dims, /*unbiased=*/false, /*keepdim=*/false);
    const torch::Tensor mean_l = local_mean.to(torch::kFloat64);
    const torch::Tensor stats = (*sum)(torch::cat({mean_l * local, (local_var.to(torch::kFloat64) + mean_l * mean_l) * local,
                                                   torch::full({1}, local, mean_l.options())}));
    const double count = stats[2 * channels].item<double>();
    const torch::Tensor mean64 = stats.narrow(0, 0, channels) / count;
    const torch::Tensor var64 = (stats.narrow(0, channels, channels) / count - mean64 * mean64).clamp_min(0);
    const torch::Tensor mean = mean64.to(x.scalar_type()), var = var64.to(x.scalar_type());
    // torch's running update, unbiased variance.
    running_mean.mul_(1 - momentum).add_(mean, momentum);
    running_var.mul_(1 - momentum).add_(var * (count / std::max(count - 1, 1.0)), momentum);
    const torch::Tensor invstd = torch::rsqrt(var + eps);
    ctx->save_for_backward({x, gamma, mean, invstd});
    ctx->saved_data["sum"] = int64_t(reinterpret_cast<intptr_t>(sum));
    ctx->saved_data["count"] = count;
    // (x - mean) * invstd * gamma + beta in one fused pass.
    return torch::batch_norm(x, gamma, beta, mean, var, /*training=*/false, 0.0, eps, false);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &x = saved[0], &gamma = saved[1], &mean = saved[2], &invstd = saved[3];
    const auto* sum = reinterpret_cast<const TorchNet::StatSum*>(intptr_t(ctx->saved_data["sum"].toInt()));
    const double count = ctx->saved_data["count"].toDouble();
    const torch::Tensor dy = grads[0].contiguous();
    const int64_t channels = x.size(1);
    const auto dims = reduced_dims(x);
    const auto shape = channel_shape(x);
    const torch::Tensor centred = x - mean.view(shape);
    const torch::Tensor local_dy = dy.sum(dims), local_dy_xmu = (dy * centred).sum(dims);
    const torch::Tensor global = (*sum)(torch::cat({local_dy, local_dy_xmu}));
    const torch::Tensor mean_dy = global.narrow(0, 0, channels) / count;
    const torch::Tensor mean_dy_xmu = global.narrow(0, channels, channels) / count;
    const torch::Tensor scale = gamma * invstd;
    // dx = gamma*invstd * (dy - mean(dy) - (x - mean) * invstd^2 * mean(dy * (x - mean))), means global.
    const torch::Tensor dx = torch::addcmul(centred * (-scale * invstd * invstd * mean_dy_xmu).view(shape),
                                            dy - mean_dy.view(shape), scale.view(shape));
    // gamma and beta: this rank's part (their gradients are averaged over the ranks afterwards).
    return {dx, local_dy_xmu * invstd, local_dy, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor(),
            torch::Tensor()};
  }
};

}  // namespace

TorchNet::TorchNet(const FloatModel& model, torch::Dtype dtype, bool trainable, torch::Device device)
    : model_(model), dtype_(dtype), trainable_(trainable), device_(device) {
  const std::vector<Shape3> shapes = infer_shapes(model);
  layers_.resize(model.layers.size());
  for (size_t i = 0; i < model.layers.size(); ++i) {
    const Layer& layer = model.layers[i];
    L& l = layers_[i];
    l.kind = int(layer.index());
    const Shape3 in = i ? shapes[i - 1] : shapes[0];
    const std::string where = "layer " + std::to_string(i);
    if (auto* c = std::get_if<ConvLayer>(&layer)) {
      const bool fixed = c->weight_kind == WeightKind::Fixed;
      l.weight = to_tensor(fixed ? fixed_real_weights(*c, c->unique_filters(), where) : c->weight,
                           {c->unique_filters(), int64_t(c->input_repeat) * in.c, c->kernel, c->kernel}, dtype, device);
      if (fixed) l.fixed_bits = c->fixed.bits, l.fixed_format = torch::tensor({double(c->alpha[0]), double(c->fixed.zero_point)}, torch::kFloat64);
      if (!c->bias.empty()) l.bias = to_tensor(c->bias, {c->out_channels}, dtype, device);
      if (!c->alpha.empty()) l.alpha = to_tensor(c->alpha, {c->out_channels}, dtype, device);
    } else if (auto* f = std::get_if<FcLayer>(&layer)) {
      const bool fixed = f->weight_kind == WeightKind::Fixed;
      l.weight = to_tensor(fixed ? fixed_real_weights(*f, f->out_features, where) : f->weight,
                           {f->out_features, in.elements()}, dtype, device);
      if (fixed) l.fixed_bits = f->fixed.bits, l.fixed_format = torch::tensor({double(f->alpha[0]), double(f->fixed.zero_point)}, torch::kFloat64);
      if (!f->bias.empty()) l.bias = to_tensor(f->bias, {f->out_features}, dtype, device);
      if (!f->alpha.empty()) l.alpha = to_tensor(f->alpha, {f->out_features}, dtype, device);
    } else if (auto* bn = std::get_if<BatchNormLayer>(&layer)) {
      const int64_t c = int64_t(bn->mean.size());
      l.mean = to_tensor(bn->mean, {c}, dtype, device);
      l.var = to_tensor(bn->var, {c}, dtype, device);
      if (!bn->gamma.empty()) l.gamma = to_tensor(bn->gamma, {c}, dtype, device);
      if (!bn->beta.empty()) l.beta = to_tensor(bn->beta, {c}, dtype, device);
    } else if (std::holds_alternative<HwgqLayer>(layer)) {
      quant_layers_.push_back(int(i));
    } else if (std::holds_alternative<FlattenLayer>(layer)) {
      throw Error("trainer: flatten layers are not supported (fc layers flatten their input)");
    }
  }
  if (trainable)
    for (auto& t : parameters()) t.set_requires_grad(true);
}

std::vector<torch::Tensor> TorchNet::parameters() const {
  std::vector<torch::Tensor> out;
  for (const L& l : layers_) {
    for (const torch::Tensor* t : {&l.weight, &l.bias, &l.gamma, &l.beta})
      if (t->defined()) out.push_back(*t);
    if (l.quantnet.defined())
      for (const torch::Tensor& t : l.quantnet.parameters()) out.push_back(t);
  }
  return out;
}

std::vector<torch::Tensor> TorchNet::binary_latent_weights() const {
  std::vector<torch::Tensor> out;
  for (size_t i = 0; i < layers_.size(); ++i)
    if (ifq::binary_latent_weights(model_.layers[i])) out.push_back(layers_[i].weight);
  return out;
}

void TorchNet::enable_quantnet() {
  if (!trainable_) throw Error("internal: QuantNet on an evaluation network");
  for (size_t i = 0; i < layers_.size(); ++i)
    if (ifq::binary_latent_weights(model_.layers[i])) layers_[i].quantnet = QuantNetMap(dtype_, device_);
}

std::vector<torch::Tensor> TorchNet::buffers() const {
  std::vector<torch::Tensor> out;
  for (const L& l : layers_)
    for (const torch::Tensor* t : {&l.mean, &l.var, &l.fixed_format, &l.hwgq_step})
      if (t->defined()) out.push_back(*t);
  return out;
}

std::vector<torch::Tensor> TorchNet::bn_statistics() const {
  std::vector<torch::Tensor> out;
  for (const L& l : layers_)
    for (const torch::Tensor* t : {&l.mean, &l.var})
      if (t->defined()) out.push_back(*t);
  return out;
}

bool TorchNet::has_fixed_weights() const {
  for (const L& l : layers_)
    if (l.fixed_bits) return true;
  return false;
}

void TorchNet::refresh_fixed_formats(FixedRule rule) {
  for (L& l : layers_)
    if (l.fixed_bits) {
      const FixedFormat f = fixed_format(rule, to_vector(l.weight), l.fixed_bits);
      l.fixed_format.copy_(torch::tensor({f.step, double(f.zero_point)}, torch::kFloat64));
    }
}

void TorchNet::enable_hwgq_step_refit() {
  for (size_t i = 0; i < layers_.size(); ++i)
    if (auto* q = std::get_if<HwgqLayer>(&model_.layers[i]))
      layers_[i].hwgq_step = torch::tensor({double(q->step)}, torch::kFloat64);
}

void TorchNet::refit_hwgq_steps() {
  for (size_t i = 0; i < layers_.size(); ++i) {
    L& l = layers_[i];
    if (!l.hwgq_step.defined() || l.captured.empty()) continue;
    const int bits = std::get<HwgqLayer>(model_.layers[i]).bits;
    // Rounded to float as the model file stores it: the exported network is
    // the one trained.
    l.hwgq_step.fill_(double(float(piecewise_gaussian_hwgq_step(l.captured, bits))));
    l.captured.clear();
  }
}

torch::Tensor TorchNet::fixed_weight(const L& l) const {
  // Not trainable: the weights are the model's real ones already.
  if (!trainable_ || !fixed_active_) return l.weight;
  const double step = l.fixed_format[0].item<double>(), zero = l.fixed_format[1].item<double>();
  const double lo = fixed_code_min(l.fixed_bits), hi = fixed_code_max(l.fixed_bits);
  // step * (clamp(round(w / step) + z) - z), as fixed_code; identity gradient.
  torch::Tensor q = ((l.weight.detach() / step).round() + zero).clamp(lo, hi);
  return l.weight + ((q - zero) * step - l.weight).detach();
}

torch::Tensor TorchNet::binary_sign(const torch::Tensor& w) const {
  torch::Tensor sign = torch::where(w >= 0, torch::ones_like(w), -torch::ones_like(w));  // sign(0) = +1
  if (!trainable_) return sign;
  torch::Tensor clipped = w.clamp(-1.0, 1.0);
  return clipped + (sign - clipped).detach();
}

torch::Tensor TorchNet::binary_values(const L& l) const {
  return l.quantnet.defined() ? l.quantnet.soft_sign(l.weight, quantnet_tau_) : binary_sign(l.weight);
}

torch::Tensor TorchNet::binarize(const L& l, bool training) const {
  const torch::Tensor& w = l.weight;
  std::vector<int64_t> alpha_shape(size_t(w.dim()), 1);
  alpha_shape[0] = w.size(0);
  if (!trainable_) return binary_sign(w) * l.alpha.view(alpha_shape);
  (void)training;
  // alpha = mean |W| per output, differentiable; the sign's gradient is the
  // hard-tanh straight-through estimator (or QuantNet's sub-network).
  torch::Tensor alpha = w.abs().flatten(1).mean(1).view(alpha_shape);
  return binary_values(l) * alpha;
}

torch::Tensor TorchNet::duplicated_conv(const L& l, const ConvLayer& c, const torch::Tensor& x) const {
  const bool binary = c.weight_kind == WeightKind::Binary;
  torch::Tensor w = binary ? binary_values(l) : l.fixed_bits ? fixed_weight(l) : l.weight;
  // Output o is stored filter o % unique: tiling the unique outputs d times.
  torch::Tensor y = torch::conv2d(x, w, {}, {c.stride, c.stride}, {c.pad, c.pad}).repeat({1, c.duplicate, 1, 1});
  if (binary) {
    // Trainable: each copy's alpha is its stored filter's mean |W| (the
    // copies are tied); otherwise the model's own alpha per output.
    torch::Tensor alpha = trainable_ ? l.weight.abs().flatten(1).mean(1).repeat({c.duplicate}) : l.alpha;
    y = y * alpha.view({1, -1, 1, 1});
  }
  if (l.bias.defined()) y = y + l.bias.view({1, -1, 1, 1});
  return y;
}

torch::Tensor TorchNet::normalize(const torch::Tensor& images_u8) const {
  const auto& in = std::get<InputLayer>(model_.layers[0]);
  std::vector<double> mean(in.mean.begin(), in.mean.end()), stdv(in.std.begin(), in.std.end());
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  torch::Tensor m = torch::from_blob(mean.data(), {1, int64_t(mean.size()), 1, 1}, opts).clone().to(device_, dtype_);
  torch::Tensor s = torch::from_blob(stdv.data(), {1, int64_t(stdv.size()), 1, 1}, opts).clone().to(device_, dtype_);
  return (images_u8.to(device_, dtype_) - m) / s;
}

torch::Tensor TorchNet::synced_batch_norm(const torch::Tensor& x, L& l, double eps) const {
  // A BN without scale or shift gets constant ones / zeros (autograd
  // functions take no undefined tensors); they receive no gradient.
  const torch::Tensor gamma = l.gamma.defined() ? l.gamma : torch::ones_like(l.mean);
  const torch::Tensor beta = l.beta.defined() ? l.beta : torch::zeros_like(l.mean);
  return SyncBatchNorm::apply(x, gamma, beta, &stat_sum_, bn_momentum_, eps, l.mean, l.var);
}

torch::Tensor TorchNet::forward(const torch::Tensor& input, bool training, std::vector<torch::Tensor>* levels,
                                std::vector<torch::Tensor>* conv_inputs) {
  torch::Tensor x = input;
  bool first_conv = true;
  for (size_t i = 1; i < model_.layers.size(); ++i) {
    const Layer& layer = model_.layers[i];
    L& l = layers_[i];
    if (auto* c = std::get_if<ConvLayer>(&layer)) {
      if (conv_inputs && !first_conv) conv_inputs->push_back(x);
      first_conv = false;
      // input_repeat: the filter's channel j reads input channel j % C.
      if (c->input_repeat > 1) x = x.repeat({1, c->input_repeat, 1, 1});
      if (c->duplicate > 1) {
        x = duplicated_conv(l, *c, x);
        continue;
      }
      torch::Tensor w = c->weight_kind == WeightKind::Binary ? binarize(l, training) : l.fixed_bits ? fixed_weight(l) : l.weight;
      x = torch::conv2d(x, w, l.bias, {c->stride, c->stride}, {c->pad, c->pad});
    } else if (auto* f = std::get_if<FcLayer>(&layer)) {
      torch::Tensor w = f->weight_kind == WeightKind::Binary ? binarize(l, training) : l.fixed_bits ? fixed_weight(l) : l.weight;
      x = torch::linear(x.flatten(1), w, l.bias);
    } else if (auto* p = std::get_if<MaxPoolLayer>(&layer)) {
      x = maxpool(x, *p);
    } else if (auto* bn = std::get_if<BatchNormLayer>(&layer)) {
      x = training && stat_sum_ ? synced_batch_norm(x, l, double(bn->eps))
                                : torch::batch_norm(x, l.gamma, l.beta, l.mean, l.var, training, bn_momentum_, double(bn->eps), false);
    } else if (auto* q = std::get_if<HwgqLayer>(&layer)) {
      if (capture_hwgq_inputs_ && l.hwgq_step.defined()) {
        // Every k-th input, at most ~200,000 per layer: enough for the fit.
        const torch::Tensor flat = x.detach().flatten();
        const int64_t stride = std::max<int64_t>(1, flat.numel() / 200000);
        l.captured = to_vector(flat.slice(0, 0, flat.numel(), stride));
      }
      const double step = l.hwgq_step.defined() ? l.hwgq_step.item<double>() : double(q->step);
      torch::Tensor lv;
      x = hwgq(x, q->bits, step, training && trainable_, levels ? &lv : nullptr);
      if (levels) levels->push_back(lv);
    } else if (std::holds_alternative<ReluLayer>(layer)) {
      x = torch::relu(x);
    } else if (auto* lk = std::get_if<LeakyLayer>(&layer)) {
      x = torch::leaky_relu(x, double(lk->slope));
    } else if (std::holds_alternative<RegionLayer>(layer)) {
      // The region head is decoded outside the network.
    }
  }
  // A detector's output keeps its maps: multi-scale training reads the grid size from it.
  if (std::holds_alternative<RegionLayer>(model_.layers.back())) return x;
  return x.flatten(1);
}

FloatModel TorchNet::export_model() const {
  FloatModel out = model_;
  for (size_t i = 0; i < out.layers.size(); ++i) {
    Layer& layer = out.layers[i];
    const L& l = layers_[i];
    auto export_weights = [&](std::vector<float>& weight, std::vector<float>& bias, std::vector<float>& alpha,
                              WeightKind kind, size_t outputs) {
      weight = to_vector(l.weight);
      if (l.bias.defined()) bias = to_vector(l.bias);
      if (kind == WeightKind::Fixed) {
        // The codes of the latent weights in the layer's current format.
        const FixedFormat f{l.fixed_format[0].item<double>(), int(l.fixed_format[1].item<double>())};
        for (float& w : weight) w = float(fixed_code(double(w), f, l.fixed_bits));
        alpha.assign(outputs, float(f.step));
      }
      if (kind == WeightKind::Binary) {
        // alpha = mean |W| per stored filter, in double from the float32
        // weights; output o uses filter o % rows (DupNet copies).
        const size_t rows = size_t(l.weight.size(0)), fan = weight.size() / rows;
        alpha.assign(outputs, 0.0f);
        for (size_t o = 0; o < outputs; ++o) {
          double s = 0;
          for (size_t j = 0; j < fan; ++j) s += std::fabs(double(weight[o % rows * fan + j]));
          alpha[o] = float(s / double(fan));
        }
        // QuantNet deploys sign(g(u)): g(u) is stored as the latent weight,
        // alpha stays the latent weights' mean |w| computed above.
        if (l.quantnet.defined()) {
          torch::NoGradGuard no_grad;
          weight = to_vector(l.quantnet.map(l.weight));
        }
      }
    };
    if (auto* c = std::get_if<ConvLayer>(&layer)) {
      export_weights(c->weight, c->bias, c->alpha, c->weight_kind, size_t(c->out_channels));
      if (l.fixed_bits) c->fixed.zero_point = int(l.fixed_format[1].item<double>());
    } else if (auto* f = std::get_if<FcLayer>(&layer)) {
      export_weights(f->weight, f->bias, f->alpha, f->weight_kind, size_t(f->out_features));
      if (l.fixed_bits) f->fixed.zero_point = int(l.fixed_format[1].item<double>());
    }
    else if (auto* q = std::get_if<HwgqLayer>(&layer); q && l.hwgq_step.defined())
      q->step = float(l.hwgq_step.item<double>());
    else if (auto* bn = std::get_if<BatchNormLayer>(&layer)) {
      bn->mean = to_vector(l.mean);
      bn->var = to_vector(l.var);
      if (l.gamma.defined()) bn->gamma = to_vector(l.gamma);
      if (l.beta.defined()) bn->beta = to_vector(l.beta);
    }
  }
  return out;
}

TorchEvaluation torch_evaluate(const FloatModel& model, const Dataset& data, bool float64, bool record_levels,
                               int threads) {
  const auto shapes = infer_shapes(model);
  if (!(data.shape == shapes[0]))
    throw Error("data images are " + data.shape.str() + " but the model '" + model.name + "' takes " + shapes[0].str());
  torch::set_num_threads(threads);
  torch::NoGradGuard no_grad;
  TorchNet net(model, float64 ? torch::kFloat64 : torch::kFloat32, false, torch::kCPU);
  TorchEvaluation ev;
  ev.quant_layer = net.quant_layers();
  ev.levels.resize(ev.quant_layer.size());
  const int64_t n = data.size(), per = data.shape.elements();
  const int64_t chunk = 500;
  for (int64_t b = 0; b < n; b += chunk) {
    const int64_t m = std::min(chunk, n - b);
    auto u8 = torch::from_blob(const_cast<uint8_t*>(data.images.data() + b * per),
                               {m, data.shape.c, data.shape.h, data.shape.w}, torch::kUInt8);
    std::vector<torch::Tensor> lv;
    torch::Tensor out = net.forward(net.normalize(u8), false, record_levels ? &lv : nullptr);
    // argmax in the evaluation precision, before logits are stored as float.
    torch::Tensor pred = out.argmax(1).to(torch::kInt32).contiguous();
    torch::Tensor logits = out.to(torch::kFloat32).contiguous();
    ev.classes = int(logits.size(1));
    ev.logits.insert(ev.logits.end(), logits.data_ptr<float>(), logits.data_ptr<float>() + logits.numel());
    ev.predictions.insert(ev.predictions.end(), pred.data_ptr<int32_t>(), pred.data_ptr<int32_t>() + m);
    for (size_t q = 0; q < lv.size(); ++q) {
      torch::Tensor t = lv[q].contiguous();
      ev.levels[q].insert(ev.levels[q].end(), t.data_ptr<int32_t>(), t.data_ptr<int32_t>() + t.numel());
    }
  }
  return ev;
}

}  // namespace ifq::trainer
