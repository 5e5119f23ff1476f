#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "ifq/detect/datasets.hpp"
#include "ifq/error.hpp"

using namespace ifq::detect;

namespace {

std::string fixture(const std::string& name) { return std::string(IFQ_DETECT_FIXTURES) + "/" + name; }

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("ifq_detect_" + std::to_string(::getpid()) + "_" + name)).string();
}

// The error message of `f`, which must throw ifq::Error.
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const ifq::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no ifq::Error thrown";
  return "";
}

}  // namespace

TEST(WiderGt, LoadsFacesAttributesAndEmptyImages) {
  const auto images = load_wider_gt(fixture("wider_face_val_bbx_gt.txt"));
  ASSERT_EQ(images.size(), 4u);
  EXPECT_EQ(images[0].path, "0--Parade/0_Parade_marchingband_1_849.jpg");
  ASSERT_EQ(images[0].faces.size(), 1u);
  EXPECT_EQ(images[0].faces[0].box.x, 449);
  EXPECT_EQ(images[0].faces[0].box.h, 149);
  EXPECT_EQ(images[1].faces[1].blur, 2);
  EXPECT_TRUE(images[2].faces.empty());  // count 0 and its all-zero line
  EXPECT_EQ(images[3].path, "1--Handshaking/1_Handshaking_Handshaking_1_35.jpg");
  EXPECT_EQ(images[3].faces[0].pose, 2);
  EXPECT_EQ(images[3].faces[1].invalid, 1);
}

TEST(WiderGt, SaveThenLoadRoundTrips) {
  const auto images = load_wider_gt(fixture("wider_face_val_bbx_gt.txt"));
  const std::string out = temp_path("wider_rt.txt");
  save_wider_gt(images, out);
  const auto again = load_wider_gt(out);
  ASSERT_EQ(again.size(), images.size());
  for (size_t i = 0; i < images.size(); ++i) {
    EXPECT_EQ(again[i].path, images[i].path);
    ASSERT_EQ(again[i].faces.size(), images[i].faces.size());
    for (size_t k = 0; k < images[i].faces.size(); ++k) {
      EXPECT_EQ(again[i].faces[k].box.x, images[i].faces[k].box.x);
      EXPECT_EQ(again[i].faces[k].box.w, images[i].faces[k].box.w);
      EXPECT_EQ(again[i].faces[k].occlusion, images[i].faces[k].occlusion);
    }
  }
  std::filesystem::remove(out);
}

TEST(WiderGt, MalformedLinesNameFileAndLine) {
  const std::string bad = error_of([] { load_wider_gt(fixture("wider_bad_number.txt")); });
  EXPECT_NE(bad.find("wider_bad_number.txt:3:"), std::string::npos) << bad;
  const std::string trunc = error_of([] { load_wider_gt(fixture("wider_truncated.txt")); });
  EXPECT_NE(trunc.find("wider_truncated.txt:4:"), std::string::npos) << trunc;
  EXPECT_NE(trunc.find("unexpected end of file"), std::string::npos) << trunc;
  EXPECT_NE(error_of([] { load_wider_gt(fixture("no_such_file.txt")); }).find("cannot open"), std::string::npos);
}

// Found by fuzz/wider.cpp: an attribute of 3e92 was cast to int (undefined
// behaviour). Attributes must be whole numbers from 0 to 255.
TEST(WiderGt, AttributesOutsideSmallWholeNumbersAreErrors) {
  for (const char* attributes : {"0 3e92 0 0 0 0", "0 0 -1 0 0 0", "0 0 0 0.5 0 0", "0 0 0 0 nan 0"}) {
    const std::string path = temp_path("wider_attr.txt");
    std::ofstream(path) << "a.jpg\n1\n1 2 3 4 " << attributes << "\n";
    const std::string e = error_of([&] { load_wider_gt(path); });
    EXPECT_NE(e.find("wider_attr.txt:3:"), std::string::npos) << attributes << ": " << e;
    std::filesystem::remove(path);
  }
}

TEST(WiderSubset, ReadsOneBasedIndices) {
  const auto s = load_wider_subset(fixture("wider_easy_val.txt"));
  ASSERT_EQ(s.paths.size(), 3u);
  EXPECT_EQ(s.keep[2], (std::vector<int>{0, 2}));
}

TEST(Fddb, LoadsFoldAndEllipses) {
  const auto fold = load_fddb_fold(fixture("FDDB-fold-01.txt"));
  ASSERT_EQ(fold.size(), 3u);
  EXPECT_EQ(fold[2], "2002/07/19/big/img_423");
  const auto ell = load_fddb_ellipses(fixture("FDDB-fold-01-ellipseList.txt"));
  ASSERT_EQ(ell.size(), 3u);
  ASSERT_EQ(ell[1].faces.size(), 3u);
  EXPECT_DOUBLE_EQ(ell[1].faces[0].major, 67.363819);
  EXPECT_DOUBLE_EQ(ell[1].faces[0].angle, -1.476417);
  EXPECT_DOUBLE_EQ(ell[1].faces[2].cy, 117.498951);
  const std::string bad = error_of([] { load_fddb_ellipses(fixture("FDDB-bad-ellipse.txt")); });
  EXPECT_NE(bad.find("FDDB-bad-ellipse.txt:3:"), std::string::npos) << bad;
}

