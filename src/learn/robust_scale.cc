#include "learn/robust_scale.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace vigil::internal {

double MedianOf(std::vector<double>* values) {
  auto end = std::remove_if(values->begin(), values->end(), [](double v) { return std::isnan(v); });
  values->erase(end, values->end());
  const size_t n = values->size();
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  auto middle = values->begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::nth_element(values->begin(), middle, values->end());
  const double upper = *middle;
  if (n % 2 == 1) return upper;
  const double lower = *std::max_element(values->begin(), middle);
  return lower + (upper - lower) / 2;
}

double RobustScaleOf(std::vector<double>* values, double center) {
  double absolute_sum = 0;
  size_t count = 0;
  for (double& v : *values) {
    v = std::abs(v - center);
    if (!std::isnan(v)) {
      absolute_sum += v;
      ++count;
    }
  }
  const double mad = MedianOf(values);
  if (mad > 0 && std::isfinite(mad)) return kMadToSigma * mad;
  const double mean_abs = count > 0 ? absolute_sum / static_cast<double>(count) : 0;
  if (mean_abs > 0 && std::isfinite(mean_abs)) return 1.2533 * mean_abs;
  return 1;
}

}  // namespace vigil::internal
