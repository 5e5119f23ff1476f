#pragma once
// IoU-family box losses for the region loss (region_loss.hpp): GIoU
// (Rezatofighi et al., CVPR 2019) and DIoU (Zheng et al., AAAI 2020), the
// losses AlexeyAB's darknet offers as iou_loss=giou|diou. Unlike darknet's
// squared error on (σ(tx), σ(ty), tw, th), they score the box as a whole, so
// a face boxed a little too large costs as much whatever its size, and the
// gradient does not fade as the box nears the truth (the loose boxes that
// spend IFQ-Tinier-YOLO's FDDB budget overlap their faces by 0.36-0.38).
#include <string>

#include "ifq/detect/box.hpp"

namespace ifq::trainer {

enum class BoxLoss { kSquaredError, kGiou, kDiou };

// "mse", "giou" or "diou"; throws ifq::Error naming the choices otherwise.
BoxLoss parse_box_loss(const std::string& name);
const char* box_loss_name(BoxLoss loss);

// The loss of a predicted box against its truth (detect::Box, any one unit)
// and its gradient with respect to the predicted centre and size. GIoU:
// 1 - IoU + (C - U) / C with C the area of the smallest box enclosing both
// and U the union; DIoU: 1 - IoU + ρ² / c² with ρ the distance of the
// centres and c the diagonal of that enclosing box. Both lie in [0, 2), are
// 0 only for a perfect box and still have a gradient when the boxes do not
// overlap. Where max/min pick between two equal sides, the derivative of the
// predicted side is taken (a one-sided derivative; ties are measure zero).
struct BoxIouLoss {
  double loss = 0;
  double d_cx = 0, d_cy = 0, d_w = 0, d_h = 0;
};
BoxIouLoss box_iou_loss(BoxLoss kind, const detect::Box& predicted, const detect::Box& truth);

}  // namespace ifq::trainer
