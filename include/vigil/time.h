// Time points, durations and buckets. All times are UTC milliseconds since the Unix epoch.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "vigil/status.h"

namespace vigil {

/// A point in time: UTC milliseconds since 1970-01-01T00:00:00Z.
using TimeMs = int64_t;

constexpr int64_t kSecondMs = 1000;
constexpr int64_t kMinuteMs = 60 * kSecondMs;
constexpr int64_t kHourMs = 60 * kMinuteMs;
constexpr int64_t kDayMs = 24 * kHourMs;

/// Parses RFC 3339 (`2026-03-02T14:05:00.123Z`, offsets like `+02:00`, a space for `T`, a bare
/// date `2026-03-02` meaning midnight UTC) or an integer count of epoch milliseconds.
Result<TimeMs> ParseTimestamp(std::string_view text);

/// RFC 3339 UTC: `2026-03-02T14:05:00Z`, with `.mmm` only when the milliseconds are not zero.
std::string FormatTimestamp(TimeMs t);

/// Parses a duration: an integer and a unit among ms, s, m, h, d, w (`5m`, `1h`, `1d`).
Result<int64_t> ParseDuration(std::string_view text);

/// The shortest exact spelling of a duration (`300000` → `5m`).
std::string FormatDuration(int64_t ms);

/// The start of the bucket of width `width_ms` that holds `t` (buckets are aligned to the epoch).
inline TimeMs BucketStart(TimeMs t, int64_t width_ms) {
  TimeMs r = t % width_ms;
  return r < 0 ? t - r - width_ms : t - r;
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);

}  // namespace vigil
