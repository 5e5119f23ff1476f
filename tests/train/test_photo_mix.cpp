// Real-photo training samples (photo_mix.hpp): boxes stay on their pixels
// through zoom, crop, aspect, mosaic and flip; small and cut faces become
// ignore regions; sets are drawn by weight; a sample is a pure function of its
// seed. Ignore regions in the region loss: neither positive nor negative.
// (Training on photo sets: tests/trainer/test_photo_mix_training.cpp.)
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "ifq/detect/datasets.hpp"
#include "ifq/detect/image.hpp"
#include "ifq/error.hpp"
#include "ifq/train/photo_mix.hpp"
#include "ifq/train/region_loss.hpp"
#include "photo_images.hpp"
#include "temp_dir.hpp"

namespace ifq {
namespace {

using testing::one_set;
using testing::white_faces;

TEST(PhotoMix, BoxesStayOnTheirPixelsThroughZoomCropMosaicAndFlip) {
  const auto sets = one_set(white_faces(200, 150, {{20, 20, 40, 48}, {120, 60, 50, 56}}));
  trainer::PhotoAugment a;
  a.inference_side = 128;
  a.hue = 0, a.saturation = 1, a.exposure = 1;  // keep white white
  a.mosaic = 0.5;
  const Shape3 s{3, 96, 96};
  int positives = 0, ignored = 0, mosaics_seen = 0;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    std::vector<uint8_t> chw(size_t(s.elements()));
    std::vector<trainer::TruthBox> truths;
    uint64_t rng = seed;
    trainer::sample_photo_mix(sets, a, s, rng, chw.data(), truths);
    mosaics_seen += truths.size() > 2;
    for (const auto& t : truths) {
      EXPECT_GE(t.x - t.w / 2, -1e-9);
      EXPECT_LE(t.x + t.w / 2, 1 + 1e-9);
      EXPECT_GE(t.y - t.h / 2, -1e-9);
      EXPECT_LE(t.y + t.h / 2, 1 + 1e-9);
      if (t.ignore) {
        ++ignored;
        continue;
      }
      ++positives;
      // At least min_face before the window cut it, and at least min_visible of it left.
      EXPECT_GE(std::sqrt(t.w * t.h) * s.w, a.min_face * std::sqrt(a.min_visible) - 1e-9);
      // Inside every positive box the pixels are the face's white.
      EXPECT_GT(testing::mean_inside_photo(chw, s.w, t, 1.5), 235) << "seed " << seed;
    }
  }
  EXPECT_GT(positives, 300);
  EXPECT_GT(ignored, 10);       // cut by the window or the mosaic's quadrants, or tiny
  EXPECT_GT(mosaics_seen, 50);  // about half of the samples hold four photos
}

TEST(PhotoMix, SmallAndInvalidFacesAreIgnoreRegions) {
  trainer::LabelledPhoto p = white_faces(100, 100, {{10, 10, 40, 40}, {70, 70, 4, 4}});
  p.ignore.push_back({60, 10, 30, 30});  // e.g. WIDER invalid
  const auto sets = one_set(p);
  trainer::PhotoAugment a;
  a.inference_side = 64;
  a.zoom_min = a.zoom_max = 1;
  a.aspect = 1, a.keep_aspect = 0, a.mosaic = 0, a.flip = false;
  a.min_face = 6;  // the 4 px face shows at 2.56 px
  std::vector<uint8_t> chw(3 * 64 * 64);
  std::vector<trainer::TruthBox> truths;
  uint64_t rng = 5;
  trainer::sample_photo_mix(sets, a, {3, 64, 64}, rng, chw.data(), truths);
  ASSERT_EQ(truths.size(), 3u);
  EXPECT_FALSE(truths[0].ignore);
  EXPECT_NEAR(truths[0].w, 0.4, 1e-9);  // 40 of 100 px at zoom 1 = the same share of the sample
  EXPECT_TRUE(truths[1].ignore);        // too small
  EXPECT_TRUE(truths[2].ignore);        // flagged in the file
}

TEST(PhotoMix, SetsAreDrawnByWeightAndSamplesArePureFunctionsOfTheSeed) {
  std::vector<trainer::PhotoSet> sets(2);
  sets[0].name = "one face", sets[0].weight = 3;
  sets[0].photos.push_back(white_faces(64, 64, {{10, 10, 30, 30}}));
  sets[1].name = "no face", sets[1].weight = 1;
  sets[1].photos.push_back(white_faces(64, 64, {}));
  trainer::PhotoAugment a;
  a.inference_side = 64;
  a.zoom_min = a.zoom_max = 1;
  a.aspect = 1, a.keep_aspect = 0, a.mosaic = 0;
  int with_face = 0;
  const int n = 4000;
  for (int i = 0; i < n; ++i) {
    std::vector<uint8_t> chw(3 * 32 * 32);
    std::vector<trainer::TruthBox> truths;
    uint64_t rng = uint64_t(i) * 7919 + 1;
    trainer::sample_photo_mix(sets, a, {3, 32, 32}, rng, chw.data(), truths);
    with_face += !truths.empty();
  }
  EXPECT_NEAR(double(with_face) / n, 0.75, 0.03);

  auto sample = [&](uint64_t seed) {
    std::vector<uint8_t> chw(3 * 48 * 48);
    std::vector<trainer::TruthBox> truths;
    trainer::PhotoAugment full;  // every augmentation on
    full.inference_side = 64;
    trainer::sample_photo_mix(sets, full, {3, 48, 48}, seed, chw.data(), truths);
    return chw;
  };
  EXPECT_EQ(sample(42), sample(42));
  EXPECT_NE(sample(42), sample(43));
}

TEST(PhotoMix, SpecsAndAugmentationsAreChecked) {
  const auto spec = trainer::parse_photo_set_spec("a/b.txt:2.5:12");
  EXPECT_EQ(spec.gt_file, "a/b.txt");
  EXPECT_EQ(spec.weight, 2.5);
  EXPECT_EQ(spec.min_face, 12);
  EXPECT_EQ(trainer::parse_photo_set_spec("x.txt").weight, 1);
  EXPECT_EQ(trainer::parse_photo_set_spec("a/b.txt:2:6:soft.txt").soft_file, "soft.txt");
  for (const char* bad : {"x.txt:0", "x.txt:abc", "x.txt:1:-3", ":1", "x.txt:1:2:", "x.txt:1:2:s:4"})
    EXPECT_THROW(trainer::parse_photo_set_spec(bad), Error) << bad;
  trainer::PhotoAugment a;
  EXPECT_NO_THROW(trainer::check_photo_augment(a));
  a.zoom_min = 2, a.zoom_max = 1;
  EXPECT_THROW(trainer::check_photo_augment(a), Error);
  a = {};
  a.mosaic = 1.5;
  EXPECT_THROW(trainer::check_photo_augment(a), Error);
}

TEST(PhotoMix, LoadsBbxGtWithIgnoreRegionsAndSkipsUnreadableImages) {
  testing::TempDir dir;
  detect::save_image(white_faces(800, 400, {}).image, dir.file("big.png"));
  std::ofstream(dir.file("gt.txt")) << "big.png\n3\n100 100 80 80 0 0 0 0 0 0\n300 100 8 8 0 0 0 0 0 0\n"
                                       "500 100 80 80 0 0 0 1 0 0\nmissing.png\n1\n1 1 5 5 0 0 0 0 0 0\n";
  trainer::PhotoSetSpec spec = trainer::parse_photo_set_spec(dir.file("gt.txt") + ":2:10");
  spec.max_side = 400;  // the 800 px photo is halved, boxes with it
  int64_t skipped = 0;
  const trainer::PhotoSet set = trainer::load_photo_set(spec, &skipped);
  EXPECT_EQ(skipped, 1);
  ASSERT_EQ(set.photos.size(), 1u);
  EXPECT_EQ(set.photos[0].image.width, 400);
  EXPECT_EQ(set.faces(), 1);
  EXPECT_EQ(set.ignored(), 2);  // under 10 px, and flagged invalid
  EXPECT_NEAR(set.photos[0].faces[0].w, 40, 1e-9);
  std::ofstream(dir.file("bad.txt")) << "big.png\n2\n100 100 80 80 0 0 0 0 0 0\n";
  EXPECT_THROW(trainer::load_photo_set(trainer::parse_photo_set_spec(dir.file("bad.txt"))), Error);
}

// Soft targets: teacher boxes on a labelled or ignored face are dropped (the
// label decides), small ones become ignore regions, the rest keep their
// score and reach the samples as truths with that objectness; a file naming
// photos outside the set is an error.
TEST(PhotoMix, SoftTargetsAddOnlyFacesTheLabelsLack) {
  testing::TempDir dir;
  detect::save_image(white_faces(400, 200, {}).image, dir.file("p.png"));
  std::ofstream(dir.file("gt.txt")) << "p.png\n2\n10 10 60 60 0 0 0 0 0 0\n300 10 60 60 0 0 0 1 0 0\n";
  std::filesystem::create_directories(dir.file("teacher"));
  std::ofstream(dir.file("teacher/soft.txt"))
      << "../p.png\n4\n12 12 58 58 0.95\n305 12 55 55 0.9\n150 100 60 60 0.45\n200 20 6 6 0.5\n";
  const trainer::PhotoSet set =
      trainer::load_photo_set(trainer::parse_photo_set_spec(dir.file("gt.txt") + ":1:10:" + dir.file("teacher/soft.txt")));
  ASSERT_EQ(set.photos.size(), 1u);
  EXPECT_EQ(set.faces(), 1);
  EXPECT_EQ(set.ignored(), 2);  // the invalid face and the 6 px teacher box
  ASSERT_EQ(set.soft(), 1);
  EXPECT_EQ(set.photos[0].soft[0].score, 0.45);
  EXPECT_EQ(set.photos[0].soft[0].box.x, 150);

  trainer::PhotoAugment a;
  a.inference_side = 200, a.zoom_min = a.zoom_max = 1, a.aspect = 1, a.keep_aspect = 0, a.mosaic = 0, a.flip = false;
  a.hue = 0, a.saturation = a.exposure = 1, a.min_face = 0;
  uint64_t rng = 7;
  std::vector<uint8_t> chw(3 * 200 * 200);
  std::vector<trainer::TruthBox> truths;
  trainer::sample_photo_mix({set}, a, {3, 200, 200}, rng, chw.data(), truths);
  int soft_truths = 0;
  for (const auto& t : truths)
    if (!t.ignore && t.objectness < 1) {
      ++soft_truths;
      EXPECT_EQ(t.objectness, 0.45);
    }
  EXPECT_EQ(soft_truths, 1);

  std::ofstream(dir.file("teacher/other.txt")) << "../q.png\n1\n1 1 30 30 0.5\n";
  try {
    trainer::load_photo_set(trainer::parse_photo_set_spec(dir.file("gt.txt") + ":1:0:" + dir.file("teacher/other.txt")));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("q.png"), std::string::npos) << e.what();
  }
}

