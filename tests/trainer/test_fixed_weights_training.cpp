// The trainer's weight quantizers of issue 13 (docs/quantizers.md). Each
// learns the synthetic task, exports a model whose integrated conversion is
// exact, and resumes exactly from a checkpoint:
// - zero-centred fixed point: the cfg's binary layers become b-bit codes,
//   re-quantized at each retraining round;
// - QuantNet: binary layers trained through an annealed sub-network still
//   export binary weights;
// - piecewise-Gaussian: fitted weight formats and HWGQ steps.
#include <gtest/gtest.h>

#include <cmath>

#include "ifq/cfg.hpp"
#include "ifq/convert.hpp"
#include "ifq/error.hpp"
#include "ifq/model_io.hpp"
#include "ifq/verify.hpp"
#include "ifq_trainer/trainer.hpp"
#include "synthetic_data.hpp"
#include "temp_dir.hpp"

namespace ifq {
namespace {

CfgNetwork tiny_net() { return parse_cfg(testing::tiny_cfg(true, 2), "tiny.cfg"); }
trainer::Dataset train_data() { return testing::synthetic_bars(512, 4, {1, 8, 8}, 9); }

trainer::TrainOptions with_quantizer(const std::string& weight_quant, int steps, int bits = 4, int rounds = 2) {
  trainer::TrainOptions o;
  o.threads = 1;
  o.steps = steps;
  o.progress = false;
  o.weight_quant = weight_quant;
  o.weight_bits = bits;
  o.retrain_rounds = rounds;
  return o;
}

// The trained model beats chance on held-out images, survives a save/load,
// and its quantized substructures convert with 0 level mismatches.
void expect_learned_and_exact(const FloatModel& m, const std::string& what) {
  const trainer::Dataset test = testing::synthetic_bars(200, 4, {1, 8, 8}, 1234);
  const auto acc = trainer::accuracy_from_logits(trainer::torch_evaluate(m, test, true, false, 1).logits, 4, test.labels);
  EXPECT_GT(acc.top1, 0.6) << what << "; chance is 0.25";
  testing::TempDir dir;
  save_float_model(m, dir.file("m.ifqf"));
  const FloatModel back = load_float_model(dir.file("m.ifqf"));
  std::vector<std::vector<uint8_t>> images;
  for (int64_t i = 0; i < test.size(); ++i) images.push_back(test.image(i));
  const VerifyReport rep = verify_conversion(back, convert(back).model, images);
  EXPECT_GT(rep.quantized_compared(), 0) << what;
  EXPECT_EQ(rep.quantized_mismatched(), 0) << what;
}

// Every conv's weights and alpha and every HWGQ step equal.
void expect_same_trained_state(const FloatModel& got, const FloatModel& want, const std::string& what) {
  ASSERT_EQ(got.layers.size(), want.layers.size());
  for (size_t i = 0; i < want.layers.size(); ++i) {
    if (auto* c = std::get_if<ConvLayer>(&want.layers[i])) {
      const auto& g = std::get<ConvLayer>(got.layers[i]);
      EXPECT_EQ(g.weight, c->weight) << what << ", layer " << i;
      EXPECT_EQ(g.alpha, c->alpha) << what << ", layer " << i;
      EXPECT_EQ(g.fixed.zero_point, c->fixed.zero_point) << what << ", layer " << i;
    }
    if (auto* q = std::get_if<HwgqLayer>(&want.layers[i])) {
      EXPECT_EQ(std::get<HwgqLayer>(got.layers[i]).step, q->step) << what << ", layer " << i;
    }
  }
}

TEST(ZeroCentredTraining, LearnsExportsCodesAndConvertsExactly) {
  for (int bits : {2, 4, 8}) {
    trainer::Trainer t(tiny_net(), with_quantizer("zero-centred", 60, bits));
    t.train(train_data());
    const FloatModel m = t.export_model();
    int fixed = 0;
    for (const Layer& l : m.layers)
      if (auto* c = std::get_if<ConvLayer>(&l); c && c->weight_kind == WeightKind::Fixed) {
        ++fixed;
        EXPECT_EQ(c->fixed.bits, bits);
        for (float q : c->weight) EXPECT_TRUE(q >= fixed_code_min(bits) && q <= fixed_code_max(bits) && q == int(q));
        for (float a : c->alpha) EXPECT_EQ(a, c->alpha[0]) << "one step per layer";
      }
    EXPECT_GT(fixed, 0) << "the cfg's binary layers became fixed";
    expect_learned_and_exact(m, std::to_string(bits) + " bits");
  }
}

TEST(ZeroCentredTraining, ResumeAcrossRoundsEqualsStraightThrough) {
  testing::TempDir dir;
  const CfgNetwork net = tiny_net();
  const trainer::Dataset data = testing::synthetic_bars(100, 4, {1, 8, 8}, 3);
  // 12 steps, 2 rounds: float steps 0-3, rounds start at steps 4 and 8. A
  // large learning rate moves the weights so far that the rounds choose
  // other formats than the initial one: a resume must restore them.
  auto o = with_quantizer("zero-centred", 12);
  o.learning_rate = 2.0;
  o.checkpoint_path = dir.file("a.ckpt");
  trainer::Trainer straight(net, o);
  const FloatModel initial = straight.export_model();
  straight.train(data);
  const FloatModel want = straight.export_model();
  int formats_changed = 0;
  for (size_t i = 0; i < want.layers.size(); ++i)
    if (auto* c = std::get_if<ConvLayer>(&want.layers[i]); c && c->weight_kind == WeightKind::Fixed)
      formats_changed += c->alpha[0] != std::get<ConvLayer>(initial.layers[i]).alpha[0];
  EXPECT_GT(formats_changed, 0);
  for (int stop_at : {4, 6}) {
    o.checkpoint_path = dir.file("b" + std::to_string(stop_at) + ".ckpt");
    expect_same_trained_state(testing::interrupted_then_resumed(net, o, data, stop_at)->export_model(), want,
                              "stopped at " + std::to_string(stop_at));
  }
  // Another bit width is another run: its checkpoint is refused.
  auto other = with_quantizer("zero-centred", 12, 8);
  other.checkpoint_path = dir.file("b6.ckpt");
  other.resume = true;
  EXPECT_THROW(trainer::Trainer(net, other).train(data), Error);
}

TEST(QuantNetTraining, LearnsAndExportsBinaryWeightsThatConvertExactly) {
  trainer::Trainer t(tiny_net(), with_quantizer("quantnet", 60));
  t.train(train_data());
  const FloatModel m = t.export_model();
  int binary = 0;
  for (const Layer& l : m.layers)
    if (auto* c = std::get_if<ConvLayer>(&l)) binary += c->weight_kind == WeightKind::Binary;
  EXPECT_GT(binary, 0);
  expect_learned_and_exact(m, "QuantNet");
}

// The sub-networks' parameters are trained state: a resumed run equals the
// uninterrupted one, and a checkpoint of a plain binary run is refused.
TEST(QuantNetTraining, ResumeEqualsStraightThrough) {
  testing::TempDir dir;
  const CfgNetwork net = tiny_net();
  const trainer::Dataset data = testing::synthetic_bars(100, 4, {1, 8, 8}, 3);
  auto o = with_quantizer("quantnet", 12);
  o.checkpoint_path = dir.file("a.ckpt");
  trainer::Trainer straight(net, o);
  straight.train(data);
  o.checkpoint_path = dir.file("b.ckpt");
  expect_same_trained_state(testing::interrupted_then_resumed(net, o, data, 5)->export_model(), straight.export_model(), "QuantNet");
  auto plain = with_quantizer("", 12);
  plain.checkpoint_path = dir.file("b.ckpt");
  plain.resume = true;
  EXPECT_THROW(trainer::Trainer(net, plain).train(data), Error);
}

// Piecewise-Gaussian: the weight formats and every HWGQ step are fitted at
// each round; the steps move away from HWGQ's defaults, the network learns,
// converts exactly (the integer thresholds use the fitted steps), and a run
// resumed after a refit equals the uninterrupted one.
TEST(PiecewiseGaussianTraining, FitsStepsLearnsConvertsAndResumesExactly) {
  testing::TempDir dir;
  const CfgNetwork net = tiny_net();
  const trainer::Dataset data = train_data();
  auto o = with_quantizer("piecewise-gaussian", 30);
  o.step_rule = "piecewise-gaussian";
  o.checkpoint_path = dir.file("a.ckpt");
  trainer::Trainer straight(net, o);
  straight.train(data);
  const FloatModel want = straight.export_model();
  int moved = 0, hwgq = 0;
  for (const Layer& l : want.layers)
    if (auto* q = std::get_if<HwgqLayer>(&l)) {
      ++hwgq;
      moved += std::fabs(q->step - hwgq_default_step(q->bits)) > 1e-3;
    }
  EXPECT_EQ(moved, hwgq) << "every HWGQ step refitted";
  expect_learned_and_exact(want, "piecewise-Gaussian");
  // 30 steps, 2 rounds: refits between steps 9|10 and 19|20; stop at 15.
  o.checkpoint_path = dir.file("b.ckpt");
  expect_same_trained_state(testing::interrupted_then_resumed(net, o, data, 15)->export_model(), want, "piecewise-Gaussian");
}

}  // namespace
}  // namespace ifq
