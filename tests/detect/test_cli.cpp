// End-to-end runs of the `ifq` commands this component adds: detect on a
// random-weight converted model (no trained model exists yet), eval-fddb,
// eval-wider, facegen, roc-plot, and their handling of bad input.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "ifq/convert.hpp"
#include "ifq/detect/datasets.hpp"
#include "ifq/detect/detector.hpp"
#include "ifq/detect/image.hpp"
#include "ifq/model_io.hpp"
#include "random_detector.hpp"
#include "run_ifq.hpp"

namespace fs = std::filesystem;
using namespace ifq;
using ifq::testing::random_detector;
using ifq::testing::random_image;
using ifq::testing::CommandResult;
using ifq::testing::run_ifq;

namespace {

std::string fixture(const std::string& name) { return std::string(IFQ_DETECT_FIXTURES) + "/" + name; }

class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / ("ifq_cli_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++))) {
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  std::string str() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

}  // namespace

TEST(CliDetect, RandomWeightIntegerModelRunsDrawsAndWritesFddb) {
  TempDir dir;
  const FloatModel fm = random_detector(3);
  const IntModel im = convert(fm).model;
  ASSERT_TRUE(im.region.present);
  save_int_model(im, dir / "model.ifq");
  std::mt19937_64 rng(5);
  fs::create_directories(dir / "photos");
  detect::save_image(random_image(rng, 120, 90), dir / "photos/a.png");
  detect::save_image(random_image(rng, 64, 64), dir / "photos/b.jpg");
  std::ofstream(dir / "photos/broken.jpg") << "not a jpeg";

  const CommandResult r = run_ifq("detect --model model.ifq --out-dir out --fddb-out dets.txt --threshold 0.3 "
                        "photos/a.png photos/broken.jpg photos/b.jpg",
                        dir.str());
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("1 unreadable image(s) skipped"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("broken.jpg"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(dir / "out/a.png"));
  EXPECT_TRUE(fs::exists(dir / "out/b.jpg"));
  const detect::Image drawn = detect::load_image(dir / "out/a.png");
  EXPECT_EQ(drawn.width, 120);

  // The FDDB file holds what the library's detector returns, above 0.005
  // (at the default per-photo input size).
  const auto blocks = detect::load_detections(dir / "dets.txt");
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].name, "photos/a");
  EXPECT_EQ(blocks[1].name, "photos/b");
  const auto detector = detect::open_model_detector(dir / "model.ifq", detect::RegionDecodeOptions{0.005, 0.45},
                                                    detect::IntRuntime::Fast, detect::parse_network_size("auto"));
  const auto direct = detector->detect(detect::load_image(dir / "photos/a.png"));
  ASSERT_EQ(blocks[0].detections.size(), direct.size());
  for (size_t k = 0; k < direct.size(); ++k) {
    EXPECT_NEAR(blocks[0].detections[k].box.x, direct[k].box.x, 0.006);
    EXPECT_NEAR(blocks[0].detections[k].score, direct[k].score, 1e-8);
  }
}

