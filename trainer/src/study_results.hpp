#pragma once
// What `ifq study quantizers` measured; filled by study_quantizers.cpp,
// written as Markdown and JSON by study_report.cpp.
#include <cstdint>
#include <string>
#include <vector>

#include "ifq_trainer/study.hpp"

namespace ifq::trainer {

// One weight quantizer on the study network.
struct StudyMethod {
  std::string name;         // e.g. "zero-centred-w4"
  std::string description;
  int weight_bits = 0, activation_bits = 0;
  std::string cfg = "fashion-hwgq.cfg";  // under models/
  std::string weight_quant;   // TrainOptions::weight_quant ("" = the cfg's binary layers)
  std::string step_rule;      // TrainOptions::step_rule ("" = HWGQ's own steps)
  std::string trainer_flags;  // what `ifq train` is given for it
  // Measured:
  double train_seconds = 0, final_loss = 0;
  double float_top1 = 0;        // LibTorch float64, the float quantization network
  double integrated_top1 = 0;   // quantized substructures integer, the rest float (paper Table 2 protocol)
  double integer_top1 = 0;      // every op in integers (fast runtime)
  int64_t integrated_prediction_mismatches = 0;  // vs the float network
  int64_t level_mismatches = 0, levels_compared = 0;  // integrated conversion vs LibTorch
  int64_t model_bytes = 0, weight_bytes = 0, feature_map_peak_bits = 0;
  double ms_per_image = 0;      // fast runtime, 1 thread, median
  int reference_stages = 0;     // fast-runtime stages that fall back to the reference op
  std::string model_file;
};

struct StudyResults {
  StudyOptions options;
  int steps = 0, batch = 0;
  int64_t train_images = 0, test_images = 0;
  int timing_images = 0;
  std::string isa;
  double seconds_total = 0;
  std::vector<StudyMethod> methods;
};

void write_study_report(const StudyResults& results, const std::string& dir);

}  // namespace ifq::trainer
