// Tools for real photos: the fixed hold-out split, fractional boxes in
// bbx_gt files, ignore regions in the FDDB and WIDER scores, and the
// letterbox / min-face / max-faces / box-style filters of `ifq detect`.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "ifq/detect/datasets.hpp"
#include "ifq/detect/detector_adapters.hpp"
#include "ifq/detect/eval_inputs.hpp"
#include "ifq/detect/face_pack.hpp"
#include "ifq/detect/fddb_eval.hpp"
#include "ifq/detect/holdout_split.hpp"
#include "ifq/detect/image.hpp"
#include "ifq/error.hpp"
#include "../core/temp_dir.hpp"

using namespace ifq::detect;

namespace {

std::vector<WiderImage> numbered_images(int n) {
  std::vector<WiderImage> images;
  for (int i = 0; i < n; ++i) images.push_back({"photos/img_" + std::to_string(i) + ".jpg", {}});
  return images;
}

TEST(HoldoutSplit, IsDisjointCompleteStableAndNearTheAskedShare) {
  const auto images = numbered_images(2000);
  const HoldoutSplit s = split_holdout(images, 20);
  EXPECT_EQ(s.train.size() + s.test.size(), images.size());
  EXPECT_NEAR(double(s.test.size()) / images.size(), 0.20, 0.03);
  for (const auto& wi : s.test) EXPECT_TRUE(in_holdout(wi.path, 20));
  for (const auto& wi : s.train) EXPECT_FALSE(in_holdout(wi.path, 20));
  // A grown set keeps every earlier image on its side.
  auto grown = images;
  grown.push_back({"photos/new.jpg", {}});
  EXPECT_EQ(split_holdout(grown, 20).test.size() - s.test.size(), size_t(in_holdout("photos/new.jpg", 20)));
  EXPECT_EQ(split_holdout(images, 0).test.size(), 0u);
  EXPECT_EQ(split_holdout(images, 100).train.size(), 0u);
  EXPECT_THROW(split_holdout(images, 101), ifq::Error);
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ull);  // the published FNV-1a offset basis
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cull);  // and a published test vector
}

TEST(HoldoutSplit, RebasedPathsPointAtTheSameFiles) {
  const auto images = rebase_paths(numbered_images(2), "/data/sets/real", "/data/splits/test");
  EXPECT_EQ(images[0].path, "../../sets/real/photos/img_0.jpg");
}

TEST(HoldoutSplit, CommandWritesBothPartsAndRefusesOneFileForBoth) {
  ifq::testing::TempDir dir;
  std::filesystem::create_directories(dir.file("set"));
  save_wider_gt(numbered_images(50), dir.file("set/bbx_gt.txt"));
  const std::string cmd = std::string(IFQ_BINARY) + " face-split --gt " + dir.file("set/bbx_gt.txt") +
                          " --test-percent 30 --train-out " + dir.file("out/train.txt") + " --test-out ";
  ASSERT_EQ(std::system((cmd + dir.file("out/test.txt") + " > /dev/null").c_str()), 0);
  const auto train = load_wider_gt(dir.file("out/train.txt")), test = load_wider_gt(dir.file("out/test.txt"));
  EXPECT_EQ(train.size() + test.size(), 50u);
  ASSERT_FALSE(test.empty());
  EXPECT_EQ(test[0].path.rfind("../set/photos/", 0), 0u) << test[0].path;
  EXPECT_NE(std::system((cmd + dir.file("out/train.txt") + " 2> /dev/null").c_str()), 0);
}

TEST(WiderFormat, FractionalBoxesKeepTwoDecimalsAndWholeOnesStayIntegers) {
  ifq::testing::TempDir dir;
  WiderImage wi{"a.jpg", {}};
  WiderFace f;
  f.box = {10, 20, 30.25, 40.5};
  wi.faces.push_back(f);
  save_wider_gt({wi}, dir.file("gt.txt"));
  std::ifstream in(dir.file("gt.txt"));
  std::string line;
  std::getline(in, line), std::getline(in, line), std::getline(in, line);
  EXPECT_EQ(line.rfind("10 20 30.25 40.50 ", 0), 0u) << line;
  EXPECT_DOUBLE_EQ(load_wider_gt(dir.file("gt.txt"))[0].faces[0].box.w, 30.25);
}

