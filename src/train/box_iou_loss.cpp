// GIoU and DIoU box losses with their analytic gradient (box_iou_loss.hpp).
// Worked on the corners of each axis, then mapped to centre and size.
#include "ifq/train/box_iou_loss.hpp"

#include <algorithm>

#include "ifq/error.hpp"

namespace ifq::trainer {

BoxLoss parse_box_loss(const std::string& name) {
  if (name == "mse") return BoxLoss::kSquaredError;
  if (name == "giou") return BoxLoss::kGiou;
  if (name == "diou") return BoxLoss::kDiou;
  throw Error("box loss '" + name + "' is not one of mse, giou, diou");
}

const char* box_loss_name(BoxLoss loss) {
  switch (loss) {
    case BoxLoss::kGiou: return "giou";
    case BoxLoss::kDiou: return "diou";
    default: return "mse";
  }
}

namespace {

// One axis of the two boxes: the predicted side [p1, p2] and the truth's
// [g1, g2]. Overlap and enclosing lengths with their derivatives with
// respect to p1 and p2.
struct Axis {
  double overlap = 0, d_overlap_p1 = 0, d_overlap_p2 = 0;
  double enclosing = 0, d_enclosing_p1 = 0, d_enclosing_p2 = 0;
};

Axis axis(double p1, double p2, double g1, double g2) {
  Axis a;
  const double lo = std::max(p1, g1), hi = std::min(p2, g2);
  if (hi > lo) {
    a.overlap = hi - lo;
    a.d_overlap_p1 = p1 >= g1 ? -1 : 0;
    a.d_overlap_p2 = p2 <= g2 ? 1 : 0;
  }
  a.enclosing = std::max(p2, g2) - std::min(p1, g1);
  a.d_enclosing_p1 = p1 <= g1 ? -1 : 0;
  a.d_enclosing_p2 = p2 >= g2 ? 1 : 0;
  return a;
}

}  // namespace

BoxIouLoss box_iou_loss(BoxLoss kind, const detect::Box& p, const detect::Box& g) {
  if (kind == BoxLoss::kSquaredError) throw Error("box_iou_loss: the squared error is not an IoU loss");
  if (!(p.w > 0 && p.h > 0 && g.w > 0 && g.h > 0)) throw Error("box_iou_loss: empty box");
  const Axis x = axis(p.x, p.right(), g.x, g.right());
  const Axis y = axis(p.y, p.bottom(), g.y, g.bottom());
  const double inter = x.overlap * y.overlap;
  const double uni = p.w * p.h + g.w * g.h - inter;
  const double iou = inter / uni;
  // Derivatives with respect to the four predicted corners x1, x2, y1, y2.
  const double d_inter[4] = {x.d_overlap_p1 * y.overlap, x.d_overlap_p2 * y.overlap, y.d_overlap_p1 * x.overlap,
                             y.d_overlap_p2 * x.overlap};
  const double d_area[4] = {-p.h, p.h, -p.w, p.w};
  double d_uni[4], d_loss[4];
  double loss = 1 - iou;
  for (int k = 0; k < 4; ++k) {
    d_uni[k] = d_area[k] - d_inter[k];
    d_loss[k] = -(d_inter[k] * uni - inter * d_uni[k]) / (uni * uni);
  }
  if (kind == BoxLoss::kGiou) {
    const double c = x.enclosing * y.enclosing;
    loss += (c - uni) / c;
    const double d_c[4] = {x.d_enclosing_p1 * y.enclosing, x.d_enclosing_p2 * y.enclosing,
                           y.d_enclosing_p1 * x.enclosing, y.d_enclosing_p2 * x.enclosing};
    for (int k = 0; k < 4; ++k) d_loss[k] += -(d_uni[k] * c - uni * d_c[k]) / (c * c);  // d(1 - U/C)
  } else {
    const double dx = (p.x + p.w / 2) - (g.x + g.w / 2), dy = (p.y + p.h / 2) - (g.y + g.h / 2);
    const double rho2 = dx * dx + dy * dy;
    const double c2 = x.enclosing * x.enclosing + y.enclosing * y.enclosing;
    loss += rho2 / c2;
    // A centre is the mean of its corners: d rho² / d corner = the centre's offset.
    const double d_rho2[4] = {dx, dx, dy, dy};
    const double d_c2[4] = {2 * x.enclosing * x.d_enclosing_p1, 2 * x.enclosing * x.d_enclosing_p2,
                            2 * y.enclosing * y.d_enclosing_p1, 2 * y.enclosing * y.d_enclosing_p2};
    for (int k = 0; k < 4; ++k) d_loss[k] += (d_rho2[k] * c2 - rho2 * d_c2[k]) / (c2 * c2);
  }
  // x1 = cx - w/2, x2 = cx + w/2 (and y alike).
  BoxIouLoss r;
  r.loss = loss;
  r.d_cx = d_loss[0] + d_loss[1];
  r.d_w = (d_loss[1] - d_loss[0]) / 2;
  r.d_cy = d_loss[2] + d_loss[3];
  r.d_h = (d_loss[3] - d_loss[2]) / 2;
  return r;
}

}  // namespace ifq::trainer
