// Random damage to model files: every load either fails with ifq::Error or
// returns a model that validates and runs. Any other outcome (a different
// exception type, a crash) fails the test.
#include <gtest/gtest.h>

#include <random>

#include "ifq/convert.hpp"
#include "ifq/error.hpp"
#include "ifq/model_io.hpp"
#include "ifq/reference_eval.hpp"
#include "ifq/runtime.hpp"
#include "random_networks.hpp"
#include "temp_dir.hpp"

namespace ifq {
namespace {

std::string mutate(std::mt19937& rng, std::string bytes) {
  std::uniform_int_distribution<size_t> pos(0, bytes.size() - 1);
  const int kind = std::uniform_int_distribution<int>(0, 3)(rng);
  if (kind == 0) {  // flip a few bits anywhere
    for (int i = 0; i < 3; ++i) bytes[pos(rng)] ^= char(1 << std::uniform_int_distribution<int>(0, 7)(rng));
  } else if (kind == 1) {  // truncate
    bytes.resize(pos(rng));
  } else if (kind == 2) {  // overwrite a digit in the header (counts, shapes, offsets)
    const size_t header = std::min<size_t>(bytes.size(), 8 + uint8_t(bytes[0]) + 256 * uint8_t(bytes[1]));
    for (int tries = 0; tries < 50; ++tries) {
      const size_t p = 8 + std::uniform_int_distribution<size_t>(0, header > 9 ? header - 9 : 0)(rng);
      if (p < bytes.size() && bytes[p] >= '0' && bytes[p] <= '9') {
        bytes[p] = char('0' + std::uniform_int_distribution<int>(0, 9)(rng));
        break;
      }
    }
  } else {  // random garbage in the data section
    for (int i = 0; i < 16; ++i) bytes[bytes.size() - 1 - pos(rng) % std::min<size_t>(bytes.size(), 4096)] = char(rng());
  }
  return bytes;
}

TEST(ModelFuzz, DamagedFilesFailCleanlyOrLoadValidModels) {
  testing::TempDir dir;
  std::mt19937 rng(99);
  const FloatModel fm = testing::random_network(rng, {});
  const std::string fpath = dir.file("f.safetensors"), ipath = dir.file("i.safetensors");
  save_float_model(fm, fpath);
  save_int_model(convert(fm).model, ipath);
  const std::string fgood = testing::read_bytes(fpath), igood = testing::read_bytes(ipath);
  const auto image = testing::random_image(rng, std::get<InputLayer>(fm.layers[0]).shape);
  int rejected = 0, loaded = 0;
  for (int i = 0; i < 400; ++i) {
    const bool is_float = i % 2 == 0;
    const std::string path = dir.file("m.safetensors");
    testing::write_bytes(path, mutate(rng, is_float ? fgood : igood));
    try {
      if (is_float) {
        const FloatModel m = load_float_model(path);
        if (std::get<InputLayer>(m.layers[0]).shape.elements() == int64_t(image.size())) evaluate_float(m, image);
      } else {
        const IntModel m = load_int_model(path);
        ReferenceRuntime rt(m);
        if (std::get<IntInputOp>(m.ops[0]).shape.elements() == int64_t(image.size())) rt.run(image);
      }
      ++loaded;
    } catch (const Error&) {
      ++rejected;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "mutation " << i << " escaped as " << typeid(e).name() << ": " << e.what();
    }
  }
  std::printf("damaged model files: %d rejected with ifq::Error, %d still valid (damage in weight values)\n", rejected, loaded);
  EXPECT_GT(rejected, 100);
}

}  // namespace
}  // namespace ifq
