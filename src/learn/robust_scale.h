// Robust location and scale (median and MAD), shared by the autoencoder's standardization and
// the seasonal baseline.
#pragma once

#include <vector>

namespace vigil::internal {

/// 1.4826: MAD times this estimates the standard deviation of normally distributed values.
inline constexpr double kMadToSigma = 1.4826;

/// The median of the non-NaN values (the mean of the two middle ones for an even count); NaN
/// when there are none. Reorders `values`.
double MedianOf(std::vector<double>* values);

/// A robust scale of the non-NaN values around `center`: 1.4826 * median |v - center|; when
/// that is 0 (over half the values equal), 1.2533 * mean |v - center| (the mean absolute
/// deviation's factor for normal values); when that is 0 too (a constant), 1. Reorders
/// `values`.
double RobustScaleOf(std::vector<double>* values, double center);

}  // namespace vigil::internal
