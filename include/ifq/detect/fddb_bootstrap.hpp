#pragma once
// How sure is a detection rate? The held-out real sets are small (the people
// set: 50 photos, 259 faces, 89 of them in one photo), so one run's figure
// moves by whole points when a few photos change. These are percentile
// bootstrap intervals over images (Efron & Tibshirani 1993, ch. 13): each of
// `resamples` draws takes as many images as the set has, with replacement,
// merges their FDDB curves (merge_fddb_curves) and reads the discrete
// detection rate at FP <= fp_budget; the interval is the 2.5th and 97.5th
// percentile of the draws. The draws depend only on (seed, image count), so
// two detectors scored on the same images see the same draws: the paired
// interval of their difference is much narrower than the two intervals
// suggest, and is the one to read when deciding between them.
#include <cstdint>
#include <vector>

#include "ifq/detect/fddb_eval.hpp"

namespace ifq::detect {

struct Interval {
  double low = 0, high = 0;
};

// Throws ifq::Error on no images or resamples < 1.
Interval bootstrap_detection_rate(const std::vector<FddbImageCurve>& curves, double fp_budget, int resamples = 1000,
                                  uint64_t seed = 1);

// Whether two detectors' curves can be paired: as many images, with the same
// face count image by image (the same images in the same order, as far as
// the curves tell).
bool same_images(const std::vector<FddbImageCurve>& a, const std::vector<FddbImageCurve>& b);

// rate(a) − rate(b) on the same images (same_images); throws ifq::Error,
// naming the first difference, when they are not.
Interval bootstrap_detection_rate_difference(const std::vector<FddbImageCurve>& a,
                                             const std::vector<FddbImageCurve>& b, double fp_budget,
                                             int resamples = 1000, uint64_t seed = 1);

}  // namespace ifq::detect
