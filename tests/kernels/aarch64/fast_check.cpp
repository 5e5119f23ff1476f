// A whole real network on the fast runtime, for the AArch64 cross build
// (scripts/test-aarch64.sh runs it under qemu-user):
//   ifq_aarch64_fast_check MODEL compare
//     every supported kernel path (portable, neon on AArch64) on two random
//     images, bit for bit against ReferenceRuntime; exit 1 on any difference.
//   ifq_aarch64_fast_check MODEL run ISA N
//     N images on one thread of path ISA (instruction counting: the
//     difference of N = 2 and N = 1 is one image without load and setup).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <random>
#include <string>
#include <vector>

#include "ifq/fast_runtime.hpp"
#include "ifq/kernels/isa.hpp"
#include "ifq/model_io.hpp"
#include "ifq/runtime.hpp"

namespace {

std::vector<uint8_t> random_image(const ifq::Shape3& s, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> img(size_t(s.elements()));
  for (auto& v : img) v = uint8_t(rng() & 0xff);
  return img;
}

int compare(const std::string& path) {
  ifq::ReferenceRuntime ref(ifq::load_int_model(path));
  const ifq::Shape3 in = ref.shapes().front();
  std::printf("model %s, input %s, best path %s\n", path.c_str(), in.str().c_str(),
              ifq::kernels::isa_name(ifq::kernels::best_isa()));
#if defined(__aarch64__)
  if (!ifq::kernels::isa_supported(ifq::kernels::Isa::neon) || ifq::kernels::best_isa() != ifq::kernels::Isa::neon) {
    std::printf("FAIL: the neon path is not selected on AArch64\n");
    return 1;
  }
#endif
  int failures = 0, checked = 0;
  for (uint32_t seed : {1u, 2u}) {
    const std::vector<uint8_t> img = random_image(in, seed);
    const ifq::IntTensor want = ref.run(img);
    for (ifq::kernels::Isa isa : ifq::kernels::all_isas()) {
      if (!ifq::kernels::isa_supported(isa)) continue;
      for (int threads : {1, 2}) {
        ifq::FastRuntimeOptions opt;
        opt.isa = isa;
        opt.threads = threads;
        ifq::FastRuntime fast(ifq::load_int_model(path), opt);
        const ifq::IntTensor& got = fast.run(img);
        size_t diff = 0;
        if (!(got.shape == want.shape) || got.data.size() != want.data.size())
          diff = want.data.size() + 1;
        else
          for (size_t i = 0; i < want.data.size(); ++i) diff += got.data[i] != want.data[i];
        ++checked;
        std::printf("%-8s threads %d image %u: output %s, %zu of %zu values differ%s\n",
                    ifq::kernels::isa_name(isa), threads, seed, got.shape.str().c_str(), diff,
                    want.data.size(), diff ? "  FAIL" : "");
        failures += diff != 0;
      }
    }
  }
  if (checked < 2) {
    std::printf("FAIL: fewer than two paths checked\n");
    return 1;
  }
  std::printf("%s: %d runs, %d differ\n", failures ? "FAIL" : "OK", checked, failures);
  return failures ? 1 : 0;
}

int run(const std::string& path, const std::string& isa_name, int images) {
  ifq::FastRuntimeOptions opt;
  opt.isa = ifq::kernels::parse_isa(isa_name);
  opt.threads = 1;
  ifq::IntModel model = ifq::load_int_model(path);
  const ifq::Shape3 in = ifq::ReferenceRuntime(model).shapes().front();
  ifq::FastRuntime fast(std::move(model), opt);
  const std::vector<uint8_t> img = random_image(in, 1);
  int64_t sum = 0;
  for (int i = 0; i < images; ++i) {
    const ifq::IntTensor& out = fast.run(img);
    for (int32_t v : out.data) sum += v;
  }
  std::printf("path %s, input %s, %d images, checksum %lld\n", ifq::kernels::isa_name(fast.isa()),
              in.str().c_str(), images, static_cast<long long>(sum));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 3 && std::string(argv[2]) == "compare") return compare(argv[1]);
    if (argc == 5 && std::string(argv[2]) == "run") return run(argv[1], argv[3], std::atoi(argv[4]));
    std::fprintf(stderr, "usage: %s MODEL compare | %s MODEL run ISA IMAGES\n", argv[0], argv[0]);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
