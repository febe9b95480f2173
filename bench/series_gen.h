// The detection benchmark's series: a fixed-seed set of 5-minute metric series with daily and
// weekly cycles, noise, steps, drifts, spikes and NaN gaps, stored as a NumPy .npy file
// (float32, shape series × buckets, C order) so that vigil and the Python baselines read the
// very same values. Series i depends only on (seed, i): any prefix of the file is the same
// whatever the total count.
#pragma once

#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "vigil/status.h"
#include "vigil/time.h"

namespace vigil::bench {

constexpr int64_t kBucketMs = 5 * kMinuteMs;
constexpr int64_t kBucketsPerDay = kDayMs / kBucketMs;  // 288
constexpr int64_t kWeekBuckets = 7 * kBucketsPerDay;    // 2,016
constexpr uint64_t kSeriesSeed = 20260302;

/// Time of the first bucket: Monday 2026-03-02T00:00:00Z.
inline TimeMs SeriesStart() { return DaysFromCivil(2026, 3, 2) * kDayMs; }

/// A block of series, row-major: values[s * buckets + t]; NaN marks a missing bucket.
struct SeriesBlock {
  int64_t series = 0;
  int64_t buckets = 0;
  std::vector<float> values;
  const float* row(int64_t s) const { return values.data() + s * buckets; }
};

namespace internal {

// splitmix64: small, fast, and the same stream on every platform.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  int64_t Int(int64_t lo, int64_t hi) {  // [lo, hi]
    return lo + static_cast<int64_t>(Uniform() * static_cast<double>(hi - lo + 1));
  }
  bool Chance(double p) { return Uniform() < p; }
  /// Standard normal (Box–Muller, one of the pair).
  double Normal() {
    double u = 1.0 - Uniform();  // (0, 1]
    double v = Uniform();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * M_PI * v);
  }

 private:
  uint64_t state_;
};

inline void FillSeries(int64_t index, int64_t buckets, float* out) {
  Rng rng(kSeriesSeed ^ (0xD1B54A32D192ED03ull * static_cast<uint64_t>(index + 1)));
  // Level and noise like a latency (ms), a rate, or a volume per bucket.
  double level = 0;
  double noise_rel = 0;
  switch (rng.Int(0, 2)) {
    case 0:
      level = rng.Uniform(200, 2000);
      noise_rel = rng.Uniform(0.02, 0.08);
      break;
    case 1:
      level = rng.Uniform(0.005, 0.1);
      noise_rel = rng.Uniform(0.05, 0.2);
      break;
    default:
      level = rng.Uniform(50, 5000);
      noise_rel = rng.Uniform(0.03, 0.1);
      break;
  }
  const double daily_amp = rng.Uniform(0.05, 0.6);
  const double daily_phase = rng.Uniform(0, 2 * M_PI);
  const double second_harmonic = rng.Uniform(0, 0.3);
  const double weekend = rng.Uniform(-0.35, 0.1);  // relative change on Sat and Sun
  const double trend = rng.Uniform(-0.05, 0.05);   // relative change over the week
  const double heavy_tail = rng.Uniform(0, 0.01);  // share of 4x-noise points
  const double sigma = noise_rel * level;

  // Incidents, at most one of each kind, after the first day.
  int64_t step_at = -1, step_len = 0, drift_at = -1, drift_len = 0;
  double step = 0, drift = 0;
  if (rng.Chance(0.25)) {
    step_at = rng.Int(kBucketsPerDay, buckets - 12);
    step_len = rng.Chance(0.5) ? buckets : rng.Int(6, 72);
    step = (rng.Chance(0.7) ? 1 : -1) * rng.Uniform(3, 10) * sigma;
  }
  if (rng.Chance(0.1)) {
    drift_at = rng.Int(kBucketsPerDay, buckets - 48);
    drift_len = rng.Int(24, 288);
    drift = rng.Uniform(4, 12) * sigma;
  }
  std::vector<int64_t> spikes;
  if (rng.Chance(0.3)) {
    for (int64_t k = rng.Int(1, 5); k > 0; --k) spikes.push_back(rng.Int(0, buckets - 1));
  }
  int64_t gap_at = -1, gap_len = 0;
  if (rng.Chance(0.05)) {
    gap_at = rng.Int(0, buckets - 1);
    gap_len = rng.Int(1, 36);
  }
  const double sparse_nan = rng.Chance(0.1) ? 0.002 : 0;

  for (int64_t t = 0; t < buckets; ++t) {
    double day_pos = 2 * M_PI * static_cast<double>(t % kBucketsPerDay) / kBucketsPerDay;
    int64_t weekday = (t / kBucketsPerDay) % 7;  // Monday = 0
    double season = 1 + daily_amp * std::sin(day_pos + daily_phase) +
                    daily_amp * second_harmonic * std::sin(2 * day_pos + 2 * daily_phase);
    if (weekday >= 5) season *= 1 + weekend;
    double x = level * season * (1 + trend * static_cast<double>(t) / buckets);
    double e = rng.Normal();
    if (rng.Chance(heavy_tail)) e *= 4;
    x += sigma * e;
    if (step_at >= 0 && t >= step_at && t < step_at + step_len) x += step;
    if (drift_at >= 0 && t >= drift_at && t < drift_at + drift_len) {
      x += drift * static_cast<double>(t - drift_at + 1) / drift_len;
    }
    for (int64_t s : spikes) {
      if (s == t) x += rng.Uniform(6, 15) * sigma;
    }
    if (x < 0) x = 0;
    bool missing = (gap_at >= 0 && t >= gap_at && t < gap_at + gap_len) || rng.Chance(sparse_nan);
    out[t] = missing ? std::nanf("") : static_cast<float>(x);
  }
}

}  // namespace internal

