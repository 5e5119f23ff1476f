// ROC curves drawn into a PNG: axes with ticks, one coloured curve per
// detector (a step plot through its points), a legend and the FP budget.
#include "ifq/detect/roc_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ifq/detect/image.hpp"
#include "ifq/error.hpp"

namespace ifq::detect {
namespace {

const uint8_t kPalette[][3] = {{31, 119, 180}, {214, 39, 40},  {44, 160, 44},  {255, 127, 14},
                               {148, 103, 189}, {140, 86, 75}, {227, 119, 194}, {23, 190, 207}};
const uint8_t kBlack[3] = {0, 0, 0};
const uint8_t kGrid[3] = {225, 225, 225};
const uint8_t kBudget[3] = {120, 120, 120};

// A "nice" tick step (1, 2 or 5 x 10^k) giving about `target` ticks.
double tick_step(double range, int target) {
  const double raw = range / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

std::string label_for(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

void save_roc_plot(const std::vector<RocCurve>& curves, const std::string& png_path, const RocPlotOptions& o) {
  if (o.width < 200 || o.height < 150) throw Error("roc plot: size must be at least 200x150");
  double fp_max = o.fp_max;
  if (fp_max <= 0) {
    for (const auto& c : curves)
      for (const auto& p : c.points) fp_max = std::max(fp_max, p.fp);
    fp_max = std::max(fp_max, 1.0);
  }
  Image im = make_image(o.width, o.height, 255, 255, 255);
  const int left = 70, right = o.width - 20, top = 40, bottom = o.height - 50;
  auto px = [&](double fp) { return left + int(std::lround(std::clamp(fp / fp_max, 0.0, 1.0) * (right - left))); };
  auto py = [&](double tpr) { return bottom - int(std::lround(std::clamp(tpr, 0.0, 1.0) * (bottom - top))); };

  // Grid and ticks.
  const double xs = tick_step(fp_max, 8);
  for (double v = 0; v <= fp_max * (1 + 1e-9); v += xs) {
    draw_line(im, px(v), top, px(v), bottom, kGrid);
    draw_text(im, px(v) - 8, bottom + 8, label_for(v), kBlack, 1);
  }
  for (int k = 0; k <= 10; ++k) {
    const double v = k / 10.0;
    draw_line(im, left, py(v), right, py(v), kGrid);
    draw_text(im, left - 30, py(v) - 3, label_for(v), kBlack, 1);
  }
  draw_line(im, left, top, left, bottom, kBlack, 2);
  draw_line(im, left, bottom, right, bottom, kBlack, 2);
  draw_text(im, (left + right) / 2 - 60, bottom + 26, "False positives", kBlack, 2);
  draw_text(im, 8, top - 30, "True positive rate", kBlack, 2);
  draw_text(im, (left + right) / 2 - 40, 8, o.title, kBlack, 2);

  if (o.fp_budget >= 0 && o.fp_budget <= fp_max) {
    for (int y = top; y < bottom; y += 8) draw_line(im, px(o.fp_budget), y, px(o.fp_budget), y + 3, kBudget);
    draw_text(im, px(o.fp_budget) + 4, top + 4, "FP = " + label_for(o.fp_budget), kBudget, 1);
  }

  for (size_t k = 0; k < curves.size(); ++k) {
    const uint8_t* colour = kPalette[k % (sizeof kPalette / sizeof kPalette[0])];
    std::vector<RocPoint> pts = curves[k].points;
    std::sort(pts.begin(), pts.end(), [](const RocPoint& a, const RocPoint& b) {
      return a.fp != b.fp ? a.fp < b.fp : a.tpr < b.tpr;
    });
    // Step curve: TPR holds until the next FP count is reached.
    int prev_x = px(0), prev_y = py(0);
    for (const RocPoint& p : pts) {
      // Points beyond the x range are not reached inside it: the curve holds
      // its last TPR to the edge (drawing them clamped would show a jump at
      // the edge that happens further right).
      if (p.fp > fp_max) break;
      const int x = px(p.fp), y = py(p.tpr);
      draw_line(im, prev_x, prev_y, x, prev_y, colour, 2);
      draw_line(im, x, prev_y, x, y, colour, 2);
      prev_x = x;
      prev_y = y;
    }
    draw_line(im, prev_x, prev_y, right, prev_y, colour, 2);
    const int ly = bottom - 20 - int(curves.size() - 1 - k) * 18;
    fill_rect(im, right - 200, ly, right - 180, ly + 10, colour);
    draw_text(im, right - 174, ly + 1, curves[k].label, kBlack, 1);
  }
  save_image(im, png_path);
}

}  // namespace ifq::detect
