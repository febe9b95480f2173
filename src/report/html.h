// Private helpers of the report module: local-time and value formatting for people, and a small
// builder that keeps HTML escaping in one place.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "vigil/cube.h"
#include "vigil/detect.h"
#include "vigil/time.h"

namespace vigil::internal {

/// The report's embedded assets by file name (generated at build time from src/report/assets).
std::string_view ReportAsset(std::string_view file);

/// A civil date and time of day.
struct CivilTime {
  int64_t year = 1970;
  int month = 1, day = 1, hour = 0, minute = 0;
  int weekday = 4;  ///< 0 Sunday .. 6 Saturday
};

/// The civil time of `t` shifted by `offset_ms` (local time in a zone).
CivilTime ToCivil(TimeMs t, int64_t offset_ms);

/// "Mar 2", "14:05", "2026-03-02 14:05" in local time.
std::string MonthDay(const CivilTime& c);
std::string HourMinute(const CivilTime& c);
std::string DateTime(const CivilTime& c);

/// "UTC", "UTC+01:00", "UTC−05:30".
std::string OffsetName(int64_t offset_ms);

/// A time for people in a zone: "2026-03-02 14:05 UTC" or "2026-03-02 15:05 (Europe/Berlin)".
std::string LocalTimeLabel(TimeMs t, const TimeZone& zone);

/// A metric value for people with its unit: "1,131 ms", "2.41 %", "12,400 devices", "-" for NaN.
std::string HumanValue(double v, const std::string& unit);

/// A compact axis label: "1.2k", "2.5 %", "850".
std::string AxisValue(double v, const std::string& unit, double step);

/// "+37.9 %" from 0.379.
std::string SignedPercent(double fraction);

/// "+0.21" or "−0.08" (a true minus sign) with `decimals` decimals; "-" for NaN.
std::string SignedNumber(double v, int decimals);

/// "93 %" or "4.5 %" from a fraction.
std::string Percent(double fraction);

/// Number with thousands separators and at most `decimals` decimals ("12,400", "3.5").
std::string Number(double v, int decimals);

/// Slice in the `platform=watchOS,asr_model=asr-42` form (`all` when empty).
std::string SliceText(const Slice& slice);

/// `id` attribute safe form of any text (letters, digits, '-' and '_').
std::string AnchorId(std::string_view text);

}  // namespace vigil::internal