TEST(IgnoreRegions, DetectionsOnThemAreNotFalsePositivesAndTheyAreNotFaces) {
  FddbEvalImage im{"im", 200, 200, {Box{10, 10, 40, 40}}, {}, {Box{100, 100, 10, 10}}};
  im.detections = {{{10, 10, 40, 40}, 0.9, 0}, {{99, 99, 12, 12}, 0.8, 0}, {{150, 20, 30, 30}, 0.7, 0}};
  const FddbResult r = evaluate_fddb({im}, EllipseRaster::PixelCentre);
  EXPECT_EQ(r.faces, 1);
  // At the lowest threshold: 1 of 1 found, 1 false positive (the ignored one is not counted).
  ASSERT_FALSE(r.disc.empty());
  EXPECT_EQ(r.disc.front().tpr, 1.0);
  EXPECT_EQ(r.disc.front().fp, 1.0);
  // Without the ignore region the same detection is a false positive.
  im.ignore.clear();
  EXPECT_EQ(evaluate_fddb({im}, EllipseRaster::PixelCentre).disc.front().fp, 2.0);
}

TEST(IgnoreRegions, WiderTruthTurnsInvalidAndSmallFacesIntoThem) {
  WiderImage wi{"a.jpg", {}};
  for (auto [w, invalid] : {std::pair{40.0, 0}, {40.0, 1}, {12.0, 0}}) {
    WiderFace f;
    f.box = {0, 0, w, w};
    f.invalid = invalid;
    wi.faces.push_back(f);
  }
  const auto t = truth_from_wider({wi}, 30);
  EXPECT_EQ(t[0].faces.size(), 1u);
  EXPECT_EQ(t[0].ignore.size(), 2u);
  EXPECT_EQ(truth_from_wider({wi})[0].faces.size(), 2u);  // no minimum: only the invalid one is ignored
}

// Returns fixed boxes in the coordinates of whatever image it is given and
// remembers that image's size.
class FixedDetector : public Detector {
 public:
  explicit FixedDetector(std::vector<Detection> d, int* w, int* h) : d_(std::move(d)), w_(w), h_(h) {}
  std::vector<Detection> detect(const Image& image) override {
    *w_ = image.width, *h_ = image.height;
    return d_;
  }

 private:
  std::vector<Detection> d_;
  int *w_, *h_;
};

