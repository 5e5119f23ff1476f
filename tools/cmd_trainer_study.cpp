// ifq study quantizers: the weight quantizers of issue 13 compared on one
// Fashion-MNIST network (docs/quantizers.md). Writes DIR/report.md and
// DIR/report.json.
#include "command_registry.hpp"
#include "ifq_trainer/study.hpp"

namespace {

IFQ_REGISTER_COMMAND(
    "study", "comparison studies: `ifq study quantizers` trains one network per weight quantizer and tabulates them",
    [](CLI::App& sub) -> std::function<int()> {
      auto o = std::make_shared<ifq::trainer::StudyOptions>();
      sub.require_subcommand(1);
      CLI::App* q = sub.add_subcommand("quantizers", "binary vs multi-bit weight quantizers on Fashion-MNIST");
      q->add_flag("--quick", o->quick, "tiny budgets (seconds, for tests); accuracy figures are then meaningless");
      q->add_option("--report-dir", o->report_dir, "where report.md, report.json and the models go")->capture_default_str();
      q->add_option("--data-dir", o->data_dir, "Fashion-MNIST IDX files (default: the Debian package's)");
      q->add_option("--models-dir", o->models_dir, "folder with fashion-hwgq.cfg (default: the source tree's models/)");
      q->add_option("--jobs", o->jobs, "networks trained / images evaluated in parallel")->check(CLI::Range(1, 64));
      q->add_option("--seed", o->seed, "seed of weights and data order");
      q->add_option("--steps", o->steps, "training steps per network (default 600, --quick 20)")->check(CLI::Range(1, 1 << 24));
      q->add_option("--train-images", o->train_images, "use the first N training images")->check(CLI::Range(1, 1 << 30));
      q->add_option("--test-images", o->test_images, "use the first N test images")->check(CLI::Range(1, 1 << 30));
      q->add_option("--timing-images", o->timing_images, "images timed per method (default 1000, --quick 30)")
          ->check(CLI::Range(1, 1 << 24));
      q->add_flag("!--no-progress", o->progress, "no progress bars");
      return [o]() { return ifq::trainer::run_quantizer_study(*o); };
    });

}  // namespace
