// ifq demo: the paper's classification experiment (Tables 2-4, Fig. 4) on
// Fashion-MNIST, trained here with LibTorch and converted/evaluated with the
// integer runtime. Writes DIR/report.md and DIR/report.json.
#include <thread>

#include "command_registry.hpp"
#include "ifq/error.hpp"
#include "ifq_trainer/demo.hpp"

namespace {

IFQ_REGISTER_COMMAND(
    "demo", "train, convert and evaluate the Fashion-MNIST IFQ-Net experiment (paper Tables 2-4)",
    [](CLI::App& sub) -> std::function<int()> {
      auto o = std::make_shared<ifq::trainer::DemoOptions>();
      sub.add_flag("--quick", o->quick, "tiny budgets (seconds, for tests); accuracy figures are then meaningless");
      sub.add_option("--report-dir", o->report_dir, "where report.md, report.json and the models go");
      sub.add_option("--data-dir", o->data_dir, "Fashion-MNIST IDX files (default: the Debian package's)");
      sub.add_option("--models-dir", o->models_dir, "folder with fashion-*.cfg (default: the source tree's models/)");
      sub.add_option("--jobs", o->jobs, "networks trained / images evaluated in parallel")->check(CLI::Range(1, 64));
      sub.add_option("--seed", o->seed, "seed of weights and data order");
      sub.add_option("--bits", o->ks, "HWGQ bit counts k to run")->check(CLI::Range(1, 8))->delimiter(',');
      sub.add_flag("!--no-all-quantized", o->all_quantized, "skip the every-layer-binary variant");
      sub.add_option("--steps", o->steps, "training steps per network (default 600, --quick 30)")->check(CLI::Range(1, 1 << 24));
      sub.add_option("--batch", o->batch, "batch size (default: the cfg's)")->check(CLI::Range(1, 1 << 16));
      sub.add_option("--train-images", o->train_images, "use the first N training images")->check(CLI::Range(1, 1 << 30));
      sub.add_option("--test-images", o->test_images, "use the first N test images")->check(CLI::Range(1, 1 << 30));
      sub.add_option("--table2-images", o->table2_images, "test images for the separated-m rows (default 1000)")
          ->check(CLI::Range(1, 1 << 30));
      sub.add_option("--sweep-images", o->sweep_images, "test images for the first-substructure m sweep (default 1000)")
          ->check(CLI::Range(1, 1 << 30));
      sub.add_flag("!--no-progress", o->progress, "no progress bars");
      return [o]() {
        if (o->ks.empty()) throw ifq::Error("--bits needs at least one k");
        return ifq::trainer::run_demo(*o);
      };
    });

}  // namespace