TEST(FacePack, DownscalesPhotosScalesBoxesKeepsAttributesAndSubsets) {
  ifq::testing::TempDir dir;
  namespace fs = std::filesystem;
  fs::create_directories(dir.file("set/photos"));
  save_image(make_image(800, 400, 200, 10, 10), dir.file("set/photos/wide.png"));
  save_image(make_image(100, 60, 10, 200, 10), dir.file("set/photos/small.png"));
  std::vector<WiderImage> set{{"photos/wide.png", {}}, {"photos/small.png", {}}};
  WiderFace face;
  face.box = {400, 100, 80, 120};
  face.invalid = 1;
  face.blur = 2;
  set[0].faces.push_back(face);
  face.box = {10, 10, 20, 20};
  face.invalid = 0;
  set[1].faces.push_back(face);
  save_wider_gt(set, dir.file("set/bbx_gt.txt"));

  FacePackOptions options;
  options.max_side = 200;
  options.jpeg_quality = 90;
  const FacePackResult r = pack_face_set(dir.file("set/bbx_gt.txt"), dir.file("out"), options);
  EXPECT_EQ(r.photos, 2);
  EXPECT_EQ(r.faces, 2);
  const auto packed = load_wider_gt(dir.file("out/bbx_gt.txt"));
  ASSERT_EQ(packed.size(), 2u);
  int w = 0, h = 0;
  read_image_size(dir.file("out/" + packed[0].path), w, h);
  EXPECT_EQ(w, 200);  // 800 x 400 at a quarter
  EXPECT_EQ(h, 100);
  EXPECT_DOUBLE_EQ(packed[0].faces[0].box.x, 100);
  EXPECT_DOUBLE_EQ(packed[0].faces[0].box.h, 30);
  EXPECT_EQ(packed[0].faces[0].invalid, 1);  // still an ignore region
  EXPECT_EQ(packed[0].faces[0].blur, 2);
  read_image_size(dir.file("out/" + packed[1].path), w, h);
  EXPECT_EQ(w, 100);  // small photos keep their size
  EXPECT_EQ(packed[1].faces[0].box.w, 20);
  const Image colour = load_image(dir.file("out/" + packed[0].path));
  EXPECT_NEAR(colour.at(50, 50)[0], 200, 8);

  // A fixed subset: at 50 % the photos whose path hash says so, every run.
  std::vector<WiderImage> many;
  int expected = 0;
  for (int i = 0; i < 40; ++i) {
    many.push_back({"photos/p" + std::to_string(i) + ".png", {}});
    save_image(make_image(8, 8), dir.file("set/" + many.back().path));
    expected += fnv1a64("pack:" + many.back().path) % 100 < 50;
  }
  save_wider_gt(many, dir.file("set/many.txt"));
  options.keep_percent = 50;
  EXPECT_EQ(pack_face_set(dir.file("set/many.txt"), dir.file("half"), options).photos, expected);
  EXPECT_GT(expected, 5);
  EXPECT_LT(expected, 35);
  options.keep_percent = 100;

  // A missing photo is an error naming it; no bbx_gt.txt is written.
  set.push_back({"photos/missing.jpg", {}});
  save_wider_gt(set, dir.file("set/bbx_gt.txt"));
  try {
    pack_face_set(dir.file("set/bbx_gt.txt"), dir.file("out2"), options);
    FAIL() << "packed a set with a missing photo";
  } catch (const ifq::Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing.jpg"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir.file("out2/bbx_gt.txt")));
}

TEST(FilteredDetector, LetterboxMapsBoxesBackAndFiltersKeepTheBestFaces) {
  int w = 0, h = 0;
  const std::vector<Detection> found{{{60, 80, 40, 40}, 0.5, 0}, {{100, 100, 5, 5}, 0.9, 0}, {{10, 70, 50, 50}, 0.7, 0}};
  FaceFilter filter;
  filter.letterbox = true;
  FilteredDetector letterboxed(std::make_unique<FixedDetector>(found, &w, &h), filter);
  const Image photo = make_image(200, 100);
  auto d = letterboxed.detect(photo);
  EXPECT_EQ(w, 200);  // the detector saw the 200x200 square
  EXPECT_EQ(h, 200);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].score, 0.9);  // best first
  EXPECT_EQ(d[1].box.y, 20);   // 70 - 50 (the photo sits 50 px down the square)
  EXPECT_EQ(d[2].box.y, 30);

  filter = {};
  filter.min_face = 10;
  filter.max_faces = 1;
  FilteredDetector filtered(std::make_unique<FixedDetector>(found, &w, &h), filter);
  d = filtered.detect(photo);
  EXPECT_EQ(w, 200);
  EXPECT_EQ(h, 100);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].score, 0.7);  // the 5 px face is dropped, then the best one kept
}

TEST(FilteredDetector, BoxStyleMapsEveryBoxAndClipsItToThePhotoBeforeTheSizeFilter) {
  int w = 0, h = 0;
  const std::vector<Detection> found{{{60, 20, 40, 40}, 0.5, 0}, {{180, 0, 20, 20}, 0.9, 0}};
  FaceFilter filter;
  filter.box_style = {0, -0.25, 1, 1.5};
  filter.min_face = 22;
  FilteredDetector styled(std::make_unique<FixedDetector>(found, &w, &h), filter);
  const auto d = styled.detect(make_image(200, 100));
  ASSERT_EQ(d.size(), 1u);  // the corner face, 20 x 30 styled, is clipped to 20 x 20 and dropped
  EXPECT_EQ(d[0].score, 0.5);
  EXPECT_DOUBLE_EQ(d[0].box.x, 60);
  EXPECT_DOUBLE_EQ(d[0].box.h, 60);
  EXPECT_DOUBLE_EQ(d[0].box.y, 0);  // centre 40 - 10 = 30, top 30 - 30
}

// Finds the bounding box of the white pixels of whatever it is given.
class WhiteDetector : public Detector {
 public:
  int calls = 0;
  std::vector<std::pair<int, int>> sizes;  // of every image it was given
  std::vector<Detection> detect(const Image& image) override {
    ++calls;
    sizes.emplace_back(image.width, image.height);
    int x0 = image.width, y0 = image.height, x1 = -1, y1 = -1;
    for (int y = 0; y < image.height; ++y)
      for (int x = 0; x < image.width; ++x)
        if (image.at(x, y)[0] == 255) x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x), y1 = std::max(y1, y);
    if (x1 < 0) return {};
    return {{{double(x0), double(y0), double(x1 - x0 + 1), double(y1 - y0 + 1)}, 0.9, 0}};
  }
};