// --box-style moves every written box; --fddb-ellipses writes each as the
// ellipse inscribed in it; a bad style file or a lone --fddb-ellipses is a
// clear error before any image is read.
TEST(CliDetect, BoxStyleAndFddbEllipses) {
  TempDir dir;
  save_int_model(convert(random_detector(3)).model, dir / "model.ifq");
  std::mt19937_64 rng(5);
  detect::save_image(random_image(rng, 120, 90), dir / "a.png");
  std::ofstream(dir / "style.json") << R"({"format": "ifq-box-style", "dx": 0, "dy": 0, "sw": 0.5, "sh": 0.5})";
  ASSERT_EQ(run_ifq("detect --model model.ifq --fddb-out raw.txt a.png", dir.str()).status, 0);
  const CommandResult r =
      run_ifq("detect --model model.ifq --box-style style.json --fddb-out styled.txt a.png", dir.str());
  ASSERT_EQ(r.status, 0) << r.output;
  const auto raw = detect::load_detections(dir / "raw.txt");
  const auto styled = detect::load_detections(dir / "styled.txt");
  ASSERT_EQ(raw.size(), 1u);
  ASSERT_EQ(styled.size(), 1u);
  ASSERT_FALSE(raw[0].detections.empty());
  ASSERT_EQ(raw[0].detections.size(), styled[0].detections.size());
  for (size_t k = 0; k < raw[0].detections.size(); ++k) {  // half the size, same centre, inside the photo
    const detect::Box a = detect::clip_box(raw[0].detections[k].box, 120, 90);
    const detect::Box b = styled[0].detections[k].box;
    EXPECT_LE(b.w, raw[0].detections[k].box.w / 2 + 0.02);
    EXPECT_GE(b.x, -0.01);
    EXPECT_LE(b.right(), 120.01);
    if (a.w == raw[0].detections[k].box.w) {  // not clipped: the centre stays
      EXPECT_NEAR(b.x + b.w / 2, a.x + a.w / 2, 0.02);
    }
  }
  const CommandResult e = run_ifq("detect --model model.ifq --fddb-out e.txt --fddb-ellipses a.png", dir.str());
  ASSERT_EQ(e.status, 0) << e.output;
  const auto ellipses = detect::load_fddb_ellipses(dir / "e.txt");
  ASSERT_EQ(ellipses.size(), 1u);
  ASSERT_EQ(ellipses[0].faces.size(), raw[0].detections.size());
  EXPECT_NEAR(ellipses[0].faces[0].cx, raw[0].detections[0].box.x + raw[0].detections[0].box.w / 2, 0.02);

  std::ofstream(dir / "bad.json") << R"({"format": "ifq-box-style", "dx": 0, "dy": 0, "sw": -1, "sh": 1})";
  const CommandResult bad = run_ifq("detect --model model.ifq --box-style bad.json --fddb-out x.txt a.png", dir.str());
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.output.find("ifq: error: box style 'bad.json'"), std::string::npos) << bad.output;
  EXPECT_FALSE(fs::exists(dir / "x.txt"));
  const CommandResult lone = run_ifq("detect --model model.ifq --fddb-ellipses a.png", dir.str());
  EXPECT_EQ(lone.status, 1);
  EXPECT_NE(lone.output.find("--fddb-ellipses needs --fddb-out"), std::string::npos) << lone.output;
}

// ifq fit-box-style runs the detector on a labelled set and refuses to fit
// on too few matched faces (a random-weight model finds none of them).
TEST(CliFitBoxStyle, RunsOnALabelledSetAndRefusesAFitWithoutPairs) {
  TempDir dir;
  save_int_model(convert(random_detector(3)).model, dir / "model.ifq");
  std::mt19937_64 rng(5);
  fs::create_directories(dir / "set");
  detect::save_image(random_image(rng, 120, 90), dir / "set/a.png");
  std::ofstream(dir / "set/gt.txt") << "a.png\n1\n10 10 40 40 0 0 0 0 0 0\n";
  const CommandResult r = run_ifq("fit-box-style --model model.ifq --set set/gt.txt --out s.json", dir.str());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("ifq: error: box style: only"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "s.json"));
  const CommandResult bad = run_ifq("fit-box-style --model model.ifq --set set/gt.txt:x --out s.json", dir.str());
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.output.find("minimum face size 'x'"), std::string::npos) << bad.output;
}

TEST(CliDetect, FloatModelFileAlsoDetects) {
  TempDir dir;
  save_float_model(random_detector(4), dir / "float.ifq");
  std::mt19937_64 rng(6);
  detect::save_image(random_image(rng, 80, 60), dir / "x.png");
  const CommandResult r = run_ifq("detect --model float.ifq --json x.png", dir.str());
  ASSERT_EQ(r.status, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output.substr(r.output.find('{')));
  EXPECT_EQ(j["images"], 1);
  EXPECT_EQ(j["skipped"], 0);
}

TEST(CliDetect, BadInputGivesAClearErrorAndNonZeroExit) {
  TempDir dir;
  std::ofstream(dir / "junk.ifq") << "garbage";
  const CommandResult bad_model = run_ifq("detect --model junk.ifq x.png", dir.str());
  EXPECT_NE(bad_model.status, 0);
  EXPECT_NE(bad_model.output.find("ifq: error:"), std::string::npos) << bad_model.output;
  save_int_model(convert(random_detector(1)).model, dir / "m.ifq");
  const CommandResult none = run_ifq("detect --model m.ifq missing1.png missing2.png", dir.str());
  EXPECT_EQ(none.status, 1);
  EXPECT_NE(none.output.find("no image could be read"), std::string::npos) << none.output;
  const CommandResult flag = run_ifq("detect --model m.ifq --threshold 7 x.png", dir.str());
  EXPECT_NE(flag.status, 0);
}

