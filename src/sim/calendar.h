// Local time of the simulated locales: standard offsets plus daylight-saving rules.
#pragma once

#include <vector>

#include "sim/scenario.h"
#include "vigil/time.h"

namespace vigil::sim {

/// Day of the week of a day count since 1970-01-01, Monday = 0 .. Sunday = 6.
inline int Weekday(int64_t days) { return static_cast<int>(((days + 3) % 7 + 7) % 7); }

/// Floor division of a time by one day.
inline int64_t DayOf(TimeMs t) { return t >= 0 ? t / kDayMs : (t - kDayMs + 1) / kDayMs; }

/// The locale's UTC offset in minutes at UTC time `t` (standard offset, plus 60 in DST).
int UtcOffsetMinutes(const LocaleSpec& locale, TimeMs t);

/// The instants in [from, to) at which the locale's offset changes.
std::vector<TimeMs> DstTransitions(const LocaleSpec& locale, TimeMs from, TimeMs to);

}  // namespace vigil::sim
