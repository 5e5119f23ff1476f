// ifq face-split: a fixed hold-out of a bbx_gt set (holdout_split.hpp), so
// the real test photos are never trained on.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "command_registry.hpp"
#include "ifq/detect/datasets.hpp"
#include "ifq/detect/holdout_split.hpp"
#include "ifq/error.hpp"

namespace {

struct SplitFlags {
  std::string gt, train_out, test_out;
  int test_percent = 20;
};

IFQ_REGISTER_COMMAND(
    "face-split", "split a bbx_gt set into a fixed train part and held-out test part (by a hash of each path)",
    [](CLI::App& sub) -> std::function<int()> {
      auto f = std::make_shared<SplitFlags>();
      sub.add_option("--gt", f->gt, "bbx_gt file (image paths relative to its folder)")->required();
      sub.add_option("--test-percent", f->test_percent, "share of images held out, in percent")
          ->check(CLI::Range(0, 100))
          ->capture_default_str();
      sub.add_option("--train-out", f->train_out, "bbx_gt of the train part")->required();
      sub.add_option("--test-out", f->test_out, "bbx_gt of the held-out part")->required();
      return [f]() {
        namespace fs = std::filesystem;
        if (fs::absolute(f->train_out) == fs::absolute(f->test_out))
          throw ifq::Error("--train-out and --test-out name the same file");
        const auto split = ifq::detect::split_holdout(ifq::detect::load_wider_gt(f->gt), f->test_percent);
        const std::string from = fs::path(f->gt).parent_path().string();
        auto write = [&](const std::vector<ifq::detect::WiderImage>& part, const std::string& out) {
          const std::string folder = fs::path(out).parent_path().string();
          if (!folder.empty()) fs::create_directories(folder);
          ifq::detect::save_wider_gt(ifq::detect::rebase_paths(part, from, folder), out);
          size_t faces = 0;
          for (const auto& wi : part) faces += wi.faces.size();
          std::printf("wrote %s: %zu images, %zu faces\n", out.c_str(), part.size(), faces);
        };
        write(split.train, f->train_out);
        write(split.test, f->test_out);
        return 0;
      };
    });

}  // namespace
