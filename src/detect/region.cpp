#include "ifq/detect/region.hpp"

#include <cmath>
#include <limits>
#include <string>

#include "ifq/error.hpp"
#include "ifq/float_model.hpp"

namespace ifq::detect {
namespace {

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

void check_region(const RegionInfo& region, int channels) {
  if (region.num <= 0 || region.classes <= 0 || region.coords != 4)
    throw Error("region head: need num > 0, classes > 0 and coords = 4 (got num=" +
                std::to_string(region.num) + ", classes=" + std::to_string(region.classes) +
                ", coords=" + std::to_string(region.coords) + ")");
  if (int(region.anchors.size()) != 2 * region.num)
    throw Error("region head: " + std::to_string(region.anchors.size()) + " anchor values for " +
                std::to_string(region.num) + " anchors (need " + std::to_string(2 * region.num) + ")");
  for (float a : region.anchors)
    if (!(a > 0) || !std::isfinite(a))
      throw Error("region head: anchor " + std::to_string(a) + " is not a positive size");
  if (const std::string why = scale_x_y_problem(region.scale_x_y); !why.empty()) throw Error("region head: " + why);
  const int need = region.num * (region.coords + 1 + region.classes);
  if (channels != need)
    throw Error("region head: output has " + std::to_string(channels) + " channels, expected " +
                std::to_string(need) + " = num * (coords + 1 + classes)");
}

// The decode shared by both entry points. `gate(channel, j, i)` returns false
// for cells whose objectness cannot pass the threshold (the integer path uses
// the exact integer gate; the real path always returns true).
template <typename Read, typename Gate>
std::vector<Detection> decode(const Read& read, const Gate& gate, int grid_h, int grid_w,
                              const RegionInfo& region, int image_w, int image_h,
                              const RegionDecodeOptions& options) {
  const int entries = region.coords + 1 + region.classes;
  std::vector<Detection> found;
  std::vector<double> cls(region.classes);
  for (int n = 0; n < region.num; ++n) {
    const int base = n * entries;
    for (int j = 0; j < grid_h; ++j) {
      for (int i = 0; i < grid_w; ++i) {
        if (!gate(base + 4, j, i)) continue;
        const double objectness = sigmoid(read(base + 4, j, i));
        // Class softmax (darknet softmax with max subtraction).
        double max_logit = -std::numeric_limits<double>::infinity();
        for (int c = 0; c < region.classes; ++c) {
          cls[c] = read(base + 5 + c, j, i);
          max_logit = std::max(max_logit, cls[c]);
        }
        double sum = 0;
        for (int c = 0; c < region.classes; ++c) sum += (cls[c] = std::exp(cls[c] - max_logit));
        const Box b = region_box(read(base + 0, j, i), read(base + 1, j, i), read(base + 2, j, i),
                                 read(base + 3, j, i), i, j, region.anchors[2 * n], region.anchors[2 * n + 1],
                                 grid_w, grid_h, region.scale_x_y);
        const Box box = clip_box(Box{b.x * image_w, b.y * image_h, b.w * image_w, b.h * image_h}, image_w, image_h);
        for (int c = 0; c < region.classes; ++c) {
          const double score = objectness * cls[c] / sum;
          if (score > options.threshold && box.w > 0 && box.h > 0)
            found.push_back(Detection{box, score, c});
        }
      }
    }
  }
  if (options.nms_iou > 0) return nms(std::move(found), options.nms_iou);
  return nms(std::move(found), 1.0);  // sorts only: IoU never exceeds 1
}

}  // namespace

double region_offset(double t, double scale_x_y) { return scale_x_y * sigmoid(t) - (scale_x_y - 1) / 2; }

Box region_box(double tx, double ty, double tw, double th, int i, int j, double anchor_w, double anchor_h,
               int grid_w, int grid_h, double scale_x_y) {
  return box_from_centre((i + region_offset(tx, scale_x_y)) / grid_w, (j + region_offset(ty, scale_x_y)) / grid_h,
                         std::exp(tw) * anchor_w / grid_w, std::exp(th) * anchor_h / grid_h);
}

int64_t objectness_gate(double threshold, int frac_bits) {
  // sigmoid(x) > t  <=>  x > logit(t). With x = v / 2^f and v an integer:
  // v > logit(t) * 2^f  <=>  v > floor(logit(t) * 2^f). The floor is taken
  // one lower to stay safe against the rounding of logit in double: the
  // gate may let a borderline cell through, and the exact float test below
  // decides; it can never drop one.
  if (threshold <= 0) return std::numeric_limits<int64_t>::min();
  if (threshold >= 1) return std::numeric_limits<int64_t>::max();
  const double logit = std::log(threshold / (1 - threshold));
  const double scaled = std::floor(std::ldexp(logit, frac_bits)) - 1;
  if (scaled <= double(std::numeric_limits<int32_t>::min())) return std::numeric_limits<int64_t>::min();
  if (scaled >= double(std::numeric_limits<int32_t>::max())) return std::numeric_limits<int32_t>::max();
  return int64_t(scaled);
}

std::vector<Detection> decode_region(const IntTensor& output, const IntOutputInfo& info,
                                     const RegionInfo& region, int image_w, int image_h,
                                     const RegionDecodeOptions& options) {
  check_region(region, output.shape.c);
  if (output.data.size() != size_t(output.shape.elements()))
    throw Error("region head: tensor holds " + std::to_string(output.data.size()) +
                " values for shape " + output.shape.str());
  if (image_w <= 0 || image_h <= 0) throw Error("region decode: image size must be positive");
  const int h = output.shape.h, w = output.shape.w;
  const int32_t* data = output.data.data();
  auto at = [&](int c, int j, int i) { return data[(size_t(c) * h + j) * w + i]; };
  if (info.is_levels) {
    const double step = info.level_step;
    auto read = [&](int c, int j, int i) { return at(c, j, i) * step; };
    return decode(read, [](int, int, int) { return true; }, h, w, region, image_w, image_h, options);
  }
  if (info.frac_bits < 0 || info.frac_bits > 62)
    throw Error("region head: fixed-point output with " + std::to_string(info.frac_bits) + " fractional bits");
  const int64_t gate = objectness_gate(options.threshold, info.frac_bits);
  auto read = [&](int c, int j, int i) { return std::ldexp(double(at(c, j, i)), -info.frac_bits); };
  auto pass = [&](int c, int j, int i) { return int64_t(at(c, j, i)) > gate; };
  return decode(read, pass, h, w, region, image_w, image_h, options);
}

std::vector<Detection> decode_region_real(const std::vector<double>& output, int channels,
                                          int grid_h, int grid_w, const RegionInfo& region,
                                          int image_w, int image_h,
                                          const RegionDecodeOptions& options) {
  check_region(region, channels);
  if (output.size() != size_t(channels) * grid_h * grid_w)
    throw Error("region head: " + std::to_string(output.size()) + " values for " +
                std::to_string(channels) + "x" + std::to_string(grid_h) + "x" + std::to_string(grid_w));
  if (image_w <= 0 || image_h <= 0) throw Error("region decode: image size must be positive");
  auto read = [&](int c, int j, int i) { return output[(size_t(c) * grid_h + j) * grid_w + i]; };
  return decode(read, [](int, int, int) { return true; }, grid_h, grid_w, region, image_w, image_h,
                options);
}

}  // namespace ifq::detect
