// Small robust statistics used by the detectors.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "vigil/time.h"

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

/// One side of a CUSUM over standardized scores: the sum of (z - reference), kept at or above 0,
/// and when it last left 0 (the onset). Four scores in a row against the shift restart it: under
/// a real shift of +2 sigma that happens once in 10^6 points (and merely delays the alarm); after
/// the shift ends it takes a few points, where waiting for the sum to drain at k per point would
/// take hours during which any noisy point looks significant.
struct OneSidedCusum {
  double sum = 0;
  TimeMs onset = 0;
  int against = 0;

  void Step(double z, double reference, TimeMs t) {
    against = z < 0 ? against + 1 : 0;
    if (against >= 4) {
      sum = 0;
      return;
    }
    const double next = std::max(0.0, sum + z - reference);
    if (sum == 0 && next > 0) onset = t;
    sum = next;
  }
};

}  // namespace vigil::internal
