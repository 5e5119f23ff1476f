// The training loop: SGD (momentum) or Adam, Darknet's step schedule,
// deterministic data order, atomic checkpoints and exact resume.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <filesystem>
#include <sstream>
#include <numeric>

#include "ifq/atomic_file.hpp"
#include "ifq/checksum.hpp"
#include "ifq/error.hpp"
#include "ifq/train/weight_quantizers.hpp"
#include "ifq/train/detection_data.hpp"
#include "ifq/progress.hpp"
#include "ifq/train/region_loss.hpp"
#include "ifq_trainer/trainer.hpp"
#include "attention_transfer.hpp"
#include "dist_group.hpp"
#include "quantnet.hpp"
#include "torch_net.hpp"

namespace ifq::trainer {
namespace {

// CRC-32 of a tensor's values (on the CPU, contiguous): the checkpoint's checksum.
uint32_t crc_of(uint32_t crc, const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kCPU).contiguous();
  return ifq::crc32(crc, c.data_ptr(), size_t(c.nbytes()));
}

torch::Tensor bytes_tensor(const std::string& bytes) {
  return torch::from_blob(const_cast<char*>(bytes.data()), {int64_t(bytes.size())}, torch::kUInt8).clone();
}

// The data order is a pure function of (seed, position): position p of the
// endless stream is element p % N of the permutation of epoch p / N. A
// resumed run therefore needs nothing but the step number.
class SampleStream {
 public:
  SampleStream(int64_t n, uint64_t seed) : n_(n), seed_(seed) {}
  int64_t at(int64_t position) {
    const int64_t epoch = position / n_;
    if (epoch != epoch_) shuffle(epoch);
    return perm_[size_t(position % n_)];
  }

 private:
  void shuffle(int64_t epoch) {
    perm_.resize(size_t(n_));
    std::iota(perm_.begin(), perm_.end(), int64_t(0));
    uint64_t state = seed_ ^ (uint64_t(epoch + 1) * 0xD1B54A32D192ED03ull);
    for (int64_t i = n_ - 1; i > 0; --i) std::swap(perm_[size_t(i)], perm_[splitmix64(state) % uint64_t(i + 1)]);
    epoch_ = epoch;
  }
  int64_t n_;
  uint64_t seed_;
  int64_t epoch_ = -1;
  std::vector<int64_t> perm_;
};

// One GPU per process: rank LOCAL_RANK of a machine takes GPU LOCAL_RANK.
torch::Device pick_device(const DistOptions& dist) {
  if (!torch::cuda::is_available()) return torch::Device(torch::kCPU);
  const int gpus = int(torch::cuda::device_count());
  return torch::Device(torch::kCUDA, c10::DeviceIndex(dist.active() ? dist.local_rank % gpus : 0));
}

}  // namespace

struct Trainer::Impl {
  CfgNetwork network;
  TrainOptions options;
  torch::Device device;
  TorchNet net;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  std::string optimizer_name;
  int step = 0;
  int total_steps = 0;
  int batch = 0;
  double base_lr = 0;
  std::vector<int> lr_steps;
  // Set for networks ending in [region]: they train on detection data with
  // the YOLOv2 region loss instead of softmax cross-entropy.
  bool is_region = false;
  RegionLossParams region;
  Shape3 region_grid;
  double last_iou = 0, last_recall = 0;  // of the latest detection step
  double last_distill = 0;               // its distillation terms
  double last_attention = 0;             // its attention-transfer term (weighted)
  std::unique_ptr<TorchNet> teacher;     // TrainOptions::distill_teacher
  int64_t last_side = 0;                 // its input side (multi-scale)
  // Data-parallel training: the process group (null for one process) and
  // this rank's samples of each global batch.
  std::unique_ptr<DistGroup> group;
  BatchShard shard;
  // Weight averaging (TrainOptions::ema_decay): the moving average of
  // averaged_tensors(), in its order; empty when off or before the first run.
  std::vector<torch::Tensor> ema;

