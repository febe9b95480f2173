// Small robust statistics used by the detectors.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

namespace vigil::internal {

/// Median of `v` (reorders it); NaN when empty.
inline double MedianInPlace(std::vector<double>& v) {
  if (v.empty()) return std::nan("");
  size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + mid, v.end());
  double hi = v[mid];
  if (v.size() % 2) return hi;
  double lo = *std::max_element(v.begin(), v.begin() + mid);
  return (lo + hi) / 2;
}

/// Median absolute deviation from the median, scaled to estimate a normal sigma.
inline double RobustSigma(std::vector<double> v) {
  if (v.size() < 2) return std::nan("");
  double med = MedianInPlace(v);
  for (double& x : v) x = std::abs(x - med);
  return 1.4826 * MedianInPlace(v);
}

}  // namespace vigil::internal