TEST(Detections, LoadSaveRoundTripAndErrors) {
  const auto d = load_detections(fixture("fddb_detections.txt"));
  ASSERT_EQ(d.size(), 2u);
  ASSERT_EQ(d[0].detections.size(), 2u);
  EXPECT_DOUBLE_EQ(d[0].detections[0].box.w, 240.2);
  EXPECT_DOUBLE_EQ(d[0].detections[0].score, 0.98);
  EXPECT_TRUE(d[1].detections.empty());
  const std::string out = temp_path("dets.txt");
  save_detections(d, out);
  const auto again = load_detections(out);
  ASSERT_EQ(again.size(), 2u);
  EXPECT_DOUBLE_EQ(again[0].detections[1].score, 0.1);
  EXPECT_DOUBLE_EQ(again[0].detections[0].box.x, 150.5);
  std::filesystem::remove(out);
  const std::string bad = error_of([] { load_detections(fixture("fddb_bad_detections.txt")); });
  EXPECT_NE(bad.find("fddb_bad_detections.txt:2:"), std::string::npos) << bad;
}

TEST(Detections, DirectoryOfPerImageFiles) {
  const std::filesystem::path dir = temp_path("wider_pred");
  std::filesystem::create_directories(dir / "0--Parade");
  std::ofstream(dir / "0--Parade" / "a.txt") << "a\n1\n1 2 3 4 0.5\n";
  std::ofstream(dir / "0--Parade" / "b.txt") << "b\n0\n";
  const auto d = load_detection_dir(dir.string());
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].name, "a");
  EXPECT_DOUBLE_EQ(d[0].detections[0].box.h, 4);
  std::filesystem::remove_all(dir);
}

TEST(Imglab, LoadsBoxesIgnoreLabelsAndEntities) {
  const auto images = load_imglab_xml(fixture("imglab_training.xml"));
  ASSERT_EQ(images.size(), 3u);
  EXPECT_EQ(images[0].file, "2008_002470.jpg");
  ASSERT_EQ(images[0].boxes.size(), 3u);
  EXPECT_EQ(images[0].boxes[0].box.x, 274);  // left
  EXPECT_EQ(images[0].boxes[0].box.y, 181);  // top
  EXPECT_EQ(images[0].boxes[0].box.w, 52);
  EXPECT_EQ(images[0].boxes[0].box.h, 53);
  EXPECT_TRUE(images[0].boxes[2].ignore);
  EXPECT_FALSE(images[0].boxes[1].ignore);
  ASSERT_EQ(images[1].boxes.size(), 1u);
  EXPECT_EQ(images[1].boxes[0].label, "face");
  EXPECT_EQ(images[2].file, "dir/A&B.jpg");
  EXPECT_TRUE(images[2].boxes.empty());
  const std::string bad = error_of([] { load_imglab_xml(fixture("imglab_bad.xml")); });
  EXPECT_NE(bad.find("imglab_bad.xml:5:"), std::string::npos) << bad;
  EXPECT_NE(bad.find("height"), std::string::npos) << bad;
  // width='nan' and the like were accepted (issue 15 finding).
  for (const char* v : {"nan", "inf", "-inf"}) {
    const std::string path = ::testing::TempDir() + "/imglab_nan.xml";
    std::ofstream(path) << "<dataset><images><image file='a.jpg'>\n<box top='1' left='2' width='" << v
                        << "' height='4'/>\n</image></images></dataset>\n";
    const std::string e = error_of([&] { load_imglab_xml(path); });
    EXPECT_NE(e.find("not a finite number"), std::string::npos) << v << ": " << e;
  }
}

TEST(Vec, LoadsHandWrittenFileAndClampsPixels) {
  const auto s = load_vec(fixture("two_samples_2x2.vec"));
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].width, 2);
  EXPECT_EQ(s[0].pixels, (std::vector<uint8_t>{10, 20, 30, 40}));
  EXPECT_EQ(s[1].pixels, (std::vector<uint8_t>{255, 0, 128, 255}));  // 300 clamps to 255
  EXPECT_EQ(load_vec(fixture("two_samples_2x2.vec"), 0, 0, 1).size(), 1u);
  EXPECT_NE(error_of([] { load_vec(fixture("truncated.vec")); }).find("bytes, expected"), std::string::npos);
  EXPECT_NE(error_of([] { load_vec(fixture("two_samples_2x2.vec"), 3, 1); }).find("vecsize"), std::string::npos);
}

TEST(Vec, SaveThenLoadRoundTrips) {
  std::vector<GreyPatch> samples;
  for (int k = 0; k < 5; ++k) {
    GreyPatch p{24, 24, std::vector<uint8_t>(576)};
    for (size_t i = 0; i < p.pixels.size(); ++i) p.pixels[i] = uint8_t((i * 7 + k * 31) & 0xff);
    samples.push_back(p);
  }
  const std::string out = temp_path("rt.vec");
  save_vec(samples, out);
  const auto again = load_vec(out);
  ASSERT_EQ(again.size(), 5u);
  for (int k = 0; k < 5; ++k) EXPECT_EQ(again[k].pixels, samples[k].pixels);
  std::filesystem::remove(out);
}