  Impl(const CfgNetwork& n, const TrainOptions& o)
      : network(with_weight_quant(n, o)), options(o), device(pick_device(o.dist)),
        net(network.model, torch::kFloat32, true, device) {
    // Before the optimizer takes the parameters: QuantNet adds its sub-networks'.
    if (options.weight_quant == "quantnet") net.enable_quantnet();
    if (!options.step_rule.empty()) net.enable_hwgq_step_refit();
    const CfgTraining& t = network.training;
    if (options.no_steps && (!options.weight_quant.empty() || !options.step_rule.empty()))
      throw Error("training no steps keeps the weights as they are: --weight-quant and --step-rule need steps");
    total_steps = options.no_steps ? 0 : options.steps > 0 ? options.steps : t.max_batches;
    batch = options.batch > 0 ? options.batch : t.batch;
    shard = batch_shard(batch, options.dist.rank, options.dist.world_size);
    if (options.dist.active()) join_group();
    base_lr = options.learning_rate > 0 ? options.learning_rate : t.learning_rate;
    // A changed step budget moves the schedule's steps proportionally.
    for (int s : t.steps)
      lr_steps.push_back(options.steps > 0 && t.max_batches > 0
                             ? int(int64_t(s) * total_steps / t.max_batches)
                             : s);
    optimizer_name = options.optimizer.empty() ? t.optimizer : options.optimizer;
    const std::string& opt = optimizer_name;
    if (opt != "sgd" && opt != "adam") throw Error("unknown optimizer '" + opt + "' (sgd, adam)");
    auto options_with_decay = [&](double decay) -> std::unique_ptr<torch::optim::OptimizerOptions> {
      if (opt == "sgd") return std::make_unique<torch::optim::SGDOptions>(
          torch::optim::SGDOptions(base_lr).momentum(t.momentum).weight_decay(decay));
      return std::make_unique<torch::optim::AdamOptions>(torch::optim::AdamOptions(base_lr).weight_decay(decay));
    };
    if (!(options.binary_lr_scale > 0))
      throw Error("--binary-lr-scale must be > 0 (got " + c10::str(options.binary_lr_scale) + ")");
    // One group, the cfg's decay and rate on every parameter, unless the
    // binary latent weights get their own decay (--binary-decay) or rate
    // (--binary-lr-scale): then they are a second group (set_lr relies on
    // that place).
    std::vector<torch::optim::OptimizerParamGroup> groups;
    if (separate_binary_group()) {
      std::vector<torch::Tensor> binary = net.binary_latent_weights(), rest;
      for (const torch::Tensor& p : net.parameters())
        if (std::none_of(binary.begin(), binary.end(), [&](const torch::Tensor& b) { return b.is_same(p); }))
          rest.push_back(p);
      groups.emplace_back(rest, options_with_decay(t.decay));
      groups.emplace_back(binary, options_with_decay(separate_binary_decay() ? options.binary_weight_decay : t.decay));
    } else {
      groups.emplace_back(net.parameters(), options_with_decay(t.decay));
    }
    // Every group has its own options, so the optimizer's defaults are not used.
    if (opt == "sgd")
      optimizer = std::make_unique<torch::optim::SGD>(groups, torch::optim::SGDOptions(base_lr));
    else
      optimizer = std::make_unique<torch::optim::Adam>(groups, torch::optim::AdamOptions(base_lr));
    if (auto* r = std::get_if<RegionLayer>(&network.model.layers.back())) {
      is_region = true;
      region = region_loss_params(*r, network.region_params);
      region.box_loss = options.box_loss;
      region.box_loss_weight = options.box_loss_weight;
      region_grid = infer_shapes(network.model).back();
      if (region_grid.c != region.num * (region.coords + 1 + region.classes))
        throw Error("'" + network.model.name + "': the region input has " + std::to_string(region_grid.c) +
                    " channels, num*(coords+1+classes) = " +
                    std::to_string(region.num * (region.coords + 1 + region.classes)));
    }
    if (!(options.distill_attention >= 0))
      throw Error("--distill-attention must be >= 0 (got " + c10::str(options.distill_attention) + ")");
    if (options.distill_attention > 0 && !options.distill_teacher)
      throw Error("--distill-attention needs a distillation teacher (--distill-from MODEL)");
    if (options.distill_teacher) load_teacher(*options.distill_teacher);
    if (!(options.ema_decay >= 0 && options.ema_decay < 1))
      throw Error("--ema must be in [0, 1) (0: off; got " + c10::str(options.ema_decay) + ")");
    // The estimate would be of the last step's weights, not of the average.
    if (options.ema_decay > 0 && options.precise_bn_batches > 0)
      throw Error("--ema and --precise-bn together are not supported: precise BN would re-estimate the statistics "
                  "of the last step's weights, not of the averaged ones");
    if (options.ema_decay > 0 && options.no_steps) throw Error("--ema needs training steps to average");
  }

  // What weight averaging averages: the parameters and the BN statistics.
  // Fixed-weight formats and refitted HWGQ steps are chosen, not learned, and
  // stay those of the last step.
  std::vector<torch::Tensor> averaged_tensors() const {
    std::vector<torch::Tensor> t = net.parameters();
    for (const auto& b : net.bn_statistics()) t.push_back(b);
    return t;
  }

  // After step t (0-based): TensorFlow's ExponentialMovingAverage with
  // num_updates, so the first steps do not drag the initial weights along.
  void update_ema(int t) {
    if (options.ema_decay <= 0) return;
    torch::NoGradGuard no_grad;
    const double d = std::min(options.ema_decay, (1.0 + t) / (10.0 + t));
    const auto current = averaged_tensors();
    for (size_t i = 0; i < ema.size(); ++i) ema[i].mul_(d).add_(current[i].detach(), 1.0 - d);
  }

  void start_ema() {
    if (options.ema_decay <= 0 || !ema.empty()) return;
    for (const auto& t : averaged_tensors()) ema.push_back(t.detach().clone());
  }

  FloatModel export_averaged() {
    if (ema.empty()) return net.export_model();
    torch::NoGradGuard no_grad;
    const auto current = averaged_tensors();
    std::vector<torch::Tensor> last;
    for (size_t i = 0; i < current.size(); ++i) last.push_back(current[i].detach().clone()), current[i].copy_(ema[i]);
    FloatModel m = net.export_model();
    for (size_t i = 0; i < current.size(); ++i) current[i].copy_(last[i]);
    return m;
  }

