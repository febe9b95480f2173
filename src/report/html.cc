#include "report/html.h"

#include <fmt/format.h>

#include <cmath>

#include "common/text.h"
#include "vigil/report.h"

namespace vigil {

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string_view ReportStylesheet() { return internal::ReportAsset("report.css"); }
std::string_view PlotScript() { return internal::ReportAsset("plot.js"); }

namespace internal {
namespace {

constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

}  // namespace

CivilTime ToCivil(TimeMs t, int64_t offset_ms) {
  TimeMs local = t + offset_ms;
  int64_t days = local >= 0 ? local / kDayMs : (local - kDayMs + 1) / kDayMs;
  int64_t ms_of_day = local - days * kDayMs;
  CivilTime c;
  c.hour = static_cast<int>(ms_of_day / kHourMs);
  c.minute = static_cast<int>(ms_of_day % kHourMs / kMinuteMs);
  c.weekday = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
  // Days to a proleptic Gregorian date, by 400-year eras starting on March 1st.
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  c.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = yoe + era * 400 + (c.month <= 2 ? 1 : 0);
  return c;
}

std::string MonthDay(const CivilTime& c) {
  return fmt::format("{} {}", kMonths[c.month - 1], c.day);
}

std::string HourMinute(const CivilTime& c) { return fmt::format("{:02}:{:02}", c.hour, c.minute); }

std::string DateTime(const CivilTime& c) {
  return fmt::format("{}-{:02}-{:02} {:02}:{:02}", c.year, c.month, c.day, c.hour, c.minute);
}

std::string OffsetName(int64_t offset_ms) {
  if (offset_ms == 0) return "UTC";
  int64_t minutes = std::abs(offset_ms) / kMinuteMs;
  return fmt::format("UTC{}{:02}:{:02}", offset_ms < 0 ? "\u2212" : "+", minutes / 60,
                     minutes % 60);
}

std::string LocalTimeLabel(TimeMs t, const TimeZone& zone) {
  int64_t offset = zone.OffsetAt(t);
  std::string when = DateTime(ToCivil(t, offset));
  if (zone.name() == "UTC") return when + " UTC";
  return when + " " + OffsetName(offset);
}

std::string Number(double v, int decimals) {
  if (std::isnan(v)) return "-";
  std::string s = fmt::format("{:.{}f}", std::abs(v), decimals);
  if (decimals > 0) {  // 3.50 → 3.5, 2.00 → 2
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  size_t dot = s.find('.');
  std::string whole = s.substr(0, dot);
  std::string grouped;
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) grouped += ',';
    grouped += whole[i];
  }
  if (dot != std::string::npos) grouped += s.substr(dot);
  bool negative = v < 0 && grouped.find_first_not_of("0.,") != std::string::npos;
  return (negative ? "-" : "") + grouped;
}

std::string HumanValue(double v, const std::string& unit) {
  if (std::isnan(v)) return "-";
  if (unit == "ratio") {
    double p = 100 * v;
    return Number(p, std::abs(p) >= 10 ? 1 : 2) + " %";
  }
  if (unit == "ms") return Number(v, std::abs(v) >= 100 ? 0 : 1) + " ms";
  int decimals = v == std::floor(v) ? 0 : (std::abs(v) >= 100 ? 0 : 2);
  std::string n = Number(v, decimals);
  return unit.empty() ? n : n + " " + unit;
}

std::string AxisValue(double v, const std::string& unit, double step) {
  if (std::abs(v) < step * 1e-6) v = 0;
  if (unit == "ratio") {
    double p = 100 * v, s = 100 * step;
    int decimals = s >= 1 ? 0 : s >= 0.1 ? 1 : s >= 0.01 ? 2 : 3;
    return Number(p, decimals) + " %";
  }
  double a = std::abs(v);
  if (a >= 1e6) return Number(v / 1e6, step >= 1e6 ? 0 : 1) + "M";
  if (a >= 1e4) return Number(v / 1e3, step >= 1e3 ? 0 : 1) + "k";
  int decimals = step >= 1 ? 0 : step >= 0.1 ? 1 : step >= 0.01 ? 2 : 3;
  return Number(v, decimals);
}

std::string SignedPercent(double fraction) {
  if (std::isnan(fraction)) return "-";
  double p = 100 * fraction;
  return (p >= 0 ? "+" : "\u2212") + Number(std::abs(p), std::abs(p) >= 10 ? 0 : 1) + " %";
}

std::string SignedNumber(double v, int decimals) {
  if (std::isnan(v)) return "-";
  return (v >= 0 ? "+" : "\u2212") + fmt::format("{:.{}f}", std::abs(v), decimals);
}

std::string Percent(double fraction) {
  if (std::isnan(fraction)) return "-";
  double p = 100 * fraction;
  return Number(p, std::abs(p) >= 10 ? 0 : 1) + " %";
}

std::string SliceText(const Slice& slice) { return FormatSlice(slice); }

std::string AnchorId(std::string_view text) {
  std::string out;
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    out += ok ? c : '_';
  }
  return out;
}

}  // namespace internal
}  // namespace vigil
