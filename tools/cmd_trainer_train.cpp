// ifq train: HWGQ quantization-aware training of a cfg network with LibTorch,
// then export to a float model file (and optionally a golden parity file).
// Ctrl-C writes a checkpoint and stops; --resume continues exactly.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <csignal>
#include <filesystem>
#include <cstdio>

#include "command_registry.hpp"
#include "ifq/cfg.hpp"
#include "ifq/error.hpp"
#include "ifq/model_io.hpp"
#include "ifq/train/golden.hpp"
#include "ifq/train/init_weights.hpp"
#include "ifq_trainer/trainer.hpp"

namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_sigint(int) { g_stop.store(true); }

// --max-seconds: raises the stop flag Ctrl-C raises once the time is up.
class TimeLimit {
 public:
  explicit TimeLimit(double seconds) {
    if (seconds <= 0) return;
    watcher_ = std::thread([this, seconds] {
      std::unique_lock<std::mutex> lock(mutex_);
      if (!done_cv_.wait_for(lock, std::chrono::duration<double>(seconds), [this] { return done_; })) {
        reached_ = true;
        g_stop.store(true);
      }
    });
  }
  ~TimeLimit() { stop_watching(); }
  // Stops the watch; true when the time ran out first.
  bool reached() {
    stop_watching();
    return reached_;
  }

 private:
  void stop_watching() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    done_cv_.notify_all();
    if (watcher_.joinable()) watcher_.join();
  }
  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
  std::atomic<bool> reached_{false};
  std::thread watcher_;
};

struct TrainFlags {
  std::string cfg, data = "fashion-mnist", data_dir = ifq::trainer::kFashionMnistDir, out, golden;
  std::string checkpoint, optimizer;
  std::string wider_gt, images;  // detection data for networks ending in [region]
  std::vector<std::string> sets;  // real-photo sets: FILE[:WEIGHT[:MIN_FACE[:SOFT]]]
  std::vector<double> zoom;       // {min, max}
  double mosaic = -1, hue = -1, aspect = -1, keep_aspect = -1, min_face = -1;
  int photo_max_side = 0;  // 0: PhotoSetSpec's default
  int64_t max_images = 0;
  std::string imglab, init, init_backbone;  // extra real photos; initial weights
  int imglab_repeat = 1, train_size = 0, burn_in = -1, log_every = 0;
  std::vector<int> multi_scale;         // {min, max}
  std::vector<int> lr_steps;            // replace the cfg's schedule
  std::vector<double> lr_scales;
  double jitter = 0, saturation = 1, exposure = 1;
  int bits = 0, steps = -1, batch = 0, threads = 2, checkpoint_every = 0, golden_samples = 64, crop_pad = 0;
  int resize_short = 0;
  double lr = 0, max_seconds = 0;
  uint64_t seed = 1;
  bool resume = false, flip = false, no_progress = false;
  std::string dist_backend;  // data-parallel training (docs/distributed.md)
  double dist_timeout = 120;
  bool no_sync_bn = false;
  bool no_test = false;
  std::string weight_quant, step_rule;  // docs/quantizers.md
  int weight_bits = 4, retrain_rounds = 2;
  int precise_bn = 0;  // batches of the BN re-estimate after training
  double ema = 0;      // weight averaging decay (0: off)
  double binary_decay = -1;  // weight decay on binary latent weights (< 0: the cfg's decay)
  double binary_lr_scale = 1;  // the binary latent weights' rate over the schedule's
  std::string last_step_out;  // with --ema: the last step's model too
  std::string distill_from;  // float teacher of a detector (region_distill.hpp)
  std::vector<double> distill_weight;  // OBJECT[,COORD]
  double distill_attention = 0;        // attention-transfer weight (0: off)
  std::string box_loss;                // region coordinate term ("": darknet's squared error)
  double box_loss_weight = 0;          // 0: not given
};

ifq::trainer::Dataset load_data(const TrainFlags& f, const std::string& split, ifq::Shape3 shape) {
  if (f.data == "fashion-mnist") return ifq::trainer::load_fashion_mnist(split, f.data_dir);
  // A class-per-folder tree: DIR/train and DIR/val.
  const std::string root = f.data + "/" + (split == "train" ? "train" : "val");
  int64_t skipped = 0;
  auto d = ifq::trainer::load_image_folder(root, shape, f.resize_short > 0 ? f.resize_short : shape.h * 8 / 7, &skipped);
  if (skipped) std::fprintf(stderr, "ifq train: skipped %lld unreadable images under %s\n", (long long)skipped, root.c_str());
  return d;
}

