// Detector training data beyond the loss: YOLOv2's jitter/colour/flip
// augmentation keeps boxes on their pixels, real photos cut into windows at
// inference scale keep theirs, multi-scale training resumes exactly, the
// burn-in and --init plumbing.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <filesystem>

#include "ifq/cfg.hpp"
#include "ifq/detect/image.hpp"
#include "ifq/error.hpp"
#include "ifq_trainer/detection_data.hpp"
#include "ifq_trainer/init_weights.hpp"
#include "ifq_trainer/trainer.hpp"
#include "synthetic_data.hpp"
#include "temp_dir.hpp"

namespace ifq {
namespace {

// A black CHW image with white rectangles at the given pixel boxes.
std::vector<uint8_t> white_boxes(Shape3 s, const std::vector<detect::Box>& boxes) {
  std::vector<uint8_t> img(size_t(s.elements()), 0);
  for (const auto& b : boxes)
    for (int c = 0; c < s.c; ++c)
      for (int y = int(b.y); y < int(b.y + b.h); ++y)
        for (int x = int(b.x); x < int(b.x + b.w); ++x) img[(size_t(c) * s.h + y) * s.w + x] = 255;
  return img;
}

// Mean of channel 0 inside a normalised truth box, shrunk by `inset` pixels.
double mean_inside(const std::vector<uint8_t>& img, Shape3 s, const trainer::TruthBox& t, double inset) {
  const int x0 = int(std::ceil((t.x - t.w / 2) * s.w + inset)), x1 = int(std::floor((t.x + t.w / 2) * s.w - inset));
  const int y0 = int(std::ceil((t.y - t.h / 2) * s.h + inset)), y1 = int(std::floor((t.y + t.h / 2) * s.h - inset));
  double sum = 0;
  int n = 0;
  for (int y = std::max(0, y0); y < std::min(s.h, y1); ++y)
    for (int x = std::max(0, x0); x < std::min(s.w, x1); ++x) sum += img[size_t(y) * s.w + x], ++n;
  return n ? sum / n : -1;
}

TEST(DetectionAugment, JitterMovesBoxesWithTheirPixels) {
  const Shape3 s{3, 96, 96};
  const std::vector<detect::Box> boxes{{10, 12, 20, 24}, {60, 50, 30, 30}};
  int kept = 0, dropped = 0;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    std::vector<uint8_t> img = white_boxes(s, boxes);
    std::vector<trainer::TruthBox> truths;
    for (const auto& b : boxes) truths.push_back({(b.x + b.w / 2) / s.w, (b.y + b.h / 2) / s.h, b.w / s.w, b.h / s.h, 0});
    trainer::DetectionAugment aug;
    aug.jitter = 0.3;
    aug.flip = true;
    uint64_t rng = seed;
    trainer::augment_detection(img.data(), s, truths, aug, rng);
    dropped += 2 - int(truths.size());
    for (const auto& t : truths) {
      ++kept;
      EXPECT_GE(t.x - t.w / 2, -1e-9);
      EXPECT_LE(t.x + t.w / 2, 1 + 1e-9);
      // Inside the moved box (away from its interpolated edge) the pixels are white.
      EXPECT_GT(mean_inside(img, s, t, 2.0), 240) << "seed " << seed;
    }
    // Nothing white far outside the boxes: every bright pixel lies in some box (+2 px).
    for (int y = 0; y < s.h; ++y)
      for (int x = 0; x < s.w; ++x) {
        if (img[size_t(y) * s.w + x] < 250) continue;
        bool inside = false;
        for (const auto& t : truths)
          inside |= std::fabs(x + 0.5 - t.x * s.w) <= t.w * s.w / 2 + 2 && std::fabs(y + 0.5 - t.y * s.h) <= t.h * s.h / 2 + 2;
        if (!inside) {
          // Only a box dropped for being mostly outside may leave bright pixels.
          EXPECT_LT(truths.size(), 2u) << "seed " << seed << " pixel " << x << "," << y;
        }
      }
  }
  EXPECT_GT(kept, 300);
  std::printf("jitter 0.3 over 200 draws: %d boxes kept, %d dropped (mostly outside the crop)\n", kept, dropped);
}

TEST(DetectionAugment, ColourKeepsGreyGreyAndIsOffAtOne) {
  const Shape3 s{3, 8, 8};
  std::vector<uint8_t> img(size_t(s.elements()));
  for (size_t i = 0; i < img.size(); ++i) img[i] = uint8_t(i * 37);
  std::vector<trainer::TruthBox> truths{{0.5, 0.5, 0.2, 0.2, 0}};
  trainer::DetectionAugment off;
  EXPECT_FALSE(off.any());
  auto copy = img;
  uint64_t rng = 3;
  trainer::augment_detection(copy.data(), s, truths, off, rng);
  EXPECT_EQ(copy, img);
  // A grey image stays grey under any saturation; exposure scales it.
  std::vector<uint8_t> grey(size_t(s.elements()), 100);
  trainer::DetectionAugment colour;
  colour.saturation = colour.exposure = 1.5;
  bool changed = false;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    auto g = grey;
    rng = seed;
    trainer::augment_detection(g.data(), s, truths, colour, rng);
    for (int i = 0; i < 64; ++i) {
      EXPECT_EQ(g[size_t(i)], g[size_t(64 + i)]);
      EXPECT_EQ(g[size_t(i)], g[size_t(128 + i)]);
    }
    EXPECT_GE(g[0], 66);   // 100 / 1.5
    EXPECT_LE(g[0], 150);  // 100 * 1.5
    changed |= g[0] != 100;
  }
  EXPECT_TRUE(changed);
  EXPECT_EQ(truths.size(), 1u);
  EXPECT_EQ(truths[0].x, 0.5);
}

