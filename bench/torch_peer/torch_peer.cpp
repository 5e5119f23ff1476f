// ifq_torch_peer [--runs R] [--threads N] [--input S]: Tinier-YOLO in LibTorch
// fp32 (the float counterpart of the benchmark network: 8,16,32,64,128,256
// 3x3 convs with max pooling, 512 3x3, 512 1x1, 30 1x1), random weights,
// batch norm folded into the conv biases as a deployed float model would.
// Prints one JSON line: {"network": ..., "ms_per_image": median, ...}.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct TinierYolo : torch::nn::Module {
  std::vector<torch::nn::Conv2d> convs;
  TinierYolo() {
    const int filters[] = {8, 16, 32, 64, 128, 256, 512, 512, 30};
    const int kernels[] = {3, 3, 3, 3, 3, 3, 3, 1, 1};
    int in = 3;
    for (int i = 0; i < 9; ++i) {
      auto opts = torch::nn::Conv2dOptions(in, filters[i], kernels[i]).padding(kernels[i] / 2).bias(true);
      convs.push_back(register_module("conv" + std::to_string(i), torch::nn::Conv2d(opts)));
      in = filters[i];
    }
  }
  torch::Tensor forward(torch::Tensor x) {
    namespace F = torch::nn::functional;
    for (int i = 0; i < 9; ++i) {
      x = convs[size_t(i)]->forward(x);
      if (i == 8) break;
      x = F::leaky_relu(x, F::LeakyReLUFuncOptions().negative_slope(0.1));
      if (i < 5) x = F::max_pool2d(x, F::MaxPool2dFuncOptions(2).stride(2));
      if (i == 5) {
        // Darknet's size-2 stride-1 pool keeps the size: pad right/bottom.
        x = F::pad(x, F::PadFuncOptions({0, 1, 0, 1}).mode(torch::kReplicate));
        x = F::max_pool2d(x, F::MaxPool2dFuncOptions(2).stride(1));
      }
    }
    return x;
  }
};

int arg_int(int argc, char** argv, const char* name, int fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return std::atoi(argv[i + 1]);
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = std::max(1, arg_int(argc, argv, "--runs", 20));
  const int threads = std::max(1, arg_int(argc, argv, "--threads", 1));
  const int input = arg_int(argc, argv, "--input", 416);
  if (input < 32 || input % 32) {
    std::fprintf(stderr, "ifq_torch_peer: --input must be a positive multiple of 32\n");
    return 1;
  }
  torch::manual_seed(1);
  at::set_num_threads(threads);
  torch::NoGradGuard no_grad;
  TinierYolo net;
  net.eval();
  const torch::Tensor x = torch::rand({1, 3, input, input});
  for (int i = 0; i < 3; ++i) net.forward(x);
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const torch::Tensor y = net.forward(x);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    if (y.size(1) != 30) return 1;
  }
  std::sort(ms.begin(), ms.end());
  const double median = ms.size() % 2 ? ms[ms.size() / 2] : 0.5 * (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]);
  std::printf("{\"network\": \"Tinier-YOLO fp32 LibTorch %d\", \"ms_per_image\": %.4f, \"ms_min\": %.4f, "
              "\"threads\": %d, \"runs\": %d}\n",
              input, median, ms.front(), threads, runs);
  return 0;
}
