// The models' random numbers: SplitMix64 (Steele, Lea & Flood 2014), written out here rather than
// std::mt19937 with std:: distributions, whose outputs the standard leaves to the library; a
// seed must give the same model everywhere, and saved models may be compared across builds.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>

namespace vigil::internal {

class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  /// The stream of (seed, index): independent streams per tree or layer, whatever the order or
  /// the thread that uses them.
  Random(uint64_t seed, uint64_t stream) : state_(Mix(seed ^ Mix(stream + 0x632be59bd9b4e019))) {}

  uint64_t Next() { return Mix(state_ += 0x9e3779b97f4a7c15); }
  /// Uniform in [0, 1), 53 random bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  /// Uniform in [lo, hi); lo when hi <= lo.
  double Uniform(double lo, double hi) {
    double v = lo + (hi - lo) * Uniform();
    return v < hi ? v : lo;  // (hi - lo) * u can round up to hi
  }
  /// Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; the bias is below 2^-32 for
  /// the n used here).
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }
  /// Standard normal (Box-Muller, one value per call).
  double Normal() {
    double u = 1.0 - Uniform();  // (0, 1]: log(u) is finite
    double v = Uniform();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * std::numbers::pi * v);
  }

 private:
  static uint64_t Mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return z ^ (z >> 31);
  }
  uint64_t state_;
};

}  // namespace vigil::internal
