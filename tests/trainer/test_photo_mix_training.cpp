// Photo-set training (ifq/train/photo_mix.hpp) resumes exactly, and fixed
// images mixed with photo sets are refused.
#include <gtest/gtest.h>

#include "ifq/cfg.hpp"
#include "ifq/error.hpp"
#include "ifq_trainer/trainer.hpp"
#include "photo_images.hpp"
#include "synthetic_data.hpp"
#include "temp_dir.hpp"

namespace ifq {
namespace {

using testing::white_faces;

TEST(PhotoMix, PhotoSetTrainingResumesExactly) {
  testing::TempDir dir;
  const CfgNetwork net = parse_cfg(testing::kRegionCfg, "r.cfg");
  trainer::DetectionDataset data;
  data.shape = {3, 32, 32};
  data.photo_sets.resize(2);
  data.photo_sets[0].name = "a";
  data.photo_sets[0].photos.push_back(white_faces(80, 60, {{10, 10, 20, 24}, {50, 20, 16, 20}}));
  data.photo_sets[1].name = "b", data.photo_sets[1].weight = 0.5;
  data.photo_sets[1].photos.push_back(white_faces(40, 40, {{5, 5, 30, 30}}));
  trainer::TrainOptions o;
  o.threads = 1;
  o.steps = 8;
  o.progress = false;
  o.multi_scale_min = 32;
  o.multi_scale_max = 64;
  o.photo_augment.inference_side = 64;
  const auto runs = testing::train_straight_and_resumed(net, data, o, 5, dir.file(""));
  EXPECT_TRUE(runs.interrupted);
  EXPECT_EQ(runs.resumed_from, 5);
  EXPECT_EQ(runs.resumed, runs.straight);

  trainer::DetectionDataset mixed = data;  // fixed images and photo sets together are refused
  mixed.images.assign(size_t(data.shape.elements()), 0);
  mixed.truths.resize(1);
  trainer::Trainer t(net, o);
  EXPECT_THROW(t.train(mixed), Error);
}

}  // namespace
}  // namespace ifq