  void load_teacher(const FloatModel& t) {
    if (!is_region)
      throw Error("distillation needs a network ending in [region]; '" + network.model.name + "' does not");
    const auto* tr = t.layers.empty() ? nullptr : std::get_if<RegionLayer>(&t.layers.back());
    const auto& sr = std::get<RegionLayer>(network.model.layers.back());
    if (!tr) throw Error("distillation teacher '" + t.name + "' does not end in a [region] layer");
    // The teacher's raw outputs are compared entry by entry, so they must decode alike.
    if (tr->num != sr.num || tr->coords != sr.coords || tr->classes != sr.classes || tr->anchors != sr.anchors ||
        tr->scale_x_y != sr.scale_x_y)
      throw Error("distillation teacher '" + t.name +
                  "' has another region layer (num, coords, classes, anchors or scale_x_y) than '" +
                  network.model.name + "'");
    const Shape3 ti = std::get<InputLayer>(t.layers[0]).shape, si = std::get<InputLayer>(network.model.layers[0]).shape;
    const Shape3 tg = infer_shapes(t).back();
    if (ti.c != si.c || ti.w / tg.w != si.w / region_grid.w || ti.h / tg.h != si.h / region_grid.h)
      throw Error("distillation teacher '" + t.name + "' takes " + std::to_string(ti.c) + " channels at stride " +
                  std::to_string(ti.w / tg.w) + ", '" + network.model.name + "' " + std::to_string(si.c) +
                  " at stride " + std::to_string(si.w / region_grid.w));
    if (options.distill_attention > 0) {
      auto convs = [](const FloatModel& m) {
        return std::count_if(m.layers.begin(), m.layers.end(),
                             [](const Layer& l) { return std::holds_alternative<ConvLayer>(l); });
      };
      if (convs(t) != convs(network.model))
        throw Error("--distill-attention: the teacher '" + t.name + "' has " + std::to_string(convs(t)) +
                    " conv layers, '" + network.model.name + "' " + std::to_string(convs(network.model)) +
                    " (attention transfer pairs the input of every conv layer after the first)");
    }
    teacher = std::make_unique<TorchNet>(t, torch::kFloat32, false, device);
  }

  // The teacher's raw region output for the student's batch, on the CPU;
  // `conv_inputs` (attention transfer) stay on the device.
  torch::Tensor teacher_output(const torch::Tensor& images, int64_t side,
                               std::vector<torch::Tensor>* conv_inputs = nullptr) {
    torch::NoGradGuard no_grad;
    torch::Tensor out = teacher->forward(resized(teacher->normalize(images), side), false, nullptr, conv_inputs);
    return out.to(torch::kCPU, torch::kFloat32).contiguous();
  }

  // Multi-scale training: the batch at the step's side (bilinear); 0 keeps it.
  static torch::Tensor resized(torch::Tensor x, int64_t side) {
    if (side == 0 || (side == x.size(2) && side == x.size(3))) return x;
    return torch::nn::functional::interpolate(x, torch::nn::functional::InterpolateFuncOptions()
                                                     .size(std::vector<int64_t>{side, side})
                                                     .mode(torch::kBilinear)
                                                     .align_corners(false));
  }

  static CfgNetwork with_weight_quant(CfgNetwork n, const TrainOptions& o) {
    if (o.retrain_rounds < 1) throw Error("--retrain-rounds must be at least 1");
    if (!o.step_rule.empty() && o.step_rule != "piecewise-gaussian")
      throw Error("unknown --step-rule '" + o.step_rule + "' (piecewise-gaussian)");
    if (!o.step_rule.empty() && o.dist.active())
      throw Error("--step-rule is not supported with data-parallel training yet (each rank would fit its own steps)");
    if (o.weight_quant.empty() || o.weight_quant == "quantnet") return n;  // QuantNet keeps the binary layers
    if (o.weight_quant != "zero-centred" && o.weight_quant != "piecewise-gaussian")
      throw Error("unknown --weight-quant '" + o.weight_quant + "' (zero-centred, piecewise-gaussian, quantnet)");
    n.model = with_fixed_weights(std::move(n.model), o.weight_bits, fixed_rule(o));
    return n;
  }

  static FixedRule fixed_rule(const TrainOptions& o) {
    return o.weight_quant == "piecewise-gaussian" ? FixedRule::PiecewiseGaussian : FixedRule::ZeroCentred;
  }

  // Iterative retraining (TrainOptions::weight_quant): float until the first
  // round, each round starting with a re-quantization. A function of the
  // step alone, so a resumed run continues the same schedule (the formats
  // chosen at a round's start are checkpointed with the BN statistics).
  int float_steps() const { return total_steps / (options.retrain_rounds + 1); }
  int round_length() const { return std::max(1, (total_steps - float_steps()) / options.retrain_rounds); }
  bool starts_round(int s) const {
    const int f = float_steps();
    return s >= f && (s - f) % round_length() == 0 && (s - f) / round_length() < options.retrain_rounds;
  }
  // QuantNet's temperature, a function of the step (quantnet.hpp).
  void schedule_quantnet(int s) {
    if (options.weight_quant == "quantnet") net.set_quantnet_temperature(quantnet_temperature(s, total_steps));
  }

  // Piecewise-Gaussian HWGQ steps: the inputs of step s - 1 are captured and
  // the steps refitted right after it (before a checkpoint can be written),
  // so they change at the same boundary as the weight formats.
  void capture_for_step_refit(int s) {
    if (!options.step_rule.empty()) net.set_capture_hwgq_inputs(starts_round(s + 1));
  }
  void refit_steps_after(int s) {
    if (options.step_rule.empty() || !starts_round(s + 1)) return;
    net.refit_hwgq_steps();
    net.set_capture_hwgq_inputs(false);
  }

  void schedule_fixed_weights(int s) {
    if (!net.has_fixed_weights()) return;
    net.set_fixed_weights_active(s >= float_steps());
    if (starts_round(s)) {
      net.refresh_fixed_formats(fixed_rule(options));
      if (primary() && options.log_every > 0)
        std::printf("step %d: fixed weights re-quantized (round %d of %d)\n", s,
                    1 + (s - float_steps()) / round_length(), options.retrain_rounds);
    }
  }

