// Precise BN (TrainOptions::precise_bn_batches): after training, every BN
// layer's running statistics become the mean over N batches, the weights
// untouched; deterministic, exact under --resume, and a stop part-way keeps
// the trained statistics.
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

struct BnState {
  std::vector<float> mean, var;     // running statistics of every BN layer
  std::vector<float> learned;       // every conv/fc weight, BN gamma and beta
};

BnState state_of(const FloatModel& m) {
  BnState s;
  for (const Layer& l : m.layers) {
    if (auto* c = std::get_if<ConvLayer>(&l)) s.learned.insert(s.learned.end(), c->weight.begin(), c->weight.end());
    if (auto* f = std::get_if<FcLayer>(&l)) s.learned.insert(s.learned.end(), f->weight.begin(), f->weight.end());
    if (auto* b = std::get_if<BatchNormLayer>(&l)) {
      s.mean.insert(s.mean.end(), b->mean.begin(), b->mean.end());
      s.var.insert(s.var.end(), b->var.begin(), b->var.end());
      s.learned.insert(s.learned.end(), b->gamma.begin(), b->gamma.end());
      s.learned.insert(s.learned.end(), b->beta.begin(), b->beta.end());
    }
  }
  return s;
}

// The first BN layer's running mean (its input does not depend on any BN).
std::vector<float> first_bn_mean(const FloatModel& m) {
  for (const Layer& l : m.layers)
    if (auto* b = std::get_if<BatchNormLayer>(&l)) return b->mean;
  return {};
}

trainer::TrainOptions options(int steps, int precise_bn, int batch = 16) {
  trainer::TrainOptions o;
  o.threads = 1;
  o.steps = steps;
  o.batch = batch;
  o.progress = false;
  o.precise_bn_batches = precise_bn;
  return o;
}

class PreciseBn : public ::testing::Test {
 protected:
  const CfgNetwork net = parse_cfg(testing::tiny_cfg(true, 2), "tiny.cfg");
  // 32 images: one epoch is two batches of 16.
  const trainer::Dataset data = testing::synthetic_bars(32, 4, {1, 8, 8}, 5);
};

TEST_F(PreciseBn, FirstLayerMeanIsTheMeanOverAllItsBatches) {
  // No training steps: the weights are the seed's. Two batches of 16, one
  // batch of 32 and four batches of 16 (two epochs, reshuffled) all cover
  // the 32 images equally, so the first BN layer's mean is the data's mean
  // each time; torch's momentum-0.1 update would keep 0.9 of the initial 0.
  auto no_steps = [&](int batches, int batch) {
    auto o = options(0, batches, batch);
    o.no_steps = true;
    trainer::Trainer t(net, o);
    const auto st = t.train(data);
    EXPECT_EQ(st.steps_done, 0);
    EXPECT_EQ(st.precise_bn_batches, batches);
    return first_bn_mean(t.export_model());
  };
  const std::vector<float> two = no_steps(2, 16), whole = no_steps(1, 32), four = no_steps(4, 16);
  const std::vector<float> one = no_steps(1, 16);  // half the images: another mean
  ASSERT_FALSE(two.empty());
  ASSERT_EQ(two.size(), whole.size());
  double largest = 0, half_differs = 0;
  for (size_t c = 0; c < two.size(); ++c) {
    const double tol = 1e-5 * std::max(1.0, std::abs(double(whole[c])));
    EXPECT_NEAR(two[c], whole[c], tol) << "channel " << c;
    EXPECT_NEAR(four[c], whole[c], tol) << "channel " << c;
    largest = std::max(largest, std::abs(double(whole[c])));
    half_differs = std::max(half_differs, std::abs(double(one[c]) - whole[c]));
  }
  EXPECT_GT(largest, 1e-3);       // the check is not on all-zero means
  EXPECT_GT(half_differs, 1e-4);  // and one batch alone does give another mean
}

