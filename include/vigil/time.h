// Time points, durations and buckets. All times are UTC milliseconds since the Unix epoch.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/status.h"

namespace vigil {

/// A point in time: UTC milliseconds since 1970-01-01T00:00:00Z.
using TimeMs = int64_t;

constexpr int64_t kSecondMs = 1000;
constexpr int64_t kMinuteMs = 60 * kSecondMs;
constexpr int64_t kHourMs = 60 * kMinuteMs;
constexpr int64_t kDayMs = 24 * kHourMs;

/// The supported time range, [kMinTime, kMaxTime): 1970-01-01 to 2200-01-01 UTC. Every time that
/// enters vigil (an event, a query parameter, a flag, a config value) is checked against it, so
/// that arithmetic on times, durations and buckets cannot overflow anywhere downstream.
constexpr TimeMs kMinTime = 0;
constexpr TimeMs kMaxTime = 7258118400000;  // 2200-01-01T00:00:00Z
/// The longest duration accepted: the length of the supported range.
constexpr int64_t kMaxDurationMs = kMaxTime - kMinTime;

/// True when `t` lies in the supported range.
constexpr bool InTimeRange(TimeMs t) { return t >= kMinTime && t < kMaxTime; }

/// Parses RFC 3339 (`2026-03-02T14:05:00.123Z`, offsets like `+02:00`, a space for `T`, a bare
/// date `2026-03-02` meaning midnight UTC) or an integer count of epoch milliseconds. A time
/// outside [kMinTime, kMaxTime) is an error that names the supported range.
Result<TimeMs> ParseTimestamp(std::string_view text);

/// The wall clock now, in epoch milliseconds (data time comes from events, never from here).
TimeMs WallClockNow();

/// RFC 3339 UTC: `2026-03-02T14:05:00Z`, with `.mmm` only when the milliseconds are not zero.
std::string FormatTimestamp(TimeMs t);

/// Parses a duration: a positive integer and a unit among ms, s, m, h, d, w (`5m`, `1h`, `1d`),
/// at most kMaxDurationMs (longer ones are an error, never an overflow).
Result<int64_t> ParseDuration(std::string_view text);

/// The shortest exact spelling of a duration (`300000` → `5m`).
std::string FormatDuration(int64_t ms);

/// The start of the bucket of width `width_ms` (> 0) that holds `t` (buckets are aligned to the
/// epoch). Defined for every `t`: a bucket that would start before INT64_MIN starts there.
inline TimeMs BucketStart(TimeMs t, int64_t width_ms) {
  TimeMs r = t % width_ms;
  if (r < 0) r += width_ms;
  TimeMs start;
  return __builtin_sub_overflow(t, r, &start) ? INT64_MIN : start;
}

/// UTC offset of an IANA time zone, read from the system's zoneinfo (tzdata).
class TimeZone {
 public:
  /// "UTC" (or "") needs no file; another name must be a zone of /usr/share/zoneinfo, else
  /// kNotFound naming it.
  static Result<TimeZone> Load(const std::string& name);
  static TimeZone Utc();
  /// Offset from UTC in ms at UTC time `t` (DST included).
  int64_t OffsetAt(TimeMs t) const;
  const std::string& name() const { return name_; }

 private:
  std::string name_ = "UTC";
  std::vector<int64_t> transitions_;  // UTC ms, ascending
  std::vector<int64_t> offsets_;      // offset after each transition (ms)
  int64_t initial_offset_ = 0;
};

/// Days since 1970-01-01 of a proleptic Gregorian date.
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);

}  // namespace vigil
