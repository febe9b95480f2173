// Time zones from the system's zoneinfo (TZif files, RFC 8536), so that daily and weekly cycles
// follow local time across DST changes. Written here because libstdc++ 12 has no std::chrono
// time-zone database; the parser reads the 64-bit section and the POSIX rule in the footer.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <sstream>

#include "vigil/time.h"

namespace vigil {
namespace {

int64_t ReadBig(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  if (n == 4) return static_cast<int32_t>(v);
  return static_cast<int64_t>(v);
}

// A POSIX TZ rule like "EST5EDT,M3.2.0,M11.1.0" (only the M-form dates, as tzdata writes them).
struct PosixRule {
  bool valid = false;
  bool has_dst = false;
  int64_t std_offset = 0, dst_offset = 0;  // ms east of UTC
  int start_month = 0, start_week = 0, start_day = 0;
  int64_t start_time = 2 * kHourMs;
  int end_month = 0, end_week = 0, end_day = 0;
  int64_t end_time = 2 * kHourMs;
};

bool ParseName(const std::string& s, size_t* i) {
  if (*i < s.size() && s[*i] == '<') {
    size_t j = s.find('>', *i);
    if (j == std::string::npos) return false;
    *i = j + 1;
    return true;
  }
  size_t start = *i;
  while (*i < s.size() && std::isalpha(static_cast<unsigned char>(s[*i]))) ++*i;
  return *i > start;
}

bool ParseOffset(const std::string& s, size_t* i, int64_t* ms) {  // [+-]hh[:mm[:ss]]
  int sign = 1;
  if (*i < s.size() && (s[*i] == '+' || s[*i] == '-')) sign = s[(*i)++] == '-' ? -1 : 1;
  int parts[3] = {0, 0, 0};
  for (int k = 0; k < 3; ++k) {
    size_t start = *i;
    while (*i < s.size() && std::isdigit(static_cast<unsigned char>(s[*i]))) {
      parts[k] = parts[k] * 10 + (s[(*i)++] - '0');
    }
    if (*i == start) return k > 0;
    if (*i >= s.size() || s[*i] != ':') break;
    ++*i;
  }
  *ms = sign * (parts[0] * kHourMs + parts[1] * kMinuteMs + parts[2] * kSecondMs);
  return true;
}

bool ParseDate(const std::string& s, size_t* i, int* month, int* week, int* day, int64_t* time) {
  if (*i >= s.size() || s[*i] != 'M') return false;
  ++*i;
  int v[3] = {0, 0, 0};
  for (int k = 0; k < 3; ++k) {
    while (*i < s.size() && std::isdigit(static_cast<unsigned char>(s[*i])))
      v[k] = v[k] * 10 + (s[(*i)++] - '0');
    if (k < 2) {
      if (*i >= s.size() || s[*i] != '.') return false;
      ++*i;
    }
  }
  *month = v[0];
  *week = v[1];
  *day = v[2];
  if (*i < s.size() && s[*i] == '/') {
    ++*i;
    if (!ParseOffset(s, i, time)) return false;
  }
  return true;
}

PosixRule ParseRule(const std::string& s) {
  PosixRule r;
  size_t i = 0;
  int64_t off;
  if (!ParseName(s, &i) || !ParseOffset(s, &i, &off)) return r;
  r.std_offset = -off;  // POSIX offsets are west of UTC
  r.valid = true;
  if (i >= s.size()) return r;
  if (!ParseName(s, &i)) return r;
  r.dst_offset = r.std_offset + kHourMs;
  if (i < s.size() && s[i] != ',') {
    if (!ParseOffset(s, &i, &off)) return r;
    r.dst_offset = -off;
  }
  if (i >= s.size() || s[i] != ',') return r;
  ++i;
  if (!ParseDate(s, &i, &r.start_month, &r.start_week, &r.start_day, &r.start_time)) return r;
  if (i >= s.size() || s[i] != ',') return r;
  ++i;
  if (!ParseDate(s, &i, &r.end_month, &r.end_week, &r.end_day, &r.end_time)) return r;
  r.has_dst = true;
  return r;
}

// Local midnight (as days since epoch) of the `week`-th `day` (0 = Sunday) of `month`.
int64_t NthWeekday(int64_t year, int month, int week, int day) {
  int64_t first = DaysFromCivil(year, month, 1);
  int first_dow = static_cast<int>(((first + 4) % 7 + 7) % 7);  // 1970-01-01 was a Thursday
  int64_t d = first + ((day - first_dow) % 7 + 7) % 7 + (week - 1) * int64_t{7};
  int64_t next_month =
      month == 12 ? DaysFromCivil(year + 1, 1, 1) : DaysFromCivil(year, month + 1, 1);
  while (d >= next_month) d -= 7;  // week 5 means the last one
  return d;
}

// The UTC instants at which daylight time starts and ends in `year`: start is written in
// standard local time, end in daylight local time.
void RuleTransitions(const PosixRule& r, int64_t year, TimeMs* start, TimeMs* end) {
  *start = NthWeekday(year, r.start_month, r.start_week, r.start_day) * kDayMs + r.start_time -
           r.std_offset;
  *end = NthWeekday(year, r.end_month, r.end_week, r.end_day) * kDayMs + r.end_time - r.dst_offset;
}

// The local year that holds UTC time `t` under the rule's standard offset.
int64_t RuleYear(const PosixRule& r, TimeMs t) {
  int64_t local = t + r.std_offset;
  int64_t days = local / kDayMs - (local % kDayMs < 0 ? 1 : 0);
  int64_t year = 1970 + days / 365;  // refine below
  while (DaysFromCivil(year, 1, 1) > days) --year;
  while (DaysFromCivil(year + 1, 1, 1) <= days) ++year;
  return year;
}

int64_t RuleOffset(const PosixRule& r, TimeMs t) {
  if (!r.has_dst) return r.std_offset;
  TimeMs start, end;
  RuleTransitions(r, RuleYear(r, t), &start, &end);
  bool dst = start < end ? (t >= start && t < end) : (t >= start || t < end);  // southern zones
  return dst ? r.dst_offset : r.std_offset;
}

}  // namespace

TimeZone TimeZone::Utc() { return TimeZone(); }

Result<TimeZone> TimeZone::Load(const std::string& name) {
  TimeZone tz;
  tz.name_ = name;
  if (name == "UTC" || name == "Etc/UTC" || name.empty()) return tz;
  if (name.find("..") != std::string::npos || name.front() == '/') {
    return InvalidArgument("bad time zone name '" + name + "'");
  }
  std::string path = "/usr/share/zoneinfo/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("unknown time zone '" + name + "' (no " + path + "; install tzdata)");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string data = ss.str();
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  auto bad = [&] { return Corruption(path + ": not a valid TZif file"); };
  if (n < 44 || std::memcmp(p, "TZif", 4) != 0) return bad();
  auto counts = [&](size_t at, int64_t c[6]) {
    for (int k = 0; k < 6; ++k) c[k] = ReadBig(p + at + 20 + 4 * static_cast<ptrdiff_t>(k), 4);
  };
  int64_t c[6];
  counts(0, c);
  size_t v1_size = c[3] * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0];
  bool v2 = p[4] >= '2';
  size_t at = 44;
  int time_size = 4;
  if (v2) {
    at = 44 + v1_size;
    if (n < at + 44 || std::memcmp(p + at, "TZif", 4) != 0) return bad();
    counts(at, c);
    at += 44;
    time_size = 8;
  }
  int64_t isut = c[0], isstd = c[1], leap = c[2], timecnt = c[3], typecnt = c[4], charcnt = c[5];
  size_t need =
      timecnt * (time_size + 1) + typecnt * 6 + charcnt + leap * (time_size + 4) + isstd + isut;
  if (typecnt <= 0 || n < at + need) return bad();
  const unsigned char* times = p + at;
  const unsigned char* idx = times + timecnt * time_size;
  const unsigned char* types = idx + timecnt;
  auto type_offset = [&](int k) {
    return ReadBig(types + 6 * static_cast<ptrdiff_t>(k), 4) * kSecondMs;
  };
  tz.initial_offset_ = type_offset(0);
  for (int64_t k = 0; k < timecnt; ++k) {
    int type = idx[k];
    if (type >= typecnt) return bad();
    tz.transitions_.push_back(ReadBig(times + k * time_size, time_size) * kSecondMs);
    tz.offsets_.push_back(type_offset(type));
  }
  if (v2) {
    size_t footer = at + need;
    if (footer < n && p[footer] == '\n') {
      size_t end = data.find('\n', footer + 1);
      std::string rule =
          data.substr(footer + 1, end == std::string::npos ? std::string::npos : end - footer - 1);
      PosixRule r = ParseRule(rule);
      if (r.valid) {
        // Extend the table with the rule's transitions after the last one, to the end of the
        // supported range: two candidate instants a year, not a scan of every hour.
        TimeMs from = tz.transitions_.empty() ? 0 : tz.transitions_.back();
        auto extend = [&](TimeMs t) {
          int64_t off = RuleOffset(r, t);
          int64_t current = tz.offsets_.empty() ? tz.initial_offset_ : tz.offsets_.back();
          if (off != current) {
            tz.transitions_.push_back(t);
            tz.offsets_.push_back(off);
          }
        };
        if (!r.has_dst) {
          extend(from + kHourMs);
        } else {
          for (int64_t year = RuleYear(r, from); year <= 2200; ++year) {
            TimeMs dst_start, dst_end;
            RuleTransitions(r, year, &dst_start, &dst_end);
            for (TimeMs t : {std::min(dst_start, dst_end), std::max(dst_start, dst_end)}) {
              if (t > from && t < kMaxTime) extend(t);
            }
          }
        }
      }
    }
  }
  return tz;
}

int64_t TimeZone::OffsetAt(TimeMs t) const {
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), t);
  if (it == transitions_.begin()) return initial_offset_;
  return offsets_[it - transitions_.begin() - 1];
}

}  // namespace vigil
