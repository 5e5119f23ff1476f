#pragma once
// HWGQ quantization-aware training with LibTorch (docs/training.md). This
// header does not include LibTorch: the CLI and the demo use it without the
// ~20 s / 1.4 GB cost of <torch/torch.h>.
//
// The trainable network is built from a FloatModel (normally from a cfg
// file, whose random weights become the initial weights) and exported back to
// one; its forward pass follows the reference evaluator's semantics:
//   binary weights  alpha[o] * sign(W), sign(0) = +1, alpha = mean |W| per
//                   output, straight-through gradient clipped at |W| <= 1
//   hwgq            level = #{i : x > thr_i}, thr = {0, 1.5s, 2.5s, ...};
//                   gradient 1 for 0 < x <= (2^k - 1)s, else 0
//   batch norm      batch statistics while training, running ones otherwise
//   max pooling     Darknet geometry (total padding, begin = pad / 2)
#include <atomic>
#include <functional>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ifq/cfg.hpp"
#include "ifq/float_model.hpp"
#include "ifq/train/accuracy.hpp"
#include "ifq/train/box_iou_loss.hpp"
#include "ifq/train/dataset.hpp"
#include "ifq/train/golden.hpp"
#include "ifq/train/detection_data.hpp"
#include "ifq/train/region_distill.hpp"
#include "ifq/train/dist_env.hpp"

