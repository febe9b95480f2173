// Deterministic random numbers for the simulator. Written here (not <random>) because the
// simulator promises the same bytes for the same seed on every machine and standard library:
// std:: distributions are implementation-defined.
#pragma once

#include <cmath>
#include <cstdint>

#include "common/hash.h"

namespace vigil::sim {

/// A counter-based stream: splitmix64 over a Weyl sequence. Cheap to seed, so every simulated
/// minute and every event gets its own stream, which makes an event's draws independent of what
/// other events (or injected incidents elsewhere) consumed.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return internal::Mix64(state_);
  }
  /// Uniform in [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  /// Uniform in (0, 1): never exactly 0, for logs and quantile functions.
  double OpenUniform() { return (static_cast<double>(Next() >> 11) + 0.5) * 0x1.0p-53; }
  /// Uniform integer in [0, n).
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }

 private:
  uint64_t state_;
};

/// A stream seed derived from a run seed and two counters.
inline uint64_t StreamSeed(uint64_t seed, uint64_t a, uint64_t b) {
  return internal::Mix64(seed ^ internal::Mix64(a * 0xd1b54a32d192ed03ULL + 0x632be59bd9b4e019ULL) ^
                         internal::Mix64(b + 0x8cb92ba72f3d8dd7ULL));
}

/// The standard normal quantile Φ⁻¹(p) for p in (0, 1) (rational approximation, relative error
/// below 1.2e-9). Monotone in p, so a uniform draw above 1 - t lands in the upper tail.
inline double NormalQuantile(double p) {
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double kLow = 0.02425, kHigh = 1 - kLow;
  if (p < kLow) {
    double q = std::sqrt(-2 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > kHigh) {
    double q = std::sqrt(-2 * std::log(1 - p));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  double q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/// z-score of the 95th percentile: a log-normal with median m and 95th percentile p has
/// sigma = ln(p / m) / kZ95.
constexpr double kZ95 = 1.6448536269514722;

}  // namespace vigil::sim