// The region loss: an ignore region gives no gradient at its cell (no
// positive, no no-object term), where the same box as a face would.
TEST(PhotoMix, IgnoreRegionsAreNeitherPositiveNorNegativeInTheLoss) {
  trainer::RegionLossParams p;
  p.num = 1;
  p.anchors = {1, 1};
  p.warmup_images = 0;
  const int g = 4, per = 6 * g * g;
  const std::vector<float> raw(size_t(per), 0.0f);
  auto objectness_grad = [&](const trainer::RegionLossResult& r, int i, int j) { return r.grad[size_t(4 * g * g + j * g + i)]; };
  const trainer::TruthBox face{0.6, 0.6, 0.2, 0.2, 0, false}, ignored{0.6, 0.6, 0.2, 0.2, 0, true};
  const auto as_face = trainer::region_loss(raw.data(), 1, g, g, p, {{face}}, 0);
  const auto as_ignore = trainer::region_loss(raw.data(), 1, g, g, p, {{ignored}}, 0);
  const auto empty = trainer::region_loss(raw.data(), 1, g, g, p, {{}}, 0);
  EXPECT_LT(objectness_grad(as_face, 2, 2), 0);  // pushed up
  EXPECT_GT(objectness_grad(empty, 2, 2), 0);    // pushed down
  EXPECT_EQ(objectness_grad(as_ignore, 2, 2), 0);
  EXPECT_EQ(as_ignore.truths, 0);
  EXPECT_EQ(as_ignore.coord, 0);
  // Cells away from the region still learn "no face".
  EXPECT_GT(objectness_grad(as_ignore, 0, 0), 0);
}

}  // namespace
}  // namespace ifq
