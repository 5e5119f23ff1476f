// ifq model-average: the element-wise mean of float models of one network.
// Copies of a model average back to it bit for bit; two models average to
// the mean of every tensor (latent binary weights, alpha, bias, BN gamma,
// beta and running statistics); another network, a single model or an input
// as --out are errors that write nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "cli_run.hpp"
#include "ifq/model_io.hpp"
#include "random_networks.hpp"
#include "temp_dir.hpp"

namespace ifq {
namespace {

// Every float tensor of a model, in layer order (what model-average averages).
std::vector<std::vector<float>*> tensors_of(FloatModel& m) {
  std::vector<std::vector<float>*> out;
  auto add = [&](std::vector<float>& v) {
    if (!v.empty()) out.push_back(&v);
  };
  for (Layer& l : m.layers) {
    if (auto* c = std::get_if<ConvLayer>(&l)) add(c->weight), add(c->alpha), add(c->bias);
    if (auto* f = std::get_if<FcLayer>(&l)) add(f->weight), add(f->alpha), add(f->bias);
    if (auto* b = std::get_if<BatchNormLayer>(&l)) add(b->gamma), add(b->beta), add(b->mean), add(b->var);
  }
  return out;
}

class ModelAverage : public ::testing::Test {
 protected:
  testing::TempDir dir;
  std::mt19937 rng{23};
  FloatModel a = testing::random_network(rng, {.quantized_first = true, .binary_last = true, .share_weights = true});
  std::string a_path = dir.file("a.ifqf");
  void SetUp() override { save_float_model(a, a_path); }
};

TEST_F(ModelAverage, CopiesOfOneModelAverageToItBitForBit) {
  const std::string out = dir.file("mean.ifqf");
  const CliRun r = run("model-average --out " + out + " " + a_path + " " + a_path + " " + a_path);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("the mean of 3 models"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("do not all share: 0 of "), std::string::npos) << r.output;
  EXPECT_EQ(testing::read_bytes(out), testing::read_bytes(a_path));
}

TEST_F(ModelAverage, EveryTensorIsTheMeanOfTheModels) {
  // b: every value of a moved by a random amount, some binary signs flipped.
  FloatModel b = a;
  std::normal_distribution<float> noise(0.f, 0.3f);
  for (std::vector<float>* t : tensors_of(b))
    for (float& v : *t) v += noise(rng);
  auto positive = [](std::vector<float>& t) {
    for (float& v : t) v = std::abs(v) + 0.01f;
  };
  for (Layer& l : b.layers) {  // variances and alphas stay positive
    if (auto* n = std::get_if<BatchNormLayer>(&l)) positive(n->var);
    if (auto* c = std::get_if<ConvLayer>(&l)) positive(c->alpha);
    if (auto* f = std::get_if<FcLayer>(&l)) positive(f->alpha);
  }
  const std::string b_path = dir.file("b.ifqf"), out = dir.file("mean.ifqf");
  save_float_model(b, b_path);
  const CliRun r = run("model-average --out " + out + " " + a_path + " " + b_path);
  ASSERT_EQ(r.status, 0) << r.output;
  FloatModel mean = load_float_model(out);
  ASSERT_EQ(float_model_graph(mean), float_model_graph(a));
  const auto ta = tensors_of(a), tb = tensors_of(b), tm = tensors_of(mean);
  ASSERT_EQ(tm.size(), ta.size());
  size_t values = 0;
  for (size_t t = 0; t < tm.size(); ++t) {
    ASSERT_EQ(tm[t]->size(), ta[t]->size());
    for (size_t i = 0; i < tm[t]->size(); ++i, ++values)
      ASSERT_EQ((*tm[t])[i], float((double((*ta[t])[i]) + double((*tb[t])[i])) / 2)) << "tensor " << t << " value " << i;
  }
  EXPECT_GT(values, 100u);
  EXPECT_EQ(r.output.find("do not all share: 0 of "), std::string::npos) << "noise of 0.3 flips some signs: " << r.output;
}

TEST_F(ModelAverage, AnotherNetworkOneModelOrAnInputAsOutIsAnError) {
  const std::string out = dir.file("mean.ifqf");
  FloatModel other = a;
  for (Layer& l : other.layers)
    if (auto* q = std::get_if<HwgqLayer>(&l)) q->step *= 1.5f;  // same tensors, another quantizer
  const std::string other_path = dir.file("other.ifqf");
  save_float_model(other, other_path);
  CliRun r = run("model-average --out " + out + " " + a_path + " " + other_path);
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("ifq: error: " + other_path + " is not the same network as " + a_path), std::string::npos)
      << r.output;
  r = run("model-average --out " + out + " " + a_path);
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("ifq: error: model-average needs at least two models"), std::string::npos) << r.output;
  const std::string before = testing::read_bytes(a_path);
  r = run("model-average --out " + a_path + " " + a_path + " " + a_path);
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("is also an input"), std::string::npos) << r.output;
  EXPECT_EQ(testing::read_bytes(a_path), before);
  r = run("model-average --out " + out + " " + a_path + " " + dir.file("missing.ifqf"));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("ifq: error:"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(out));
}

}  // namespace
}  // namespace ifq
