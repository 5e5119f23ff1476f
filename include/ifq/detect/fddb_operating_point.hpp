// Where a detector's FDDB figure comes from: its operating point at a false
// positive budget (the score threshold at which the discrete ROC reaches its
// best detection rate within the budget), read image by image. A rate on a
// few dozen photos can hinge on one of them (a crowd of small faces), which
// the pooled ROC does not show.
#pragma once

#include <string>
#include <vector>

#include "ifq/detect/fddb_eval.hpp"

namespace ifq::detect {

struct ImageAtOperatingPoint {
  std::string image;
  long long faces = 0;
  long long found = 0;            // faces matched (discrete: overlap > 0.5) by a detection >= the threshold
  long long false_positives = 0;  // detections >= the threshold that match no face and lie on no ignore region
};

struct OperatingPoint {
  double fp_budget = 0;
  // The highest threshold at which the discrete ROC reaches its best rate
  // with FP <= fp_budget (the fewest false positives for that rate); +inf
  // when no point is within the budget, so that nothing is kept.
  double threshold = 0;
  double detection_rate = 0;  // detection_rate_at(result.disc, fp_budget)
  long long found = 0, false_positives = 0;
  std::vector<ImageAtOperatingPoint> images;  // in evaluation order
};

// `images` are those `result` was evaluated on (evaluate_fddb), in the same
// order; throws ifq::Error otherwise, or on a negative budget.
OperatingPoint operating_point(const std::vector<FddbEvalImage>& images, const FddbResult& result, double fp_budget);

}  // namespace ifq::detect
