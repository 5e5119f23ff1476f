#include "torch_net.hpp"

#include <cmath>

#include "ifq/error.hpp"
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
    if (auto* c = std::get_if<ConvLayer>(&layer)) {
      l.weight = to_tensor(c->weight, {c->unique_filters(), int64_t(c->input_repeat) * in.c, c->kernel, c->kernel},
                           dtype, device);
      if (!c->bias.empty()) l.bias = to_tensor(c->bias, {c->out_channels}, dtype, device);
      if (!c->alpha.empty()) l.alpha = to_tensor(c->alpha, {c->out_channels}, dtype, device);
    } else if (auto* f = std::get_if<FcLayer>(&layer)) {
      l.weight = to_tensor(f->weight, {f->out_features, in.elements()}, dtype, device);
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
  for (const L& l : layers_)
    for (const torch::Tensor* t : {&l.weight, &l.bias, &l.gamma, &l.beta})
      if (t->defined()) out.push_back(*t);
  return out;
}

std::vector<torch::Tensor> TorchNet::buffers() const {
  std::vector<torch::Tensor> out;
  for (const L& l : layers_)
    for (const torch::Tensor* t : {&l.mean, &l.var})
      if (t->defined()) out.push_back(*t);
  return out;
}

torch::Tensor TorchNet::binary_sign(const torch::Tensor& w) const {
  torch::Tensor sign = torch::where(w >= 0, torch::ones_like(w), -torch::ones_like(w));  // sign(0) = +1
  if (!trainable_) return sign;
  torch::Tensor clipped = w.clamp(-1.0, 1.0);
  return clipped + (sign - clipped).detach();
}

torch::Tensor TorchNet::binarize(const L& l, bool training) const {
  const torch::Tensor& w = l.weight;
  std::vector<int64_t> alpha_shape(size_t(w.dim()), 1);
  alpha_shape[0] = w.size(0);
  if (!trainable_) return binary_sign(w) * l.alpha.view(alpha_shape);
  (void)training;
  // alpha = mean |W| per output, differentiable; the sign's gradient is the
  // hard-tanh straight-through estimator.
  torch::Tensor alpha = w.abs().flatten(1).mean(1).view(alpha_shape);
  return binary_sign(w) * alpha;
}

torch::Tensor TorchNet::duplicated_conv(const L& l, const ConvLayer& c, const torch::Tensor& x) const {
  const bool binary = c.weight_kind == WeightKind::Binary;
  torch::Tensor w = binary ? binary_sign(l.weight) : l.weight;
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

torch::Tensor TorchNet::forward(const torch::Tensor& input, bool training, std::vector<torch::Tensor>* levels) {
  torch::Tensor x = input;
  for (size_t i = 1; i < model_.layers.size(); ++i) {
    const Layer& layer = model_.layers[i];
    L& l = layers_[i];
    if (auto* c = std::get_if<ConvLayer>(&layer)) {
      // input_repeat: the filter's channel j reads input channel j % C.
      if (c->input_repeat > 1) x = x.repeat({1, c->input_repeat, 1, 1});
      if (c->duplicate > 1) {
        x = duplicated_conv(l, *c, x);
        continue;
      }
      torch::Tensor w = c->weight_kind == WeightKind::Binary ? binarize(l, training) : l.weight;
      x = torch::conv2d(x, w, l.bias, {c->stride, c->stride}, {c->pad, c->pad});
    } else if (auto* f = std::get_if<FcLayer>(&layer)) {
      torch::Tensor w = f->weight_kind == WeightKind::Binary ? binarize(l, training) : l.weight;
      x = torch::linear(x.flatten(1), w, l.bias);
    } else if (auto* p = std::get_if<MaxPoolLayer>(&layer)) {
      x = maxpool(x, *p);
    } else if (auto* bn = std::get_if<BatchNormLayer>(&layer)) {
      x = torch::batch_norm(x, l.gamma, l.beta, l.mean, l.var, training, 0.1, double(bn->eps), false);
    } else if (auto* q = std::get_if<HwgqLayer>(&layer)) {
      torch::Tensor lv;
      x = hwgq(x, q->bits, double(q->step), training && trainable_, levels ? &lv : nullptr);
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
      }
    };
    if (auto* c = std::get_if<ConvLayer>(&layer))
      export_weights(c->weight, c->bias, c->alpha, c->weight_kind, size_t(c->out_channels));
    else if (auto* f = std::get_if<FcLayer>(&layer))
      export_weights(f->weight, f->bias, f->alpha, f->weight_kind, size_t(f->out_features));
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