TEST(CliDetect, InputSizeRunsTheModelAtThatSizeAndBadSizesAreErrors) {
  TempDir dir;
  const IntModel im = convert(random_detector(7)).model;  // 64 x 64 input
  save_int_model(im, dir / "m.ifq");
  std::mt19937_64 rng(8);
  detect::save_image(random_image(rng, 200, 120), dir / "x.png");
  const CommandResult r =
      run_ifq("detect --model m.ifq --input-size 128x96 --threshold 0.3 --fddb-out dets.txt x.png", dir.str());
  ASSERT_EQ(r.status, 0) << r.output;
  const auto blocks = detect::load_detections(dir / "dets.txt");
  ASSERT_EQ(blocks.size(), 1u);
  // The same as the library's detector on the model moved to 128 wide x 96 high,
  // and not what the 64 x 64 model finds.
  detect::IntModelDetector moved(with_input_size(im, 96, 128), detect::RegionDecodeOptions{0.005, 0.45});
  detect::IntModelDetector own(im, detect::RegionDecodeOptions{0.005, 0.45});
  const detect::Image photo = detect::load_image(dir / "x.png");
  const auto want = moved.detect(photo);
  ASSERT_FALSE(want.empty());
  ASSERT_EQ(blocks[0].detections.size(), want.size());
  for (size_t k = 0; k < want.size(); ++k) EXPECT_NEAR(blocks[0].detections[k].score, want[k].score, 1e-8);
  const auto other = own.detect(photo);
  EXPECT_TRUE(other.size() != want.size() || other[0].score != want[0].score);

  for (const char* bad : {"0", "12x", "abc", "99999", "64x-1", "auto:", "auto:8", "autox", "auto:64x64"}) {
    const CommandResult e = run_ifq(std::string("detect --model m.ifq --input-size ") + bad + " x.png", dir.str());
    EXPECT_NE(e.status, 0) << bad;
    EXPECT_NE(e.output.find("ifq: error: network input size '" + std::string(bad) + "'"), std::string::npos)
        << e.output;
  }
}

TEST(CliDetect, DefaultInputIsThePhotoAtItsOwnResolutionWithItsAspectKept) {
  TempDir dir;
  const IntModel im = convert(random_detector(7)).model;  // 64 x 64 input, output cells of 8 pixels
  save_int_model(im, dir / "m.ifq");
  std::mt19937_64 rng(9);
  detect::save_image(random_image(rng, 150, 90), dir / "x.png");
  const detect::Image photo = detect::load_image(dir / "x.png");
  const auto [w, h] = detect::photo_input_size(150, 90, 64, 1600, 8);
  ASSERT_EQ(w, 152);
  ASSERT_EQ(h, 88);
  detect::IntModelDetector moved(with_input_size(im, h, w), detect::RegionDecodeOptions{0.005, 0.45});
  const auto want = moved.detect(photo);
  ASSERT_FALSE(want.empty());
  // No --input-size and --input-size auto: the same detections as the model moved to 152 x 88.
  for (const char* flag : {"", "--input-size auto "}) {
    const CommandResult r = run_ifq(std::string("detect --model m.ifq ") + flag + "--fddb-out dets.txt x.png", dir.str());
    ASSERT_EQ(r.status, 0) << r.output;
    const auto blocks = detect::load_detections(dir / "dets.txt");
    ASSERT_EQ(blocks.size(), 1u);
    ASSERT_EQ(blocks[0].detections.size(), want.size()) << flag;
    for (size_t k = 0; k < want.size(); ++k) EXPECT_NEAR(blocks[0].detections[k].score, want[k].score, 1e-8);
  }
  // auto:MAX caps the longer side: 150 x 90 at most 100 -> 100 x 60 -> 96 x 64 in whole cells.
  detect::IntModelDetector capped(with_input_size(im, 64, 96), detect::RegionDecodeOptions{0.005, 0.45});
  const auto want_capped = capped.detect(photo);
  const CommandResult r = run_ifq("detect --model m.ifq --input-size auto:100 --fddb-out dets.txt x.png", dir.str());
  ASSERT_EQ(r.status, 0) << r.output;
  const auto blocks = detect::load_detections(dir / "dets.txt");
  ASSERT_EQ(blocks[0].detections.size(), want_capped.size());
  for (size_t k = 0; k < want_capped.size(); ++k) EXPECT_NEAR(blocks[0].detections[k].score, want_capped[k].score, 1e-8);
  // model: the old stretch to the model's own 64 x 64.
  detect::IntModelDetector own(im, detect::RegionDecodeOptions{0.005, 0.45});
  const auto want_own = own.detect(photo);
  const CommandResult m = run_ifq("detect --model m.ifq --input-size model --fddb-out dets.txt x.png", dir.str());
  ASSERT_EQ(m.status, 0) << m.output;
  ASSERT_EQ(detect::load_detections(dir / "dets.txt")[0].detections.size(), want_own.size());
}