/// Generates `series` series of `buckets` points each.
inline SeriesBlock GenerateSeries(int64_t series, int64_t buckets = kWeekBuckets) {
  SeriesBlock b;
  b.series = series;
  b.buckets = buckets;
  b.values.resize(static_cast<size_t>(series * buckets));
  for (int64_t s = 0; s < series; ++s)
    internal::FillSeries(s, buckets, b.values.data() + s * buckets);
  return b;
}

/// Writes `block` as a version 1.0 .npy file (little-endian float32), via a temporary file.
inline Status WriteNpy(const SeriesBlock& block, const std::string& path) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                       std::to_string(block.series) + ", " + std::to_string(block.buckets) + "), }";
  // Magic (6) + version (2) + length (2) + header, padded with spaces to 64 bytes, ends in \n.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return IoError("cannot write " + tmp);
  char preamble[10];
  std::memcpy(preamble, "\x93NUMPY\x01\x00", 8);
  preamble[8] = static_cast<char>(header.size() & 0xff);
  preamble[9] = static_cast<char>(header.size() >> 8);
  bool ok = std::fwrite(preamble, 1, sizeof(preamble), f) == sizeof(preamble) &&
            std::fwrite(header.data(), 1, header.size(), f) == header.size() &&
            std::fwrite(block.values.data(), sizeof(float), block.values.size(), f) ==
                block.values.size();
  ok = std::fclose(f) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return IoError("cannot write " + path);
  }
  return Status::Ok();
}

/// Reads a .npy file written by WriteNpy (float32, C order, two dimensions), keeping at most
/// `max_series` rows (0: all).
inline Result<SeriesBlock> ReadNpy(const std::string& path, int64_t max_series = 0) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return IoError("cannot open " + path);
  unsigned char preamble[10];
  SeriesBlock b;
  std::string header;
  bool ok = std::fread(preamble, 1, sizeof(preamble), f) == sizeof(preamble) &&
            std::memcmp(preamble, "\x93NUMPY", 6) == 0 && preamble[6] == 1;
  if (ok) {
    header.resize(preamble[8] | (preamble[9] << 8));
    ok = std::fread(header.data(), 1, header.size(), f) == header.size();
  }
  size_t shape = header.find("'shape': (");
  ok = ok && header.find("'<f4'") != std::string::npos &&
       header.find("'fortran_order': False") != std::string::npos && shape != std::string::npos &&
       std::sscanf(header.c_str() + shape, "'shape': (%" SCNd64 ", %" SCNd64 ")", &b.series,
                   &b.buckets) == 2 &&
       b.series > 0 && b.buckets > 0;
  if (ok) {
    if (max_series > 0 && max_series < b.series) b.series = max_series;
    b.values.resize(static_cast<size_t>(b.series * b.buckets));
    ok = std::fread(b.values.data(), sizeof(float), b.values.size(), f) == b.values.size();
  }
  std::fclose(f);
  if (!ok) return InvalidArgument(path + ": not a float32 series × buckets .npy file");
  return b;
}

}  // namespace vigil::bench