  void join_group() {
    group = DistGroup::connect(options.dist);
    // Every rank starts from rank 0's weights (they agree already when the
    // seed does; this makes it so for any initialisation).
    take_primary_values(state_tensors());
    if (options.dist.sync_bn)
      net.set_batch_stat_sum([this](const torch::Tensor& x) { return sum_over_ranks(*group, x); });
  }

  // Overwrites `tensors` (parameters or BN buffers) with rank 0's values.
  void take_primary_values(const std::vector<torch::Tensor>& tensors) {
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> copies;
    for (const auto& t : tensors) copies.push_back(t.detach().contiguous().clone());
    group->broadcast_from_primary(copies);
    for (size_t i = 0; i < tensors.size(); ++i) tensors[i].copy_(copies[i]);
  }

  bool primary() const { return options.dist.primary(); }

  std::vector<torch::Tensor> state_tensors() const {
    std::vector<torch::Tensor> state = net.parameters();
    for (const auto& b : net.buffers()) state.push_back(b);
    return state;
  }

  void check_replicas(const std::string& what) {
    uint32_t crc = 0;
    for (const auto& t : state_tensors()) crc = crc_of(crc, t);
    check_replicas_agree(*group, crc, device, what);
  }

  // The mean over ranks of this step's figures, and whether any rank was
  // asked to stop (so every rank stops at the same step).
  void agree(double& loss, bool& stop) {
    if (!group) return;
    const torch::Tensor sum =
        sum_over_ranks(*group, torch::tensor({loss, last_iou, last_recall, stop ? 1.0 : 0.0}, torch::kFloat64).to(device))
            .to(torch::kCPU);
    const double n = group->world_size();
    loss = sum[0].item<double>() / n;
    last_iou = sum[1].item<double>() / n;
    last_recall = sum[2].item<double>() / n;
    stop = sum[3].item<double>() > 0;
  }

  double lr_at(int s) const {
    // Darknet's warm-up (network.c get_current_rate): high rates at the start
    // blow a detector's fresh objectness up to NaN.
    const int burn_in = options.burn_in >= 0 ? options.burn_in : network.training.burn_in;
    if (s < burn_in) return base_lr * std::pow(double(s) / burn_in, network.training.burn_in_power);
    if (network.training.policy == "constant") return base_lr;
    double lr = base_lr;
    for (size_t i = 0; i < lr_steps.size(); ++i)
      if (s >= lr_steps[i]) lr *= network.training.scales[i];
    return lr;
  }

  void set_lr(double lr) {
    auto& groups = optimizer->param_groups();
    for (size_t g = 0; g < groups.size(); ++g) {
      // The second group, when there is one, is the binary latent weights' (constructor).
      const double group_lr = g == 1 ? lr * options.binary_lr_scale : lr;
      if (auto* sgd = dynamic_cast<torch::optim::SGDOptions*>(&groups[g].options())) sgd->lr(group_lr);
      else if (auto* adam = dynamic_cast<torch::optim::AdamOptions*>(&groups[g].options())) adam->lr(group_lr);
    }
  }

  // --binary-decay given, other than the cfg's decay, and binary layers to apply it to.
  bool separate_binary_decay() const {
    return options.binary_weight_decay >= 0 && options.binary_weight_decay != network.training.decay &&
           !net.binary_latent_weights().empty();
  }

  // --binary-lr-scale other than 1, and binary layers to apply it to.
  bool separate_binary_rate() const {
    return options.binary_lr_scale != 1 && !net.binary_latent_weights().empty();
  }

  bool separate_binary_group() const { return separate_binary_decay() || separate_binary_rate(); }

  // A fingerprint of the network so a checkpoint of another one is refused.
  std::string fingerprint() const {
    std::string f = network.model.name + ":";
    for (const auto& t : net.parameters()) f += std::to_string(t.numel()) + ",";
    return f;
  }

  // What a resume must keep to continue the same run: the samples of every
  // step (position = step * batch + b, drawn with the seed) and the
  // optimizer whose state the checkpoint holds (issue 15 findings: another
  // --batch was accepted silently; another --optimizer failed with a raw
  // LibTorch assertion).
  std::string resume_settings() const {
    std::string s = "batch=" + std::to_string(batch) + " seed=" + std::to_string(options.seed) + " optimizer=" + optimizer_name;
    if (!options.step_rule.empty())
      s += " steps=" + options.step_rule + "x" + std::to_string(options.retrain_rounds);
    if (options.ema_decay > 0) s += " ema=" + c10::str(options.ema_decay);
    if (separate_binary_decay()) s += " binary-decay=" + c10::str(options.binary_weight_decay);
    if (separate_binary_rate()) s += " binary-lr-scale=" + c10::str(options.binary_lr_scale);
    if (options.box_loss != BoxLoss::kSquaredError)
      s += std::string(" box-loss=") + box_loss_name(options.box_loss) + ":" + c10::str(options.box_loss_weight);
    if (options.weight_quant == "quantnet") s += " weights=quantnet";
    else if (!options.weight_quant.empty())
      s += " weights=" + options.weight_quant + ":" + std::to_string(options.weight_bits) + "x" +
           std::to_string(options.retrain_rounds);
    return s;
  }

