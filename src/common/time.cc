#include "vigil/time.h"

#include <charconv>
#include <chrono>
#include <cstdio>

namespace vigil {
namespace {

// Reads exactly `n` digits at `p`; false when any is not a digit.
bool ReadDigits(const char* p, int n, int* out) {
  int v = 0;
  for (int i = 0; i < n; ++i) {
    unsigned d = static_cast<unsigned char>(p[i]) - '0';
    if (d > 9) return false;
    v = v * 10 + static_cast<int>(d);
  }
  *out = v;
  return true;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

unsigned DaysInMonth(int year, int month) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

Status BadTimestamp(std::string_view text, const char* why) {
  std::string shown(text.substr(0, 40));
  return InvalidArgument("bad timestamp '" + shown + "': " + why);
}

Result<TimeMs> InRange(std::string_view text, TimeMs t) {
  if (!InTimeRange(t)) {
    return BadTimestamp(text, "outside the supported range 1970-01-01 to 2200-01-01 (UTC)");
  }
  return t;
}

}  // namespace

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

Result<TimeMs> ParseTimestamp(std::string_view s) {
  if (s.empty()) return BadTimestamp(s, "empty");
  // Epoch milliseconds: all digits (optionally negative).
  if (s.size() != 10 || s[4] != '-') {
    bool numeric = true;
    for (size_t i = 0; i < s.size(); ++i) {
      if (!(s[i] >= '0' && s[i] <= '9') && !(i == 0 && s[i] == '-')) numeric = false;
    }
    if (numeric) {
      int64_t v = 0;
      auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec != std::errc() || ptr != s.data() + s.size()) {
        return BadTimestamp(s, "outside the supported range 1970-01-01 to 2200-01-01 (UTC)");
      }
      return InRange(s, v);
    }
  }
  if (s.size() < 10) return BadTimestamp(s, "expected RFC 3339 or epoch milliseconds");
  int year, month, day;
  const char* p = s.data();
  if (!ReadDigits(p, 4, &year) || p[4] != '-' || !ReadDigits(p + 5, 2, &month) || p[7] != '-' ||
      !ReadDigits(p + 8, 2, &day)) {
    return BadTimestamp(s, "expected YYYY-MM-DD");
  }
  if (month < 1 || month > 12) return BadTimestamp(s, "month out of range");
  if (day < 1 || static_cast<unsigned>(day) > DaysInMonth(year, month)) {
    return BadTimestamp(s, "day out of range");
  }
  int64_t ms = DaysFromCivil(year, month, day) * kDayMs;
  if (s.size() == 10) return InRange(s, ms);
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
    return BadTimestamp(s, "expected 'T' after date");
  if (s.size() < 19) return BadTimestamp(s, "expected HH:MM:SS");
  int hh, mm, ss;
  if (!ReadDigits(p + 11, 2, &hh) || p[13] != ':' || !ReadDigits(p + 14, 2, &mm) || p[16] != ':' ||
      !ReadDigits(p + 17, 2, &ss)) {
    return BadTimestamp(s, "expected HH:MM:SS");
  }
  if (hh > 23 || mm > 59 || ss > 60) return BadTimestamp(s, "time of day out of range");
  ms += hh * kHourMs + mm * kMinuteMs + std::min(ss, 59) * kSecondMs;
  size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int frac_ms = 0, digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (digits < 3) frac_ms = frac_ms * 10 + (s[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0) return BadTimestamp(s, "empty fraction of a second");
    for (int k = digits; k < 3; ++k) frac_ms *= 10;
    ms += frac_ms;
  }
  if (i == s.size()) return BadTimestamp(s, "missing time zone (use Z or +HH:MM)");
  if (s[i] == 'Z' || s[i] == 'z') {
    if (i + 1 != s.size()) return BadTimestamp(s, "trailing characters");
    return InRange(s, ms);
  }
  if ((s[i] == '+' || s[i] == '-') && i + 6 == s.size() && s[i + 3] == ':') {
    int oh, om;
    if (!ReadDigits(p + i + 1, 2, &oh) || !ReadDigits(p + i + 4, 2, &om) || oh > 23 || om > 59) {
      return BadTimestamp(s, "bad UTC offset");
    }
    int64_t offset = oh * kHourMs + om * kMinuteMs;
    return InRange(s, s[i] == '+' ? ms - offset : ms + offset);
  }
  return BadTimestamp(s, "bad time zone");
}

std::string FormatTimestamp(TimeMs t) {
  int64_t rest = t % kDayMs;  // floor division, without overflow
  int64_t days = t / kDayMs;
  if (rest < 0) {
    rest += kDayMs;
    --days;
  }
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  int hh = static_cast<int>(rest / kHourMs);
  int mi = static_cast<int>(rest / kMinuteMs % 60);
  int ss = static_cast<int>(rest / kSecondMs % 60);
  int ms = static_cast<int>(rest % 1000);
  char buf[40];
  if (ms == 0) {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02dZ", static_cast<long long>(y), m,
                  d, hh, mi, ss);
  } else {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ",
                  static_cast<long long>(y), m, d, hh, mi, ss, ms);
  }
  return buf;
}

namespace {

Status BadDuration(std::string_view text, const std::string& why) {
  return InvalidArgument("bad duration '" + std::string(text.substr(0, 40)) + "': " + why);
}

}  // namespace

Result<int64_t> ParseDuration(std::string_view s) {
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || ptr == s.data()) {
    return BadDuration(s, "expected e.g. 5m, 1h, 1d");
  }
  std::string_view unit(ptr, s.data() + s.size() - ptr);
  int64_t scale = 0;
  if (unit == "ms")
    scale = 1;
  else if (unit == "s")
    scale = kSecondMs;
  else if (unit == "m" || unit == "min")
    scale = kMinuteMs;
  else if (unit == "h")
    scale = kHourMs;
  else if (unit == "d")
    scale = kDayMs;
  else if (unit == "w")
    scale = 7 * kDayMs;
  else
    return BadDuration(s, "unit must be ms, s, m, h, d or w");
  if (n <= 0) return BadDuration(s, "must be positive");
  // Checked before multiplying: `9223372036854775807w` must be an error, not a negative width.
  if (n > kMaxDurationMs / scale) {
    return BadDuration(
        s, "longer than " + FormatDuration(kMaxDurationMs) + " (the supported time range)");
  }
  return n * scale;
}

std::string FormatDuration(int64_t ms) {
  struct Unit {
    int64_t size;
    const char* name;
  };
  static constexpr Unit kUnits[] = {{7 * kDayMs, "w"}, {kDayMs, "d"},    {kHourMs, "h"},
                                    {kMinuteMs, "m"},  {kSecondMs, "s"}, {1, "ms"}};
  for (const Unit& u : kUnits) {
    if (ms != 0 && ms % u.size == 0) return std::to_string(ms / u.size) + u.name;
  }
  return std::to_string(ms) + "ms";
}

TimeMs WallClockNow() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace vigil
