#pragma once
// Distillation of a float teacher's region output into a quantized student
// (docs/training.md, "Distillation"): the student is a quantization network
// of the same detector (IFQ-Tinier-YOLO, DupNet) and the teacher its float
// twin, run on the same batch. Both outputs have the region layout of
// region_loss.hpp, so every anchor of every cell has a teacher value:
//
//   objectness  KL(Bernoulli(σ(t_o)) ‖ Bernoulli(σ(s_o))) on every anchor:
//               the student learns the teacher's confidence everywhere, on
//               unlabelled faces and background alike, not just 0/1;
//   coords      ½·σ(t_o)·((σ(s_x) − σ(t_x))² + (σ(s_y) − σ(t_y))² +
//               (s_w − t_w)² + (s_h − t_h)²): the teacher's boxes, weighed
//               by how sure it is that a face is there;
//   classes     σ(t_o)·KL(softmax(t) ‖ softmax(s)) (nothing for one class).
//
// Each term is scaled by its weight and divided by the batch, like the
// region loss, and added to a RegionLossResult (loss, distill, grad).
#include "ifq/train/region_loss.hpp"

namespace ifq::trainer {

struct DistillWeights {
  double object = 1;  // objectness KL
  double coord = 1;   // teacher-box terms (and the class KL)
};

// student, teacher: batch * num*(coords+1+classes) * grid_h * grid_w raw
// values each; r.grad must already hold that many entries (region_loss's
// output). Throws ifq::Error on a negative weight or a short gradient.
void add_region_distillation(const float* student, const float* teacher, int batch, int grid_h, int grid_w,
                             const RegionLossParams& params, const DistillWeights& weights, RegionLossResult& r);

}  // namespace ifq::trainer
