#pragma once
// ROC plot as a PNG (paper Fig. 5): discrete TPR against false positives for
// one or more detectors, with the FP budget marked.
#include <string>
#include <vector>

#include "ifq/detect/fddb_eval.hpp"

namespace ifq::detect {

struct RocCurve {
  std::string label;
  std::vector<RocPoint> points;
};

struct RocPlotOptions {
  int width = 800, height = 600;
  double fp_max = 0;     // x-axis range; 0: the largest FP of the curves (at least 1)
  double fp_budget = -1; // vertical marker; < 0: none
  std::string title = "Discrete ROC";
};

void save_roc_plot(const std::vector<RocCurve>& curves, const std::string& png_path,
                   const RocPlotOptions& options = {});

}  // namespace ifq::detect
