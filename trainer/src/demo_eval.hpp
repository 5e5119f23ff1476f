#pragma once
// Evaluation helpers of `ifq demo` (no LibTorch): run a converted model over
// test images, fully in integers or with its non-quantized substructures kept
// in float (paper Table 2's protocol), in parallel worker threads.
#include <cstdint>
#include <functional>
#include <vector>

#include "ifq/float_model.hpp"
#include "ifq/int_model.hpp"
#include "ifq/runtime.hpp"
#include "ifq/train/dataset.hpp"
#include "ifq_trainer/trainer.hpp"

namespace ifq::trainer {

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