TEST(FilteredDetector, TilesMapBoxesBackDropCutOnesAndMergeDuplicates) {
  for (const Box face : {Box{300, 150, 10, 10}, Box{195, 90, 12, 12}, Box{2, 2, 8, 8}}) {
    Image photo = make_image(400, 200);
    const uint8_t white[3] = {255, 255, 255};
    fill_rect(photo, int(face.x), int(face.y), int(face.right()), int(face.bottom()), white);
    FaceFilter filter;
    filter.tiles = 3;
    auto inner = std::make_unique<WhiteDetector>();
    WhiteDetector* seen = inner.get();
    FilteredDetector tiled(std::move(inner), filter);
    const auto d = tiled.detect(photo);
    EXPECT_EQ(seen->calls, 1 + 9);  // the whole photo and 3 x 3 tiles
    ASSERT_EQ(d.size(), 1u) << face.x;  // copies from overlapping tiles merged, cut ones dropped
    EXPECT_EQ(d[0].box.x, face.x);
    EXPECT_EQ(d[0].box.y, face.y);
    EXPECT_EQ(d[0].box.w, face.w);
  }
}

// The image pyramid: each level is the photo resized, its boxes come back in
// photo pixels, and the copies of one face from several levels merge.
TEST(FilteredDetector, PyramidLevelsMapBoxesBackAndMerge) {
  Image photo = make_image(400, 200);
  const uint8_t white[3] = {255, 255, 255};
  const Box face{120, 60, 40, 40};
  fill_rect(photo, int(face.x), int(face.y), int(face.right()), int(face.bottom()), white);
  for (const std::string scales : {"2", "1,2,0.5", "0.5"}) {
    FaceFilter filter;
    filter.scales = parse_scales(scales);
    auto inner = std::make_unique<WhiteDetector>();
    WhiteDetector* seen = inner.get();
    FilteredDetector pyramid(std::move(inner), filter);
    const auto d = pyramid.detect(photo);
    ASSERT_EQ(seen->calls, int(filter.scales.size())) << scales;
    for (size_t i = 0; i < filter.scales.size(); ++i) {
      EXPECT_EQ(seen->sizes[i].first, int(400 * filter.scales[i])) << scales;
      EXPECT_EQ(seen->sizes[i].second, int(200 * filter.scales[i])) << scales;
    }
    ASSERT_EQ(d.size(), 1u) << scales;  // one face, however many levels saw it
    // Resampling blurs the white square's edges by a pixel of the level.
    const double tolerance = 1 / std::min(1.0, filter.scales.back()) + 0.01;
    EXPECT_NEAR(d[0].box.x, face.x, tolerance) << scales;
    EXPECT_NEAR(d[0].box.y, face.y, tolerance) << scales;
    EXPECT_NEAR(d[0].box.right(), face.right(), 2 * tolerance) << scales;
    EXPECT_NEAR(d[0].box.bottom(), face.bottom(), 2 * tolerance) << scales;
  }
  // Scale 1 alone is the photo as it is: one call at its own size.
  FaceFilter plain;
  plain.scales = parse_scales("1");
  auto inner = std::make_unique<WhiteDetector>();
  WhiteDetector* seen = inner.get();
  FilteredDetector unscaled(std::move(inner), plain);
  EXPECT_EQ(unscaled.detect(photo).at(0).box.x, face.x);
  EXPECT_EQ(seen->sizes, (std::vector<std::pair<int, int>>{{400, 200}}));
}

