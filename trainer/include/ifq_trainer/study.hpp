#pragma once
// `ifq study quantizers` (issue 13, docs/quantizers.md): the same
// Fashion-MNIST network trained with each weight quantizer at comparable
// bits, converted to integers, and compared in one table: top-1 of the float
// network and of its integer conversion, level mismatches of the integrated
// conversion (0 is the requirement), model bytes, feature-map peak, training
// time and ms per image on the fast runtime. Writes report.md and report.json.
#include <cstdint>
#include <string>

namespace ifq::trainer {

struct StudyOptions {
  bool quick = false;               // tiny budgets, for tests
  std::string report_dir = "results/study-quantizers";
  std::string models_dir;           // where fashion-hwgq.cfg lives (default: the source tree's models/)
  std::string data_dir;             // Fashion-MNIST IDX files (default: the Debian package's)
  int jobs = 2;                     // networks trained / images evaluated in parallel
  uint64_t seed = 1;
  int steps = 0;                    // training steps per network (0: 20 quick, 600 full)
  int64_t train_images = 0;         // 0: all 60,000 (quick: 4,000)
  int64_t test_images = 0;          // 0: all 10,000 (quick: 300)
  int timing_images = 0;            // images timed per method on the fast runtime (0: 30 quick, 1000 full)
  bool progress = true;
};

// Runs the study; returns the process exit code (0). Throws ifq::Error for a
// missing data set or cfg.
int run_quantizer_study(const StudyOptions& options);

}  // namespace ifq::trainer
