#pragma once
// What `ifq demo` measured; filled by demo_experiment.cpp, written as
// Markdown and JSON by demo_report.cpp.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ifq_trainer/demo.hpp"
#include "ifq_trainer/trainer.hpp"

namespace ifq::trainer {

struct MethodResult {
  double top1 = 0, top5 = 0;
  int64_t images = 0;                 // test images it was measured on
  int64_t model_size_bits = 0;
  int64_t feature_map_peak_bits = 0;
  std::string how;                    // one line: what ran in float / integer
  // Against the float quantization network on the same images (-1: not measured).
  int64_t prediction_mismatches = -1;
  int64_t level_mismatches = -1, levels_compared = 0;
};

struct SweepPoint {
  int m = 0;
  double top1 = 0, top5 = 0;
  int64_t images = 0;
  int64_t level_mismatches = -1;      // first sweep: at the first quantizer, vs LibTorch
  int64_t levels_compared = 0;
  int64_t prediction_mismatches = 0;  // vs the float quantization network
};

struct LayerBits {
  int op = 0;
  std::string name;
  int64_t weight_bits = 0, output_bits = 0, model_bits = 0, feature_map_bits = 0;
};

struct VariantResult {
  std::string name;         // "hwgq" or "all_quantized"
  std::string description;
  int k = 0;
  TrainStats train;
  std::string model_file, golden_file;
  std::vector<std::string> substructures;
  std::map<std::string, MethodResult> methods;
  int64_t integrated_vs_float_prediction_mismatches = 0;
  int64_t integrated_level_mismatches = 0, integrated_levels_compared = 0;
  int64_t ifq_net_vs_float_prediction_mismatches = 0;
  int64_t float32_vs_float64_prediction_mismatches = 0;
  int64_t float32_level_mismatches = 0, float32_levels_compared = 0;
  std::vector<SweepPoint> last_sweep, first_sweep;
  int chosen_first_m = -1, chosen_last_m = -1;
  std::vector<LayerBits> bits;  // of the IFQ-Net (chosen m)
};

struct DemoResults {
  DemoOptions options;
  int steps = 0, batch = 0;
  int64_t train_images = 0, test_images = 0, table2_images = 0, sweep_images = 0;
  TrainStats fp32_train;
  MethodResult fp32;
  std::vector<VariantResult> variants;
  double seconds_total = 0, seconds_training = 0, seconds_evaluation = 0;
  double train_images_per_second = 0;  // all parallel trainers together
  std::vector<int> separated_ms;
  std::vector<int> first_ms, last_ms;
  double m_tolerance = 0;
};

// Writes report.md and report.json into options.report_dir (atomically).
void write_demo_report(const DemoResults& results, const std::string& dir);
std::string demo_markdown(const DemoResults& results);

}  // namespace ifq::trainer