// --flip: the mirror's boxes come back in the photo's coordinates, at every
// pyramid level, and the two views of one face merge into one.
TEST(FilteredDetector, FlipMirrorsBoxesBackAtEveryLevel) {
  Image photo = make_image(400, 200);
  const uint8_t white[3] = {255, 255, 255};
  const Box face{30, 60, 40, 20};  // off centre, so a box not mirrored back lands elsewhere
  fill_rect(photo, int(face.x), int(face.y), int(face.right()), int(face.bottom()), white);
  for (const std::string scales : {"1", "1,2"})
    for (const MergeRule rule : {MergeRule::Nms, MergeRule::Vote, MergeRule::Mean}) {
      FaceFilter filter;
      filter.scales = parse_scales(scales);
      filter.flip = true;
      filter.merge = rule;
      auto inner = std::make_unique<WhiteDetector>();
      WhiteDetector* seen = inner.get();
      FilteredDetector flipped(std::move(inner), filter);
      const auto d = flipped.detect(photo);
      EXPECT_EQ(seen->calls, 2 * int(filter.scales.size())) << scales;
      ASSERT_EQ(d.size(), 1u) << scales << " rule " << int(rule);
      const double tolerance = 1.01;
      EXPECT_NEAR(d[0].box.x, face.x, tolerance) << scales;
      EXPECT_NEAR(d[0].box.right(), face.right(), tolerance) << scales;
      EXPECT_NEAR(d[0].box.y, face.y, tolerance) << scales;
      EXPECT_NEAR(d[0].score, 0.9, 1e-12) << scales;  // every view saw it at 0.9
    }
}

// The three merge rules on hand-made views: what each keeps, where the box
// goes and what score it gets.
TEST(FilteredDetector, MergeRulesClusterVoteAndAverage) {
  // Views 0 and 1 agree on a face (IoU 0.82); view 1 alone sees a second thing.
  const std::vector<ViewDetection> views{{{{0, 0, 10, 10}, 0.8, 0}, 0},
                                         {{{1, 0, 10, 10}, 0.4, 0}, 1},
                                         {{{50, 50, 10, 10}, 0.6, 0}, 1}};
  const auto nms_kept = merge_views(views, 2, MergeRule::Nms, 0.45);
  ASSERT_EQ(nms_kept.size(), 2u);
  EXPECT_EQ(nms_kept[0].box.x, 0);
  EXPECT_EQ(nms_kept[0].score, 0.8);

  const auto voted = merge_views(views, 2, MergeRule::Vote, 0.45);
  ASSERT_EQ(voted.size(), 2u);
  EXPECT_NEAR(voted[0].box.x, (0.8 * 0 + 0.4 * 1) / 1.2, 1e-12);  // score-weighted mean
  EXPECT_NEAR(voted[0].box.w, 10, 1e-12);
  EXPECT_EQ(voted[0].score, 0.8);
  EXPECT_EQ(voted[1].score, 0.6);

  const auto mean = merge_views(views, 2, MergeRule::Mean, 0.45);
  ASSERT_EQ(mean.size(), 2u);
  EXPECT_NEAR(mean[0].score, (0.8 + 0.4) / 2, 1e-12);
  EXPECT_NEAR(mean[1].score, 0.6 / 2, 1e-12);  // one view of two saw it
  EXPECT_EQ(mean[1].box.x, 50);

  // Below the IoU threshold nothing merges; one view's two boxes count once.
  const std::vector<ViewDetection> same_view{{{{0, 0, 10, 10}, 0.8, 0}, 0}, {{{1, 0, 10, 10}, 0.7, 0}, 0}};
  EXPECT_EQ(merge_views(same_view, 2, MergeRule::Vote, 0.9).size(), 2u);
  const auto one = merge_views(same_view, 2, MergeRule::Mean, 0.45);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_NEAR(one[0].score, 0.8 / 2, 1e-12);
}

TEST(FilteredDetector, BadMergeRuleIsRefusedWithTheNameGiven) {
  EXPECT_EQ(parse_merge_rule("vote"), MergeRule::Vote);
  try {
    parse_merge_rule("max");
    ADD_FAILURE() << "accepted 'max'";
  } catch (const ifq::Error& e) {
    EXPECT_NE(std::string(e.what()).find("--merge 'max'"), std::string::npos) << e.what();
  }
}

TEST(FilteredDetector, BadScalesAreRefusedWithTheListNamed) {
  EXPECT_EQ(parse_scales("1,1.5,0.5"), (std::vector<double>{1, 1.5, 0.5}));
  for (const std::string bad : {"", "1,,2", "1,x", "0", "9", "-1", "1,2,"}) {
    try {
      parse_scales(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const ifq::Error& e) {
      EXPECT_NE(std::string(e.what()).find("--scales '" + bad + "'"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
