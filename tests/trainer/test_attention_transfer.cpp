// Attention transfer (TrainOptions::distill_attention, ifq train
// --distill-attention): the attention of a feature map ignores its scale and
// its width, a student trained with it ends closer to its teacher's attention
// than the same run without it, and a teacher whose conv layers do not pair up
// is refused by name.
#include <gtest/gtest.h>

#include <random>

#include "ifq/cfg.hpp"
#include "ifq/detect/image.hpp"
#include "ifq/error.hpp"
#include "ifq/train/detection_data.hpp"
#include "ifq_trainer/trainer.hpp"
#include "synthetic_data.hpp"
#include "temp_dir.hpp"

namespace ifq {
namespace {

// A small detector: conv, pool, conv, pool, 1x1 head, region. No BN, so that
// scaling the first two convs scales what the next ones read.
const char* kCfg =
    "[net]\nwidth=32\nheight=32\nchannels=3\nbatch=8\nmean=0\nstd=255\nlearning_rate=0.002\nmomentum=0.9\n"
    "decay=0.0005\nmax_batches=80\npolicy=constant\n"
    "[convolutional]\nfilters=8\nsize=3\nstride=1\npad=1\nactivation=leaky\n"
    "[maxpool]\nsize=2\nstride=2\n"
    "[convolutional]\nfilters=16\nsize=3\nstride=1\npad=1\nactivation=leaky\n"
    "[maxpool]\nsize=2\nstride=2\n"
    "[convolutional]\nfilters=12\nsize=1\nstride=1\npad=0\nactivation=linear\n"
    "[region]\nanchors=1.5,1.5,3,3\nnum=2\nclasses=1\ncoords=4\nbias_match=1\nrescore=1\nobject_scale=5\n"
    "noobject_scale=1\nclass_scale=1\ncoord_scale=1\nthresh=.6\n";

trainer::TrainOptions quiet(int steps, uint64_t seed) {
  trainer::TrainOptions o;
  o.threads = 1;
  o.progress = false;
  o.optimizer = "adam";
  o.steps = steps;
  o.seed = seed;
  return o;
}

FloatModel initial_model(uint64_t seed) {
  CfgOptions c;
  c.seed = seed;
  trainer::Trainer t(parse_cfg(kCfg, "at.cfg", c), quiet(1, seed));
  return t.export_model();
}

// Random 32x32 images with a few bright squares (faces for the detector data).
trainer::DetectionDataset squares(int count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  trainer::DetectionDataset d;
  d.shape = {3, 32, 32};
  for (int i = 0; i < count; ++i) {
    detect::Image im = detect::make_image(32, 32);
    for (auto& v : im.rgb) v = uint8_t(40 + rng() % 60);
    const int side = 8 + int(rng() % 8), x0 = int(rng() % uint64_t(32 - side)), y0 = int(rng() % uint64_t(32 - side));
    for (int y = y0; y < y0 + side; ++y)
      for (int x = x0; x < x0 + side; ++x)
        for (int c = 0; c < 3; ++c) im.rgb[size_t((y * 32 + x) * 3 + c)] = 220;
    trainer::add_detection_image(d, im, {detect::Box{double(x0), double(y0), double(side), double(side)}});
  }
  return d;
}

trainer::Dataset images_of(const trainer::DetectionDataset& d) {
  trainer::Dataset images;
  images.shape = d.shape;
  images.classes = 1;
  images.images = d.images;
  images.labels.assign(size_t(d.size()), 0);
  return images;
}

ConvLayer& conv(FloatModel& m, int k) {  // the k-th conv layer (0-based)
  for (Layer& l : m.layers)
    if (auto* c = std::get_if<ConvLayer>(&l); c && k-- == 0) return *c;
  throw Error("no such conv");
}

TEST(AttentionTransfer, IgnoresScaleAndWidthOfTheMaps) {
  const FloatModel student = initial_model(5);
  const trainer::Dataset images = images_of(squares(12, 1));
  EXPECT_LT(trainer::attention_transfer_gap(student, student, images), 1e-12);

  // The first conv scaled by 3 (and the second's bias): leaky ReLU and max
  // pooling are positively homogeneous, so the second and third convs read
  // 3x the maps: same attention.
  FloatModel scaled = student;
  for (float& w : conv(scaled, 0).weight) w *= 3;
  for (float& b : conv(scaled, 0).bias) b *= 3;
  for (float& b : conv(scaled, 1).bias) b *= 3;
  EXPECT_LT(trainer::attention_transfer_gap(student, scaled, images), 1e-9);

  // Twice as wide: every first-conv filter twice, the second conv reading
  // each copy with half the weight. The same function, 16 channels in
  // between instead of 8: same attention.
  FloatModel wide = student;
  ConvLayer& c0 = conv(wide, 0);
  const int f0 = c0.out_channels, fan0 = int(c0.weight.size()) / f0;
  std::vector<float> w0 = c0.weight;
  w0.insert(w0.end(), c0.weight.begin(), c0.weight.end());
  std::vector<float> b0 = c0.bias;
  b0.insert(b0.end(), c0.bias.begin(), c0.bias.end());
  c0.weight = w0, c0.bias = b0, c0.out_channels = 2 * f0;
  ConvLayer& c1 = conv(wide, 1);
  const int k2 = c1.kernel * c1.kernel;
  std::vector<float> w1;
  for (int o = 0; o < c1.out_channels; ++o)
    for (int copy = 0; copy < 2; ++copy)
      for (int i = 0; i < f0; ++i)
        for (int k = 0; k < k2; ++k) w1.push_back(0.5f * c1.weight[size_t((o * f0 + i) * k2 + k)]);
  c1.weight = w1;
  ASSERT_EQ(fan0, 3 * 9);
  EXPECT_LT(trainer::attention_transfer_gap(student, wide, images), 1e-9);

  // Another network's maps are elsewhere: a clearly positive gap.
  EXPECT_GT(trainer::attention_transfer_gap(student, initial_model(6), images), 1e-3);
}

TEST(AttentionTransfer, PullsTheStudentTowardsTheTeachersAttention) {
  const trainer::DetectionDataset data = squares(32, 2);
  const trainer::Dataset images = images_of(data);
  const CfgNetwork net = parse_cfg(kCfg, "at.cfg");
  // The teacher: the detector trained for a while from another start.
  CfgOptions tc;
  tc.seed = 9;
  trainer::Trainer teacher_training(parse_cfg(kCfg, "at.cfg", tc), quiet(120, 9));
  teacher_training.train(data);
  auto teacher = std::make_shared<const FloatModel>(teacher_training.export_model());
  // Two students from the same start with the same samples, without and with
  // attention transfer (both with the teacher's region terms, so only the
  // attention term differs).
  trainer::TrainOptions o = quiet(60, 1);
  o.distill_teacher = teacher;
  trainer::Trainer plain(net, o);
  const double start = trainer::attention_transfer_gap(plain.export_model(), *teacher, images, 1);
  plain.train(data);
  o.distill_attention = 50;
  trainer::Trainer attending(net, o);
  attending.train(data);
  const double without = trainer::attention_transfer_gap(plain.export_model(), *teacher, images, 1);
  const double with = trainer::attention_transfer_gap(attending.export_model(), *teacher, images, 1);
  std::printf("attention gap to the teacher: start %.4f, trained without %.4f, with %.4f\n", start, without, with);
  EXPECT_LT(with, 0.75 * without);  // measured: 0.48 of it
  EXPECT_LT(with, 0.5 * start);
}

TEST(AttentionTransfer, ResumeEqualsStraightThrough) {
  testing::TempDir dir;
  const trainer::DetectionDataset data = squares(6, 4);
  trainer::TrainOptions o = quiet(8, 2);
  o.distill_teacher = std::make_shared<const FloatModel>(initial_model(7));
  o.distill_attention = 10;
  const auto runs = testing::train_straight_and_resumed(parse_cfg(kCfg, "at.cfg"), data, o, 5, dir.file(""));
  EXPECT_TRUE(runs.interrupted);
  EXPECT_EQ(runs.resumed_from, 5);
  EXPECT_EQ(runs.resumed, runs.straight);
}

TEST(AttentionTransfer, RefusesATeacherWithOtherConvLayers) {
  const CfgNetwork net = parse_cfg(kCfg, "at.cfg");
  std::string deeper = kCfg;
  deeper.replace(deeper.find("[convolutional]\nfilters=12"), 0,
                 "[convolutional]\nbatch_normalize=1\nfilters=16\nsize=3\nstride=1\npad=1\nactivation=leaky\n");
  trainer::TrainOptions o = quiet(1, 1);
  o.distill_teacher = std::make_shared<const FloatModel>(parse_cfg(deeper, "deeper.cfg").model);
  o.distill_attention = 1;
  try {
    trainer::Trainer t(net, o);
    ADD_FAILURE() << "a teacher with 4 conv layers was accepted for a student with 3";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("has 4 conv layers"), std::string::npos) << e.what();
  }
  o.distill_attention = 0;  // without attention transfer the same teacher is fine
  EXPECT_NO_THROW(trainer::Trainer(net, o));
  o.distill_teacher = nullptr;
  o.distill_attention = 1;
  EXPECT_THROW(trainer::Trainer(net, o), Error);
  EXPECT_THROW(trainer::attention_transfer_gap(parse_cfg(kCfg, "at.cfg").model,
                                               parse_cfg(deeper, "deeper.cfg").model, images_of(squares(2, 3))),
               Error);
}

}  // namespace
}  // namespace ifq
