// ifq face-pack: a labelled photo set made small enough to carry to another
// machine (face_pack.hpp), e.g. to the GPU trainer.
#include <cstdio>
#include <memory>

#include "command_registry.hpp"
#include "ifq/detect/face_pack.hpp"
#include "ifq/progress.hpp"

namespace {

struct PackFlags {
  std::string gt, out_dir;
  ifq::detect::FacePackOptions options;
  bool progress = true;
};

IFQ_REGISTER_COMMAND(
    "face-pack", "copy a bbx_gt photo set downscaled (JPEG, boxes scaled) into a folder, to carry it elsewhere",
    [](CLI::App& sub) -> std::function<int()> {
      auto f = std::make_shared<PackFlags>();
      sub.add_option("--gt", f->gt, "bbx_gt file (image paths relative to its folder)")->required();
      sub.add_option("--out-dir", f->out_dir, "writes OUT/images/*.jpg and OUT/bbx_gt.txt")->required();
      sub.add_option("--max-side", f->options.max_side, "longer photo side at most this many pixels")
          ->check(CLI::Range(16, 16384))
          ->capture_default_str();
      sub.add_option("--quality", f->options.jpeg_quality, "JPEG quality")
          ->check(CLI::Range(1, 100))
          ->capture_default_str();
      sub.add_option("--keep-percent", f->options.keep_percent, "a fixed share of the photos (hash of the path)")
          ->check(CLI::Range(1, 100))
          ->capture_default_str();
      sub.add_flag("!--no-progress", f->progress, "no progress line");
      return [f]() {
        std::unique_ptr<ifq::ProgressBar> bar;
        int photos = 0;
        const auto r = ifq::detect::pack_face_set(f->gt, f->out_dir, f->options, [&](int done, int total) {
          if (!bar) bar = std::make_unique<ifq::ProgressBar>("pack " + f->gt, total, f->progress);
          bar->update(done, done, -1);
          photos = total;
        });
        if (bar) bar->finish(photos, photos, -1);
        std::printf("wrote %s/bbx_gt.txt: %d photos, %lld faces, %.1f MB of JPEG\n", f->out_dir.c_str(), r.photos,
                    (long long)r.faces, double(r.bytes) / 1e6);
        return 0;
      };
    });

}  // namespace
