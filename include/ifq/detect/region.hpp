#pragma once
// YOLOv2 region decoding (darknet region_layer.c, algorithms.md §7) on the
// integer model's output tensor.
//
// Layout (darknet): channel = anchor * (coords + 1 + classes) + entry with
// entries tx, ty, tw, th, to, class logits..., each an H x W map. The integer
// runtime gives fixed-point values (real = v / 2^frac_bits) or HWGQ levels
// (real = level * level_step); IntOutputInfo says which.
#include <cstdint>
#include <vector>

#include "ifq/detect/box.hpp"
#include "ifq/int_model.hpp"
#include "ifq/runtime.hpp"

namespace ifq::detect {

struct RegionDecodeOptions {
  double threshold = 0.005;  // keep detections with score > threshold
  double nms_iou = 0.45;     // darknet's default; <= 0 disables NMS
};

// Smallest integer gate g such that a raw fixed-point objectness v can only
// reach sigmoid(v / 2^frac_bits) > threshold when v > g. Cells failing the
// gate are skipped without any floating-point work (score <= objectness, so
// the gate never drops a detection the float decode would keep).
int64_t objectness_gate(double threshold, int frac_bits);

// A box centre's offset within its cell from the raw output t:
// s·σ(t) − (s − 1)/2 (RegionLayer::scale_x_y = s; s = 1 is YOLOv2's σ(t)).
double region_offset(double t, double scale_x_y);

// YOLOv2's box of anchor (anchor_w, anchor_h) at cell (i, j) of a
// grid_w x grid_h map, from the anchor's raw outputs (tx, ty, tw, th), as
// fractions of the image: centre ((i + offset(tx)) / W, (j + offset(ty)) / H),
// size (e^tw · anchor_w / W, e^th · anchor_h / H). One definition for the
// decoder and the trainer's region loss.
Box region_box(double tx, double ty, double tw, double th, int i, int j, double anchor_w, double anchor_h,
               int grid_w, int grid_h, double scale_x_y);

// Decodes every anchor of every cell whose score exceeds the threshold, then
// applies NMS. Boxes are in pixels of an image of size image_w x image_h that
// was stretched to the network input (no letterbox), clipped to the image.
// Throws ifq::Error if the tensor does not match the region description.
std::vector<Detection> decode_region(const IntTensor& output, const IntOutputInfo& info,
                                     const RegionInfo& region, int image_w, int image_h,
                                     const RegionDecodeOptions& options = {});

// Same decode on real-valued outputs (the float reference evaluator's
// output, CHW): the two must agree to the last bit of the fixed-point input.
std::vector<Detection> decode_region_real(const std::vector<double>& output, int channels,
                                          int grid_h, int grid_w, const RegionInfo& region,
                                          int image_w, int image_h,
                                          const RegionDecodeOptions& options = {});

}  // namespace ifq::detect
