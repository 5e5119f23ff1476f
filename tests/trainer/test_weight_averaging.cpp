// Weight averaging (TrainOptions::ema_decay): the averaged model follows
// the documented decay rule, never changes the steps (the last step's model
// is the run without it), and resumes exactly.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>

#include "cli_run.hpp"
#include "ifq/cfg.hpp"
#include "ifq/error.hpp"
#include "ifq_trainer/trainer.hpp"
#include "synthetic_data.hpp"
#include "temp_dir.hpp"

namespace ifq {
namespace {

// Every value weight averaging averages: conv/fc weights and biases, BN
// gamma, beta, running mean and variance.
std::vector<float> averaged_values(const FloatModel& m) {
  std::vector<float> v;
  auto add = [&v](const std::vector<float>& x) { v.insert(v.end(), x.begin(), x.end()); };
  for (const Layer& l : m.layers) {
    if (auto* c = std::get_if<ConvLayer>(&l)) add(c->weight), add(c->bias);
    if (auto* f = std::get_if<FcLayer>(&l)) add(f->weight), add(f->bias);
    if (auto* b = std::get_if<BatchNormLayer>(&l)) add(b->gamma), add(b->beta), add(b->mean), add(b->var);
  }
  return v;
}

trainer::TrainOptions options(int steps, double ema) {
  trainer::TrainOptions o;
  o.threads = 1;
  o.steps = steps;
  o.batch = 16;
  o.progress = false;
  o.ema_decay = ema;
  o.burn_in = 0;  // the first step moves the weights (a burn-in starts at rate 0)
  return o;
}

// want = d * before + (1 - d) * now, element by element (float rounding).
void expect_mixture(const std::vector<float>& got, const std::vector<float>& before, const std::vector<float>& now,
                    double d) {
  ASSERT_EQ(got.size(), before.size());
  ASSERT_EQ(got.size(), now.size());
  size_t moved = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double want = d * before[i] + (1 - d) * now[i];
    ASSERT_NEAR(got[i], want, 1e-5 * std::max(1.0, std::abs(want))) << "value " << i << ", decay " << d;
    moved += before[i] != now[i];
  }
  EXPECT_GT(moved, got.size() / 4);  // the step changed the weights: the check is not on equal inputs
}

class WeightAveraging : public ::testing::Test {
 protected:
  const CfgNetwork net = parse_cfg(testing::tiny_cfg(true, 2), "tiny.cfg");
  const trainer::Dataset data = testing::synthetic_bars(32, 4, {1, 8, 8}, 5);
};

TEST_F(WeightAveraging, LastStepModelIsTheRunWithoutAveraging) {
  trainer::Trainer plain(net, options(6, 0));
  plain.train(data);
  trainer::Trainer averaged(net, options(6, 0.999));
  averaged.train(data);
  const std::vector<float> want = averaged_values(plain.export_model());
  EXPECT_EQ(averaged_values(averaged.export_last_step_model()), want);
  EXPECT_EQ(averaged_values(plain.export_last_step_model()), want);  // without averaging: one model
  EXPECT_NE(averaged_values(averaged.export_model()), want);
}

TEST_F(WeightAveraging, FirstStepsFollowTheRamp) {
  // Step 0 mixes with decay min(D, 1/10), step 1 with min(D, 2/11): checked
  // for a decay above both (0.999: the ramp decides) and below (0.05: D does).
  for (const double decay : {0.999, 0.05}) {
    testing::TempDir dir;
    std::atomic<bool> stop{false};
    auto o = options(2, decay);
    o.checkpoint_path = dir.file("run.ckpt");
    o.stop = &stop;
    o.on_step = [&](int step, double) {
      if (step == 1) stop = true;
    };
    std::vector<float> initial, after_one, average_one;
    {
      trainer::Trainer first(net, o);
      initial = averaged_values(first.export_model());  // before training: no average yet
      EXPECT_TRUE(first.train(data).interrupted);
      after_one = averaged_values(first.export_last_step_model());
      average_one = averaged_values(first.export_model());
    }
    expect_mixture(average_one, initial, after_one, std::min(decay, 0.1));
    o.stop = nullptr;
    o.on_step = nullptr;
    o.resume = true;
    trainer::Trainer second(net, o);
    EXPECT_EQ(second.train(data).first_step, 1);
    expect_mixture(averaged_values(second.export_model()), average_one,
                   averaged_values(second.export_last_step_model()), std::min(decay, 2.0 / 11));
  }
}

TEST_F(WeightAveraging, ResumedRunEndsWithTheSameAverage) {
  testing::TempDir dir;
  trainer::Trainer straight(net, options(8, 0.9));
  straight.train(data);
  auto o = options(8, 0.9);
  o.checkpoint_path = dir.file("run.ckpt");
  o.checkpoint_every = 2;
  const auto resumed = testing::interrupted_then_resumed(net, o, data, 5);
  EXPECT_EQ(averaged_values(resumed->export_model()), averaged_values(straight.export_model()));
  EXPECT_EQ(averaged_values(resumed->export_last_step_model()), averaged_values(straight.export_last_step_model()));
}

TEST_F(WeightAveraging, RefusesWhatItCannotDo) {
  testing::TempDir dir;
  auto o = options(2, 0);
  o.checkpoint_path = dir.file("run.ckpt");
  trainer::Trainer(net, o).train(data);
  // A checkpoint of a run without averaging has no average to continue.
  o.ema_decay = 0.999;
  o.resume = true;
  try {
    trainer::Trainer(net, o).train(data);
    FAIL() << "resumed an unaveraged checkpoint with averaging";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("ema=0.999"), std::string::npos) << e.what();
  }
  auto bad = options(2, 1.0);
  EXPECT_THROW(trainer::Trainer(net, bad), Error);
  bad = options(2, 0.999);
  bad.precise_bn_batches = 2;
  EXPECT_THROW(trainer::Trainer(net, bad), Error);
}

TEST(WeightAveragingCli, FlagsAreChecked) {
  const std::string cfg = "train --cfg " IFQ_SOURCE_DIR "/models/fashion-hwgq.cfg ";
  CliRun r = run(cfg + "--out m.ifqf --last-step-out l.ifqf");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("ifq: error: --last-step-out needs --ema"), std::string::npos) << r.output;
  r = run(cfg + "--out m.ifqf --ema 1");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("ifq: error: --ema must be below 1"), std::string::npos) << r.output;
  r = run(cfg + "--out m.ifqf --ema 0.99 --last-step-out m.ifqf");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("name the same file"), std::string::npos) << r.output;
  EXPECT_NE(run(cfg + "--out m.ifqf --ema -0.5").status, 0);
}

}  // namespace
}  // namespace ifq
