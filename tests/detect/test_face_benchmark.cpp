// The face benchmark's scoring on hand-made cases (a detector that returns
// the truth, one that is shifted off it, duplicates), and the integer
// detector's two runtimes agreeing detection for detection.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "ifq/convert.hpp"
#include "ifq/detect/face_benchmark.hpp"
#include "ifq/error.hpp"
#include "random_detector.hpp"

namespace fs = std::filesystem;
using namespace ifq;

namespace {

// Returns fixed boxes per image size: the set's truth (optionally shifted, duplicated).
class ScriptedDetector : public detect::Detector {
 public:
  ScriptedDetector(std::vector<detect::Box> boxes, double shift, int copies)
      : boxes_(std::move(boxes)), shift_(shift), copies_(copies) {}
  std::vector<detect::Detection> detect(const detect::Image&) override {
    std::vector<detect::Detection> out;
    for (int c = 0; c < copies_; ++c)
      for (const auto& b : boxes_) out.push_back({{b.x + shift_ * b.w, b.y, b.w, b.h}, 0.9 - 0.1 * c, 0});
    return out;
  }

 private:
  std::vector<detect::Box> boxes_;
  double shift_;
  int copies_;
};

struct SetOnDisk {
  fs::path dir = fs::temp_directory_path() / ("ifq_face_bench_" + std::to_string(::getpid()));
  std::vector<detect::Box> faces{{10, 10, 30, 30}, {60, 20, 24, 24}};
  SetOnDisk() {
    fs::create_directories(dir);
    std::vector<detect::WiderImage> list;
    for (int i = 0; i < 10; ++i) {
      const std::string name = "im" + std::to_string(i) + ".png";
      detect::save_image(detect::make_image(100, 80, 90, 90, 90), (dir / name).string());
      detect::WiderImage wi{name, {}};
      for (const auto& b : faces) wi.faces.push_back({b});
      list.push_back(wi);
    }
    detect::save_wider_gt(list, (dir / "gt.txt").string());
  }
  ~SetOnDisk() { fs::remove_all(dir); }
};

TEST(FaceBenchmark, PerfectShiftedAndDuplicateDetectors) {
  SetOnDisk disk;
  const detect::EvalSet set = detect::load_eval_set("toy", (disk.dir / "gt.txt").string());
  ASSERT_EQ(set.truth.size(), 10u);

  ScriptedDetector perfect(disk.faces, 0, 1);
  const auto p = detect::score_detector(perfect, "perfect", set);
  EXPECT_EQ(p.images, 10);
  EXPECT_EQ(p.faces, 20);
  EXPECT_EQ(p.fp_budget, 1);
  EXPECT_DOUBLE_EQ(p.detection_rate, 1.0);
  EXPECT_NEAR(p.wider_ap, 1.0, 1e-9);

  // Shifted by 40% of the width: overlap 0.43 < 0.5, every detection a false positive.
  ScriptedDetector shifted(disk.faces, 0.4, 1);
  const auto s = detect::score_detector(shifted, "shifted", set);
  EXPECT_DOUBLE_EQ(s.detection_rate, 0.0);
  EXPECT_DOUBLE_EQ(s.detection_rate_at_one_fp_per_image, 0.0);

  // Each face found twice: the copies (lower score) are false positives, so
  // at FP <= 1 only the first copies' threshold counts, at FP <= 10 too.
  ScriptedDetector twice(disk.faces, 0, 2);
  const auto t = detect::score_detector(twice, "twice", set);
  EXPECT_DOUBLE_EQ(t.detection_rate, 1.0);  // threshold 0.9: no duplicate yet
  EXPECT_EQ(t.detections, 40);
  ASSERT_FALSE(t.fddb.disc.empty());
  EXPECT_DOUBLE_EQ(t.fddb.disc.front().fp, 20);  // lowest threshold: all 20 copies count as FPs
}

TEST(FaceBenchmark, UnreadableImagesAreSkippedAndCounted) {
  SetOnDisk disk;
  std::ofstream((disk.dir / "im3.png").string()) << "not a png";
  const detect::EvalSet set = detect::load_eval_set("toy", (disk.dir / "gt.txt").string());
  ScriptedDetector perfect(disk.faces, 0, 1);
  const auto p = detect::score_detector(perfect, "perfect", set);
  EXPECT_EQ(p.images, 9);
  EXPECT_EQ(p.skipped, 1);
  EXPECT_EQ(p.faces, 18);
  EXPECT_DOUBLE_EQ(p.detection_rate, 1.0);
  EXPECT_THROW(detect::load_eval_set("x", (disk.dir / "missing.txt").string()), Error);
}

// The fast runtime (bit-packed kernels) and the reference runtime give the
// same integer outputs, hence the same detections, bit for bit.
TEST(FaceBenchmark, FastAndReferenceIntegerDetectorsAgree) {
  if (!detect::fast_int_runtime_available()) GTEST_SKIP() << "built without the kernels component";
  std::mt19937_64 rng(11);
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    const IntModel im = convert(ifq::testing::random_detector(seed)).model;
    detect::IntModelDetector fast(im, {0.001, 0.45}, detect::IntRuntime::Fast);
    detect::IntModelDetector ref(im, {0.001, 0.45}, detect::IntRuntime::Reference);
    for (int k = 0; k < 5; ++k) {
      const detect::Image img = ifq::testing::random_image(rng, 50 + 13 * k, 40 + 7 * k);
      const auto a = fast.detect(img), b = ref.detect(img);
      ASSERT_EQ(a.size(), b.size());
      ASSERT_FALSE(a.empty());
      for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].score, b[i].score);
        EXPECT_EQ(a[i].box.x, b[i].box.x);
        EXPECT_EQ(a[i].box.w, b[i].box.w);
      }
    }
  }
}

}  // namespace

namespace {

// FDDB ellipse truth: scored with the FDDB protocol; WIDER AP needs
// rectangles and is left out (-1) rather than computed against nothing.
TEST(FaceBenchmark, EllipseSetsGetFddbScoresButNoWiderAp) {
  const fs::path dir = fs::temp_directory_path() / ("ifq_face_bench_ell_" + std::to_string(::getpid()));
  fs::create_directories(dir / "img");
  detect::save_image(detect::make_image(100, 80, 90, 90, 90), (dir / "img/a.jpg").string());
  std::ofstream((dir / "FDDB-fold-01-ellipseList.txt").string()) << "img/a\n1\n20 15 0 50 40 1\n";
  const detect::EvalSet set = detect::load_eval_set("fddb", (dir / "FDDB-fold-01-ellipseList.txt").string());
  ScriptedDetector onto({{30, 25, 40, 30}}, 0, 1);  // the ellipse's bounding box (radii 20 x 15)
  const auto s = detect::score_detector(onto, "box", set);
  EXPECT_EQ(s.faces, 1);
  EXPECT_DOUBLE_EQ(s.detection_rate_at_one_fp_per_image, 1.0);
  EXPECT_EQ(s.wider_ap, -1);
  fs::remove_all(dir);
}

}  // namespace