  void save_checkpoint() {
    const std::string& path = options.checkpoint_path;
    if (path.empty() || !primary()) return;  // one writer; every rank holds the same state
    torch::serialize::OutputArchive archive;
    archive.write("step", torch::tensor(int64_t(step)));
    archive.write("fingerprint", bytes_tensor(fingerprint()));
    archive.write("resume_settings", bytes_tensor(resume_settings()));
    auto params = net.parameters(), buffers = net.buffers();
    uint32_t crc = 0;
    for (size_t i = 0; i < params.size(); ++i) {
      archive.write("param." + std::to_string(i), params[i].detach());
      crc = crc_of(crc, params[i]);
    }
    for (size_t i = 0; i < buffers.size(); ++i) {
      archive.write("buffer." + std::to_string(i), buffers[i], true);
      crc = crc_of(crc, buffers[i]);
    }
    for (size_t i = 0; i < ema.size(); ++i) {
      archive.write("ema." + std::to_string(i), ema[i], true);
      crc = crc_of(crc, ema[i]);
    }
    // The optimizer's state as bytes, so that the checksum covers it too.
    torch::serialize::OutputArchive opt;
    optimizer->save(opt);
    std::ostringstream opt_bytes;
    opt.save_to(opt_bytes);
    const std::string state = opt_bytes.str();
    archive.write("optimizer_state", bytes_tensor(state));
    crc = ifq::crc32(crc, state.data(), state.size());
    crc = ifq::crc32(crc, &step, sizeof step);
    archive.write("checksum", torch::tensor(int64_t(crc)));
    write_file_atomic_with(path, [&](const std::string& tmp) {
      try {
        archive.save_to(tmp);
      } catch (const std::exception& e) {
        throw Error("cannot write checkpoint '" + tmp + "': " + e.what());
      }
    });
  }

  void load_checkpoint() {
    const std::string& path = options.checkpoint_path;
    if (path.empty()) throw Error("--resume needs a checkpoint path");
    if (!std::filesystem::exists(path)) throw Error("checkpoint '" + path + "' does not exist (nothing to resume)");
    torch::serialize::InputArchive archive;
    try {
      archive.load_from(path);
      torch::Tensor fp_t;
      archive.read("fingerprint", fp_t);
      std::string fp(reinterpret_cast<const char*>(fp_t.data_ptr<uint8_t>()), size_t(fp_t.numel()));
      if (fp != fingerprint())
        throw Error("checkpoint '" + path + "' belongs to another network (" + fp + " vs " + fingerprint() + ")");
      // Checkpoints written before the settings were recorded have none.
      if (torch::Tensor settings_t; archive.try_read("resume_settings", settings_t)) {
        const std::string settings(reinterpret_cast<const char*>(settings_t.data_ptr<uint8_t>()),
                                   size_t(settings_t.numel()));
        if (settings != resume_settings())
          throw Error("checkpoint '" + path + "' was trained with " + settings + ", this run has " +
                      resume_settings() + ": --resume must keep --batch, --seed and --optimizer");
      }
      torch::Tensor s;
      archive.read("step", s);
      const int saved_step = int(s.item<int64_t>());
      // Read everything and check the checksum before touching the network:
      // a damaged checkpoint leaves the run as it was.
      auto params = net.parameters(), buffers = net.buffers();
      std::vector<torch::Tensor> saved_params(params.size()), saved_buffers(buffers.size());
      uint32_t crc = 0;
      for (size_t i = 0; i < params.size(); ++i) {
        archive.read("param." + std::to_string(i), saved_params[i]);
        if (!saved_params[i].sizes().equals(params[i].sizes()))
          throw Error("checkpoint '" + path + "': parameter shape mismatch");
        crc = crc_of(crc, saved_params[i]);
      }
      for (size_t i = 0; i < buffers.size(); ++i) {
        archive.read("buffer." + std::to_string(i), saved_buffers[i], true);
        if (!saved_buffers[i].sizes().equals(buffers[i].sizes()))
          throw Error("checkpoint '" + path + "': buffer shape mismatch");
        crc = crc_of(crc, saved_buffers[i]);
      }
      // Weight averaging: the resume settings (which name the decay) agree,
      // so a checkpoint without the average was written before it existed.
      std::vector<torch::Tensor> saved_ema;
      if (options.ema_decay > 0) {
        const auto averaged = averaged_tensors();
        for (size_t i = 0; i < averaged.size(); ++i) {
          torch::Tensor e;
          if (!archive.try_read("ema." + std::to_string(i), e, true))
            throw Error("checkpoint '" + path + "' holds no averaged weights (--ema) to resume");
          if (!e.sizes().equals(averaged[i].sizes()))
            throw Error("checkpoint '" + path + "': averaged weight shape mismatch");
          crc = crc_of(crc, e);
          saved_ema.push_back(e);
        }
      }
      torch::serialize::InputArchive opt;
      // Checkpoints written before the checksum hold the optimizer as a
      // nested archive and no checksum.
      if (torch::Tensor state_t; archive.try_read("optimizer_state", state_t)) {
        const std::string state(reinterpret_cast<const char*>(state_t.data_ptr<uint8_t>()), size_t(state_t.numel()));
        crc = ifq::crc32(crc, state.data(), state.size());
        crc = ifq::crc32(crc, &saved_step, sizeof saved_step);
        torch::Tensor sum;
        archive.read("checksum", sum);
        if (uint32_t(sum.item<int64_t>()) != crc)
          throw Error("checkpoint '" + path + "' is damaged: its contents do not match its CRC-32 checksum "
                      "(a flipped bit or a partial copy); resume from an intact copy or start again");
        std::istringstream in(state);
        opt.load_from(in);
      } else {
        archive.read("optimizer", opt);
      }
      torch::NoGradGuard no_grad;
      for (size_t i = 0; i < params.size(); ++i) params[i].copy_(saved_params[i]);
      for (size_t i = 0; i < buffers.size(); ++i) buffers[i].copy_(saved_buffers[i]);
      optimizer->load(opt);
      if (!saved_ema.empty()) {
        ema.clear();
        for (const auto& e : saved_ema) ema.push_back(e.to(device));  // freshly read: nothing shares it
      }
      step = saved_step;
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      throw Error("checkpoint '" + path + "' is unreadable or corrupt: " + std::string(e.what()).substr(0, 300));
    }
  }