TEST(CliEvalFddb, FixtureFoldGivesJsonRocAndPlot) {
  TempDir dir;
  // The fold's three images, with FDDB-like sizes.
  for (const char* name : {"2002/08/11/big/img_591", "2002/08/26/big/img_265", "2002/07/19/big/img_423"}) {
    fs::create_directories(fs::path(dir / name).parent_path());
    detect::save_image(detect::make_image(450, 338), dir / (std::string(name) + ".jpg"));
  }
  const CommandResult r = run_ifq("eval-fddb --ellipses " + fixture("FDDB-fold-01-ellipseList.txt") + " --detections " +
                        fixture("fddb_detections.txt") + " --images " + dir.str() + " --roc-prefix " + (dir / "fold1-") +
                        " --json");
  ASSERT_EQ(r.status, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output.substr(r.output.find('{')));
  EXPECT_EQ(j["fp_budget"], 0);
  EXPECT_EQ(j["faces"], 5);
  EXPECT_EQ(j["roc"], dir / "fold1-DiscROC.txt");
  EXPECT_TRUE(fs::exists(dir / "fold1-DiscROC.txt"));
  EXPECT_TRUE(fs::exists(dir / "fold1-DiscROC.png"));
  // Face 1 of img_591 (ellipse 123.6 x 85.5 at (269.7, 161.8), tilted) against
  // the 0.98 box: the result must agree with the library on the same inputs.
  const double rate = j["detection_rate_at_fp"];
  EXPECT_GE(rate, 0.0);
  EXPECT_LE(rate, 0.2 + 1e-12);  // at most 1 of 5 faces is detected
}

TEST(CliEvalFddb, MalformedAnnotationNamesFileAndLine) {
  TempDir dir;
  const CommandResult r = run_ifq("eval-fddb --ellipses " + fixture("FDDB-bad-ellipse.txt") + " --detections " +
                        fixture("fddb_detections.txt") + " --images " + dir.str());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("FDDB-bad-ellipse.txt:3:"), std::string::npos) << r.output;
}

