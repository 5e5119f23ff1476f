#pragma once
// Evaluation helpers of `ifq demo` (no LibTorch): run a converted model over
// test images, fully in integers or with its non-quantized substructures kept
// in float (paper Table 2's protocol), in parallel worker threads.
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "ifq/float_model.hpp"
#include "ifq/int_model.hpp"
#include "ifq/progress.hpp"
#include "ifq/runtime.hpp"
#include "ifq/train/dataset.hpp"
#include "ifq_trainer/trainer.hpp"

namespace ifq::trainer {

using Clock = std::chrono::steady_clock;
inline double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// A progress bar shared by parallel workers (ifq demo, ifq study).
class SharedProgress {
 public:
  SharedProgress(std::string label, int64_t total, std::string unit, int64_t images_per_unit, bool enabled)
      : bar_(std::move(label), total, enabled, std::move(unit)), per_(images_per_unit) {}
  void tick(int64_t units, double loss) {
    std::lock_guard<std::mutex> lock(m_);
    done_ += units;
    if (loss >= 0) loss_ = loss;
    bar_.update(done_, done_ * per_, loss_);
  }
  void finish() {
    std::lock_guard<std::mutex> lock(m_);
    bar_.finish(done_, done_ * per_, loss_);
  }

 private:
  std::mutex m_;
  ProgressBar bar_;
  int64_t per_, done_ = 0;
  double loss_ = -1;
};

// Fashion-MNIST's training and test sets cut to an experiment's budgets:
// the first N images (0: all of them; --quick: 4,000 and 300).
struct FashionSplits {
  Dataset train, test;
};
FashionSplits load_fashion_splits(const std::string& data_dir, int64_t train_images, int64_t test_images, bool quick);

// Calls f(i, worker) for i in [0, n) from `jobs` threads.
void parallel_for(int64_t n, int jobs, const std::function<void(int64_t, int)>& f);

struct EvalOutput {
  std::vector<double> logits;   // n * classes
  int classes = 0;
  int64_t level_mismatches = 0; // integer levels vs the reference levels given
  int64_t levels_compared = 0;
  std::vector<IntTensor> entering_last;  // per image, when asked: the levels entering the last substructure
};

// Quantized substructures in integers, non-quantized ones with the float
// reference evaluator. `reference` (LibTorch's levels) is compared with the
// integer levels at the end of every quantized substructure.
EvalOutput eval_hybrid(const FloatModel& model, const IntModel& int_model, const Dataset& data, int64_t n,
                       const TorchEvaluation* reference, bool keep_entering_last, int jobs,
                       const std::function<void(int64_t)>& tick = {});

// Every op in integers (the deployed IFQ-Net). When `reference` is given,
// the levels of the first threshold op are compared with its first quantizer.
EvalOutput eval_integer(const IntModel& int_model, const Dataset& data, int64_t n, const TorchEvaluation* reference,
                        int jobs, const std::function<void(int64_t)>& tick = {});

// Only the last substructure in integers, from cached entering levels.
EvalOutput eval_last_from_levels(const IntModel& int_model, const std::vector<IntTensor>& entering, int jobs);

// argmax per row.
std::vector<int32_t> argmax_rows(const std::vector<double>& logits, int classes);

}  // namespace ifq::trainer
