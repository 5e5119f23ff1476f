// What cfg sections become: layer order, Darknet defaults, our keys.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <tuple>

#include "ifq/cfg.hpp"
#include "ifq/convert.hpp"
#include "ifq/error.hpp"
#include "ifq/model_io.hpp"
#include "temp_dir.hpp"

namespace ifq {
namespace {

std::vector<std::string> types(const FloatModel& m) {
  std::vector<std::string> t;
  for (const Layer& l : m.layers) t.push_back(layer_type_name(l));
  return t;
}

TEST(CfgSemantics, ConvWithPoolBnHwgqIsThePapersSubstructureOrder) {
  const auto net = parse_cfg(
      "[net]\nwidth=12\nheight=10\nchannels=3\nmean=1,2,3\nstd=2,4,8\n"
      "[convolutional]\nbinary=1\nfilters=4\nsize=3\npad=1\npool_size=2\npool_stride=2\nbatch_normalize=1\n"
      "bn_affine=0\nactivation=hwgq\nquant_bits=3\n"
      "[maxpool]\nsize=2\nstride=2\n"
      "[connected]\noutput=5\nactivation=linear\n",
      "t.cfg");
  const FloatModel& m = net.model;
  EXPECT_EQ(types(m), (std::vector<std::string>{"input", "conv", "maxpool", "batchnorm", "hwgq", "maxpool", "fc"}));
  const auto& in = std::get<InputLayer>(m.layers[0]);
  EXPECT_EQ(in.shape, (Shape3{3, 10, 12}));
  EXPECT_EQ(in.mean, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(in.std, (std::vector<float>{2, 4, 8}));
  const auto& conv = std::get<ConvLayer>(m.layers[1]);
  EXPECT_EQ(conv.weight_kind, WeightKind::Binary);
  EXPECT_EQ(conv.pad, 1);
  EXPECT_TRUE(conv.bias.empty());  // the BN follows
  ASSERT_EQ(conv.alpha.size(), 4u);
  for (int o = 0; o < 4; ++o) {  // alpha = mean |W| per output filter
    double s = 0;
    for (int i = 0; i < 27; ++i) s += std::fabs(conv.weight[size_t(o * 27 + i)]);
    EXPECT_FLOAT_EQ(conv.alpha[size_t(o)], float(s / 27));
  }
  const auto& pool_in = std::get<MaxPoolLayer>(m.layers[2]);
  EXPECT_EQ(pool_in.pad, 0);  // in-layer pool: no padding unless asked
  const auto& bn = std::get<BatchNormLayer>(m.layers[3]);
  EXPECT_TRUE(bn.gamma.empty());
  EXPECT_TRUE(bn.beta.empty());
  const auto& q = std::get<HwgqLayer>(m.layers[4]);
  EXPECT_EQ(q.bits, 3);
  EXPECT_FLOAT_EQ(q.step, float(hwgq_default_step(3)));
  const auto& pool = std::get<MaxPoolLayer>(m.layers[5]);
  EXPECT_EQ(pool.pad, 1);  // Darknet: padding defaults to size - 1
  const auto shapes = infer_shapes(m);
  EXPECT_EQ(shapes[5], (Shape3{4, 3, 3}));  // 5x6 -> (5+1-2)/2+1 = 3, (6+1-2)/2+1 = 3
  EXPECT_EQ(std::get<FcLayer>(m.layers[6]).bias.size(), 5u);
}

// Mean squared HWGQ quantization error of a unit half-Gaussian at step s:
// level = #{thresholds below x} (hwgq_level), value = level * s; midpoint
// rule on [0, 9], where the density has vanished.
double half_gaussian_mse(int bits, double s) {
  const int top = (1 << bits) - 1;
  const double dx = 2e-4;
  double sum = 0;
  for (double x = dx / 2; x < 9; x += dx) {
    // The closed form of hwgq_level (thresholds 0, 1.5s, 2.5s, ...), checked below.
    const int level = std::min(top, std::max(1, int(std::floor(x / s + 0.5))));
    const double e = x - level * s;
    sum += e * e * std::exp(-x * x / 2);
  }
  return sum * dx * 2 / std::sqrt(2 * M_PI);
}

TEST(CfgSemantics, HwgqDefaultStepsAreTheHalfGaussianOptima) {
  // algorithms.md §1: each default step minimises the quantization error of a
  // unit half-Gaussian, found here by golden-section search (not restated).
  for (int bits = 1; bits <= 8; ++bits) {
    SCOPED_TRACE(bits);
    const double table = hwgq_default_step(bits);
    for (double x : {0.3 * table, 1.49 * table, 1.51 * table, 2.7 * table, 300 * table})
      EXPECT_EQ(hwgq_level(x, bits, table),
                std::min((1 << bits) - 1, std::max(1, int(std::floor(x / table + 0.5)))));
    double lo = 0.5 * table, hi = 1.5 * table;
    const double g = (std::sqrt(5.0) - 1) / 2;
    while (hi - lo > 1e-6) {
      const double a = hi - g * (hi - lo), b = lo + g * (hi - lo);
      if (half_gaussian_mse(bits, a) < half_gaussian_mse(bits, b)) hi = b;
      else lo = a;
    }
    // The table keeps four decimals.
    EXPECT_NEAR(table, (lo + hi) / 2, 6e-5);
  }
  EXPECT_THROW(hwgq_default_step(9), Error);
}

TEST(CfgSemantics, OverridesOfInputSizeAndBits) {
  const std::string text =
      "[net]\nwidth=16\nheight=16\nchannels=1\n"
      "[convolutional]\nbinary=1\nfilters=4\nsize=3\npad=1\nbatch_normalize=1\nactivation=hwgq\nquant_bits=2\nhwgq_step=0.7\n"
      "[convolutional]\nbinary=1\nfilters=4\nsize=3\npad=1\nbatch_normalize=1\nactivation=hwgq\nquant_bits=2\n";
  const auto plain = parse_cfg(text, "t.cfg");
  EXPECT_FLOAT_EQ(std::get<HwgqLayer>(plain.model.layers[3]).step, 0.7f);  // explicit step kept
  CfgOptions o;
  o.width = 40;
  o.height = 24;
  o.quant_bits = 4;
  const auto m = parse_cfg(text, "t.cfg", o).model;
  EXPECT_EQ(std::get<InputLayer>(m.layers[0]).shape, (Shape3{1, 24, 40}));
  for (int i : {3, 6}) {
    const auto& q = std::get<HwgqLayer>(m.layers[size_t(i)]);
    EXPECT_EQ(q.bits, 4);
    EXPECT_FLOAT_EQ(q.step, float(hwgq_default_step(4)));  // the k=2 step would be wrong for k=4
  }
}

TEST(CfgSemantics, SeedsChangeWeightsAndZeroInitKeepsShapes) {
  const std::string text = "[net]\nwidth=4\nheight=4\nchannels=1\n[connected]\noutput=3\nbinary=1\nactivation=linear\n";
  CfgOptions a, b, z;
  a.seed = 1;
  b.seed = 2;
  z.random_weights = false;
  const auto fa = std::get<FcLayer>(parse_cfg(text, "t", a).model.layers[1]);
  const auto fb = std::get<FcLayer>(parse_cfg(text, "t", b).model.layers[1]);
  const auto fz = std::get<FcLayer>(parse_cfg(text, "t", z).model.layers[1]);
  EXPECT_NE(fa.weight, fb.weight);
  EXPECT_EQ(fz.weight, std::vector<float>(48, 0.0f));
  EXPECT_EQ(fz.alpha, std::vector<float>(3, 1.0f));
  const float bound = std::sqrt(6.0f / 16);
  for (float w : fa.weight) EXPECT_LE(std::fabs(w), bound);
}

TEST(CfgSemantics, TrainingKeysAndRegion) {
  const auto net = parse_cfg(
      "[net]\nwidth=8\nheight=8\nchannels=3\nbatch=32\nsubdivisions=2\nlearning_rate=0.05\nmomentum=0.8\n"
      "decay=0.001\nmax_batches=500\npolicy=steps\nsteps=100,300\nscales=.1,.5\noptimizer=adam\n"
      "[convolutional]\nfilters=12\nsize=1\nactivation=leaky\n"
      "[region]\nanchors=1,2,3,4\nnum=2\nclasses=1\ncoords=4\njitter=.2\nthresh=.6\n",
      "t.cfg");
  const CfgTraining& t = net.training;
  EXPECT_EQ(t.batch, 32);
  EXPECT_DOUBLE_EQ(t.learning_rate, 0.05);
  EXPECT_DOUBLE_EQ(t.momentum, 0.8);
  EXPECT_DOUBLE_EQ(t.decay, 0.001);
  EXPECT_EQ(t.max_batches, 500);
  EXPECT_EQ(t.steps, (std::vector<int>{100, 300}));
  EXPECT_EQ(t.scales, (std::vector<double>{0.1, 0.5}));
  EXPECT_EQ(t.optimizer, "adam");
  ASSERT_EQ(net.ignored_keys.size(), 1u);  // subdivisions: Darknet-only
  EXPECT_NE(net.ignored_keys[0].find("t.cfg:6: subdivisions"), std::string::npos);
  const auto& r = std::get<RegionLayer>(net.model.layers.back());
  EXPECT_EQ(r.anchors, (std::vector<float>{1, 2, 3, 4}));
  EXPECT_DOUBLE_EQ(net.region_params.at("thresh"), 0.6);
  EXPECT_TRUE(std::holds_alternative<LeakyLayer>(net.model.layers[2]));
  EXPECT_EQ(net.origin.size(), net.model.layers.size());
  EXPECT_EQ(net.origin[1].line, 15);  // the [convolutional] header
}

// [region] scale_x_y (the centre scale, detect::region_offset) goes from the
// cfg into the float model, its file (version 4), the integer model and its
// file (version 3); a region without it stays scale 1 and version 1. Values
// outside [1, 4] are refused.
TEST(CfgSemantics, RegionCentreScaleReachesBothModelFiles) {
  const std::string head = "[net]\nwidth=8\nheight=8\nchannels=3\n[convolutional]\nfilters=12\nsize=1\nactivation=linear\n"
                           "[region]\nanchors=1,2,3,4\nnum=2\nclasses=1\n";
  testing::TempDir dir;
  for (const auto& [key, scale, float_version, int_version] :
       {std::tuple{"", 1.0f, "1", "1"}, {"scale_x_y=2\n", 2.0f, "4", "3"}}) {
    const FloatModel m = parse_cfg(head + key, "r.cfg").model;
    EXPECT_EQ(std::get<RegionLayer>(m.layers.back()).scale_x_y, scale);
    save_float_model(m, dir.file("r.ifqf"));
    EXPECT_EQ(testing::model_file_version(dir.file("r.ifqf")), float_version);
    EXPECT_EQ(std::get<RegionLayer>(load_float_model(dir.file("r.ifqf")).layers.back()).scale_x_y, scale);
    const IntModel im = convert(m).model;
    EXPECT_EQ(im.region.scale_x_y, scale);
    save_int_model(im, dir.file("r.ifqi"));
    EXPECT_EQ(testing::model_file_version(dir.file("r.ifqi")), int_version);
    EXPECT_EQ(load_int_model(dir.file("r.ifqi")).region.scale_x_y, scale);
  }
  for (const char* bad : {"scale_x_y=0.5\n", "scale_x_y=5\n"}) {
    try {
      parse_cfg(head + bad, "r.cfg");
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("scale_x_y"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace ifq
