#include <gtest/gtest.h>

#include "ifq/detect/face_generator.hpp"
#include "ifq/error.hpp"

using namespace ifq::detect;

namespace {

GreyPatch constant_face(uint8_t v, int side = 24) { return GreyPatch{side, side, std::vector<uint8_t>(size_t(side) * side, v)}; }

// Plain pasting: no photometric change, no feathering, no tint.
FaceGeneratorOptions plain() {
  FaceGeneratorOptions o;
  o.width = 160;
  o.height = 120;
  o.min_faces = 3;
  o.max_faces = 3;
  o.min_face = 12;
  o.max_face = 40;
  o.contrast_min = o.contrast_max = 1.0;
  o.brightness_range = 0;
  o.blur_probability = 0;
  o.tint_faces = false;
  o.feather = 0;
  o.background_zoom_max = 1.0;
  return o;
}

}  // namespace

TEST(FaceGenerator, BoxesAreExactlyThePastedPixels) {
  const Image black = make_image(320, 240, 0, 0, 0);
  std::mt19937_64 rng(1);
  for (int trial = 0; trial < 20; ++trial) {
    const GeneratedImage g = generate_face_image(black, {constant_face(200)}, plain(), rng);
    ASSERT_EQ(g.image.width, 160);
    ASSERT_FALSE(g.faces.empty());
    long long inside = 0;
    for (const Box& b : g.faces) {
      EXPECT_GE(b.x, 0);
      EXPECT_GE(b.y, 0);
      EXPECT_LE(b.right(), 160);
      EXPECT_LE(b.bottom(), 120);
      EXPECT_EQ(b.w, b.h);
      EXPECT_GE(b.w, 12);
      EXPECT_LE(b.w, 40);
      inside += (long long)(b.w * b.h);
    }
    // Every face pixel is 200, every other pixel still the black background.
    long long lit = 0;
    for (int y = 0; y < 120; ++y)
      for (int x = 0; x < 160; ++x) {
        const uint8_t v = g.image.at(x, y)[0];
        ASSERT_TRUE(v == 0 || v == 200);
        lit += v == 200;
        bool in_box = false;
        for (const Box& b : g.faces) in_box |= x >= b.x && x < b.right() && y >= b.y && y < b.bottom();
        ASSERT_EQ(in_box, v == 200) << x << "," << y;
      }
    EXPECT_EQ(lit, inside);  // disjoint boxes
  }
}

TEST(FaceGenerator, DeterministicForASeedAndVariedAcrossSeeds) {
  Image bg = make_image(200, 150);
  for (size_t i = 0; i < bg.rgb.size(); ++i) bg.rgb[i] = uint8_t((i * 7919) % 251);
  FaceGeneratorOptions o;
  o.width = o.height = 96;
  o.max_face = 48;
  std::vector<GreyPatch> faces = {constant_face(50), constant_face(180, 20)};
  std::mt19937_64 a(42), b(42), c(43);
  const GeneratedImage ga = generate_face_image(bg, faces, o, a);
  const GeneratedImage gb = generate_face_image(bg, faces, o, b);
  const GeneratedImage gc = generate_face_image(bg, faces, o, c);
  EXPECT_EQ(ga.image.rgb, gb.image.rgb);
  ASSERT_EQ(ga.faces.size(), gb.faces.size());
  EXPECT_NE(ga.image.rgb, gc.image.rgb);
}

TEST(FaceGenerator, PhotometricChangesStayInsideTheBoxes) {
  const Image grey = make_image(100, 100, 128, 128, 128);
  FaceGeneratorOptions o = plain();
  o.contrast_min = 0.5;
  o.contrast_max = 1.5;
  o.brightness_range = 30;
  o.blur_probability = 1.0;
  o.tint_faces = true;
  o.feather = 2;
  GreyPatch textured{24, 24, std::vector<uint8_t>(576)};
  for (size_t i = 0; i < 576; ++i) textured.pixels[i] = uint8_t((i % 24) * 10);
  std::mt19937_64 rng(9);
  const GeneratedImage g = generate_face_image(grey, {textured}, o, rng);
  for (int y = 0; y < 120; ++y)
    for (int x = 0; x < 160; ++x) {
      bool in_box = false;
      for (const Box& b : g.faces) in_box |= x >= b.x && x < b.right() && y >= b.y && y < b.bottom();
      if (!in_box) {
        ASSERT_EQ(g.image.at(x, y)[0], 128);
      }
    }
}

TEST(FaceGenerator, GreyOutputHasEqualChannels) {
  Image bg = make_image(64, 64, 200, 30, 90);
  FaceGeneratorOptions o = plain();
  o.width = o.height = 64;
  o.max_face = 30;
  o.grey_output = true;
  std::mt19937_64 rng(2);
  const GeneratedImage g = generate_face_image(bg, {constant_face(100)}, o, rng);
  for (size_t i = 0; i < g.image.rgb.size(); i += 3) {
    ASSERT_EQ(g.image.rgb[i], g.image.rgb[i + 1]);
    ASSERT_EQ(g.image.rgb[i], g.image.rgb[i + 2]);
  }
}

TEST(FaceGenerator, BadOptionsAreNamed) {
  FaceGeneratorOptions o;
  o.min_face = 500;
  o.max_face = 600;
  try {
    validate(o);
    FAIL();
  } catch (const ifq::Error& e) {
    EXPECT_NE(std::string(e.what()).find("min_face"), std::string::npos);
  }
  std::mt19937_64 rng(1);
  EXPECT_THROW(generate_face_image(make_image(10, 10), {}, FaceGeneratorOptions{}, rng), ifq::Error);
  // `facegen --min-faces 100000000 --max-faces 100000000` hung (issue 15).
  FaceGeneratorOptions many;
  many.min_faces = many.max_faces = 100000000;
  EXPECT_THROW(validate(many), ifq::Error);
  many.min_faces = many.max_faces = kMaxFacesPerImage;
  EXPECT_NO_THROW(validate(many));
}
