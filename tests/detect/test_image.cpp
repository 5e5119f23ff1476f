#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "ifq/detect/image.hpp"
#include "ifq/detect/roc_plot.hpp"
#include "ifq/error.hpp"

using namespace ifq::detect;

namespace {
std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("ifq_img_" + std::to_string(::getpid()) + "_" + name)).string();
}

// load_image refuses the committed fuzz regression `name` with a message holding `why`.
void expect_regression_refused(const std::string& name, const std::string& why) {
  try {
    load_image(IFQ_SOURCE_DIR "/fuzz/regressions/" + name);
    ADD_FAILURE() << name << " was decoded";
  } catch (const ifq::Error& e) {
    EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
  }
}
}  // namespace

TEST(Image, PngRoundTripIsExact) {
  Image im = make_image(37, 23);
  for (size_t i = 0; i < im.rgb.size(); ++i) im.rgb[i] = uint8_t((i * 13) & 0xff);
  const std::string p = temp_path("rt.png");
  save_image(im, p);
  const Image back = load_image(p);
  EXPECT_EQ(back.width, 37);
  EXPECT_EQ(back.height, 23);
  EXPECT_EQ(back.rgb, im.rgb);
  int w = 0, h = 0;
  read_image_size(p, w, h);
  EXPECT_EQ(w, 37);
  EXPECT_EQ(h, 23);
  std::filesystem::remove(p);
}

TEST(Image, JpegRoundTripIsClose) {
  Image im = make_image(32, 32, 100, 150, 200);
  const std::string p = temp_path("rt.jpg");
  save_image(im, p);
  const Image back = load_image(p);
  ASSERT_EQ(back.rgb.size(), im.rgb.size());
  for (size_t i = 0; i < im.rgb.size(); ++i) EXPECT_NEAR(back.rgb[i], im.rgb[i], 4);
  std::filesystem::remove(p);
}

TEST(Image, UnreadableFilesAreErrorsNamingThePath) {
  const std::string p = temp_path("garbage.jpg");
  std::ofstream(p) << "this is not an image";
  try {
    load_image(p);
    FAIL();
  } catch (const ifq::Error& e) {
    EXPECT_NE(std::string(e.what()).find(p), std::string::npos);
  }
  std::filesystem::remove(p);
  EXPECT_THROW(load_image(temp_path("missing.png")), ifq::Error);
  EXPECT_THROW(save_image(make_image(2, 2), temp_path("x.bmpx")), ifq::Error);
}

// Found by a bad-input campaign (issue 15): a PNM of size 0 crashed `ifq
// detect` in resize, a truncated one decoded uninitialised memory, maxval 0
// was accepted. Each is now an error naming the file and the problem.
TEST(Image, DamagedPnmFilesAreErrorsNotPixels) {
  const std::string dir = ::testing::TempDir();
  const std::pair<const char*, std::string> cases[] = {
      {"zero width", std::string("P6\n0 10\n255\n")},
      {"zero height", std::string("P6\n10 0\n255\n")},
      {"negative", std::string("P6\n-4 10\n255\n")},
      {"maxval 0", std::string("P6\n2 2\n0\n") + std::string(12, '\x10')},
      {"truncated", std::string("P6\n4 4\n255\n") + std::string(20, '\x10')},
      {"grey truncated", std::string("P5\n# a comment\n8 8\n255\n") + std::string(63, '\x10')},
      {"header cut", std::string("P6\n4 4")},
      // stb's header reader overflows an int on it (found by fuzz/image.cpp)
      {"10-digit size", std::string("P5\n65655\n2769999999999\n255\n")},
  };
  for (const auto& [what, bytes] : cases) {
    const std::string path = dir + "/damaged.ppm";
    std::ofstream(path, std::ios::binary) << bytes;
    try {
      ifq::detect::load_image(path);
      ADD_FAILURE() << what << ": loaded";
    } catch (const ifq::Error& e) {
      EXPECT_NE(std::string(e.what()).find("damaged.ppm"), std::string::npos) << what << ": " << e.what();
    }
  }
  // The intact forms still load.
  const std::string ok = dir + "/ok.ppm";
  std::ofstream(ok, std::ios::binary) << std::string("P6\n# c\n2 1\n255\n") + std::string(6, '\x7f');
  const auto im = ifq::detect::load_image(ok);
  EXPECT_EQ(im.width, 2);
  EXPECT_EQ(im.height, 1);
  EXPECT_EQ(im.rgb[5], 0x7f);
}