  // Fills a uint8 batch for positions [step*batch, (step+1)*batch).
  torch::Tensor make_batch(const Dataset& data, SampleStream& stream, int s, torch::Tensor& labels) {
    const Shape3 shape = data.shape;
    const int64_t per = shape.elements();
    torch::Tensor images = torch::empty({shard.count, shape.c, shape.h, shape.w}, torch::kUInt8);
    labels = torch::empty({shard.count}, torch::kInt64);
    uint8_t* dst = images.data_ptr<uint8_t>();
    int64_t* lab = labels.data_ptr<int64_t>();
    for (int b = 0; b < shard.count; ++b) {
      const int64_t pos = int64_t(s) * batch + shard.first + b;
      const int64_t idx = stream.at(pos);
      std::copy_n(data.images.data() + idx * per, per, dst + b * per);
      lab[b] = data.labels[size_t(idx)];
      if (options.augment.any()) {
        uint64_t rng = options.seed * 0x2545F4914F6CDD1Dull ^ uint64_t(pos);
        augment_image(dst + b * per, shape, options.augment, rng);
      }
    }
    return images;
  }

  TrainStats train(const Dataset& data) {
    if (is_region)
      throw Error("'" + network.model.name +
                  "' ends in a [region] layer: train it on detection data (ifq train --wider-gt FILE --images DIR)");
    check_shape(data.shape, data.size());
    return run(data.size(), [&](SampleStream& stream, int s, bool learn) {
      torch::Tensor labels;
      torch::Tensor x = net.normalize(make_batch(data, stream, s, labels));
      if (!learn) return forward_only(x);
      torch::Tensor logits = net.forward(x, true);
      torch::Tensor loss = torch::nn::functional::cross_entropy(logits, labels.to(device));
      optimizer->zero_grad();
      loss.backward();
      return loss.item<double>();
    });
  }

  TrainStats train(const DetectionDataset& data) {
    if (!is_region)
      throw Error("'" + network.model.name + "' does not end in a [region] layer: detection data cannot train it");
    if (options.augment.crop_pad > 0)
      throw Error("crop augmentation is not supported for detection training (it would move the boxes); use --flip");
    if (int64_t(data.truths.size()) * data.shape.elements() != int64_t(data.images.size()))
      throw Error("detection data: " + std::to_string(data.images.size()) + " image bytes for " +
                  std::to_string(data.truths.size()) + " images of " + data.shape.str());
    const bool photos = !data.photo_sets.empty();
    check_shape(data.shape, photos ? int64_t(data.photo_sets.size()) : data.size());
    if ((options.multi_scale_min > 0) != (options.multi_scale_max > 0) ||
        options.multi_scale_min > options.multi_scale_max || options.multi_scale_min % 32 || options.multi_scale_max % 32)
      throw Error("multi-scale sizes must be multiples of 32 with min <= max (got " +
                  std::to_string(options.multi_scale_min) + ", " + std::to_string(options.multi_scale_max) + ")");
    DetectionAugment augment = options.detection_augment;
    augment.flip = augment.flip || options.augment.flip;  // the classification flag means the same here
    if (photos) {
      if (data.size() > 0) throw Error("detection data: photo sets and fixed images cannot be mixed");
      check_photo_augment(options.photo_augment);
    }
    return run(photos ? 1 : data.size(), [&](SampleStream& stream, int s, bool learn) {
      // The step's input side: one per step, a pure function of (seed, step).
      int64_t side = data.shape.h;
      if (options.multi_scale_max > 0) {
        uint64_t rng = options.seed * 0x9E3779B97F4A7C15ull ^ (uint64_t(s) + 0x5851F42D4C957F2Dull);
        const int sizes = (options.multi_scale_max - options.multi_scale_min) / 32 + 1;
        side = options.multi_scale_min + 32 * int64_t(splitmix64(rng) % uint64_t(sizes));
      }
      // Photo samples are cut at the step's size; fixed images are resized
      // to it (boxes are normalised, so only the pixels change).
      const Shape3 shape = photos ? Shape3{data.shape.c, int(side), int(side)} : data.shape;
      const int64_t per = shape.elements();
      torch::Tensor images = torch::empty({shard.count, shape.c, shape.h, shape.w}, torch::kUInt8);
      std::vector<std::vector<TruthBox>> truths(static_cast<size_t>(shard.count));
      uint8_t* dst = images.data_ptr<uint8_t>();
      for (int b = 0; b < shard.count; ++b) {
        const int64_t pos = int64_t(s) * batch + shard.first + b;
        // Same per-position random source as classification, so resume stays exact.
        uint64_t rng = options.seed * 0x2545F4914F6CDD1Dull ^ uint64_t(pos);
        if (photos) {
          sample_photo_mix(data.photo_sets, options.photo_augment, shape, rng, dst + b * per, truths[size_t(b)]);
          continue;
        }
        const int64_t idx = stream.at(pos);
        std::copy_n(data.images.data() + idx * per, per, dst + b * per);
        truths[size_t(b)] = data.truths[size_t(idx)];
        augment_detection(dst + b * per, shape, truths[size_t(b)], augment, rng);
      }
      const int64_t resize_to = options.multi_scale_max > 0 ? side : 0;  // fixed images keep their shape
      torch::Tensor x = resized(net.normalize(images), resize_to);
      if (!learn) return forward_only(x);
      const bool attending = teacher && options.distill_attention > 0;
      std::vector<torch::Tensor> student_maps, teacher_maps;  // attention transfer's conv inputs
      torch::Tensor out = net.forward(x, true, nullptr, attending ? &student_maps : nullptr);
      torch::Tensor raw = out.detach().to(torch::kCPU, torch::kFloat32).contiguous();
      RegionLossResult r = region_loss(raw.data_ptr<float>(), shard.count, raw.size(2), raw.size(3), region,
                                       truths, int64_t(s) * batch);
      if (teacher) {
        const torch::Tensor t = teacher_output(images, resize_to, attending ? &teacher_maps : nullptr);
        if (t.sizes() != raw.sizes())
          throw Error("distillation teacher output " + c10::str(t.sizes()) + " differs from the student's " +
                      c10::str(raw.sizes()));
        add_region_distillation(raw.data_ptr<float>(), t.data_ptr<float>(), shard.count, raw.size(2), raw.size(3),
                                region, options.distill_weights, r);
      }
      last_distill = r.distill;
      last_iou = r.avg_iou;
      last_recall = r.recall;
      last_side = x.size(2);
      // The loss is computed outside autograd; its gradient w.r.t. the raw
      // output drives backward through the network.
      torch::Tensor grad = torch::from_blob(const_cast<float*>(r.grad.data()), raw.sizes(), torch::kFloat32)
                               .clone()
                               .to(out.device(), out.scalar_type());
      optimizer->zero_grad();
      if (!attending) {
        out.backward(grad);
        return r.loss;
      }
      // Attention transfer is a loss in autograd: one backward for both.
      const torch::Tensor attention = options.distill_attention * attention_transfer_loss(student_maps, teacher_maps);
      last_attention = attention.item<double>();
      torch::autograd::backward({out, attention}, {grad, torch::ones_like(attention)});
      return r.loss + last_attention;
    });
  }

