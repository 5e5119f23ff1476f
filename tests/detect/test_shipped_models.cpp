// The detectors shipped in models/ (IFQ-Tinier-YOLO and DupNet-Tinier-YOLO):
// each integer model is exactly the integrated conversion of its shipped
// float quantization network, its levels equal that network's, its weights
// take the bytes the docs state, and `ifq detect` finds IFQ-Tinier-YOLO
// without --model.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "ifq/convert.hpp"
#include "ifq/memory.hpp"
#include "ifq/model_io.hpp"
#include "ifq/verify.hpp"

namespace fs = std::filesystem;
using namespace ifq;

namespace {

const std::string kModels = std::string(IFQ_SOURCE_DIR) + "/models/";

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The shipped detectors and their weights' size (the paper's model size).
struct ShippedDetector {
  const char* name;
  int64_t weight_bytes;
};
// IFQ-Tinier-YOLO: 1,973,080 one-bit weights, the paper's 246 KB (algorithms.md
// §7). DupNet-Tinier-YOLO: its stored filters only, 32,252 bytes (paper: 36.9 KB).
const ShippedDetector kShipped[] = {{"ifq-tinier-yolo-face", 246635}, {"dupnet-tinier-yolo-face", 32252}};

TEST(ShippedModels, IntegerModelIsTheConversionOfTheFloatQuantizationNetwork) {
  for (const ShippedDetector& d : kShipped) {
    const std::string base = kModels + d.name;
    const FloatModel fm = load_float_model(base + ".ifqf");
    const IntModel shipped = load_int_model(base + ".ifqi");
    const std::string tmp =
        (fs::temp_directory_path() / ("ifq_shipped_" + std::to_string(::getpid()) + ".ifqi")).string();
    save_int_model(convert(fm).model, tmp);
    EXPECT_EQ(read_all(tmp), read_all(base + ".ifqi")) << d.name;
    fs::remove(tmp);
    const MemoryReport m = account_memory(shipped);
    EXPECT_EQ(m.weight_size_bytes, d.weight_bytes) << d.name;
    EXPECT_LE(m.model_size_bytes, 256 * 1024) << d.name << ": " << m.model_size_bytes;
    std::printf("shipped %s: %lld bytes, feature-map peak %lld bits\n", d.name, (long long)m.model_size_bytes,
                (long long)m.feature_map_peak_bits);
  }
}

// At a small input (the network is fully convolutional) so the double
// evaluator stays quick; the folding does not depend on the size.
TEST(ShippedModels, IntegerLevelsEqualTheFloatNetworksOnRandomImages) {
  for (const ShippedDetector& d : kShipped) {
    FloatModel fm = load_float_model(kModels + d.name + ".ifqf");
    auto& in = std::get<InputLayer>(fm.layers[0]).shape;
    in.w = 96, in.h = 64;
    const IntModel im = convert(fm).model;
    std::mt19937_64 rng(4);
    std::vector<std::vector<uint8_t>> images(6, std::vector<uint8_t>(size_t(in.elements())));
    for (auto& img : images)
      for (auto& p : img) p = uint8_t(rng() & 0xff);
    const VerifyReport v = verify_conversion(fm, im, images);
    EXPECT_GT(v.end_to_end_compared, 0) << d.name;
    EXPECT_EQ(v.end_to_end_mismatched, 0) << d.name;
    EXPECT_EQ(v.quantized_mismatched(), 0) << d.name;
  }
}

TEST(ShippedModels, DetectRunsTheShippedModelWithoutFlags) {
  const fs::path dir = fs::temp_directory_path() / ("ifq_shipped_cli_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    std::ofstream ppm(dir / "grey.ppm", std::ios::binary);
    ppm << "P6\n64 48\n255\n" << std::string(64 * 48 * 3, char(120));
  }
  const std::string cmd = "cd '" + dir.string() + "' && '" + IFQ_BINARY + "' detect grey.ppm 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int st = pclose(p);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << out;
  EXPECT_NE(out.find("1 image(s) processed"), std::string::npos) << out;
  EXPECT_TRUE(fs::exists(dir / "detections/grey.png")) << out;
  fs::remove_all(dir);
}

}  // namespace