// Found by fuzz/image.cpp: a JPEG Huffman table of more than 256 codes
// overflows stb's 257-entry array (Debian's libstb writes past it silently;
// only the sanitizer build saw it). The guard refuses such a file before stb
// reads it, and leaves real JPEGs alone (progressive and baseline).
TEST(Image, JpegHuffmanTableOverflowIsRefusedBeforeStbSeesIt) {
  const std::string crafted = IFQ_SOURCE_DIR "/fuzz/regressions/image-jpeg-huffman-overflow";
  for (int header_only = 0; header_only < 2; ++header_only) {
    try {
      int w = 0, h = 0;
      if (header_only) read_image_size(crafted, w, h);
      else load_image(crafted);
      ADD_FAILURE() << "the crafted JPEG was read";
    } catch (const ifq::Error& e) {
      EXPECT_NE(std::string(e.what()).find("Huffman table of"), std::string::npos) << e.what();
    }
  }
  Image photo = make_image(37, 21);
  for (size_t i = 0; i < photo.rgb.size(); ++i) photo.rgb[i] = uint8_t(i * 7 + i / 97);
  const std::string path = temp_path("guard.jpg");
  save_image(photo, path, 85);
  EXPECT_EQ(load_image(path).width, 37);
  std::filesystem::remove(path);
}

// Found by fuzz/image.cpp: a 730-byte JPEG claiming 2567 x 48133 pixels
// (inside the 2^28-pixel limit) made stb decode 370 MB for half a minute.
// No JPEG codes more than 256 pixels per byte; the loader refuses such files.
TEST(Image, CompressedFilesClaimingMorePixelsThanTheyCanHoldAreRefused) {
  expect_regression_refused("image-jpeg-decompression-bomb", "cannot hold 2567x48133 pixels");
  // stb's other formats are refused by signature (a 190-byte TGA claimed
  // 8224 x 8224 pixels; TGA has none, so stb guesses it).
  expect_regression_refused("image-tga-decompression-bomb", "not a JPEG, PNG, BMP or PGM/PPM file");
  // A PNG chunk claiming about 1 GB in a 167-byte file made stb allocate 2 GiB.
  expect_regression_refused("image-png-chunk-length", "more than the file holds");
  // A 56-byte BMP whose height is negative (a top-down BMP) of 655,356 rows:
  // stbi_info reports the height negative, so the size checks let it pass.
  expect_regression_refused("image-bmp-negative-height", "cannot hold 90x655356 pixels");
  // A constant image compresses best; it still loads, in both formats.
  const Image flat = make_image(640, 480, 90, 90, 90);
  for (const char* name : {"flat.png", "flat.jpg"}) {
    const std::string path = temp_path(name);
    save_image(flat, path);
    EXPECT_EQ(load_image(path).height, 480) << name;
    std::filesystem::remove(path);
  }
}

TEST(Image, ResizeOfAConstantImageIsConstantAndIdentityIsExact) {
  const Image c = make_image(13, 7, 9, 99, 199);
  const Image r = resize_bilinear(c, 29, 31);
  for (int y = 0; y < 31; ++y)
    for (int x = 0; x < 29; ++x) {
      EXPECT_EQ(r.at(x, y)[0], 9);
      EXPECT_EQ(r.at(x, y)[2], 199);
    }
  Image g = make_image(5, 4);
  for (size_t i = 0; i < g.rgb.size(); ++i) g.rgb[i] = uint8_t(i * 3);
  EXPECT_EQ(resize_bilinear(g, 5, 4).rgb, g.rgb);
}

