// A fleet on two sides of the world: each locale's traffic follows its own clock, with quiet
// weekend mornings. All traffic and each platform mix both clocks; their weekend starts on Friday
// afternoon in UTC. Neither that nor a holiday in one locale is a fall of a platform's traffic.
#include <gtest/gtest.h>

#include <functional>

#include "support/test_data.h"
#include "vigil/pipeline.h"

namespace vigil {
namespace {

constexpr TimeMs kMonday = 1775433600000;  // 2026-04-06T00:00:00Z, clear of DST changes

// Turns per hour relative to the day's mean: nights are quiet, weekend mornings too.
double Shape(int64_t local_hour, bool weekend) {
  int64_t wake = weekend ? 10 : 7;
  if (local_hour < wake - 2) return 0.1;
  if (local_hour <= wake) return 0.1 + 0.45 * static_cast<double>(local_hour - wake + 3);
  return 1.4;
}

struct Locale {
  const char* name;
  const char* zone;
  double phone, tv;  // turns per busy hour on each platform
};

// `factor(t, locale)` scales a locale's traffic (1: as usual).
Cube FleetCube(int days, const std::function<double(TimeMs, const std::string&)>& factor) {
  Cube cube(testing::SmallConfig(R"(
monitors:
  - {metric: volume, slices: [all, a, b], direction: both, granularity: 1h,
     min_relative_effect: 0.3}
detect:
  zone_dimension: a
  timezones: {en-US: America/New_York, ja-JP: Asia/Tokyo}
)"));
  const Locale locales[] = {{"en-US", "America/New_York", 300, 30},
                            {"ja-JP", "Asia/Tokyo", 300, 300}};
  std::mt19937 rng(7);
  for (const Locale& l : locales) {
    TimeZone zone = *TimeZone::Load(l.zone);
    for (int64_t h = 0; h < days * 24; ++h) {
      TimeMs t = kMonday + h * kHourMs;
      TimeMs local = t + zone.OffsetAt(t);
      int64_t day = local / kDayMs;
      bool weekend = (day + 3) % 7 >= 5;
      double scale = Shape((local % kDayMs) / kHourMs, weekend) * factor(t, l.name);
      for (const auto& [platform, rate] : {std::pair{"phone", l.phone}, std::pair{"tv", l.tv}}) {
        int n = std::poisson_distribution<int>(rate * scale)(rng);
        for (int i = 0; i < n; ++i) {
          testing::RawEvent e{
              t + i * kHourMs / std::max(n, 1), l.name, platform, "c1", 100, false, "ok", "d1"};
          EXPECT_TRUE(cube.Add(testing::ToEvent(e)).ok());
        }
      }
    }
  }
  return cube;
}

std::vector<Anomaly> VolumeAnomalies(const Cube& cube) {
  auto found = FindAnomalies(cube);
  EXPECT_TRUE(found.ok()) << found.status().message();
  std::vector<Anomaly> out;
  if (found.ok()) {
    for (const Anomaly& a : found->anomalies)
      if (a.metric == "volume") out.push_back(a);
  }
  return out;
}

TEST(ZonesTest, AFleetsWeekendIsNotAFallOfItsTraffic) {
  Cube cube = FleetCube(12, [](TimeMs, const std::string&) { return 1.0; });
  for (const Anomaly& a : VolumeAnomalies(cube)) {
    ADD_FAILURE() << "volume on " << FormatSlice(a.slice) << " from " << FormatTimestamp(a.start)
                  << " changed " << a.relative_change;
  }
}

TEST(ZonesTest, AHolidayInOneLocaleStaysOnThatLocale) {
  // Japan's traffic halves for its local Thursday of the second week.
  TimeMs holiday = kMonday + 10 * kDayMs - 9 * kHourMs;
  Cube cube = FleetCube(12, [&](TimeMs t, const std::string& locale) {
    return locale == "ja-JP" && t >= holiday && t < holiday + kDayMs ? 0.5 : 1.0;
  });
  bool on_locale = false;
  for (const Anomaly& a : VolumeAnomalies(cube)) {
    if (a.slice == Slice{{"a", "ja-JP"}}) {
      on_locale = true;
      EXPECT_LT(a.relative_change, -0.3);
      continue;
    }
    // The tv platform is mostly Japanese: it falls too, but without Japan it holds.
    ADD_FAILURE() << "volume on " << FormatSlice(a.slice) << " from " << FormatTimestamp(a.start)
                  << " changed " << a.relative_change;
  }
  EXPECT_TRUE(on_locale);
}

}  // namespace
}  // namespace vigil