  void check_shape(Shape3 shape, int64_t n) const {
    const Shape3 in = std::get<InputLayer>(network.model.layers[0]).shape;
    if (!(shape == in))
      throw Error("training images are " + shape.str() + " but '" + network.model.name + "' takes " + in.str());
    if (n == 0) throw Error("empty training set");
  }

  // A training-mode forward pass without gradients: updates the BN running
  // statistics only (precise BN).
  double forward_only(const torch::Tensor& x) {
    torch::NoGradGuard no_grad;
    net.forward(x, true);
    return 0.0;
  }

  // Precise BN (TrainOptions::precise_bn_batches): the i-th batch enters the
  // running statistics with weight 1/(i+1), so they end as the mean over all.
  // A pure function of the weights and (seed, step), so a finished run that
  // is resumed re-estimates the same statistics.
  void precise_bn(SampleStream& stream, const std::function<double(SampleStream&, int, bool)>& step_fn,
                  TrainStats& st) {
    const int n = options.precise_bn_batches;
    if (n <= 0) return;
    const auto t0 = std::chrono::steady_clock::now();
    // Stopped part-way, the trained statistics come back (the checkpoint
    // holds them too): a model is never written with a partial estimate.
    std::vector<torch::Tensor> trained;
    for (const auto& b : net.buffers()) trained.push_back(b.detach().clone());
    ProgressBar bar(options.label + " precise BN", n, options.progress && primary(), "batches");
    for (int i = 0; i < n; ++i) {
      bool stop = options.stop && options.stop->load();
      double no_loss = 0;
      agree(no_loss, stop);  // every rank stops at the same batch
      if (stop) {
        torch::NoGradGuard no_grad;
        auto buffers = net.buffers();
        for (size_t j = 0; j < buffers.size(); ++j) buffers[j].copy_(trained[j]);
        net.set_bn_momentum(0.1);
        st.interrupted = true;
        return;
      }
      net.set_bn_momentum(1.0 / (i + 1));
      step_fn(stream, total_steps + i, false);
      bar.update(i + 1, int64_t(i + 1) * batch, -1.0);
    }
    net.set_bn_momentum(0.1);
    if (group && !options.dist.sync_bn) take_primary_values(net.buffers());
    bar.finish(n, int64_t(n) * batch, -1.0);
    st.precise_bn_batches = n;
    if (primary() && options.log_every > 0) {
      std::printf("precise BN: statistics re-estimated over %d batches of %d in %.0f s\n", n, batch,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      std::fflush(stdout);
    }
  }

  // The loop shared by both kinds of data: step_fn builds batch `s`, runs
  // forward and backward and returns the loss (learn = false: the forward
  // pass alone, for precise BN); the optimizer steps here.
  TrainStats run(int64_t n, const std::function<double(SampleStream&, int, bool)>& step_fn) {
    torch::set_num_threads(options.threads);
    TrainStats st;
    st.device = device.is_cuda() ? "cuda" : "cpu";
    if (options.resume) {
      load_checkpoint();  // every rank reads it (a path all ranks can read)
      if (group) check_replicas("weights read from the checkpoint");
      // So a log shows where a run continued (its step lines alone do not).
      if (primary()) std::printf("resumed from %s at step %d/%d\n", options.checkpoint_path.c_str(), step, total_steps);
    }
    start_ema();
    st.first_step = step;
    st.steps_total = total_steps;
    SampleStream stream(n, options.seed);
    ProgressBar bar(options.label, total_steps, options.progress && primary());
    std::vector<double> recent, recent_iou, recent_recall, recent_distill, recent_attention;
    auto push = [](std::vector<double>& v, double x) {
      v.push_back(x);
      if (v.size() > 50) v.erase(v.begin());
    };
    auto mean = [](const std::vector<double>& v) {
      return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
    };
    const auto t0 = std::chrono::steady_clock::now();
    int64_t images = 0;
    bool stop = false;  // agreed over the ranks after each step
    while (step < total_steps) {
      // One process also looks here: on_step (after the agreement) may have
      // raised the flag during the previous step.
      if (stop || (!group && options.stop && options.stop->load())) {
        st.interrupted = true;
        break;
      }
      set_lr(lr_at(step));
      schedule_fixed_weights(step);
      schedule_quantnet(step);
      capture_for_step_refit(step);
      double lv = step_fn(stream, step, true);
      if (group) average_gradients(*group, net.parameters());
      optimizer->step();
      refit_steps_after(step);
      // Per-rank BN (--no-sync-bn) gives each rank its own running
      // statistics; rank 0's are kept, as DDP's broadcast_buffers.
      if (group && !options.dist.sync_bn) take_primary_values(net.buffers());
      update_ema(step);
      stop = options.stop && options.stop->load();
      agree(lv, stop);
      if (!std::isfinite(lv)) throw Error("training diverged at step " + std::to_string(step) + " (loss " + std::to_string(lv) + "); lower the learning rate");
      push(recent, lv);
      if (is_region) push(recent_iou, last_iou), push(recent_recall, last_recall), push(recent_distill, last_distill),
                       push(recent_attention, last_attention);
      ++step;
      images += batch;
      bar.update(step - st.first_step, images, lv);
      if (primary() && options.log_every > 0 && (step % options.log_every == 0 || step == total_steps)) {
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::printf("step %d/%d lr %.3g loss %.4f", step, total_steps, lr_at(step - 1), mean(recent));
        if (is_region) std::printf(" iou %.3f recall %.3f size %lld", mean(recent_iou), mean(recent_recall), (long long)last_side);
        if (teacher) std::printf(" distill %.4f", mean(recent_distill));
        if (teacher && options.distill_attention > 0) std::printf(" attention %.4f", mean(recent_attention));
        const double eta = secs > 0 ? secs * (total_steps - step) / double(step - st.first_step) : 0.0;
        std::printf(" | %.0f images/s %.0f s, ETA %.0f s\n", secs > 0 ? double(images) / secs : 0.0, secs, eta);
        std::fflush(stdout);
      }
      if (options.on_step) options.on_step(step, lv);
      if (options.checkpoint_every > 0 && step % options.checkpoint_every == 0) save_checkpoint();
    }
    st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    st.steps_done = step;
    st.images_per_second = st.seconds > 0 ? double(images) / st.seconds : 0;
    st.final_loss = mean(recent);
    st.avg_iou = mean(recent_iou);
    st.recall = mean(recent_recall);
    bar.finish(step - st.first_step, images, st.final_loss);
    if (group) check_replicas("weights after training");
    if (!options.checkpoint_path.empty()) save_checkpoint();
    // After the final checkpoint, which keeps the training state: a longer
    // continuation (--resume with more --steps) goes on from the trained
    // statistics, and re-running a finished one repeats this exactly.
    if (!st.interrupted) precise_bn(stream, step_fn, st);
    return st;
  }
};

Trainer::Trainer(const CfgNetwork& network, const TrainOptions& options)
    : impl_(std::make_unique<Impl>(network, options)) {}
Trainer::~Trainer() = default;
TrainStats Trainer::train(const Dataset& data) { return impl_->train(data); }
TrainStats Trainer::train(const DetectionDataset& data) { return impl_->train(data); }
FloatModel Trainer::export_model() const { return impl_->export_averaged(); }
FloatModel Trainer::export_last_step_model() const { return impl_->net.export_model(); }
int Trainer::step() const { return impl_->step; }
void Trainer::set_total_steps(int steps) { impl_->total_steps = steps; }

double measure_train_throughput(const CfgNetwork& network, int batch, int steps, int warmup, int threads) {
  const Shape3 in = std::get<InputLayer>(network.model.layers[0]).shape;
  int classes = 0;
  {
    auto shapes = infer_shapes(network.model);
    classes = int(shapes.back().elements());
  }
  Dataset data;
  data.shape = in;
  data.classes = classes;
  const int64_t n = int64_t(batch) * 8;
  uint64_t rng = 12345;
  data.images.resize(size_t(n * in.elements()));
  for (auto& p : data.images) p = uint8_t(splitmix64(rng));
  for (int64_t i = 0; i < n; ++i) data.labels.push_back(int32_t(splitmix64(rng) % uint64_t(classes)));
  TrainOptions o;
  o.threads = threads;
  o.batch = batch;
  o.progress = false;
  o.steps = warmup + steps;
  Trainer tr(network, o);
  if (warmup > 0) {
    tr.set_total_steps(warmup);
    tr.train(data);
  }
  tr.set_total_steps(warmup + steps);
  return tr.train(data).images_per_second;
}

}  // namespace ifq::trainer