TEST(CliFacegen, GeneratesImagesAndAnnotationsThatEvaluatePerfectly) {
  TempDir dir;
  std::mt19937_64 rng(8);
  detect::save_image(random_image(rng, 200, 150), dir / "bg.png");
  std::vector<detect::GreyPatch> faces;
  for (int k = 0; k < 3; ++k) {
    detect::GreyPatch p{24, 24, std::vector<uint8_t>(576)};
    for (auto& v : p.pixels) v = uint8_t(rng() & 0xff);
    faces.push_back(p);
  }
  detect::save_vec(faces, dir / "faces.vec");
  const CommandResult r = run_ifq("facegen --faces faces.vec --backgrounds bg.png --out-dir gen --count 4 --width 96 --height 96 "
                        "--max-face 40 --format png --seed 3",
                        dir.str());
  ASSERT_EQ(r.status, 0) << r.output;
  const auto ann = detect::load_wider_gt(dir / "gen/bbx_gt.txt");
  ASSERT_EQ(ann.size(), 4u);
  // The annotations as detections (score 1) must score TPR 1 at FP 0.
  std::vector<detect::ImageDetections> perfect;
  for (const auto& a : ann) {
    detect::ImageDetections d{a.path, {}};
    for (const auto& f : a.faces) d.detections.push_back({f.box, 1.0, 0});
    perfect.push_back(d);
  }
  detect::save_detections(perfect, dir / "perfect.txt");
  const CommandResult e = run_ifq("eval-fddb --boxes gen/bbx_gt.txt --detections perfect.txt --images gen --json", dir.str());
  ASSERT_EQ(e.status, 0) << e.output;
  const auto j = nlohmann::json::parse(e.output.substr(e.output.find('{')));
  EXPECT_DOUBLE_EQ(j["detection_rate_at_fp"].get<double>(), 1.0);
  // One more box, the first face shifted by half its width (overlap about
  // 1/3, a duplicate anyway): the one false positive, listed with its overlap.
  perfect[0].detections.push_back(perfect[0].detections[0]);
  perfect[0].detections.back().box.x += perfect[0].detections[0].box.w / 2;
  perfect[0].detections.back().score = 0.5;
  detect::save_detections(perfect, dir / "loose.txt");
  const CommandResult l =
      run_ifq("eval-fddb --boxes gen/bbx_gt.txt --detections loose.txt --images gen --false-positives 3 --json", dir.str());
  ASSERT_EQ(l.status, 0) << l.output;
  const auto jl = nlohmann::json::parse(l.output.substr(l.output.find('{')));
  ASSERT_EQ(jl["false_positives"].size(), 1u) << l.output;
  EXPECT_DOUBLE_EQ(jl["false_positives"][0]["score"].get<double>(), 0.5);
  EXPECT_GT(jl["false_positives"][0]["best_overlap"].get<double>(), 0.25);
  EXPECT_LT(jl["false_positives"][0]["best_overlap"].get<double>(), 0.45);
  // Per image at the operating point: every face of every image found, the
  // loose box (0.5) below the threshold that reaches that rate.
  const CommandResult per =
      run_ifq("eval-fddb --boxes gen/bbx_gt.txt --detections loose.txt --images gen --per-image --per-image-fp 1 --json",
              dir.str());
  ASSERT_EQ(per.status, 0) << per.output;
  const auto jp = nlohmann::json::parse(per.output.substr(per.output.find('{')))["per_image"];
  ASSERT_EQ(jp["images"].size(), ann.size()) << per.output;
  EXPECT_DOUBLE_EQ(jp["threshold"].get<double>(), 1.0);
  EXPECT_EQ(jp["false_positives"], 0);
  long long labelled = 0;
  for (size_t k = 0; k < ann.size(); ++k) {
    EXPECT_EQ(jp["images"][k]["faces"], ann[k].faces.size()) << k;
    EXPECT_EQ(jp["images"][k]["found"], ann[k].faces.size()) << k;
    labelled += (long long)ann[k].faces.size();
  }
  EXPECT_EQ(jp["found"], labelled);
  const CommandResult per_alone =
      run_ifq("eval-fddb --boxes gen/bbx_gt.txt --detections loose.txt --images gen --per-image-fp 1", dir.str());
  EXPECT_NE(per_alone.status, 0);
  EXPECT_NE(per_alone.output.find("ifq: error: --per-image-fp needs --per-image"), std::string::npos) << per_alone.output;
  // Faces under 1000 px are ignore regions: none left to find, and boxes on
  // them are not false positives.
  const CommandResult ig = run_ifq(
      "eval-fddb --boxes gen/bbx_gt.txt --min-face 1000 --detections loose.txt --images gen --false-positives 3 --json",
      dir.str());
  ASSERT_EQ(ig.status, 0) << ig.output;
  const auto ji = nlohmann::json::parse(ig.output.substr(ig.output.find('{')));
  EXPECT_EQ(ji["faces"], 0);
  EXPECT_TRUE(ji["false_positives"].empty());
  const CommandResult no_boxes =
      run_ifq("eval-fddb --imglab faces.xml --min-face 3 --detections loose.txt --images gen", dir.str());
  EXPECT_NE(no_boxes.status, 0);
  EXPECT_NE(no_boxes.output.find("ifq: error: --min-face needs --boxes"), std::string::npos) << no_boxes.output;
  const CommandResult w = run_ifq("eval-wider --gt gen/bbx_gt.txt --detections perfect.txt --json", dir.str());
  ASSERT_EQ(w.status, 0) << w.output;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(w.output.substr(w.output.find('{')))["ap"]["all"].get<double>(), 1.0);
  const CommandResult p = run_ifq("roc-plot --curve perfect=perfect-DiscROC.txt --out both.png --fp-budget 0", dir.str());
  ASSERT_EQ(p.status, 0) << p.output;
  EXPECT_TRUE(fs::exists(dir / "both.png"));
}

