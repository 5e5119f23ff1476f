#pragma once
// YOLOv2 region-layer training loss (darknet region_layer.c, algorithms.md §7),
// computed on plain arrays so it can be tested without LibTorch: the trainer
// copies the network's raw output here and feeds the returned gradient back
// with Tensor::backward(grad).
//
// Layout (darknet, as src/detect/region.cpp decodes): per image, channel
// n * (coords + 1 + classes) + entry, entries tx, ty, tw, th, to, class
// logits; each an H x W map. Decode: bx = (i + σ(tx)) / W, by = (j + σ(ty)) / H
// (with scale_x_y = s: σ becomes s·σ − (s − 1)/2, detect::region_offset),
// bw = e^tw · anchor_w / W, bh = e^th · anchor_h / H, objectness σ(to),
// class probabilities softmax(logits).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ifq/float_model.hpp"
#include "ifq/train/box_iou_loss.hpp"

namespace ifq::trainer {

// A ground-truth box in network-input coordinates normalised to [0, 1]:
// centre x, y and width, height (darknet's label convention).
struct TruthBox {
  double x = 0, y = 0, w = 0, h = 0;
  int class_id = 0;
  // An ignore region (a face flagged invalid, too small or too cut to learn
  // from): no anchor learns it, and the anchors of every cell whose centre it
  // covers, or that holds its centre, get no no-object term.
  bool ignore = false;
  // Objectness target of the responsible anchor: 1 for a labelled face; a
  // teacher's score for a face only the teacher saw (a soft target: the
  // teacher's confidence is distilled instead of a hard yes or no). Its coord
  // terms are weighted by it too; the IoU/recall statistics count only faces
  // with target 1.
  double objectness = 1;
};

struct RegionLossParams {
  int classes = 1, num = 5, coords = 4;
  std::vector<double> anchors;   // 2 * num, in grid cells
  double thresh = 0.6;           // predictions with best truth IoU above it get no no-object term
  double object_scale = 1, noobject_scale = 1, class_scale = 1, coord_scale = 1;
  bool rescore = false;          // objectness target = IoU of the responsible prediction instead of 1
  bool bias_match = false;       // true: responsible anchor by shape IoU with the anchor box itself (darknet bias_match=1);
                                 // false: with the predicted box's shape (darknet's default)
  int64_t warmup_images = 12800; // images seen before the prior-matching term stops (darknet: 12800)
  double warmup_scale = 0.01;    // scale of the prior-matching term
  // The coordinate term of a responsible prediction: darknet's squared error
  // on (σ(tx), σ(ty), tw, th), or an IoU loss of its box (box_iou_loss.hpp)
  // times box_loss_weight, both times coord_scale · (2 - w·h) · objectness.
  BoxLoss box_loss = BoxLoss::kSquaredError;
  double box_loss_weight = 1;
  // The region layer's centre scale s (RegionLayer::scale_x_y). Above 1 a
  // cell's centre offset reaches (s - 1)/2 beyond its edges, and a truth is
  // also learned by the nearest horizontal and vertical neighbour cells that
  // can reach its centre (YOLOv5's assignment; s = 2: always both): they
  // would otherwise fire on the face with a box centred in their own cell,
  // which is half a face off for faces near a cell's size.
  double scale_x_y = 1;
};

// From a [region] layer and the cfg's [region] training keys
// (CfgNetwork::region_params; darknet defaults where a key is absent).
// Throws ifq::Error on values darknet would misbehave with.
RegionLossParams region_loss_params(const RegionLayer& layer, const std::map<std::string, double>& keys);

struct RegionLossResult {
  double loss = 0;           // sum of the terms below, divided by the batch size
  double coord = 0, object = 0, noobject = 0, class_term = 0, prior = 0;  // parts (also / batch)
  double distill = 0;        // teacher terms, when add_region_distillation added them (region_distill.hpp)
  std::vector<float> grad;   // d loss / d raw output, same layout as the input
  double avg_iou = 0;        // mean IoU of responsible predictions with their truths
  double recall = 0;         // fraction of truths whose responsible prediction has IoU > 0.5
  int truths = 0;
};

// raw: batch * num*(coords+1+classes) * grid_h * grid_w values (the network's
// last convolution, before any activation). truths: one list per image.
// images_seen: images trained on before this batch (for the warm-up).
//
// Every term is ½·scale·(target − activated)² on the activated output (the
// centre offset for x, y; σ for objectness; identity for w, h), whose
// gradient is darknet's delta with the sign flipped (with an IoU box loss, the coordinate term is that loss
// instead, with its exact gradient); the class term is scale · cross-entropy
// of the softmax (gradient scale·(p − onehot), darknet's class delta). Later
// terms overwrite earlier ones on the same entry, in darknet's order:
// no-object, prior warm-up, then the truths (coords, objectness, classes).
RegionLossResult region_loss(const float* raw, int batch, int grid_h, int grid_w, const RegionLossParams& params,
                             const std::vector<std::vector<TruthBox>>& truths, int64_t images_seen);

}  // namespace ifq::trainer