TEST(Image, ChwLayoutAndLuma) {
  Image im = make_image(2, 1);
  im.at(0, 0)[0] = 10;
  im.at(0, 0)[1] = 20;
  im.at(0, 0)[2] = 30;
  im.at(1, 0)[0] = 255;
  const auto chw = to_chw(im, 3);
  EXPECT_EQ(chw, (std::vector<uint8_t>{10, 255, 20, 0, 30, 0}));
  const auto grey = to_chw(im, 1);
  EXPECT_EQ(grey[0], uint8_t((299 * 10 + 587 * 20 + 114 * 30 + 500) / 1000));
  EXPECT_THROW(to_chw(im, 2), ifq::Error);
}

TEST(Image, DrawBoxOutlinesOnly) {
  Image im = make_image(20, 20);
  const uint8_t red[3] = {255, 0, 0};
  draw_box(im, Box{5, 5, 10, 10}, red, 1);
  EXPECT_EQ(im.at(5, 5)[0], 255);
  EXPECT_EQ(im.at(15, 15)[0], 255);
  EXPECT_EQ(im.at(10, 5)[0], 255);
  EXPECT_EQ(im.at(10, 10)[0], 0);  // inside untouched
  EXPECT_EQ(im.at(4, 4)[0], 0);
  draw_box(im, Box{-100, -100, 1000, 1000}, red, 2);  // clipped, no crash
}

TEST(RocPlot, WritesAPngWithTheCurves) {
  RocCurve a{"detector A", {{0.5, 10, 0.9}, {0.8, 40, 0.5}, {0.9, 100, 0.1}}};
  RocCurve b{"detector B", {{0.3, 5, 0.9}, {0.6, 80, 0.2}}};
  const std::string p = temp_path("roc.png");
  RocPlotOptions o;
  o.fp_budget = 28;
  save_roc_plot({a, b}, p, o);
  const Image im = load_image(p);
  EXPECT_EQ(im.width, 800);
  EXPECT_EQ(im.height, 600);
  // Some pixels carry each curve's colour.
  int blue = 0, red = 0;
  for (int y = 0; y < im.height; ++y)
    for (int x = 0; x < im.width; ++x) {
      blue += im.at(x, y)[0] == 31 && im.at(x, y)[1] == 119 && im.at(x, y)[2] == 180;
      red += im.at(x, y)[0] == 214 && im.at(x, y)[1] == 39 && im.at(x, y)[2] == 40;
    }
  EXPECT_GT(blue, 100);
  EXPECT_GT(red, 100);
  std::filesystem::remove(p);
}

// A point beyond --fp-max is not reached inside the plot: the curve holds its
// last TPR to the edge instead of jumping there.
TEST(RocPlot, PointsBeyondTheXRangeAreNotDrawnAtTheEdge) {
  RocCurve a{"A", {{0.2, 1, 0.9}, {0.9, 50, 0.1}}};
  const std::string p = temp_path("roc_clip.png");
  RocPlotOptions o;
  o.fp_max = 10;
  save_roc_plot({a}, p, o);
  const Image im = load_image(p);
  int blue_upper = 0, blue = 0;
  for (int y = 0; y < im.height; ++y)
    for (int x = 0; x < im.width; ++x) {
      const bool b = im.at(x, y)[0] == 31 && im.at(x, y)[1] == 119 && im.at(x, y)[2] == 180;
      blue += b;
      blue_upper += b && y < im.height / 2;  // TPR above ~0.5; the legend is at the bottom
    }
  EXPECT_GT(blue, 100);
  EXPECT_EQ(blue_upper, 0);
  std::filesystem::remove(p);
}
