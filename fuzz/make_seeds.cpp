// Writes the generated seeds of the fuzzers' corpora: small but complete
// files, so a fuzzer starts from every section of a format, not from nothing.
//   usage: fuzz_make_seeds FUZZ_DIR
// - corpus/float_model, corpus/int_model: two tiny networks from the cfgs
//   below (float file and its integrated conversion), and every registry op's
//   sample model as an integer file (tests/op_samples);
// - corpus/cfg: the two cfgs (the shipped models/*.cfg are copied beside them);
// - corpus/image: tiny PNG, JPEG and PNM images (colour and grey; PNM both
//   binary and ASCII) — the GIF and BMP seeds are hand-made bytes.
// Re-run it when a format changes.
#include <cstdio>
#include <fstream>
#include <random>
#include <string>

#include "ifq/cfg.hpp"
#include "ifq/convert.hpp"
#include "ifq/detect/image.hpp"
#include "ifq/model_io.hpp"
#include "op_samples/op_samples.hpp"

namespace {

// A 1-bit/2-bit network with every substructure kind: a full-precision first
// conv, a binary conv with pooling before its BN, a max pool, a 1x1 region
// head (version 1 files).
const char* kTinyDetector = R"([net]
width=16
height=12
channels=3
mean=0
std=255
[convolutional]
filters=4
size=3
pad=1
batch_normalize=1
activation=hwgq
quant_bits=2
[convolutional]
binary=1
filters=8
size=3
pad=1
pool_size=2
pool_stride=2
batch_normalize=1
activation=hwgq
quant_bits=2
[maxpool]
size=2
stride=2
[convolutional]
filters=12
size=1
activation=linear
[region]
anchors=1,1,2,2
classes=1
num=2
coords=4
)";

// DupNet weight sharing (version 2 files): input_repeat and duplicate.
const char* kTinyDupNet = R"([net]
width=8
height=8
channels=1
[convolutional]
filters=4
size=3
pad=1
input_repeat=2
batch_normalize=1
activation=hwgq
quant_bits=2
[convolutional]
binary=1
filters=8
size=3
pad=1
duplicate=4
batch_normalize=1
activation=hwgq
quant_bits=3
[connected]
output=3
activation=linear
)";

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

void write_pair(const char* cfg, const std::string& dir, const std::string& name) {
  write_text(dir + "/corpus/cfg/" + name + ".cfg", cfg);
  const ifq::FloatModel model = ifq::parse_cfg(cfg, name + ".cfg").model;
  ifq::save_float_model(model, dir + "/corpus/float_model/" + name + ".ifqf");
  ifq::save_int_model(ifq::convert(model).model, dir + "/corpus/int_model/" + name + ".ifqi");
}

void write_images(const std::string& dir) {
  ifq::detect::Image colour = ifq::detect::make_image(7, 5);
  for (size_t i = 0; i < colour.rgb.size(); ++i) colour.rgb[i] = uint8_t(i * 37);
  const ifq::detect::Image grey = ifq::detect::to_grey(colour);
  ifq::detect::save_image(colour, dir + "/corpus/image/colour.png");
  ifq::detect::save_image(grey, dir + "/corpus/image/grey.png");
  ifq::detect::save_image(colour, dir + "/corpus/image/colour.jpg", 90);
  ifq::detect::save_image(grey, dir + "/corpus/image/grey.jpg", 50);
  std::string p6 = "P6\n7 5\n255\n", p5 = "P5\n7 5\n255\n", p3 = "P3\n7 5\n255\n";
  for (size_t i = 0; i < colour.rgb.size(); ++i) {
    p6 += char(colour.rgb[i]);
    p3 += std::to_string(colour.rgb[i]) + (i % 3 == 2 ? "\n" : " ");
    if (i % 3 == 0) p5 += char(grey.rgb[i]);
  }
  write_text(dir + "/corpus/image/colour.ppm", p6);
  write_text(dir + "/corpus/image/grey.pgm", p5);
  write_text(dir + "/corpus/image/ascii.ppm", p3);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s FUZZ_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  try {
    write_pair(kTinyDetector, dir, "tiny-detector");
    write_pair(kTinyDupNet, dir, "tiny-dupnet");
    write_images(dir);
    std::mt19937 rng(1);
    int index = 0;
    for (const ifq::testing::OpSample& sample : ifq::testing::op_samples(rng))
      ifq::save_int_model(sample.model,
                          dir + "/corpus/int_model/op-" + sample.op + "-" + std::to_string(index++) + ".ifqi");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ifq: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
