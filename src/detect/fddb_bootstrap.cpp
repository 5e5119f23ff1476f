// Percentile bootstrap of the FDDB detection rate over images (fddb_bootstrap.hpp).
#include "ifq/detect/fddb_bootstrap.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "ifq/error.hpp"

namespace ifq::detect {
namespace {

double rate_of(const std::vector<FddbImageCurve>& curves, const std::vector<int>& multiplicity, double fp_budget) {
  std::vector<RocPoint> disc, cont;
  merge_fddb_curves(curves, multiplicity, disc, cont);
  return detection_rate_at(disc, fp_budget);
}

// The 2.5th and 97.5th percentiles (nearest rank) of the draws.
Interval percentiles(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    const size_t i = size_t(std::clamp(std::ceil(q * double(v.size())) - 1, 0.0, double(v.size() - 1)));
    return v[i];
  };
  return {at(0.025), at(0.975)};
}

// Each draw's multiplicity of every image; the same for any two calls with
// the same (images, resamples, seed).
template <typename F>
Interval bootstrap(size_t images, int resamples, uint64_t seed, F statistic) {
  if (images == 0) throw Error("bootstrap: no images");
  if (resamples < 1) throw Error("bootstrap: resamples must be >= 1 (got " + std::to_string(resamples) + ")");
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<size_t> pick(0, images - 1);
  std::vector<double> draws;
  draws.reserve(size_t(resamples));
  std::vector<int> multiplicity(images);
  for (int r = 0; r < resamples; ++r) {
    std::fill(multiplicity.begin(), multiplicity.end(), 0);
    for (size_t i = 0; i < images; ++i) ++multiplicity[pick(rng)];
    draws.push_back(statistic(multiplicity));
  }
  return percentiles(std::move(draws));
}

}  // namespace

bool same_images(const std::vector<FddbImageCurve>& a, const std::vector<FddbImageCurve>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const FddbImageCurve& x, const FddbImageCurve& y) { return x.faces == y.faces; });
}

Interval bootstrap_detection_rate(const std::vector<FddbImageCurve>& curves, double fp_budget, int resamples,
                                  uint64_t seed) {
  return bootstrap(curves.size(), resamples, seed,
                   [&](const std::vector<int>& m) { return rate_of(curves, m, fp_budget); });
}

Interval bootstrap_detection_rate_difference(const std::vector<FddbImageCurve>& a,
                                             const std::vector<FddbImageCurve>& b, double fp_budget, int resamples,
                                             uint64_t seed) {
  if (a.size() != b.size())
    throw Error("bootstrap: the two detectors were scored on " + std::to_string(a.size()) + " and " +
                std::to_string(b.size()) + " images; a paired interval needs the same images");
  for (size_t k = 0; k < a.size(); ++k)
    if (a[k].faces != b[k].faces)
      throw Error("bootstrap: image " + std::to_string(k) + " has " + std::to_string(a[k].faces) + " faces for one " +
                  "detector and " + std::to_string(b[k].faces) + " for the other; a paired interval needs the same images");
  return bootstrap(a.size(), resamples, seed, [&](const std::vector<int>& m) {
    return rate_of(a, m, fp_budget) - rate_of(b, m, fp_budget);
  });
}

}  // namespace ifq::detect