TEST_F(PreciseBn, ChangesOnlyTheRunningStatisticsAndIsDeterministic) {
  trainer::Trainer plain(net, options(6, 0));
  plain.train(data);
  const BnState before = state_of(plain.export_model());
  trainer::Trainer precise(net, options(6, 3));
  const auto st = precise.train(data);
  EXPECT_EQ(st.precise_bn_batches, 3);
  const BnState after = state_of(precise.export_model());
  EXPECT_EQ(after.learned, before.learned);
  EXPECT_NE(after.mean, before.mean);
  EXPECT_NE(after.var, before.var);
  trainer::Trainer again(net, options(6, 3));
  again.train(data);
  const BnState repeat = state_of(again.export_model());
  EXPECT_EQ(repeat.mean, after.mean);
  EXPECT_EQ(repeat.var, after.var);
}

TEST_F(PreciseBn, ResumedRunEndsWithTheSameStatistics) {
  testing::TempDir dir;
  trainer::Trainer straight(net, options(8, 3));
  straight.train(data);
  const BnState want = state_of(straight.export_model());

  std::atomic<bool> stop{false};
  auto o = options(8, 3);
  o.checkpoint_path = dir.file("run.ckpt");
  o.checkpoint_every = 2;
  o.stop = &stop;
  o.on_step = [&](int step, double) {
    if (step == 5) stop = true;
  };
  {
    trainer::Trainer first(net, o);
    EXPECT_TRUE(first.train(data).interrupted);
  }
  o.stop = nullptr;
  o.on_step = nullptr;
  o.resume = true;
  trainer::Trainer second(net, o);
  EXPECT_EQ(second.train(data).precise_bn_batches, 3);
  const BnState resumed = state_of(second.export_model());
  EXPECT_EQ(resumed.learned, want.learned);
  EXPECT_EQ(resumed.mean, want.mean);
  EXPECT_EQ(resumed.var, want.var);
  // The final checkpoint holds the trained statistics: resuming the finished
  // run re-estimates the same ones.
  trainer::Trainer third(net, o);
  third.train(data);
  EXPECT_EQ(state_of(third.export_model()).mean, want.mean);
}

TEST_F(PreciseBn, StopBeforeTheEstimateKeepsTheTrainedStatistics) {
  trainer::Trainer plain(net, options(4, 0));
  plain.train(data);
  const BnState trained = state_of(plain.export_model());
  // Stopped right after the last step: training is complete, the estimate
  // is skipped, the run reports the stop (so the CLI writes no model unless
  // --max-seconds asked for one) and keeps the statistics of training. (A
  // stop between two estimate batches restores them the same way; no hook
  // reaches that point from a test without timing.)
  std::atomic<bool> stop{false};
  auto o = options(4, 5);
  o.stop = &stop;
  o.on_step = [&](int step, double) {
    if (step == 4) stop = true;
  };
  trainer::Trainer stopped(net, o);
  const auto st = stopped.train(data);
  EXPECT_TRUE(st.interrupted);
  EXPECT_EQ(st.steps_done, 4);
  EXPECT_EQ(st.precise_bn_batches, 0);
  const BnState kept = state_of(stopped.export_model());
  EXPECT_EQ(kept.mean, trained.mean);
  EXPECT_EQ(kept.var, trained.var);
}

TEST_F(PreciseBn, NoStepsKeepsTheWeightsAndRefusesWeightQuantizers) {
  trainer::Trainer plain(net, options(5, 0));
  plain.train(data);
  CfgNetwork trained = net;
  trained.model = plain.export_model();
  auto o = options(0, 2);
  o.no_steps = true;
  trainer::Trainer recalibrated(trained, o);
  recalibrated.train(data);
  const BnState a = state_of(trained.model), b = state_of(recalibrated.export_model());
  EXPECT_EQ(b.learned, a.learned);
  EXPECT_NE(b.mean, a.mean);
  o.weight_quant = "zero-centred";
  EXPECT_THROW(trainer::Trainer(trained, o), Error);
}

TEST(PreciseBnCli, StepsZeroNeedsInitAndPreciseBn) {
  const CliRun r = run("train --cfg " IFQ_SOURCE_DIR "/models/fashion-hwgq.cfg --out /dev/null --steps 0");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("ifq: error: --steps 0 trains nothing"), std::string::npos) << r.output;
  EXPECT_NE(run("train --cfg x.cfg --out y --precise-bn 0").status, 0);
}

}  // namespace
}  // namespace ifq
