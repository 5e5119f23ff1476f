// Weight decay and learning rate on binary latent weights
// (TrainOptions::binary_weight_decay, binary_lr_scale): each reaches exactly
// the latent weights of binary layers and nothing else; the cfg's value (or
// none) is the run without the option; a resume must keep it.
#include <gtest/gtest.h>

#include <cmath>

#include "cli_run.hpp"
#include "ifq/cfg.hpp"
#include "ifq/error.hpp"
#include "ifq_trainer/trainer.hpp"
#include "synthetic_data.hpp"
#include "temp_dir.hpp"

namespace ifq {
namespace {

struct Split {
  std::vector<float> binary, other;  // binary latent weights; every other trained value
};

Split split(const FloatModel& m) {
  Split s;
  auto add = [](std::vector<float>& to, const std::vector<float>& v) { to.insert(to.end(), v.begin(), v.end()); };
  for (const Layer& l : m.layers) {
    auto weighted = [&](const auto& w) {
      add(w.weight_kind == WeightKind::Binary ? s.binary : s.other, w.weight);
      add(s.other, w.bias);
    };
    if (auto* c = std::get_if<ConvLayer>(&l)) weighted(*c);
    if (auto* f = std::get_if<FcLayer>(&l)) weighted(*f);
    if (auto* b = std::get_if<BatchNormLayer>(&l)) add(s.other, b->gamma), add(s.other, b->beta);
  }
  return s;
}

trainer::TrainOptions options(int steps, double binary_decay, const std::string& optimizer = "",
                              double binary_lr_scale = 1) {
  trainer::TrainOptions o;
  o.threads = 1;
  o.steps = steps;
  o.batch = 16;
  o.progress = false;
  o.burn_in = 0;  // the first step moves the weights at the full rate
  o.optimizer = optimizer;
  o.binary_weight_decay = binary_decay;
  o.binary_lr_scale = binary_lr_scale;
  return o;
}

class BinaryDecay : public ::testing::Test {
 protected:
  // First conv and last fc float, two binary convs between (decay=0.0001, sgd, lr 0.05, momentum 0.9).
  const CfgNetwork net = parse_cfg(testing::tiny_cfg(true, 2), "tiny.cfg");
  const trainer::Dataset data = testing::synthetic_bars(32, 4, {1, 8, 8}, 5);
  FloatModel trained(const trainer::TrainOptions& o) {
    trainer::Trainer t(net, o);
    t.train(data);
    return t.export_model();
  }
  // A run interrupted and resumed ends where the straight run ends; resuming
  // its checkpoint with `without` applied is refused, naming `setting`.
  void expect_resume_exact_and_kept(trainer::TrainOptions o, void (*without)(trainer::TrainOptions&),
                                    const std::string& setting) {
    testing::TempDir dir;
    const Split straight = split(trained(o));
    o.checkpoint_path = dir.file("run.ckpt");
    o.checkpoint_every = 2;
    const Split again = split(testing::interrupted_then_resumed(net, o, data, 3)->export_model());
    EXPECT_EQ(again.binary, straight.binary);
    EXPECT_EQ(again.other, straight.other);
    without(o);
    o.resume = true;
    try {
      trainer::Trainer(net, o).train(data);
      ADD_FAILURE() << "resumed a checkpoint of " << setting << " without it";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(setting), std::string::npos) << e.what();
    }
  }
};

TEST_F(BinaryDecay, TheCfgsDecayIsTheRunWithoutTheOption) {
  const Split plain = split(trained(options(3, -1))), same = split(trained(options(3, net.training.decay)));
  ASSERT_EQ(net.training.decay, 0.0001);
  EXPECT_EQ(plain.binary, same.binary);
  EXPECT_EQ(plain.other, same.other);
}

TEST_F(BinaryDecay, OneStepMovesOnlyBinaryLatentWeightsByTheDecayDifference) {
  // One SGD step from the same start sees the same gradients, so only the
  // decay term differs: w1 = w0 - lr * (g + decay * w0), i.e. the latent
  // weights differ by lr * (big - cfg decay) * w0 and nothing else differs.
  // The rate of a 1-step run: the cfg's lr, times its scale 0.1, whose step
  // (30 of 40) scales to step 0 of 1.
  const double big = 0.5, lr = net.training.learning_rate * 0.1;
  auto no_steps = options(0, -1);
  no_steps.no_steps = true;  // the seed's initial weights
  const Split start = split(trained(no_steps));
  const Split plain = split(trained(options(1, -1))), decayed = split(trained(options(1, big)));
  EXPECT_EQ(plain.other, decayed.other);
  ASSERT_EQ(plain.binary.size(), start.binary.size());
  ASSERT_GT(start.binary.size(), 100u);
  for (size_t i = 0; i < start.binary.size(); ++i) {
    const double want = lr * (big - net.training.decay) * start.binary[i];
    ASSERT_NEAR(double(plain.binary[i]) - double(decayed.binary[i]), want, 1e-6 + 1e-4 * std::abs(want)) << i;
  }
  // Adam too: the float layers' step is the same, the binary ones' is not.
  const Split adam_plain = split(trained(options(1, -1, "adam"))), adam_zero = split(trained(options(1, 0, "adam")));
  EXPECT_EQ(adam_plain.other, adam_zero.other);
  EXPECT_NE(adam_plain.binary, adam_zero.binary);
}

TEST_F(BinaryDecay, AResumeKeepsItAndEndsWhereAStraightRunEnds) {
  expect_resume_exact_and_kept(options(6, 0, "adam"), [](trainer::TrainOptions& o) { o.binary_weight_decay = -1; },
                               "binary-decay=0");
}

TEST_F(BinaryDecay, TheBinaryRateScalesOnlyTheBinaryLatentWeightsStep) {
  // One SGD step from the same start sees the same gradients; its first
  // momentum buffer is the gradient itself, so a binary latent weight moves
  // by exactly scale x what it moves at the schedule's rate, with or
  // without a separate decay, and nothing else moves differently.
  auto no_steps = options(0, -1);
  no_steps.no_steps = true;
  const Split start = split(trained(no_steps));
  for (double decay : {-1.0, 0.0}) {
    const Split plain = split(trained(options(1, decay))), slow = split(trained(options(1, decay, "", 0.1)));
    EXPECT_EQ(plain.other, slow.other);
    ASSERT_GT(start.binary.size(), 100u);
    size_t moved = 0;
    for (size_t i = 0; i < start.binary.size(); ++i) {
      const double full = double(plain.binary[i]) - start.binary[i], part = double(slow.binary[i]) - start.binary[i];
      ASSERT_NEAR(part, 0.1 * full, 1e-6 + 1e-3 * std::abs(full)) << i << " decay " << decay;
      moved += std::abs(full) > 1e-5;
    }
    EXPECT_GT(moved, start.binary.size() / 2);
  }
  // Adam: its step is about lr whatever the gradient, so the scale is the step's.
  const Split adam = split(trained(options(1, 0, "adam"))), adam_slow = split(trained(options(1, 0, "adam", 0.1)));
  EXPECT_EQ(adam.other, adam_slow.other);
  EXPECT_NE(adam.binary, adam_slow.binary);
}

TEST_F(BinaryDecay, AResumeKeepsTheBinaryRate) {
  expect_resume_exact_and_kept(options(6, -1, "adam", 0.1), [](trainer::TrainOptions& o) { o.binary_lr_scale = 1; },
                               "binary-lr-scale=0.1");
}

TEST(BinaryDecayCli, ANonPositiveBinaryRateIsRefused) {
  const CliRun r = run("train --cfg " IFQ_SOURCE_DIR "/models/fashion-hwgq.cfg --out m.ifqf --binary-lr-scale 0");
  EXPECT_NE(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("--binary-lr-scale"), std::string::npos) << r.output;
}

TEST(BinaryDecayCli, ANegativeDecayIsRefused) {
  const CliRun r = run("train --cfg " IFQ_SOURCE_DIR "/models/fashion-hwgq.cfg --out m.ifqf --binary-decay -0.1");
  EXPECT_NE(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("--binary-decay"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace ifq