IFQ_REGISTER_COMMAND(
    "train", "train a cfg network with HWGQ quantization-aware training (LibTorch)",
    [](CLI::App& sub) -> std::function<int()> {
      auto f = std::make_shared<TrainFlags>();
      sub.add_option("--cfg", f->cfg, "network cfg file (models/*.cfg)")->required();
      sub.add_option("--data", f->data,
                     "'fashion-mnist' or a folder with train/<class>/* and val/<class>/* images (ImageNet layout)");
      sub.add_option("--data-dir", f->data_dir, "where the Fashion-MNIST IDX files are");
      sub.add_option("--out", f->out, "float model file to write")->required();
      sub.add_option("--golden", f->golden, "also write a golden parity file (test images, levels, logits)");
      sub.add_option("--golden-samples", f->golden_samples, "test images in the golden file")->check(CLI::Range(1, 100000));
      sub.add_option("--bits", f->bits, "override k of every HWGQ layer")->check(CLI::Range(1, 8));
      sub.add_option("--steps", f->steps,
                     "training steps (default: the cfg's max_batches); 0 with --init and --precise-bn: only "
                     "re-estimate the BN statistics of the --init model")
          ->check(CLI::Range(0, 1 << 30));
      sub.add_option("--precise-bn", f->precise_bn,
                     "after the last step, re-estimate every BN layer's statistics as the mean over N training "
                     "batches, the weights fixed (precise BN; integrated conversion builds its thresholds from them)")
          ->check(CLI::Range(1, 1 << 20));
      sub.add_option("--ema", f->ema,
                     "weight averaging: write the exponential moving average of the weights and BN statistics over "
                     "the steps, decay min(DECAY, (1+t)/(10+t)) at step t (e.g. 0.999; docs/training.md)")
          ->check(CLI::Range(0.0, 1.0));
      sub.add_option("--binary-decay", f->binary_decay,
                     "weight decay on the latent weights of binary layers (default: the cfg's decay=, as on every "
                     "other parameter; 0: none, docs/training.md)")
          ->check(CLI::Range(0.0, 1.0));
      sub.add_option("--binary-lr-scale", f->binary_lr_scale,
                     "the learning rate of the latent weights of binary layers as a multiple of the schedule's "
                     "(default 1; e.g. 0.1 for fewer sign flips when fine-tuning, docs/training.md)")
          ->check(CLI::PositiveNumber);
      sub.add_option("--box-loss", f->box_loss,
                     "detectors: the region loss's coordinate term, mse (darknet's squared error, the default), giou "
                     "or diou (an IoU loss of the whole box; docs/training.md)");
      sub.add_option("--box-loss-weight", f->box_loss_weight,
                     "with --box-loss giou|diou: its weight, on top of the cfg's coord_scale (default 1)")
          ->check(CLI::Range(1e-6, 1e6));
      sub.add_option("--last-step-out", f->last_step_out,
                     "--ema: also write the last step's (not averaged) model here, which is the model of the same "
                     "run without --ema");
      sub.add_option("--distill-from", f->distill_from,
                     "detectors: a float teacher model (e.g. the float twin of this quantization network) run on "
                     "every batch; its objectness and boxes are distilled into the network (docs/training.md)");
      sub.add_option("--distill-weight", f->distill_weight,
                     "--distill-from: weight of the objectness KL and of the teacher-box terms, OBJECT[,COORD] "
                     "(default 1,1; one value sets both)")
          ->delimiter(',')
          ->expected(1, 2);
      sub.add_option("--distill-attention", f->distill_attention,
                     "--distill-from: weight of attention transfer, the teacher's spatial attention (mean squared "
                     "activation) at the input of every conv layer after the first taught to the network "
                     "(default 0: off; docs/training.md)")
          ->check(CLI::Range(0.0, 1e6));
      sub.add_option("--batch", f->batch, "batch size (default: the cfg's)")->check(CLI::Range(1, 1 << 16));
      sub.add_option("--lr", f->lr, "initial learning rate (default: the cfg's)")->check(CLI::Range(1e-9, 100.0));
      sub.add_option("--optimizer", f->optimizer, "sgd or adam (default: the cfg's)")->check(CLI::IsMember({"sgd", "adam"}));
      sub.add_option("--threads", f->threads, "LibTorch threads")->check(CLI::Range(1, 256));
      sub.add_option("--seed", f->seed, "seed of weights, data order and augmentation");
      sub.add_option("--checkpoint", f->checkpoint, "checkpoint file (written atomically)");
      sub.add_option("--checkpoint-every", f->checkpoint_every, "steps between checkpoints")->check(CLI::Range(1, 1 << 30));
      sub.add_flag("--resume", f->resume, "continue from --checkpoint");
      sub.add_option("--max-seconds", f->max_seconds,
                     "stop after S seconds of training as Ctrl-C does (checkpoint), then also export the weights "
                     "trained so far to --out (for time-boxed machines; --resume continues)")
          ->check(CLI::Range(1.0, 1e9));
      sub.add_flag("--flip", f->flip, "augment with random horizontal flips");
      sub.add_option("--crop-pad", f->crop_pad, "augment with random crops from a zero border of N pixels")->check(CLI::Range(0, 64));
      sub.add_option("--resize-short", f->resize_short, "image folders: shorter side before the centre crop");
      sub.add_flag("--no-progress", f->no_progress, "no progress bar");
      sub.add_flag("--no-test", f->no_test,
                   "classifiers: skip the test-set evaluation after training (about 8 s for Fashion-MNIST; for "
                   "scripts that only need the weights)");
      sub.add_option("--wider-gt", f->wider_gt,
                     "networks ending in [region]: boxes in WIDER bbx_gt format (e.g. ifq facegen output)");
      sub.add_option("--set", f->sets,
                     "detectors: a real-photo set FILE[:WEIGHT[:MIN_FACE[:SOFT]]] (bbx_gt, images relative to its "
                     "folder), repeatable; sets are drawn by weight and cut into samples on the fly (zoom, crop, mosaic, "
                     "HSV, flip); faces flagged invalid or under MIN_FACE pixels are ignore regions; SOFT: a teacher's "
                     "scored detections (ifq teacher-label --soft-out), whose unlabelled faces are soft objectness "
                     "targets");
      sub.add_option("--zoom", f->zoom, "--set: MIN MAX zoom of a photo relative to the inference view (default 0.5 1.5)")
          ->expected(2);
      sub.add_option("--mosaic", f->mosaic, "--set: share of samples that are a mosaic of four photos (default 0.5)")
          ->check(CLI::Range(0.0, 1.0));
      sub.add_option("--hue", f->hue, "--set: hue turn range, a fraction of a full turn (default 0.02)")
          ->check(CLI::Range(0.0, 0.5));
      sub.add_option("--aspect", f->aspect, "--set: width/height stretch range [1/A, A] (default 1.25)")
          ->check(CLI::Range(1.0, 4.0));
      sub.add_option("--keep-aspect", f->keep_aspect,
                     "--set: share of photos shown letterbox-style instead of stretched (default 0.25)")
          ->check(CLI::Range(0.0, 1.0));
      sub.add_option("--min-face", f->min_face, "--set: faces under N pixels in a sample are ignore regions (default 8)")
          ->check(CLI::Range(0.0, 1000.0));
      sub.add_option("--photo-max-side", f->photo_max_side,
                     "--set: photos are kept in memory with their longer side at most N pixels (default " +
                         std::to_string(ifq::trainer::PhotoSetSpec{}.max_side) +
                         "); a sample zoomed in beyond that copy is upsampled from it (ifq detect reads photos at up "
                         "to 1600)")
          ->check(CLI::Range(16, 100000));
      sub.add_option("--images", f->images, "folder the --wider-gt image paths are relative to (default: its folder)");
      sub.add_option("--max-images", f->max_images, "use at most N detection images")->check(CLI::Range(int64_t(1), int64_t(1) << 40));
      sub.add_option("--imglab", f->imglab, "detectors: also train on the photos of a dlib imglab XML (e.g. training.xml)");
      sub.add_option("--imglab-repeat", f->imglab_repeat,
                     "windows of the training size cut from each --imglab photo (stretched to the cfg's input size)")
          ->check(CLI::Range(1, 100000));
      sub.add_option("--init", f->init,
                     "start from the weights of this float model file (same convolution and BN shapes; e.g. the float "
                     "twin of a quantization network; a DupNet conv may read its input more often or share its "
                     "filters less than the file's and starts as the same function)");
      sub.add_option("--init-backbone", f->init_backbone,
                     "start from the leading convolution and BN layers of this float model whose shapes match (e.g. "
                     "a detector with another head); the rest keeps its fresh weights");
      sub.add_option("--train-size", f->train_size,
                     "detectors: train at N x N input (the network is fully convolutional); the model file keeps the "
                     "cfg's input size")
          ->check(CLI::Range(32, 4096));
      sub.add_option("--multi-scale", f->multi_scale,
                     "detectors: MIN MAX, every step resizes the batch to a random multiple of 32 in [MIN, MAX] (YOLOv2)")
          ->expected(2);
      sub.add_option("--jitter", f->jitter, "detectors: crop-and-stretch jitter (darknet's jitter, e.g. 0.2)")
          ->check(CLI::Range(0.0, 0.45));
      sub.add_option("--saturation", f->saturation, "detectors: saturation factor range [1/S, S] (darknet: 1.5)")
          ->check(CLI::Range(1.0, 10.0));
      sub.add_option("--exposure", f->exposure, "detectors: exposure factor range [1/E, E] (darknet: 1.5)")
          ->check(CLI::Range(1.0, 10.0));
      sub.add_option("--weight-quant", f->weight_quant,
                     "zero-centred | piecewise-gaussian: multi-bit weights instead of the cfg's binary layers; "
                     "quantnet: binarize them with QuantNet's sub-network (docs/quantizers.md)")
          ->check(CLI::IsMember({"zero-centred", "piecewise-gaussian", "quantnet"}));
      sub.add_option("--step-rule", f->step_rule,
                     "piecewise-gaussian: refit every HWGQ step to its inputs at each retraining round (docs/quantizers.md)")
          ->check(CLI::IsMember({"piecewise-gaussian"}));
      sub.add_option("--weight-bits", f->weight_bits, "--weight-quant: bits per weight")->check(CLI::Range(2, 8))->capture_default_str();
      sub.add_option("--retrain-rounds", f->retrain_rounds,
                     "--weight-quant: quantize / fine-tune rounds after the float phase")
          ->check(CLI::Range(1, 100))->capture_default_str();
      sub.add_option("--burn-in", f->burn_in, "learning-rate warm-up steps (default: the cfg's burn_in)")
          ->check(CLI::Range(0, 1 << 30));
      sub.add_option("--lr-steps", f->lr_steps,
                     "replace the cfg's steps= (steps where the rate is multiplied; not rescaled by --steps)")
          ->delimiter(',');
      sub.add_option("--lr-scales", f->lr_scales, "replace the cfg's scales= (one per --lr-steps entry)")->delimiter(',');
      sub.add_option("--log-every", f->log_every, "print a log line (loss, lr, IoU, recall, rate) every N steps")
          ->check(CLI::Range(1, 1 << 30));
      sub.add_option("--dist-backend", f->dist_backend,
                     "data-parallel training over PyTorch's c10d: gloo (CPUs) or nccl (GPUs); reads RANK, WORLD_SIZE, "
                     "LOCAL_RANK, MASTER_ADDR and MASTER_PORT as torchrun or Slurm set them (or start with `ifq launch "
                     "--nproc N -- ifq train ...`); --batch is the global batch; rank 0 prints, checkpoints and writes "
                     "--out (docs/distributed.md)")
          ->check(CLI::IsMember({"gloo", "nccl"}));
      sub.add_option("--dist-timeout", f->dist_timeout,
                     "--dist-backend: seconds to wait for the other ranks (rendezvous and each collective) before "
                     "stopping with an error")
          ->check(CLI::Range(1.0, 86400.0));
      sub.add_flag("--no-sync-bn", f->no_sync_bn,
                   "--dist-backend: BN statistics of each rank's own samples instead of the global batch (faster; "
                   "no longer the same training as one process)");
      return [f]() {
        if (f->resume && f->checkpoint.empty()) throw ifq::Error("--resume needs --checkpoint FILE");
        if (f->no_test && !f->golden.empty()) throw ifq::Error("--golden needs the test images: drop --no-test");
        ifq::trainer::DistOptions dist;
        if (!f->dist_backend.empty())
          dist = ifq::trainer::dist_options_from_env(f->dist_backend, f->dist_timeout, !f->no_sync_bn);
        else if (f->no_sync_bn)
          throw ifq::Error("--no-sync-bn is for --dist-backend");
        // Rank 0 alone writes the log: the other ranks' stdout would repeat
        // it line for line. Their errors still reach stderr.
        if (!dist.primary() && !std::freopen("/dev/null", "w", stdout))
          throw ifq::Error("rank " + std::to_string(dist.rank) + ": cannot silence stdout");
        ifq::CfgOptions co;
        co.seed = f->seed;
        co.quant_bits = f->bits;
        const ifq::Shape3 cfg_input = std::get<ifq::InputLayer>(ifq::load_cfg(f->cfg, co).layers[0]).shape;
        co.width = co.height = f->train_size;
        ifq::CfgNetwork net = ifq::load_cfg_network(f->cfg, co);
        const ifq::Shape3 in = std::get<ifq::InputLayer>(net.model.layers[0]).shape;
        const bool detector = std::holds_alternative<ifq::RegionLayer>(net.model.layers.back());
        if (!detector && (f->train_size > 0 || !f->multi_scale.empty() || f->jitter > 0 || f->saturation > 1 ||
                          f->exposure > 1 || !f->imglab.empty()))
          throw ifq::Error("--train-size, --multi-scale, --jitter, --saturation, --exposure and --imglab are for "
                           "networks ending in [region]; '" + f->cfg + "' does not");
        if (f->lr_steps.size() != f->lr_scales.size())
          throw ifq::Error("--lr-steps has " + std::to_string(f->lr_steps.size()) + " entries, --lr-scales " +
                           std::to_string(f->lr_scales.size()) + "; give one scale per step");
        if (!f->lr_steps.empty()) {
          if (f->steps <= 0) throw ifq::Error("--lr-steps needs --steps (the steps it names are absolute)");
          net.training.policy = "steps";
          net.training.steps = f->lr_steps;
          net.training.scales = f->lr_scales;
          net.training.max_batches = 0;  // the given steps are absolute: --steps does not move them
        }
        if (!f->init.empty() && !f->init_backbone.empty()) throw ifq::Error("give --init or --init-backbone, not both");
        if (f->steps == 0 && (f->init.empty() || f->precise_bn == 0))
          throw ifq::Error("--steps 0 trains nothing: it only re-estimates the BN statistics of a trained model, so "
                           "it needs --init MODEL and --precise-bn N");
        if (!f->last_step_out.empty() && !(f->ema > 0))
          throw ifq::Error("--last-step-out needs --ema (without it the model written is the last step's)");
        if (!(f->ema < 1)) throw ifq::Error("--ema must be below 1 (the average would never move)");
        if (!f->last_step_out.empty() && f->last_step_out == f->out)
          throw ifq::Error("--last-step-out and --out name the same file '" + f->out + "'");
        if (!f->distill_weight.empty() && f->distill_from.empty())
          throw ifq::Error("--distill-weight needs --distill-from MODEL");
        if (f->distill_attention > 0 && f->distill_from.empty())
          throw ifq::Error("--distill-attention needs --distill-from MODEL");
        if (!f->box_loss.empty() && !detector)
          throw ifq::Error("--box-loss is for networks ending in [region]; '" + f->cfg + "' does not");
        const ifq::trainer::BoxLoss box_loss =
            f->box_loss.empty() ? ifq::trainer::BoxLoss::kSquaredError : ifq::trainer::parse_box_loss(f->box_loss);
        if (f->box_loss_weight > 0 && box_loss == ifq::trainer::BoxLoss::kSquaredError)
          throw ifq::Error("--box-loss-weight needs --box-loss giou or diou");
        if (!f->distill_from.empty() && !detector)
          throw ifq::Error("--distill-from is for networks ending in [region]; '" + f->cfg + "' does not");
        for (double w : f->distill_weight)
          if (!(w >= 0 && w <= 1e6)) {
            char got[32];
            std::snprintf(got, sizeof got, "%g", w);
            throw ifq::Error(std::string("--distill-weight must be in [0, 1e6] (got ") + got + ")");
          }
        if (!f->init_backbone.empty()) {
          const int n = ifq::trainer::copy_trained_weights(net.model, ifq::load_float_model(f->init_backbone),
                                                           f->init_backbone, true);
          std::printf("initial weights: %d leading layers from %s\n", n, f->init_backbone.c_str());
        }
        if (!f->init.empty()) {
          const int n = ifq::trainer::copy_trained_weights(net.model, ifq::load_float_model(f->init), f->init);
          std::printf("initial weights: %d layers from %s\n", n, f->init.c_str());
        }
        if (detector && f->wider_gt.empty() && f->sets.empty())
          throw ifq::Error("'" + f->cfg + "' ends in [region]: give detection data with --set FILE or --wider-gt FILE");
        if (!detector && (!f->wider_gt.empty() || !f->sets.empty()))
          throw ifq::Error("--wider-gt and --set are for networks ending in [region]; '" + f->cfg + "' does not");
        if (!f->sets.empty() && (!f->wider_gt.empty() || !f->imglab.empty() || f->jitter > 0))
          throw ifq::Error("--set cannot be combined with --wider-gt, --imglab or --jitter (give every source as a --set)");
        const bool photo_flags = !f->zoom.empty() || f->mosaic >= 0 || f->hue >= 0 || f->aspect >= 0 ||
                                 f->keep_aspect >= 0 || f->min_face >= 0 || f->photo_max_side > 0;
        if (photo_flags && f->sets.empty())
          throw ifq::Error("--zoom, --mosaic, --hue, --aspect, --keep-aspect, --min-face and --photo-max-side need --set");
        ifq::trainer::Dataset train;
        ifq::trainer::DetectionDataset boxes;
        if (!f->sets.empty()) {
          boxes.shape = in;
          int64_t skipped = 0;
          for (const std::string& text : f->sets) {
            ifq::trainer::PhotoSetSpec spec = ifq::trainer::parse_photo_set_spec(text);
            if (f->photo_max_side > 0) spec.max_side = f->photo_max_side;
            boxes.photo_sets.push_back(ifq::trainer::load_photo_set(spec, &skipped));
            const auto& set = boxes.photo_sets.back();
            std::printf("photo set %s: %zu photos, %lld faces, %lld ignore regions, %lld soft (teacher-scored) faces, "
                        "weight %g, largest side %d px\n",
                        set.name.c_str(), set.photos.size(), (long long)set.faces(), (long long)set.ignored(),
                        (long long)set.soft(), set.weight, set.largest_side());
          }
          if (skipped) std::fprintf(stderr, "ifq train: skipped %lld unreadable images\n", (long long)skipped);
        } else if (detector) {
          const std::string root =
              f->images.empty() ? std::filesystem::path(f->wider_gt).parent_path().string() : f->images;
          int64_t skipped = 0;
          boxes = ifq::trainer::load_wider_detection(f->wider_gt, root.empty() ? "." : root, in, &skipped, f->max_images);
          if (!f->imglab.empty())
            ifq::trainer::add_imglab_detection(boxes, f->imglab, cfg_input, f->imglab_repeat, f->seed, &skipped);
          if (skipped) std::fprintf(stderr, "ifq train: skipped %lld unreadable images\n", (long long)skipped);
          std::printf("detection data: %lld images at %s\n", (long long)boxes.size(), in.str().c_str());
        } else {
          train = load_data(*f, "train", in);
        }
        ifq::trainer::TrainOptions o;
        o.threads = f->threads;
        o.seed = f->seed;
        o.steps = std::max(f->steps, 0);
        o.no_steps = f->steps == 0;
        o.precise_bn_batches = f->precise_bn;
        o.ema_decay = f->ema;
        o.binary_weight_decay = f->binary_decay;
        o.binary_lr_scale = f->binary_lr_scale;
        o.box_loss = box_loss;
        if (f->box_loss_weight > 0) o.box_loss_weight = f->box_loss_weight;
        if (box_loss != ifq::trainer::BoxLoss::kSquaredError)
          std::printf("box loss: %s, weight %g\n", ifq::trainer::box_loss_name(box_loss), o.box_loss_weight);
        if (!f->distill_from.empty()) {
          o.distill_teacher = std::make_shared<const ifq::FloatModel>(ifq::load_float_model(f->distill_from));
          if (!f->distill_weight.empty())
            o.distill_weights = {f->distill_weight[0], f->distill_weight.back()};
          o.distill_attention = f->distill_attention;
          std::printf("distillation teacher: %s (weights: objectness %g, boxes %g", f->distill_from.c_str(),
                      o.distill_weights.object, o.distill_weights.coord);
          if (o.distill_attention > 0) std::printf(", attention %g", o.distill_attention);
          std::printf(")\n");
        }
        o.batch = f->batch;
        o.learning_rate = f->lr;
        o.optimizer = f->optimizer;
        o.augment.flip = f->flip;
        o.detection_augment.jitter = f->jitter;
        o.detection_augment.saturation = f->saturation;
        o.detection_augment.exposure = f->exposure;
        {
          ifq::trainer::PhotoAugment& pa = o.photo_augment;
          pa.inference_side = cfg_input.w;
          if (!f->zoom.empty()) pa.zoom_min = f->zoom[0], pa.zoom_max = f->zoom[1];
          if (f->mosaic >= 0) pa.mosaic = f->mosaic;
          if (f->hue >= 0) pa.hue = f->hue;
          if (f->aspect >= 0) pa.aspect = f->aspect;
          if (f->keep_aspect >= 0) pa.keep_aspect = f->keep_aspect;
          if (f->min_face >= 0) pa.min_face = f->min_face;
          pa.flip = f->flip;
          pa.saturation = f->saturation;
          pa.exposure = f->exposure;
        }
        if (!f->multi_scale.empty()) o.multi_scale_min = f->multi_scale[0], o.multi_scale_max = f->multi_scale[1];
        o.burn_in = f->burn_in;
        o.weight_quant = f->weight_quant;
        o.weight_bits = f->weight_bits;
        o.retrain_rounds = f->retrain_rounds;
        o.step_rule = f->step_rule;
        o.log_every = f->log_every;
        o.augment.crop_pad = f->crop_pad;
        o.checkpoint_path = f->checkpoint;
        o.checkpoint_every = f->checkpoint_every;
        o.resume = f->resume;
        o.progress = !f->no_progress;
        o.label = net.model.name;
        o.stop = &g_stop;
        o.dist = dist;
        auto previous = std::signal(SIGINT, on_sigint);
        ifq::trainer::Trainer trainer(net, o);
        TimeLimit limit(f->max_seconds);
        const auto st = detector ? trainer.train(boxes) : trainer.train(train);
        const bool time_up = limit.reached();
        std::signal(SIGINT, previous);
        if (st.interrupted && time_up) {
          std::fprintf(stderr, "stopped by --max-seconds at step %d/%d; checkpoint %s (continue with --resume)\n",
                       st.steps_done, st.steps_total,
                       f->checkpoint.empty() ? "not written (no --checkpoint)" : f->checkpoint.c_str());
        } else if (st.interrupted) {
          std::fprintf(stderr, "interrupted at step %d/%d; checkpoint %s (continue with --resume)\n", st.steps_done,
                       st.steps_total, f->checkpoint.empty() ? "not written (no --checkpoint)" : f->checkpoint.c_str());
          return 130;
        }
        std::printf("trained %d steps on %s in %.1f s: %.0f images/s, final loss %.4f\n", st.steps_done - st.first_step,
                    st.device.c_str(), st.seconds, st.images_per_second, st.final_loss);
        if (!dist.primary()) return 0;  // rank 0 writes the model (every rank holds the same, checked)
        auto write = [&](ifq::FloatModel m, const std::string& path, const char* what) {
          // Fully convolutional: the weights trained at --train-size run at the cfg's input size.
          std::get<ifq::InputLayer>(m.layers[0]).shape = cfg_input;
          ifq::save_float_model(m, path);
          std::printf("wrote %s%s\n", path.c_str(), what);
          return m;
        };
        const ifq::FloatModel model = write(trainer.export_model(), f->out, f->ema > 0 ? " (averaged weights)" : "");
        if (!f->last_step_out.empty())
          write(trainer.export_last_step_model(), f->last_step_out, " (the last step's weights)");
        if (detector) return 0;  // detection evaluation: ifq detect / ifq eval-fddb
        if (f->no_test) return 0;
        auto test = load_data(*f, "t10k", in);
        const auto ev = ifq::trainer::torch_evaluate(model, test, true, false, f->threads);
        const auto acc = ifq::trainer::accuracy_from_logits(ev.logits, ev.classes, test.labels);
        std::printf("test top-1 %.4f top-5 %.4f (%lld images, LibTorch float64)\n", acc.top1, acc.top5,
                    (long long)test.size());
        if (!f->golden.empty()) {
          ifq::trainer::save_golden(ifq::trainer::make_golden(model, test.head(f->golden_samples), f->threads), f->golden);
          std::printf("wrote %s (%d samples)\n", f->golden.c_str(), int(std::min<int64_t>(f->golden_samples, test.size())));
        }
        return 0;
      };
    });

}  // namespace
