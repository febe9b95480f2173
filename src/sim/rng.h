// Deterministic random numbers for the simulator. Written here (not <random>) because the
// simulator promises the same bytes for the same seed on every machine and standard library:
// std:: distributions are implementation-defined.
#pragma once

#include <cmath>
#include <cstdint>

#include "common/hash.h"
#include "common/normal.h"

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

using internal::NormalQuantile;

/// z-score of the 95th percentile: a log-normal with median m and 95th percentile p has
/// sigma = ln(p / m) / kZ95.
constexpr double kZ95 = 1.6448536269514722;

}  // namespace vigil::sim
