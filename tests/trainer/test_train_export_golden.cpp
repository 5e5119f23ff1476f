// Train -> export -> golden file -> convert (integrated) -> reference integer
// runtime: the integer levels equal LibTorch's golden levels at every
// quantizer, exactly.
#include <gtest/gtest.h>

#include "ifq/cfg.hpp"
#include "ifq/convert.hpp"
#include "ifq/error.hpp"
#include "ifq/model_io.hpp"
#include "ifq/runtime.hpp"
#include "ifq/verify.hpp"
#include "ifq/train/golden.hpp"
#include "ifq_trainer/trainer.hpp"
#include "synthetic_data.hpp"
#include "temp_dir.hpp"

namespace ifq {
namespace {

struct Trained {
  FloatModel model;
  trainer::TrainStats stats;
};

Trained train_tiny(bool first_last_float, int bits, int steps, bool dupnet = false) {
  const CfgNetwork net = parse_cfg(testing::tiny_cfg(first_last_float, bits, dupnet), "tiny.cfg");
  trainer::TrainOptions o;
  o.threads = 1;
  o.steps = steps;
  o.progress = false;
  trainer::Trainer t(net, o);
  Trained r;
  r.stats = t.train(testing::synthetic_bars(512, 4, {1, 8, 8}, 9));
  r.model = t.export_model();
  return r;
}

TEST(TrainExportGolden, TrainingLearnsTheSyntheticTask) {
  const Trained t = train_tiny(true, 2, 60);
  EXPECT_EQ(t.stats.steps_done, 60);
  const trainer::Dataset test = testing::synthetic_bars(200, 4, {1, 8, 8}, 1234);
  const auto ev = trainer::torch_evaluate(t.model, test, true, false, 1);
  const auto acc = trainer::accuracy_from_logits(ev.logits, ev.classes, test.labels);
  EXPECT_GT(acc.top1, 0.6) << "chance is 0.25";
}

class GoldenParity : public ::testing::TestWithParam<int> {};

TEST_P(GoldenParity, AllBinaryNetworkIntegerLevelsEqualGoldenEverywhere) {
  const int bits = GetParam();
  const Trained t = train_tiny(false, bits, 25);
  testing::TempDir dir;
  save_float_model(t.model, dir.file("m.ifqf"));
  const FloatModel model = load_float_model(dir.file("m.ifqf"));
  const trainer::Dataset samples = testing::synthetic_bars(64, 4, {1, 8, 8}, 77);
  trainer::save_golden(trainer::make_golden(model, samples, 1), dir.file("m.golden"));
  const trainer::GoldenFile golden = trainer::load_golden(dir.file("m.golden"));
  ASSERT_EQ(golden.samples.size(), 64u);
  ASSERT_EQ(golden.quant_layers.size(), 3u);

  const ConvertResult c = convert(model);
  ReferenceRuntime rt(c.model);
  rt.set_record(true);
  int64_t compared = 0;
  for (const auto& s : golden.samples) {
    rt.run(s.image);
    // Each substructure holds one quantizer (a max pool may follow it, as
    // Darknet cfgs place [maxpool] after the activation).
    for (const SubstructureSpan& sp : c.model.substructures) {
      int threshold_op = -1;
      for (int o = sp.op_begin; o < sp.op_end; ++o)
        if (std::holds_alternative<IntThresholdOp>(c.model.ops[size_t(o)])) threshold_op = o;
      for (size_t q = 0; q < golden.quant_layers.size(); ++q)
        if (golden.quant_layers[q] >= sp.layer_begin && golden.quant_layers[q] < sp.layer_end) {
          ASSERT_GE(threshold_op, 0);
          EXPECT_EQ(rt.recorded()[size_t(threshold_op)].data, s.levels[q]) << "quantizer at layer " << golden.quant_layers[q];
          compared += int64_t(s.levels[q].size());
        }
    }
  }
  EXPECT_EQ(compared, int64_t(64) * (6 * 4 * 4 + 8 * 4 * 4 + 8 * 2 * 2));  // every quantizer
}

TEST_P(GoldenParity, FirstLastFloatNetworkQuantizedSubstructuresEqualTheFloatNetwork) {
  const Trained t = train_tiny(true, GetParam(), 25);
  const ConvertResult c = convert(t.model);
  std::vector<std::vector<uint8_t>> images;
  const trainer::Dataset samples = testing::synthetic_bars(64, 4, {1, 8, 8}, 78);
  for (int64_t i = 0; i < samples.size(); ++i) images.push_back(samples.image(i));
  const VerifyReport rep = verify_conversion(t.model, c.model, images);
  EXPECT_GT(rep.quantized_compared(), 0);
  EXPECT_EQ(rep.quantized_mismatched(), 0);
}

INSTANTIATE_TEST_SUITE_P(Bits, GoldenParity, ::testing::Values(2, 3, 4));

// DupNet (issue 12): the copies of a duplicated filter are tied (one stored
// filter, alpha equal across copies), the model learns, and its integrated
// conversion keeps one stored filter per copy group with levels identical to
// the trained network's.
TEST(TrainExportGolden, DupNetTrainsTiedCopiesAndConvertsExactly) {
  const Trained t = train_tiny(false, 2, 60, /*dupnet=*/true);
  const auto& first = std::get<ConvLayer>(t.model.layers[1]);
  ASSERT_EQ(first.duplicate, 2);
  ASSERT_EQ(first.input_repeat, 2);
  EXPECT_EQ(first.weight.size(), size_t(3 * 2 * 1 * 9));
  for (int o = 3; o < 6; ++o) EXPECT_EQ(first.alpha[size_t(o)], first.alpha[size_t(o - 3)]);
  const trainer::Dataset test = testing::synthetic_bars(200, 4, {1, 8, 8}, 1234);
  const auto acc = trainer::accuracy_from_logits(trainer::torch_evaluate(t.model, test, true, false, 1).logits, 4,
                                                 test.labels);
  EXPECT_GT(acc.top1, 0.4) << "chance is 0.25";

  testing::TempDir dir;
  save_float_model(t.model, dir.file("d.ifqf"));
  const FloatModel model = load_float_model(dir.file("d.ifqf"));
  const ConvertResult c = convert(model);
  int shared = 0;
  for (const auto& op : c.model.ops)
    if (auto* conv = std::get_if<IntConvOp>(&op)) shared += conv->duplicate > 1;
  EXPECT_EQ(shared, 2);
  std::vector<std::vector<uint8_t>> images;
  for (int64_t i = 0; i < test.size(); ++i) images.push_back(test.image(i));
  const VerifyReport rep = verify_conversion(model, c.model, images);
  EXPECT_GT(rep.quantized_compared(), 0);
  EXPECT_EQ(rep.quantized_mismatched(), 0);
}

TEST(GoldenFile, RoundTripAndCorruption) {
  testing::TempDir dir;
  trainer::GoldenFile g;
  g.model = "m";
  g.precision = "float64";
  g.input_shape = {1, 2, 2};
  g.quant_layers = {3};
  g.level_shapes = {{2, 1, 1}};
  g.level_bits = {2};
  g.classes = 2;
  g.samples.push_back({{1, 2, 3, 4}, {{0, 3}}, {0.5, -1.25}});
  trainer::save_golden(g, dir.file("g"));
  const auto r = trainer::load_golden(dir.file("g"));
  ASSERT_EQ(r.samples.size(), 1u);
  EXPECT_EQ(r.samples[0].image, g.samples[0].image);
  EXPECT_EQ(r.samples[0].levels, g.samples[0].levels);
  EXPECT_EQ(r.samples[0].logits, g.samples[0].logits);
  const std::string bytes = testing::read_bytes(dir.file("g"));
  testing::write_bytes(dir.file("t"), bytes.substr(0, bytes.size() - 3));
  try {
    trainer::load_golden(dir.file("t"));
    FAIL() << "truncated file accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
  testing::write_bytes(dir.file("x"), "IFQGOLD2" + bytes.substr(8));
  EXPECT_THROW(trainer::load_golden(dir.file("x")), Error);
  EXPECT_THROW(trainer::load_golden(dir.file("missing")), Error);
}

}  // namespace
}  // namespace ifq
