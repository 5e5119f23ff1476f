#pragma once
// Small learnable image sets for trainer tests (no data set package needed):
// class c is a bright bar at row band c on a noisy background.
#include <cstdint>
#include <memory>
#include <vector>

#include "ifq/cfg.hpp"
#include "ifq/float_model.hpp"
#include "ifq_trainer/trainer.hpp"
#include "ifq/train/dataset.hpp"

namespace ifq::testing {

trainer::Dataset synthetic_bars(int64_t count, int classes, Shape3 shape, uint64_t seed);

// A tiny cfg (8x8 grey input). first_last_float: AlexNet-HWGQ style;
// otherwise every layer binary.
// dupnet: the convs share weights (duplicate, input_repeat: ConvLayer).
std::string tiny_cfg(bool first_last_float, int bits, bool dupnet = false);

// Every convolution's weights, concatenated (to compare two trained models).
std::vector<float> conv_weights(const FloatModel& model);

// A 32x32 detector with a [region] head (one anchor, one class), small
// enough to train for a few steps in a test.
extern const char* const kRegionCfg;

// Detection training run straight through, and again stopped after step
// `stop_at` (checkpoint) and resumed in a new trainer: both runs' weights.
struct ResumeRuns {
  std::vector<float> straight, resumed;
  bool interrupted = false;  // the first part stopped early
  int resumed_from = -1;     // the step the second part started at
};
ResumeRuns train_straight_and_resumed(const CfgNetwork& net, const trainer::DetectionDataset& data,
                                      trainer::TrainOptions options, int stop_at, const std::string& dir);

// Trains with `o` (its checkpoint path set), stopping after `stop_at` steps
// as SIGINT would, then resumes in a new trainer, returned trained to the end.
std::unique_ptr<trainer::Trainer> interrupted_then_resumed(const CfgNetwork& net, trainer::TrainOptions o,
                                                           const trainer::Dataset& data, int stop_at);

}  // namespace ifq::testing
