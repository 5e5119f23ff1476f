#include "convert/folding.hpp"

#include <cmath>
#include <limits>

namespace ifq::fold {

int32_t floor_to_int32(double x) {
  const double f = std::floor(x);
  if (!(f > double(std::numeric_limits<int32_t>::min()))) return std::numeric_limits<int32_t>::min();
  if (!(f < double(std::numeric_limits<int32_t>::max()))) return std::numeric_limits<int32_t>::max();
  return int32_t(f);
}

FoldedChannel fold_channel(const ChannelAffine& ch, const std::vector<double>& t) {
  FoldedChannel out;
  const double s = ch.gamma * ch.a / ch.sd;
  if (s == 0.0) {
    // z is the constant c whatever the input.
    const double c = ch.gamma * (ch.bias - ch.mu) / ch.sd + ch.beta;
    out.constant = true;
    for (double ti : t)
      out.thresholds.push_back(c > ti ? std::numeric_limits<int32_t>::min() : std::numeric_limits<int32_t>::max());
    return out;
  }
  out.negate = s < 0;
  for (double ti : t) {
    // Paper Eq. 7 in its own arrangement: T = ((t - beta)*sd/g + mu - b)/a.
    const double T = ((ti - ch.beta) * ch.sd / ch.gamma + ch.mu - ch.bias) / ch.a;
    out.thresholds.push_back(out.negate ? floor_to_int32(-T) : floor_to_int32(T));
  }
  return out;
}

}  // namespace ifq::fold
