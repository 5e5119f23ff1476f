// Checkpoints: interrupted + resumed training equals uninterrupted training
// exactly; bad checkpoints are refused with a clear error.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>

#include "ifq/cfg.hpp"
#include "ifq/error.hpp"
#include "ifq_trainer/trainer.hpp"
#include "synthetic_data.hpp"
#include "temp_dir.hpp"

namespace ifq {
namespace {

std::vector<float> all_weights(const FloatModel& m) {
  std::vector<float> w;
  for (const Layer& l : m.layers) {
    if (auto* c = std::get_if<ConvLayer>(&l)) w.insert(w.end(), c->weight.begin(), c->weight.end());
    if (auto* f = std::get_if<FcLayer>(&l)) w.insert(w.end(), f->weight.begin(), f->weight.end());
    if (auto* b = std::get_if<BatchNormLayer>(&l)) {
      w.insert(w.end(), b->mean.begin(), b->mean.end());
      w.insert(w.end(), b->var.begin(), b->var.end());
      w.insert(w.end(), b->gamma.begin(), b->gamma.end());
    }
  }
  return w;
}

trainer::TrainOptions options(const std::string& ckpt, int steps) {
  trainer::TrainOptions o;
  o.threads = 1;
  o.steps = steps;
  o.progress = false;
  o.checkpoint_path = ckpt;
  o.checkpoint_every = 3;
  o.augment.flip = true;
  o.augment.crop_pad = 1;
  return o;
}

TEST(Resume, InterruptedThenResumedEqualsStraightThrough) {
  testing::TempDir dir;
  const CfgNetwork net = parse_cfg(testing::tiny_cfg(true, 2), "tiny.cfg");
  const trainer::Dataset data = testing::synthetic_bars(100, 4, {1, 8, 8}, 3);  // epochs wrap within 12 steps

  trainer::Trainer straight(net, options(dir.file("a.ckpt"), 12));
  straight.train(data);
  const std::vector<float> want = all_weights(straight.export_model());

  // Stop after step 7 (as SIGINT would), then resume in a new trainer.
  std::atomic<bool> stop{false};
  auto o = options(dir.file("b.ckpt"), 12);
  o.stop = &stop;
  o.on_step = [&](int step, double) {
    if (step == 7) stop = true;
  };
  {
    trainer::Trainer first(net, o);
    const auto st = first.train(data);
    EXPECT_TRUE(st.interrupted);
    EXPECT_EQ(st.steps_done, 7);
  }
  ASSERT_TRUE(std::filesystem::exists(dir.file("b.ckpt")));
  EXPECT_FALSE(std::filesystem::exists(dir.file("b.ckpt.tmp")));
  auto r = options(dir.file("b.ckpt"), 12);
  r.resume = true;
  trainer::Trainer second(net, r);
  const auto st = second.train(data);
  EXPECT_EQ(st.first_step, 7);
  EXPECT_EQ(st.steps_done, 12);
  EXPECT_EQ(all_weights(second.export_model()), want);
}

TEST(Resume, RefusesMissingCorruptAndForeignCheckpoints) {
  testing::TempDir dir;
  const CfgNetwork net = parse_cfg(testing::tiny_cfg(true, 2), "tiny.cfg");
  const trainer::Dataset data = testing::synthetic_bars(64, 4, {1, 8, 8}, 3);
  auto o = options(dir.file("missing.ckpt"), 2);
  o.resume = true;
  {
    trainer::Trainer t(net, o);
    EXPECT_THROW(t.train(data), Error);
  }
  testing::write_bytes(dir.file("corrupt.ckpt"), "not a checkpoint at all");
  o.checkpoint_path = dir.file("corrupt.ckpt");
  {
    trainer::Trainer t(net, o);
    try {
      t.train(data);
      FAIL() << "corrupt checkpoint accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("corrupt.ckpt"), std::string::npos) << e.what();
    }
  }
  // A checkpoint of another network.
  auto w = options(dir.file("other.ckpt"), 2);
  trainer::Trainer other(parse_cfg(testing::tiny_cfg(false, 2), "other.cfg"), w);
  other.train(data);
  o.checkpoint_path = dir.file("other.ckpt");
  trainer::Trainer t(net, o);
  try {
    t.train(data);
    FAIL() << "foreign checkpoint accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("another network"), std::string::npos) << e.what();
  }
}

// Issue 15 finding: a resume with another --batch or --seed would train on
// other samples than the run it continues; it is refused, naming both.
TEST(Resume, AnotherBatchOrSeedIsRefused) {
  testing::TempDir dir;
  const CfgNetwork net = parse_cfg(testing::tiny_cfg(true, 2), "tiny.cfg");
  const trainer::Dataset data = testing::synthetic_bars(64, 4, {1, 8, 8}, 3);
  auto o = options(dir.file("run.ckpt"), 2);
  {
    trainer::Trainer first(net, o);
    first.train(data);
  }
  o.resume = true;
  o.steps = 4;
  for (int change = 0; change < 2; ++change) {
    auto changed = o;
    if (change == 0) changed.batch = o.batch + 1;
    else changed.seed = o.seed + 1;
    trainer::Trainer t(net, changed);
    try {
      t.train(data);
      ADD_FAILURE() << "resume with another " << (change ? "seed" : "batch") << " accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("must keep --batch and --seed"), std::string::npos) << e.what();
    }
  }
  trainer::Trainer same(net, o);  // the same settings resume
  EXPECT_EQ(same.train(data).steps_done, 4);
}

TEST(Resume, WrongImageShapeIsAnError) {
  const CfgNetwork net = parse_cfg(testing::tiny_cfg(true, 2), "tiny.cfg");
  trainer::Trainer t(net, options("", 2));
  EXPECT_THROW(t.train(testing::synthetic_bars(16, 4, {1, 9, 8}, 3)), Error);
}

}  // namespace
}  // namespace ifq
