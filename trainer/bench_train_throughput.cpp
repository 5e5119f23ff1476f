// Training throughput of the demo's network (images/s) on N threads: a
// benchmark, not a test (the CI machine's load would make a timed test flaky).
// Prints a table line per configuration and a JSON summary. Two ways to use
// N threads: LibTorch intra-op threads in one trainer ("intra"), or N
// trainers of one thread each in parallel ("jobs", what `ifq demo` does).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "ifq/cfg.hpp"
#include "ifq_trainer/trainer.hpp"

int main(int argc, char** argv) {
  std::string cfg = IFQ_SOURCE_DIR "/models/fashion-hwgq.cfg";
  int threads = 2, batch = 128, steps = 40;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--cfg") cfg = argv[i + 1];
    else if (a == "--threads") threads = std::atoi(argv[i + 1]);
    else if (a == "--batch") batch = std::atoi(argv[i + 1]);
    else if (a == "--steps") steps = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: %s [--cfg FILE] [--threads N] [--batch B] [--steps S]\n", argv[0]);
      return 2;
    }
  }
  try {
    std::printf("%-22s %-6s %3s %7s %12s\n", "network", "mode", "k", "threads", "images/s");
    std::string json = "{\"benchmark\":\"train_throughput\",\"threads\":" + std::to_string(threads) +
                       ",\"batch\":" + std::to_string(batch) + ",\"results\":[";
    bool first = true;
    for (const char* mode : {"intra", "jobs"})
      for (int k : {2, 3, 4}) {
        ifq::CfgOptions o;
        o.quant_bits = k;
        auto net = ifq::load_cfg_network(cfg, o);
        double ips = 0;
        if (std::string(mode) == "intra") {
          ips = ifq::trainer::measure_train_throughput(net, batch, steps, 5, threads);
        } else {
          std::vector<double> each(size_t(threads), 0.0);
          std::vector<std::thread> pool;
          for (int t = 0; t < threads; ++t)
            pool.emplace_back([&, t] { each[size_t(t)] = ifq::trainer::measure_train_throughput(net, batch, steps, 5, 1); });
          for (auto& th : pool) th.join();
          for (double v : each) ips += v;
        }
        std::printf("%-22s %-6s %3d %7d %12.1f\n", net.model.name.c_str(), mode, k, threads, ips);
        json += std::string(first ? "" : ",") + "{\"network\":\"" + net.model.name + "\",\"mode\":\"" + mode +
                "\",\"k\":" + std::to_string(k) + ",\"images_per_second\":" + std::to_string(ips) + "}";
        first = false;
      }
    json += "]}";
    std::printf("%s\n", json.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_train_throughput: %s\n", e.what());
    return 1;
  }
  return 0;
}
