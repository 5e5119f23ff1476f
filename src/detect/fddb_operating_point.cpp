#include "ifq/detect/fddb_operating_point.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ifq/error.hpp"

namespace ifq::detect {

OperatingPoint operating_point(const std::vector<FddbEvalImage>& images, const FddbResult& result, double fp_budget) {
  if (images.size() != result.image_curves.size())
    throw Error("fddb: " + std::to_string(images.size()) + " images for an evaluation of " +
                std::to_string(result.image_curves.size()));
  if (!(fp_budget >= 0)) throw Error("fddb: the false-positive budget must be >= 0");
  OperatingPoint op;
  op.fp_budget = fp_budget;
  op.detection_rate = detection_rate_at(result.disc, fp_budget);
  // The disc ROC is in ascending threshold: the last point of that rate
  // within the budget has the highest threshold.
  op.threshold = std::numeric_limits<double>::infinity();
  for (const RocPoint& p : result.disc)
    if (p.fp <= fp_budget && p.tpr == op.detection_rate) op.threshold = p.threshold;
  // An image's counts at a threshold are those at its smallest own score at
  // or above it (the ROC's thresholds are the images' own scores).
  for (size_t k = 0; k < images.size(); ++k) {
    const FddbImageCurve& c = result.image_curves[k];
    ImageAtOperatingPoint at{images[k].name, c.faces, 0, 0};
    const auto it = std::lower_bound(c.scores.begin(), c.scores.end(), op.threshold);
    if (it != c.scores.end()) {
      const size_t j = size_t(it - c.scores.begin());
      at.found = std::llround(c.tp_disc[j]);
      at.false_positives = std::llround(c.fp[j]);
    }
    op.found += at.found;
    op.false_positives += at.false_positives;
    op.images.push_back(std::move(at));
  }
  return op;
}

}  // namespace ifq::detect