TEST(CliEvalWider, SubsetsFromFixtures) {
  TempDir dir;
  // Detections for the WIDER fixture named like official result files (no event folder).
  std::ofstream(dir / "dets.txt") << "0_Parade_marchingband_1_849\n1\n449 330 122 149 0.9\n"
                                  << "0_Parade_Parade_0_904\n1\n78 221 7 8 0.8\n";
  const CommandResult r = run_ifq("eval-wider --gt " + fixture("wider_face_val_bbx_gt.txt") + " --detections dets.txt --subset easy=" +
                        fixture("wider_easy_val.txt") + " --json",
                        dir.str());
  ASSERT_EQ(r.status, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output.substr(r.output.find('{')));
  // Easy keeps 4 faces; the 0.9 box hits one; the 0.8 box hits a face outside
  // the subset (ignored). Recall 1/4 at precision 1: AP 0.25.
  EXPECT_EQ(j["faces"]["easy"], 4);
  EXPECT_DOUBLE_EQ(j["ap"]["easy"].get<double>(), 0.25);
}

TEST(CliHaar, RunsOnAnImageWhenOpenCvIsBuiltIn) {
  if (!detect::haar_cascade_available() || !fs::exists(IFQ_HAAR_XML)) GTEST_SKIP() << "no OpenCV or no cascade file";
  TempDir dir;
  std::mt19937_64 rng(2);
  detect::save_image(random_image(rng, 100, 80), dir / "noise.png");
  const CommandResult r = run_ifq("haar-detect --fddb-out haar.txt noise.png", dir.str());
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(detect::load_detections(dir / "haar.txt").size(), 1u);
  const CommandResult bad = run_ifq("haar-detect --cascade /nonexistent.xml noise.png", dir.str());
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.output.find("cannot load Haar cascade"), std::string::npos);
}

