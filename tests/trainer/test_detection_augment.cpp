// Detector training with augmentation: multi-scale training resumes
// exactly, the burn-in and --init plumbing. (The augmentation itself,
// LibTorch-free: tests/train/test_detection_augment.cpp.)
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <random>

#include "ifq/cfg.hpp"
#include "ifq/detect/image.hpp"
#include "ifq/error.hpp"
#include "ifq/reference_eval.hpp"
#include "ifq/train/detection_data.hpp"
#include "ifq/train/init_weights.hpp"
#include "ifq_trainer/trainer.hpp"
#include "box_images.hpp"
#include "synthetic_data.hpp"
#include "temp_dir.hpp"

namespace ifq {
namespace {

using testing::mean_inside;
using testing::white_boxes;

using testing::kRegionCfg;

trainer::DetectionDataset boxes_data(int n) {
  trainer::DetectionDataset d;
  d.shape = {3, 32, 32};
  for (int i = 0; i < n; ++i) {
    const detect::Box b{double(2 + 3 * i), double(4 + 2 * i), 10, 12};
    const auto img = white_boxes(d.shape, {b});
    d.images.insert(d.images.end(), img.begin(), img.end());
    d.truths.push_back({{(b.x + b.w / 2) / 32, (b.y + b.h / 2) / 32, b.w / 32, b.h / 32, 0}});
  }
  return d;
}

TEST(DetectionAugment, CfgBurnInIsRead) {
  const CfgNetwork net = parse_cfg(kRegionCfg, "r.cfg");
  EXPECT_EQ(net.training.burn_in, 3);
  EXPECT_EQ(net.training.burn_in_power, 2);
}

// Multi-scale resizes every batch (sizes 32..96 here, grids 16..48); with
// jitter, colour and flip on, a stopped and resumed run equals a straight one.
TEST(DetectionAugment, MultiScaleTrainingResumesExactly) {
  testing::TempDir dir;
  const CfgNetwork net = parse_cfg(kRegionCfg, "r.cfg");
  const auto data = boxes_data(6);
  trainer::TrainOptions o;
  o.threads = 1;
  o.steps = 8;
  o.progress = false;
  o.multi_scale_min = 32;
  o.multi_scale_max = 96;
  o.detection_augment.flip = true;
  o.detection_augment.jitter = 0.2;
  o.detection_augment.saturation = o.detection_augment.exposure = 1.5;
  const auto runs = testing::train_straight_and_resumed(net, data, o, 5, dir.file(""));
  EXPECT_TRUE(runs.interrupted);
  EXPECT_EQ(runs.resumed_from, 5);
  EXPECT_EQ(runs.resumed, runs.straight);

  auto bad = o;
  bad.multi_scale_max = 100;  // not a multiple of 32
  trainer::Trainer t(net, bad);
  EXPECT_THROW(t.train(data), Error);
}

TEST(DetectionAugment, InitCopiesTrainedWeightsIntoTheBinaryTwin) {
  CfgOptions co;
  co.seed = 1;
  const FloatModel from = parse_cfg(kRegionCfg, "r.cfg", co).model;
  std::string binary_cfg = kRegionCfg;
  binary_cfg.replace(binary_cfg.find("activation=leaky"), 16, "binary=1\nactivation=hwgq\nquant_bits=2");
  co.seed = 2;
  FloatModel into = parse_cfg(binary_cfg, "b.cfg", co).model;
  ASSERT_NE(testing::conv_weights(into), testing::conv_weights(from));
  EXPECT_EQ(trainer::copy_trained_weights(into, from, "from.ifqf"), 4);  // 2 convs, 2 BNs
  EXPECT_EQ(testing::conv_weights(into), testing::conv_weights(from));
  const auto& conv = std::get<ConvLayer>(into.layers[1]);
  ASSERT_EQ(conv.weight_kind, WeightKind::Binary);
  double mean_abs = 0;
  for (int i = 0; i < 27; ++i) mean_abs += std::fabs(conv.weight[size_t(i)]);
  EXPECT_NEAR(conv.alpha[0], mean_abs / 27, 1e-6);
  // Another shape is refused with the file named.
  std::string wider = kRegionCfg;
  wider.replace(wider.find("filters=8"), 9, "filters=16");
  FloatModel other = parse_cfg(wider, "w.cfg").model;
  try {
    trainer::copy_trained_weights(other, from, "from.ifqf");
    ADD_FAILURE() << "mismatched shapes accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("from.ifqf"), std::string::npos) << e.what();
  }
  EXPECT_THROW(trainer::copy_trained_weights(other, from, "from.ifqf", true), Error);  // not even the first fits
  // --init-backbone: a new head (the last conv and its BN wider) keeps its own weights, the rest is copied.
  std::string new_head = kRegionCfg;
  new_head.replace(new_head.find("filters=6"), 9, "filters=12");
  new_head.replace(new_head.find("anchors=1.5,1.5\nnum=1"), 21, "anchors=1.5,1.5,3,3\nnum=2");
  FloatModel headed = parse_cfg(new_head, "h.cfg", co).model;
  auto convs = [](const FloatModel& m) {
    std::vector<std::vector<float>> w;
    for (const Layer& l : m.layers)
      if (auto* c = std::get_if<ConvLayer>(&l)) w.push_back(c->weight);
    return w;
  };
  const auto head_before = convs(headed).at(1);
  EXPECT_EQ(trainer::copy_trained_weights(headed, from, "from.ifqf", true), 2);  // conv 1 and its BN
  EXPECT_EQ(convs(headed).at(0), convs(from).at(0));
  EXPECT_EQ(convs(headed).at(1), head_before);
  // A head conv of another kernel but the same width: its batch norm has the
  // source's shape, yet stays the network's own (it belongs to a conv that was
  // not copied).
  std::string wider_kernel = kRegionCfg;
  wider_kernel.replace(wider_kernel.find("filters=6\nsize=1\nstride=1\npad=0"), 31, "filters=6\nsize=3\nstride=1\npad=1");
  FloatModel rekerneled = parse_cfg(wider_kernel, "k.cfg", co).model;
  FloatModel trained = from;  // batch norms unlike a fresh network's (gamma 1)
  for (Layer& l : trained.layers)
    if (auto* b = std::get_if<BatchNormLayer>(&l)) b->gamma.assign(b->gamma.size(), 2.5f);
  auto bn_gammas = [](const FloatModel& m) {
    std::vector<std::vector<float>> v;
    for (const Layer& l : m.layers)
      if (auto* b = std::get_if<BatchNormLayer>(&l)) v.push_back(b->gamma);
    return v;
  };
  const auto own_head_bn = bn_gammas(rekerneled).at(1);
  ASSERT_NE(own_head_bn, bn_gammas(trained).at(1));
  EXPECT_EQ(trainer::copy_trained_weights(rekerneled, trained, "trained.ifqf", true), 2);  // conv 1 and its BN
  EXPECT_EQ(bn_gammas(rekerneled).at(0), bn_gammas(trained).at(0));
  EXPECT_EQ(bn_gammas(rekerneled).at(1), own_head_bn);
}

// DupNet: a first conv that reads the image twice starts from one that reads
// it once and computes the same: levels and outputs equal before training.
TEST(DetectionAugment, InitIntoARepeatedInputComputesTheSame) {
  CfgOptions co;
  co.seed = 3;
  std::string binary_cfg = kRegionCfg;
  binary_cfg.replace(binary_cfg.find("activation=leaky"), 16, "binary=1\nactivation=hwgq\nquant_bits=2");
  const FloatModel from = parse_cfg(binary_cfg, "b.cfg", co).model;
  std::string repeated = binary_cfg;
  repeated.replace(repeated.find("binary=1"), 8, "binary=1\ninput_repeat=2");
  co.seed = 4;
  FloatModel into = parse_cfg(repeated, "r.cfg", co).model;
  ASSERT_EQ(std::get<ConvLayer>(into.layers[1]).input_repeat, 2);
  EXPECT_EQ(trainer::copy_trained_weights(into, from, "from.ifqf", true), 4);
  std::mt19937 rng(5);
  const Shape3 in = std::get<InputLayer>(from.layers[0]).shape;
  for (int k = 0; k < 3; ++k) {
    std::vector<uint8_t> image(size_t(in.elements()));
    for (auto& p : image) p = uint8_t(rng());
    const FloatTrace a = evaluate_float(from, image), b = evaluate_float(into, image);
    EXPECT_EQ(a.quant_levels, b.quant_levels);
    ASSERT_EQ(a.output.size(), b.output.size());
    for (size_t i = 0; i < a.output.size(); ++i) EXPECT_NEAR(a.output[i], b.output[i], 1e-5 * (1 + std::fabs(a.output[i])));
  }
}

// DupNet: a conv that shares its filters less (duplicate 4 -> 2, -> 1)
// starts from one that shares them more and computes the same; the other
// direction cannot keep the function and is refused.
TEST(DetectionAugment, InitIntoLessSharedFiltersComputesTheSame) {
  std::string binary_cfg = kRegionCfg;
  binary_cfg.replace(binary_cfg.find("activation=leaky"), 16, "binary=1\nactivation=hwgq\nquant_bits=2");
  auto with_duplicate = [&](int d) {
    std::string cfg = binary_cfg;
    cfg.replace(cfg.find("binary=1"), 8, "binary=1\nduplicate=" + std::to_string(d));
    return cfg;
  };
  CfgOptions co;
  co.seed = 6;
  FloatModel from = parse_cfg(with_duplicate(4), "d4.cfg", co).model;
  for (Layer& l : from.layers)  // trained-looking batch norms, so every copy reads out differently
    if (auto* b = std::get_if<BatchNormLayer>(&l)) {
      b->gamma.resize(b->mean.size());
      b->beta.resize(b->mean.size());
      for (size_t c = 0; c < b->gamma.size(); ++c) {
        b->gamma[c] = c % 3 == 1 ? -0.7f : 1.f + 0.3f * float(c);
        b->beta[c] = 0.1f * float(c % 5);
      }
    }
  ASSERT_EQ(std::get<ConvLayer>(from.layers[1]).unique_filters(), 2);
  std::mt19937 rng(7);
  const Shape3 in = std::get<InputLayer>(from.layers[0]).shape;
  for (const int d : {2, 1}) {
    co.seed = 8 + d;
    FloatModel into = parse_cfg(with_duplicate(d), "d.cfg", co).model;
    ASSERT_EQ(std::get<ConvLayer>(into.layers[1]).unique_filters(), 8 / d);
    EXPECT_EQ(trainer::copy_trained_weights(into, from, "from.ifqf"), 4);
    for (int k = 0; k < 3; ++k) {
      std::vector<uint8_t> image(size_t(in.elements()));
      for (auto& p : image) p = uint8_t(rng());
      const FloatTrace a = evaluate_float(from, image), b = evaluate_float(into, image);
      EXPECT_EQ(a.quant_levels, b.quant_levels) << "duplicate " << d;
      ASSERT_EQ(a.output.size(), b.output.size());
      for (size_t i = 0; i < a.output.size(); ++i) EXPECT_NEAR(a.output[i], b.output[i], 1e-5 * (1 + std::fabs(a.output[i])));
    }
    FloatModel more_shared = parse_cfg(with_duplicate(8), "d8.cfg", co).model;
    EXPECT_THROW(trainer::copy_trained_weights(more_shared, into, "into.ifqf"), Error);
  }
}

}  // namespace
}  // namespace ifq