TEST(DetectionAugment, ImglabPhotosAreCutIntoWindowsAtInferenceScale) {
  testing::TempDir dir;
  // A 200x100 photo with white faces; at inference size 128x128 it is stretched by 0.64 x 1.28.
  detect::Image photo = detect::make_image(200, 100);
  const std::vector<detect::Box> faces{{20, 20, 30, 30}, {120, 40, 40, 40}};
  for (const auto& b : faces)
    for (int y = int(b.y); y < int(b.y + b.h); ++y)
      for (int x = int(b.x); x < int(b.x + b.w); ++x) photo.at(x, y)[0] = photo.at(x, y)[1] = photo.at(x, y)[2] = 255;
  detect::save_image(photo, dir.file("p.png"));
  testing::write_bytes(dir.file("faces.xml"),
                       "<?xml version='1.0'?>\n<dataset><images>\n<image file='p.png'>\n"
                       "  <box top='20' left='20' width='30' height='30'/>\n"
                       "  <box top='40' left='120' width='40' height='40'/>\n"
                       "  <box top='0' left='0' width='5' height='5' ignore='1'/>\n"
                       "</image>\n</images></dataset>\n");
  trainer::DetectionDataset data;
  data.shape = {3, 64, 64};
  int64_t skipped = 0;
  trainer::add_imglab_detection(data, dir.file("faces.xml"), {3, 128, 128}, 30, 7, &skipped);
  EXPECT_EQ(skipped, 0);
  ASSERT_EQ(data.size(), 30);
  int boxes = 0;
  for (int64_t i = 0; i < data.size(); ++i) {
    const std::vector<uint8_t> img(data.images.begin() + i * 3 * 64 * 64, data.images.begin() + (i + 1) * 3 * 64 * 64);
    for (const auto& t : data.truths[size_t(i)]) {
      ++boxes;
      // The face keeps its inference-scale size (30 px wide -> 19.2, 40 -> 25.6 at 0.64).
      const double w = t.w * 64;
      EXPECT_TRUE(std::fabs(w - 19.2) < 1e-6 || std::fabs(w - 25.6) < 1e-6 || t.x - t.w / 2 <= 1e-9 ||
                  t.x + t.w / 2 >= 1 - 1e-9)
          << w;
      EXPECT_GT(mean_inside(img, data.shape, t, 1.5), 240);
    }
  }
  EXPECT_GT(boxes, 10);
  EXPECT_THROW(trainer::add_imglab_detection(data, dir.file("faces.xml"), {3, 32, 32}, 1, 7), Error);
}

using testing::kRegionCfg;

trainer::DetectionDataset boxes_data(int n) {
  trainer::DetectionDataset d;
  d.shape = {3, 32, 32};
  for (int i = 0; i < n; ++i) {
    const detect::Box b{double(2 + 3 * i), double(4 + 2 * i), 10, 12};
    const auto img = white_boxes(d.shape, {b});
    d.images.insert(d.images.end(), img.begin(), img.end());
    d.truths.push_back({{(b.x + b.w / 2) / 32, (b.y + b.h / 2) / 32, b.w / 32, b.h / 32, 0}});
  }
  return d;
}