namespace ifq::trainer {

struct TrainOptions {
  int threads = 2;              // LibTorch intra-op threads
  uint64_t seed = 1;            // data order and augmentation
  int steps = 0;                // 0: the cfg's max_batches; else the cfg's lr steps scale with it
  int batch = 0;                // 0: the cfg's batch; the global batch when distributed
  double learning_rate = 0;     // 0: the cfg's
  std::string optimizer;        // "": the cfg's (sgd | adam)
  Augment augment;
  // Detection networks: jitter/colour/flip per sample (detection_data.hpp)
  // and YOLOv2's multi-scale training: every step resizes the batch to a
  // random multiple of 32 in [multi_scale_min, multi_scale_max] (0 = off).
  DetectionAugment detection_augment;
  PhotoAugment photo_augment;   // detection data from photo sets (DetectionDataset::photo_sets)
  int multi_scale_min = 0, multi_scale_max = 0;
  int burn_in = -1;             // warm-up steps (-1: the cfg's burn_in)
  // Multi-bit weights (docs/quantizers.md). "zero-centred": every binary
  // layer of the cfg becomes weight_bits-bit zero-centred fixed point (Kim &
  // Kim 2021), trained by iterative retraining: the first 1/(R+1) of the
  // steps in float, then R = retrain_rounds rounds that each re-quantize
  // (choose every layer's format from its current weights) and fine-tune
  // with the weights quantized. "quantnet": the cfg's binary layers are
  // binarized by QuantNet's annealed sub-network instead of a
  // straight-through sign (quantnet.hpp). "" keeps the cfg's binary layers.
  // "piecewise-gaussian" is the same with the format chosen by
  // piecewise_gaussian_format (any step, not a power of two).
  std::string weight_quant;
  int weight_bits = 4;
  int retrain_rounds = 2;
  // "piecewise-gaussian": every HWGQ layer's step is refitted to its inputs
  // (piecewise_gaussian_hwgq_step) at the same points as the weight formats:
  // after the float phase and at each round's start (with no weight_quant,
  // the same schedule). "" keeps the cfg's HWGQ steps.
  std::string step_rule;
  // Precise BN (Wu & Johnson 2021, "Rethinking 'Batch' in BatchNorm"; pycls
  // PreciseBN): after the last step, the BN running statistics are
  // re-estimated as the mean over this many training batches, the weights
  // fixed. With momentum 0.1 they reflect the last ~10 batches only, and the
  // thresholds of integrated conversion are made from them. The batches are
  // those the steps after the last would draw (same seed, same sampler).
  int precise_bn_batches = 0;
  // Weight averaging (YOLOv5's ModelEMA; Polyak averaging): after every
  // step, an exponential moving average of the parameters and of the BN
  // running statistics is updated with decay min(ema_decay, (1 + t)/(10 + t))
  // at step t (TensorFlow's ExponentialMovingAverage num_updates ramp), and
  // export_model() returns the averaged network. The average never feeds
  // back into training, so the steps are those of the same run without it
  // (export_last_step_model() gives that run's model). 0 = off.
  double ema_decay = 0;
  // Weight decay on the latent weights of binary layers; < 0: the cfg's
  // decay, as on every other parameter. With Adam's L2 decay, a latent weight
  // whose loss gradient is below Adam's epsilon is multiplied by about
  // 1 - lr * decay / epsilon per step: at the cfg's decay and the schedule's
  // lower rates it collapses to zero, at the higher ones its sign flips every
  // step (docs/training.md, "Weight decay on binary weights").
  double binary_weight_decay = -1;
  // The binary latent weights' learning rate as a multiple of the schedule's
  // (every other parameter keeps the schedule's). Adam's step is about lr
  // whatever the gradient's size, so where the latent weights are of the
  // order of lr x sqrt(steps) their signs random-walk; a smaller rate gives
  // each sign more inertia (Helwegen et al. 2019; docs/training.md,
  // "Learning rate of binary weights"). 1 = the schedule's.
  double binary_lr_scale = 1;
  // Detectors: the coordinate term of the region loss (RegionLossParams):
  // darknet's squared error, or a GIoU/DIoU box loss times box_loss_weight.
  BoxLoss box_loss = BoxLoss::kSquaredError;
  double box_loss_weight = 1;
  // Train no steps (total 0): with precise_bn_batches, re-estimate the BN
  // statistics of the initial weights (e.g. ifq train --init M --steps 0).
  bool no_steps = false;
  // Distillation (networks ending in [region]; region_distill.hpp): this
  // float teacher, normally the float twin of the quantization network being
  // trained, runs on every batch with its running BN statistics, and its
  // region output adds the distillation terms to the region loss. It must
  // have the same region layer (anchors, classes) and output grid.
  std::shared_ptr<const FloatModel> distill_teacher;
  DistillWeights distill_weights;
  // With a teacher: weight of attention transfer (attention_transfer.hpp in
  // trainer/src) on the input of every conv layer after the first, the
  // teacher's maps against the student's; 0 = off (the run is then the one
  // without the option). The two networks must have the same conv layers.
  double distill_attention = 0;
  std::string checkpoint_path;  // "" = no checkpoints
  int checkpoint_every = 0;     // steps between checkpoints (0 = only at the end / on stop)
  bool resume = false;          // continue from checkpoint_path
  bool progress = true;         // progress bar on stderr
  int log_every = 0;            // > 0: a log line (loss, lr, detection IoU/recall, rate) on stdout every N steps
  std::string label;            // shown in front of the progress bar
  const std::atomic<bool>* stop = nullptr;  // set (e.g. by SIGINT) to checkpoint and return
  // Called after every step (step number, loss); used for a shared progress
  // bar when several trainers run in parallel threads.
  std::function<void(int step, double loss)> on_step;
  // Data-parallel training over c10d (docs/distributed.md): each rank trains
  // its shard of every global batch, gradients are averaged, and only rank 0
  // prints, checkpoints and should write the model.
  DistOptions dist;
};

struct TrainStats {
  int first_step = 0;           // where this call started (> 0 after --resume)
  int steps_done = 0;           // total steps trained so far
  int steps_total = 0;
  bool interrupted = false;
  double seconds = 0;           // wall time of this call's steps
  double images_per_second = 0;
  double final_loss = 0;        // mean loss of the last (up to) 50 steps
  // Detection: mean over the last (up to) 50 steps of the responsible
  // predictions' IoU with their truths and of the recall at IoU 0.5.
  double avg_iou = 0, recall = 0;
  int precise_bn_batches = 0;   // batches the BN statistics were re-estimated over (0: not done)
  std::string device;           // "cpu" or "cuda"
};

class Trainer {
 public:
  Trainer(const CfgNetwork& network, const TrainOptions& options);
  ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  // Trains until the step budget is reached or options.stop is set. Needs a
  // data set whose image shape matches the network input.
  TrainStats train(const Dataset& data);
  // Networks ending in [region]: the YOLOv2 region loss (region_loss.hpp) on
  // detection data; the augmentation may only flip (boxes flip with it).
  TrainStats train(const DetectionDataset& data);
  // The current network as a float model file's content (BN running
  // statistics, alpha recomputed from the latent weights, HWGQ steps).
  // With TrainOptions::ema_decay, the averaged weights and statistics.
  FloatModel export_model() const;
  // The network of the last step (the same as export_model() without
  // averaging).
  FloatModel export_last_step_model() const;
  int step() const;
  // Changes the step budget (the lr schedule stays as constructed).
  void set_total_steps(int steps);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// LibTorch evaluation of a float model (the "float quantization network" of
// the tables), in float64 (the reference evaluator's precision) or float32.
struct TorchEvaluation {
  int classes = 0;
  std::vector<float> logits;                    // count * classes
  std::vector<int32_t> predictions;             // argmax per image
  std::vector<int> quant_layer;                 // model layer index of each HWGQ layer
  std::vector<std::vector<int32_t>> levels;     // [hwgq][count * C*H*W], when recorded
};
TorchEvaluation torch_evaluate(const FloatModel& model, const Dataset& data, bool float64, bool record_levels,
                               int threads = 2);

// The attention-transfer loss (TrainOptions::distill_attention, unweighted)
// of `student` against `teacher` on `images`, both in evaluation mode: the
// mean over images of the sum over conv inputs of ‖q_s − q_t‖². Throws
// ifq::Error when the networks' conv inputs do not pair up.
double attention_transfer_gap(const FloatModel& student, const FloatModel& teacher, const Dataset& images,
                              int threads = 2);

// Runs `model` in LibTorch (float64, the reference evaluator's precision) on
// every image of `samples` and records its levels and logits (a golden parity
// file, ifq/train/golden.hpp). The logits are stored from LibTorch's float32
// copy, so compare them with a tolerance.
GoldenFile make_golden(const FloatModel& model, const Dataset& samples, int threads = 2);

// Training throughput (images/s) of `steps` SGD steps on random images after
// `warmup` untimed steps, for the benchmark.
double measure_train_throughput(const CfgNetwork& network, int batch, int steps, int warmup, int threads);

}  // namespace ifq::trainer
