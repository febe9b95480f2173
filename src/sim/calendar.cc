#include "sim/calendar.h"

namespace vigil::sim {
namespace {

int64_t YearOf(int64_t days) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  return yoe + era * 400 + (month <= 2);
}

int64_t NthSunday(int64_t year, unsigned month, int n) {
  int64_t first = DaysFromCivil(year, month, 1);
  return first + (6 - Weekday(first) + 7) % 7 + int64_t{7} * (n - 1);
}

int64_t LastSunday(int64_t year, unsigned month) {
  int64_t last =
      month == 12 ? DaysFromCivil(year + 1, 1, 1) - 1 : DaysFromCivil(year, month + 1, 1) - 1;
  return last - (Weekday(last) + 1) % 7;
}

// [begin, end) of daylight time in `year`, in UTC; for the southern rule, the standard-time
// interval instead (DST spans the new year).
std::pair<TimeMs, TimeMs> Window(DstRule rule, int std_offset_min, int64_t year) {
  const int64_t off = static_cast<int64_t>(std_offset_min) * kMinuteMs;
  switch (rule) {
    case DstRule::kUs:
      return {NthSunday(year, 3, 2) * kDayMs + 2 * kHourMs - off,
              NthSunday(year, 11, 1) * kDayMs + 1 * kHourMs - off};
    case DstRule::kEu:
      return {LastSunday(year, 3) * kDayMs + kHourMs, LastSunday(year, 10) * kDayMs + kHourMs};
    case DstRule::kAu:
      return {NthSunday(year, 4, 1) * kDayMs + 2 * kHourMs - off,
              NthSunday(year, 10, 1) * kDayMs + 2 * kHourMs - off};
    case DstRule::kNone:
      break;
  }
  return {0, 0};
}

}  // namespace

int UtcOffsetMinutes(const LocaleSpec& locale, TimeMs t) {
  if (locale.dst == DstRule::kNone) return locale.utc_offset_minutes;
  auto [a, b] = Window(locale.dst, locale.utc_offset_minutes, YearOf(DayOf(t)));
  bool in_window = t >= a && t < b;
  bool dst = locale.dst == DstRule::kAu ? !in_window : in_window;
  return locale.utc_offset_minutes + (dst ? 60 : 0);
}

std::vector<TimeMs> DstTransitions(const LocaleSpec& locale, TimeMs from, TimeMs to) {
  std::vector<TimeMs> out;
  if (locale.dst == DstRule::kNone || to <= from) return out;
  for (int64_t y = YearOf(DayOf(from)); y <= YearOf(DayOf(to)); ++y) {
    auto [a, b] = Window(locale.dst, locale.utc_offset_minutes, y);
    for (TimeMs t : {a, b}) {
      if (t >= from && t < to) out.push_back(t);
    }
  }
  return out;
}

}  // namespace vigil::sim
