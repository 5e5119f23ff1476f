// Detector training data beyond the loss: YOLOv2's jitter/colour/flip
// augmentation keeps boxes on their pixels, real photos cut into windows at
// inference scale keep theirs. (Training with them: tests/trainer.)
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "box_images.hpp"
#include "ifq/detect/image.hpp"
#include "ifq/error.hpp"
#include "ifq/train/detection_data.hpp"
#include "temp_dir.hpp"

namespace ifq {
namespace {

using testing::mean_inside;
using testing::white_boxes;

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

}  // namespace
}  // namespace ifq
