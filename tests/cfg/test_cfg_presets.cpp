// The presets in models/: geometry, parameter counts against the paper, and
// the substructures the converter must find in them.
#include <gtest/gtest.h>

#include "ifq/cfg.hpp"
#include "ifq/convert.hpp"
#include "ifq/memory.hpp"
#include "ifq/substructure.hpp"
#include "ifq/verify.hpp"

namespace ifq {
namespace {

std::string model_path(const std::string& name) { return std::string(IFQ_SOURCE_DIR) + "/models/" + name; }

int64_t weights_only(const FloatModel& m, bool skip_last_weight_layer) {
  std::vector<int64_t> w;
  for (const Layer& l : m.layers) {
    if (auto* c = std::get_if<ConvLayer>(&l)) w.push_back(int64_t(c->weight.size()));
    if (auto* f = std::get_if<FcLayer>(&l)) w.push_back(int64_t(f->weight.size()));
  }
  if (skip_last_weight_layer) w.pop_back();
  int64_t s = 0;
  for (int64_t v : w) s += v;
  return s;
}

std::vector<std::string> describe_all(const FloatModel& m) {
  std::vector<std::string> out;
  for (const auto& s : divide_substructures(m))
    out.push_back(std::string(s.kind == SubstructureKind::Quantized ? "Q:" : "N:") + s.describe(m));
  return out;
}

TEST(CfgPresets, TinyYoloFaceHasThePapersParameterCount) {
  CfgOptions shapes_only;
  shapes_only.random_weights = false;
  const FloatModel m = load_cfg(model_path("tiny-yolo-face.cfg"), shapes_only);
  const auto shapes = infer_shapes(m);
  EXPECT_EQ(shapes.back(), (Shape3{30, 13, 13}));
  // algorithms.md §7: 15.76 M parameters = 63.0 MB float (paper Table 5: 63.00 MB).
  const int64_t p = count_parameters(m);
  EXPECT_NEAR(double(p) / 1e6, 15.76, 0.01);
  EXPECT_NEAR(double(p) * 4 / 1e6, 63.0, 0.1);
  EXPECT_TRUE(std::holds_alternative<RegionLayer>(m.layers.back()));
}

TEST(CfgPresets, TinierYoloFaceMatchesAlgorithmsNotes) {
  const FloatModel m = load_cfg(model_path("tinier-yolo-face.cfg"));
  // algorithms.md §7: the one layer list that gives all three published sizes
  // (3x3 detection conv): 1,973,080 weights = 7,892,320 B float (7.89 MB).
  EXPECT_EQ(weights_only(m, false), 1973080);
  EXPECT_EQ(weights_only(m, false) * 4, 7892320);
  EXPECT_EQ(infer_shapes(m).back(), (Shape3{30, 13, 13}));
  // Same geometry, binary and 2-bit in the IFQ variant.
  const FloatModel q = load_cfg(model_path("ifq-tinier-yolo-face.cfg"));
  EXPECT_EQ(weights_only(q, false), weights_only(m, false));
  int binary = 0, hwgq = 0;
  for (const Layer& l : q.layers) {
    if (auto* c = std::get_if<ConvLayer>(&l)) binary += c->weight_kind == WeightKind::Binary;
    if (auto* h = std::get_if<HwgqLayer>(&l)) {
      EXPECT_EQ(h->bits, 2);
      ++hwgq;
    }
  }
  EXPECT_EQ(binary, 9);  // all convolutions
  EXPECT_EQ(hwgq, 8);    // all but the detection conv
}

TEST(CfgPresets, IfqTinierYoloHasThePapers246635WeightBytes) {
  CfgOptions o;
  o.seed = 3;
  const FloatModel m = load_cfg(model_path("ifq-tinier-yolo-face.cfg"), o);
  const ConvertResult c = convert(m);
  const MemoryReport rep = account_memory(c.model);
  // The paper's "246k Bytes" counts weight bits only: 1,973,080 one-bit weights.
  EXPECT_EQ(rep.weight_size_bytes, 246635);
  // Thresholds, the detection conv's fixed-point bias and the rest come on top.
  EXPECT_GT(rep.model_size_bytes, rep.weight_size_bytes);
  EXPECT_LE(rep.model_size_bytes, 256 * 1024) << rep.model_size_bytes << " bytes";
}

TEST(CfgPresets, AlexNetHwgqHas58Point3MillionParametersWithoutFc8) {
  CfgOptions shapes_only;
  shapes_only.random_weights = false;
  const FloatModel m = load_cfg(model_path("alexnet-hwgq.cfg"), shapes_only);
  // Paper §4.1.3: 58.3 million (weights of conv1..fc7; fc8 excluded).
  EXPECT_NEAR(double(weights_only(m, true)) / 1e6, 58.3, 0.05);
  EXPECT_EQ(infer_shapes(m).back(), (Shape3{1000, 1, 1}));
  // Paper Table 1: 7 substructures, the first and last non-quantized.
  const auto subs = describe_all(m);
  ASSERT_EQ(subs.size(), 7u) << ::testing::PrintToString(subs);
  EXPECT_EQ(subs.front().substr(0, 2), "N:");
  EXPECT_EQ(subs.back().substr(0, 2), "N:");
  for (size_t i = 1; i + 1 < subs.size(); ++i) EXPECT_EQ(subs[i].substr(0, 2), "Q:") << subs[i];
}

TEST(CfgPresets, AlexNetHwgqConvertsEndToEnd) {
  // A randomly initialised AlexNet-HWGQ, converted integrated, run by the
  // reference integer runtime on one random image: quantized substructures
  // must agree with the float network level for level.
  CfgOptions o;
  o.seed = 11;
  const FloatModel m = load_cfg(model_path("alexnet-hwgq.cfg"), o);
  const ConvertResult c = convert(m);
  std::vector<uint8_t> image(size_t(3 * 227 * 227));
  uint32_t s = 7;
  for (auto& p : image) p = uint8_t((s = s * 1664525u + 1013904223u) >> 24);
  const VerifyReport rep = verify_conversion(m, c.model, {image});
  EXPECT_GT(rep.quantized_compared(), 0);
  EXPECT_EQ(rep.quantized_mismatched(), 0);
}

TEST(CfgPresets, FashionNetworksDivideLikeAlexNetHwgq) {
  const FloatModel hwgq = load_cfg(model_path("fashion-hwgq.cfg"));
  EXPECT_EQ(describe_all(hwgq), (std::vector<std::string>{"N:input,conv,maxpool,batchnorm,hwgq",
                                                          "Q:conv(b),maxpool,batchnorm,hwgq", "Q:fc(b),batchnorm,hwgq",
                                                          "N:fc"}));
  const FloatModel allq = load_cfg(model_path("fashion-hwgq-allq.cfg"));
  const auto subs = describe_all(allq);
  ASSERT_EQ(subs.size(), 4u);
  EXPECT_EQ(subs[0].substr(0, 2), "Q:") << subs[0];
  EXPECT_EQ(subs[3].substr(0, 2), "N:") << subs[3];
  const FloatModel fp32 = load_cfg(model_path("fashion-fp32.cfg"));
  EXPECT_EQ(infer_shapes(fp32), infer_shapes(hwgq));
}

// DupNet-Tinier-YOLO (issue 12, docs/dupnet.md): at most 36.9 KB (37,785 B)
// of weight bits, every duplicated conv stored once in the integer model,
// and its levels identical to the float network's (random weights; the
// trained model: ShippedModels and the face benchmark's level check).
TEST(CfgPresets, DupNetTinierYoloFitsThePapers36Point9KbAndConvertsExactly) {
  CfgOptions o;
  o.seed = 9;
  o.width = o.height = 96;
  const FloatModel m = load_cfg(model_path("dupnet-tinier-yolo-face.cfg"), o);
  const ConvertResult c = convert(m);
  const MemoryReport rep = account_memory(c.model);
  EXPECT_EQ(rep.weight_size_bytes, 32252);
  EXPECT_LE(rep.weight_size_bytes, 37785);
  int duplicated = 0, repeated = 0;
  for (const auto& op : c.model.ops)
    if (auto* conv = std::get_if<IntConvOp>(&op)) duplicated += conv->duplicate > 1, repeated += conv->input_repeat > 1;
  EXPECT_EQ(duplicated, 4);
  EXPECT_EQ(repeated, 1);
  EXPECT_EQ(describe_all(m), describe_all(load_cfg(model_path("ifq-tinier-yolo-face.cfg"), o)));
  std::vector<std::vector<uint8_t>> images;
  for (int i = 0; i < 4; ++i) {
    std::vector<uint8_t> img(3 * 96 * 96);
    for (size_t k = 0; k < img.size(); ++k) img[k] = uint8_t((k * 2654435761u + uint32_t(i) * 97u) >> 13);
    images.push_back(img);
  }
  const VerifyReport v = verify_conversion(m, c.model, images);
  EXPECT_GT(v.quantized_compared(), 0);
  EXPECT_EQ(v.quantized_mismatched(), 0);
}

TEST(CfgPresets, AllParseWithoutIgnoredKeysAndDeterministically) {
  for (const char* name : {"tiny-yolo-face.cfg", "ifq-tiny-yolo-face.cfg", "tinier-yolo-face.cfg",
                           "ifq-tinier-yolo-face.cfg", "dupnet-tinier-yolo-face.cfg", "alexnet-hwgq.cfg",
                           "fashion-hwgq.cfg", "fashion-hwgq-allq.cfg", "fashion-fp32.cfg"}) {
    SCOPED_TRACE(name);
    // Random weights for the small networks only (AlexNet's 62 M take seconds).
    CfgOptions o;
    o.seed = 5;
    o.random_weights = std::string(name).find("tiny-") == std::string::npos &&
                       std::string(name).find("alexnet") == std::string::npos;
    const CfgNetwork a = load_cfg_network(model_path(name), o), b = load_cfg_network(model_path(name), o);
    EXPECT_TRUE(a.ignored_keys.empty());
    ASSERT_EQ(a.model.layers.size(), b.model.layers.size());
    for (size_t i = 0; i < a.model.layers.size(); ++i) {
      if (auto* c = std::get_if<ConvLayer>(&a.model.layers[i])) {
        EXPECT_EQ(c->weight, std::get<ConvLayer>(b.model.layers[i]).weight);
      }
    }
  }
}

}  // namespace
}  // namespace ifq