// ifq face-benchmark end to end on a tiny generated set: a float model and
// its integer conversion are scored, the JSON report and the ROC plot are
// written, the level check finds the two identical; bad specs fail clearly.
TEST(CliFaceBenchmark, ScoresModelsWritesReportAndChecksLevels) {
  TempDir dir;
  const FloatModel fm = random_detector(8);
  save_float_model(fm, dir / "f.ifqf");
  save_int_model(convert(fm).model, dir / "i.ifqi");
  std::mt19937_64 rng(3);
  fs::create_directories(dir / "set");
  std::vector<detect::WiderImage> list;
  for (int i = 0; i < 4; ++i) {
    const std::string name = "im" + std::to_string(i) + ".png";
    detect::save_image(random_image(rng, 64, 48), dir / ("set/" + name));
    list.push_back({name, {{detect::Box{5, 6, 20, 20}}}});
  }
  detect::save_wider_gt(list, dir / "set/gt.txt");
  const CommandResult r = run_ifq(
      "face-benchmark --set toy=set/gt.txt --detector 'float model=f.ifqf' --detector int=i.ifqi "
      "--level-check f.ifqf=i.ifqi --draw 1 --out-dir out",
      dir.str());
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("| float model |"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(dir / "out/toy-roc.png"));
  EXPECT_TRUE(fs::exists(dir / "out/toy/float-model-DiscROC.txt"));
  EXPECT_TRUE(fs::exists(dir / "out/toy/int/im0.png"));
  EXPECT_FALSE(fs::exists(dir / "out/toy/int/im1.png"));
  std::ifstream in(dir / "out/report.json");
  const auto j = nlohmann::json::parse(in);
  ASSERT_EQ(j["results"].size(), 2u);
  EXPECT_EQ(j["results"][0]["images"], 4);
  EXPECT_EQ(j["results"][0]["fp_budget"], 0);
  ASSERT_EQ(j["level_checks"].size(), 1u);
  // This model's first conv has float weights (separated conversion, m = 9),
  // so only its quantized substructures must agree exactly.
  EXPECT_GT(j["level_checks"][0]["quantized_substructure_levels_compared"].get<long long>(), 0);
  EXPECT_EQ(j["level_checks"][0]["quantized_substructure_levels_mismatched"], 0);
  EXPECT_EQ(j["detectors"][1]["kind"], "int");
  // Bootstrap intervals (default 1,000 resamples): around each rate, and for
  // the second detector around its difference from the first.
  for (const auto& res : j["results"]) {
    ASSERT_TRUE(res["detection_rate_at_fp_ci95"].is_array()) << res;
    EXPECT_LE(res["detection_rate_at_fp_ci95"][0].get<double>(), res["detection_rate_at_fp"].get<double>());
    EXPECT_GE(res["detection_rate_at_fp_ci95"][1].get<double>(), res["detection_rate_at_fp"].get<double>());
  }
  EXPECT_TRUE(j["results"][0]["detection_rate_at_fp_minus_first_ci95"].is_null());
  const auto& minus_first = j["results"][1]["detection_rate_at_fp_minus_first_ci95"];
  ASSERT_TRUE(minus_first.is_array());
  const double difference =
      j["results"][1]["detection_rate_at_fp"].get<double>() - j["results"][0]["detection_rate_at_fp"].get<double>();
  EXPECT_LE(minus_first[0].get<double>(), difference + 1e-12);
  EXPECT_GE(minus_first[1].get<double>(), difference - 1e-12);
  const CommandResult no_bootstrap =
      run_ifq("face-benchmark --set toy=set/gt.txt --detector int=i.ifqi --bootstrap 0 --draw 0 --out-dir out0", dir.str());
  ASSERT_EQ(no_bootstrap.status, 0) << no_bootstrap.output;
  std::ifstream in0(dir / "out0/report.json");
  EXPECT_TRUE(nlohmann::json::parse(in0)["results"][0]["detection_rate_at_fp_ci95"].is_null());

  // --box-style adds a row for the detector of that label, with its boxes moved.
  std::ofstream(dir / "half.json") << R"({"format": "ifq-box-style", "dx": 0, "dy": 0, "sw": 0.5, "sh": 0.5})";
  const CommandResult styled = run_ifq(
      "face-benchmark --set toy=set/gt.txt --detector int=i.ifqi --box-style int=half.json --draw 0 --out-dir out1",
      dir.str());
  ASSERT_EQ(styled.status, 0) << styled.output;
  std::ifstream in1(dir / "out1/report.json");
  const auto j1 = nlohmann::json::parse(in1);
  ASSERT_EQ(j1["results"].size(), 2u);
  EXPECT_EQ(j1["results"][1]["detector"], "int, box style half");
  EXPECT_EQ(j1["results"][1]["detections"], j1["results"][0]["detections"]);
  const CommandResult unknown = run_ifq(
      "face-benchmark --set toy=set/gt.txt --detector int=i.ifqi --box-style other=half.json --out-dir out2", dir.str());
  EXPECT_EQ(unknown.status, 1);
  EXPECT_NE(unknown.output.find("no --detector is labelled 'other'"), std::string::npos) << unknown.output;

  const CommandResult bad_spec = run_ifq("face-benchmark --set toy --detector int=i.ifqi", dir.str());
  EXPECT_EQ(bad_spec.status, 1);
  EXPECT_NE(bad_spec.output.find("expected NAME=PATH"), std::string::npos) << bad_spec.output;
  const CommandResult missing = run_ifq("face-benchmark --set toy=nope/gt.txt --detector int=i.ifqi", dir.str());
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.output.find("nope/gt.txt"), std::string::npos) << missing.output;
  const CommandResult bad_model = run_ifq("face-benchmark --set toy=set/gt.txt --detector x=set/gt.txt", dir.str());
  EXPECT_EQ(bad_model.status, 1);
}
