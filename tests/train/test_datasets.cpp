// IDX and image-folder loaders: good files load, bad ones name the problem.
#include <gtest/gtest.h>
#include <stb/stb_image_write.h>
#include <zlib.h>

#include <filesystem>

#include "error_text.hpp"
#include "ifq/error.hpp"
#include "ifq/train/dataset.hpp"
#include "temp_dir.hpp"

namespace ifq {
namespace {

std::string idx(uint8_t ndim, std::vector<uint32_t> dims, const std::vector<uint8_t>& data) {
  std::string s = {0, 0, 8, char(ndim)};
  for (uint32_t d : dims)
    for (int b = 3; b >= 0; --b) s.push_back(char((d >> (8 * b)) & 0xFF));
  s.append(data.begin(), data.end());
  return s;
}

void write_gz(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  gzwrite(f, bytes.data(), unsigned(bytes.size()));
  gzclose(f);
}

using testing::error_of;

TEST(Datasets, IdxPlainAndGzip) {
  testing::TempDir dir;
  std::vector<uint8_t> px(3 * 2 * 4);
  for (size_t i = 0; i < px.size(); ++i) px[i] = uint8_t(i * 7);
  testing::write_bytes(dir.file("img"), idx(3, {3, 2, 4}, px));
  write_gz(dir.file("lab.gz"), idx(1, {3}, {2, 0, 9}));
  const trainer::Dataset d = trainer::load_idx(dir.file("img"), dir.file("lab.gz"));
  EXPECT_EQ(d.shape, (Shape3{1, 2, 4}));
  EXPECT_EQ(d.size(), 3);
  EXPECT_EQ(d.labels, (std::vector<int32_t>{2, 0, 9}));
  EXPECT_EQ(d.classes, 10);
  EXPECT_EQ(d.image(1), std::vector<uint8_t>(px.begin() + 8, px.begin() + 16));
  EXPECT_EQ(d.head(2).size(), 2);
}

TEST(Datasets, IdxErrorsNameFileAndProblem) {
  testing::TempDir dir;
  testing::write_bytes(dir.file("lab"), idx(1, {2}, {1, 1}));
  testing::write_bytes(dir.file("short"), idx(3, {3, 2, 4}, std::vector<uint8_t>(20)));
  EXPECT_NE(error_of([&] { trainer::load_idx(dir.file("short"), dir.file("lab")); }).find("short': IDX holds 20 data bytes"),
            std::string::npos);
  testing::write_bytes(dir.file("magic"), "\x01\x02\x03\x04zzzz");
  EXPECT_NE(error_of([&] { trainer::load_idx(dir.file("magic"), dir.file("lab")); }).find("bad magic"), std::string::npos);
  testing::write_bytes(dir.file("img"), idx(3, {3, 1, 1}, {1, 2, 3}));
  EXPECT_NE(error_of([&] { trainer::load_idx(dir.file("img"), dir.file("lab")); }).find("has 3 images but"), std::string::npos);
  testing::write_bytes(dir.file("bad.gz"), std::string("\x1f\x8b\x08\x00garbage-not-deflate", 23));
  EXPECT_NE(error_of([&] { trainer::load_idx(dir.file("bad.gz"), dir.file("lab")); }).find("bad.gz"), std::string::npos);
  EXPECT_NE(error_of([&] { trainer::load_idx(dir.file("none"), dir.file("lab")); }).find("cannot open"), std::string::npos);
}

TEST(Datasets, MissingFashionMnistSaysHowToInstall) {
  const std::string msg = error_of([] { trainer::load_fashion_mnist("train", "/nonexistent/fashion"); });
  EXPECT_NE(msg.find("apt-get install dataset-fashion-mnist"), std::string::npos) << msg;
  EXPECT_NE(error_of([] { trainer::load_fashion_mnist("validation"); }).find("split"), std::string::npos);
}

TEST(Datasets, FashionMnistFromTheDebianPackage) {
  if (!std::filesystem::exists(std::string(trainer::kFashionMnistDir) + "/t10k-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const trainer::Dataset d = trainer::load_fashion_mnist("t10k");
  EXPECT_EQ(d.size(), 10000);
  EXPECT_EQ(d.shape, (Shape3{1, 28, 28}));
  EXPECT_EQ(d.classes, 10);
  std::vector<int> per_class(10);
  for (int32_t l : d.labels) per_class[size_t(l)]++;
  for (int c : per_class) EXPECT_EQ(c, 1000);
}

TEST(Datasets, ImageFolderTree) {
  testing::TempDir dir;
  for (const char* cls : {"cat", "ant"}) std::filesystem::create_directories(dir.file(std::string("root/") + cls));
  std::vector<uint8_t> rgb(6 * 4 * 3);
  for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = uint8_t(i);
  ASSERT_TRUE(stbi_write_png(dir.file("root/cat/a.png").c_str(), 6, 4, 3, rgb.data(), 6 * 3));
  ASSERT_TRUE(stbi_write_png(dir.file("root/ant/b.png").c_str(), 6, 4, 3, rgb.data(), 6 * 3));
  testing::write_bytes(dir.file("root/ant/broken.jpg"), "not an image");
  int64_t skipped = -1;
  const trainer::Dataset d = trainer::load_image_folder(dir.file("root"), {3, 4, 4}, 4, &skipped);
  EXPECT_EQ(skipped, 1);
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"ant", "cat"}));
  EXPECT_EQ(d.labels, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(d.images.size(), 2u * 3 * 4 * 4);
  // Centre crop of a 6x4 image at scale 1: columns 1..4, red channel.
  EXPECT_EQ(d.images[0], rgb[(0 * 6 + 1) * 3]);
  EXPECT_NE(error_of([&] { trainer::load_image_folder(dir.file("nothing"), {3, 4, 4}, 4); }).find("does not exist"),
            std::string::npos);
}

TEST(Datasets, AugmentationIsDeterministicAndShapePreserving) {
  const Shape3 s{1, 4, 4};
  std::vector<uint8_t> img(16);
  for (int i = 0; i < 16; ++i) img[size_t(i)] = uint8_t(i + 1);
  trainer::Augment flip_only{true, 0};
  std::vector<uint8_t> a = img, b = img;
  uint64_t ra = 5, rb = 5;
  trainer::augment_image(a.data(), s, flip_only, ra);
  trainer::augment_image(b.data(), s, flip_only, rb);
  EXPECT_EQ(a, b);
  const bool flipped = a != img;
  if (flipped) {
    EXPECT_EQ(a[0], img[3]);
  }
  std::vector<uint8_t> c = img;
  uint64_t rc = 5;
  trainer::augment_image(c.data(), s, trainer::Augment{}, rc);
  EXPECT_EQ(c, img);  // no augmentation: untouched
}

}  // namespace
}  // namespace ifq