TEST(DetectionAugment, CfgBurnInIsRead) {
  const CfgNetwork net = parse_cfg(kRegionCfg, "r.cfg");
  EXPECT_EQ(net.training.burn_in, 3);
  EXPECT_EQ(net.training.burn_in_power, 2);
}

// Multi-scale resizes every batch (sizes 32..96 here, grids 16..48); with
// jitter, colour and flip on, a stopped and resumed run equals a straight one.
TEST(DetectionAugment, MultiScaleTrainingResumesExactly) {
  testing::TempDir dir;
  const CfgNetwork net = parse_cfg(kRegionCfg, "r.cfg");
  const auto data = boxes_data(6);
  trainer::TrainOptions o;
  o.threads = 1;
  o.steps = 8;
  o.progress = false;
  o.multi_scale_min = 32;
  o.multi_scale_max = 96;
  o.detection_augment.flip = true;
  o.detection_augment.jitter = 0.2;
  o.detection_augment.saturation = o.detection_augment.exposure = 1.5;
  const auto runs = testing::train_straight_and_resumed(net, data, o, 5, dir.file(""));
  EXPECT_TRUE(runs.interrupted);
  EXPECT_EQ(runs.resumed_from, 5);
  EXPECT_EQ(runs.resumed, runs.straight);

  auto bad = o;
  bad.multi_scale_max = 100;  // not a multiple of 32
  trainer::Trainer t(net, bad);
  EXPECT_THROW(t.train(data), Error);
}

TEST(DetectionAugment, InitCopiesTrainedWeightsIntoTheBinaryTwin) {
  CfgOptions co;
  co.seed = 1;
  const FloatModel from = parse_cfg(kRegionCfg, "r.cfg", co).model;
  std::string binary_cfg = kRegionCfg;
  binary_cfg.replace(binary_cfg.find("activation=leaky"), 16, "binary=1\nactivation=hwgq\nquant_bits=2");
  co.seed = 2;
  FloatModel into = parse_cfg(binary_cfg, "b.cfg", co).model;
  ASSERT_NE(testing::conv_weights(into), testing::conv_weights(from));
  EXPECT_EQ(trainer::copy_trained_weights(into, from, "from.ifqf"), 4);  // 2 convs, 2 BNs
  EXPECT_EQ(testing::conv_weights(into), testing::conv_weights(from));
  const auto& conv = std::get<ConvLayer>(into.layers[1]);
  ASSERT_EQ(conv.weight_kind, WeightKind::Binary);
  double mean_abs = 0;
  for (int i = 0; i < 27; ++i) mean_abs += std::fabs(conv.weight[size_t(i)]);
  EXPECT_NEAR(conv.alpha[0], mean_abs / 27, 1e-6);
  // Another shape is refused with the file named.
  std::string wider = kRegionCfg;
  wider.replace(wider.find("filters=8"), 9, "filters=16");
  FloatModel other = parse_cfg(wider, "w.cfg").model;
  try {
    trainer::copy_trained_weights(other, from, "from.ifqf");
    ADD_FAILURE() << "mismatched shapes accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("from.ifqf"), std::string::npos) << e.what();
  }
  EXPECT_THROW(trainer::copy_trained_weights(other, from, "from.ifqf", true), Error);  // not even the first fits
  // --init-backbone: a new head (the last conv and its BN wider) keeps its own weights, the rest is copied.
  std::string new_head = kRegionCfg;
  new_head.replace(new_head.find("filters=6"), 9, "filters=12");
  new_head.replace(new_head.find("anchors=1.5,1.5\nnum=1"), 21, "anchors=1.5,1.5,3,3\nnum=2");
  FloatModel headed = parse_cfg(new_head, "h.cfg", co).model;
  auto convs = [](const FloatModel& m) {
    std::vector<std::vector<float>> w;
    for (const Layer& l : m.layers)
      if (auto* c = std::get_if<ConvLayer>(&l)) w.push_back(c->weight);
    return w;
  };
  const auto head_before = convs(headed).at(1);
  EXPECT_EQ(trainer::copy_trained_weights(headed, from, "from.ifqf", true), 2);  // conv 1 and its BN
  EXPECT_EQ(convs(headed).at(0), convs(from).at(0));
  EXPECT_EQ(convs(headed).at(1), head_before);
}

}  // namespace
}  // namespace ifq
