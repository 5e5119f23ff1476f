#pragma once
// A labelled photo set packed small enough to carry to another machine (the
// GPU trainer gets 64 MiB): each kept photo downscaled so its longer side is
// at most max_side (resize_area_bilinear, as the trainer loads photos), saved
// as JPEG, its boxes scaled the same way with every WIDER attribute kept
// (invalid faces stay ignore regions).
#include <cstdint>
#include <functional>
#include <string>

namespace ifq::detect {

struct FacePackOptions {
  int max_side = 416;
  int jpeg_quality = 85;
  // Photos kept: FNV-1a-64 of "pack:" + the path line, mod 100, below this
  // (a fixed subset, independent of the hold-out split's hash).
  int keep_percent = 100;
};

struct FacePackResult {
  int photos = 0;
  int64_t faces = 0;
  int64_t bytes = 0;  // of the written photos
};

// Reads `gt` (bbx_gt, paths relative to its folder) and writes
// out_dir/images/NNNNNN.jpg and out_dir/bbx_gt.txt. An unreadable photo is an
// ifq::Error naming it; bbx_gt.txt is written last, so an interrupted pack
// never looks complete. `progress(done, total)` is called per photo.
FacePackResult pack_face_set(const std::string& gt, const std::string& out_dir, const FacePackOptions& options,
                             const std::function<void(int, int)>& progress = {});

}  // namespace ifq::detect
