#pragma once
// `ifq demo`: the paper's classification experiment (Tables 2-4, Fig. 4) on
// Fashion-MNIST, end to end: train an fp32 baseline and HWGQ networks for
// each k (first conv and last FC full precision like AlexNet-HWGQ, and a
// variant with every layer binary), export them, convert them integrated and
// separated, evaluate everything and write report.md and report.json.
#include <cstdint>
#include <string>
#include <vector>

namespace ifq::trainer {

struct DemoOptions {
  bool quick = false;               // tiny budgets, for tests
  std::string report_dir = "results/demo";
  std::string models_dir;           // where fashion-*.cfg live (default: the source tree's models/)
  std::string data_dir;             // Fashion-MNIST IDX files (default: the Debian package's)
  int jobs = 2;                     // models trained / images evaluated in parallel (1 LibTorch thread each)
  uint64_t seed = 1;
  std::vector<int> ks = {2, 3, 4};
  bool all_quantized = true;        // also the every-layer-binary variant
  int steps = 0;                    // training steps per model (0: 20 quick, 600 full)
  int batch = 0;                    // 0: the cfg's
  int64_t train_images = 0;         // 0: all 60,000 (quick: 4,000)
  int64_t test_images = 0;          // 0: all 10,000 (quick: 300)
  int64_t table2_images = 0;        // separated-m evaluations (0: 1,000; quick: 100)
  int64_t sweep_images = 0;         // first-substructure m sweep (0: 1,000; quick: 100)
  bool progress = true;
};

// Runs the experiment; returns the process exit code (0). Throws ifq::Error
// for a missing data set or cfg.
int run_demo(const DemoOptions& options);

}  // namespace ifq::trainer
