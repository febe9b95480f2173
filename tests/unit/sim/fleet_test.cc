// The fleet model against its configuration: traffic shares per locale, diurnal peaks in local
// time, stage latency quantiles per device model and ASR mode, and local-time rules.
#include "sim/fleet.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "sim/calendar.h"
#include "sim/scenario.h"

namespace vigil::sim {
namespace {

double Quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(q * (v.size() - 1) + 0.5);
  return v[i];
}

std::vector<SimEvent> Generate(Fleet& fleet) {
  std::vector<SimEvent> events;
  for (int64_t m = 0; m < fleet.Minutes(); ++m) fleet.GenerateMinute(m, &events);
  return events;
}

std::unique_ptr<Fleet> Make(const Scenario& s, int days, int64_t per_day, uint64_t seed = 3) {
  Fleet::Options o;
  o.start = s.start;
  o.days = days;
  o.events_per_day = per_day;
  o.seed = seed;
  auto f = Fleet::Create(s, o);
  EXPECT_TRUE(f.ok()) << f.status().message();
  return std::move(f).value();
}

// Three locales without DST or holidays, one sharp evening peak at 20:00 local every day.
constexpr const char* kTrafficScenario = R"(
name: traffic
start: 2026-03-02
diurnal: [0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.3, 0.5, 0.7, 0.8, 0.8, 0.8,
          0.8, 0.8, 0.8, 0.8, 0.9, 1.0, 1.5, 2.0, 3.0, 2.0, 1.0, 0.4]
weekend_diurnal: [0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.3, 0.5, 0.7, 0.8, 0.8, 0.8,
                  0.8, 0.8, 0.8, 0.8, 0.9, 1.0, 1.5, 2.0, 3.0, 2.0, 1.0, 0.4]
weekly: [1.0, 1.0, 1.1, 1.0, 1.2, 0.8, 0.7]
locales:
  - {name: en-US, share: 0.5, utc_offset: "-05:00", dst: none, regions: {us-east: 1}}
  - {name: ja-JP, share: 0.3, utc_offset: "+09:00", regions: {ap-northeast: 1}}
  - {name: hi-IN, share: 0.2, utc_offset: "+05:30", regions: {ap-south: 1}}
)";

TEST(FleetTest, LocaleSharesMatchTheConfiguredOnesOverWholeWeeks) {
  auto s = ParseScenario(kTrafficScenario, "traffic");
  ASSERT_TRUE(s.ok()) << s.status().message();
  auto fleet = Make(*s, 7, 30000);
  auto events = Generate(*fleet);
  EXPECT_NEAR(static_cast<double>(events.size()), 7 * 30000, 7 * 30000 * 0.02);
  std::vector<double> count(3, 0);
  for (const auto& e : events) count[e.dims[static_cast<int>(Dim::kLocale)]] += 1;
  const double shares[] = {0.5, 0.3, 0.2};
  for (int l = 0; l < 3; ++l) {
    EXPECT_NEAR(count[l] / events.size(), shares[l], 0.01) << fleet->Values(Dim::kLocale)[l];
  }
}

TEST(FleetTest, DiurnalPeaksAreInLocalTime) {
  auto s = ParseScenario(kTrafficScenario, "traffic");
  ASSERT_TRUE(s.ok());
  auto fleet = Make(*s, 7, 30000);
  auto events = Generate(*fleet);
  const int offsets_min[] = {-300, 540, 330};
  const int utc_peak[] = {1, 11, 14};  // 20:00 local in UTC (hi-IN: 14:30)
  std::vector<std::array<int, 24>> local(3), utc(3);
  for (auto& a : local) a.fill(0);
  for (auto& a : utc) a.fill(0);
  for (const auto& e : events) {
    int l = e.dims[static_cast<int>(Dim::kLocale)];
    local[l][((e.ts + offsets_min[l] * kMinuteMs) / kHourMs) % 24]++;
    utc[l][(e.ts / kHourMs) % 24]++;
  }
  for (int l = 0; l < 3; ++l) {
    int peak =
        static_cast<int>(std::max_element(local[l].begin(), local[l].end()) - local[l].begin());
    EXPECT_EQ(peak, 20) << fleet->Values(Dim::kLocale)[l];
    int upeak = static_cast<int>(std::max_element(utc[l].begin(), utc[l].end()) - utc[l].begin());
    EXPECT_LE(std::abs(upeak - utc_peak[l]), 1) << fleet->Values(Dim::kLocale)[l];
    // Night trough well below the peak.
    EXPECT_LT(local[l][3] * 5, local[l][20]);
  }
}

TEST(FleetTest, StageLatencyQuantilesFollowDeviceSpeedAndMode) {
  Scenario s = DefaultScenario();
  s.load_sensitivity = 0;  // server stages then have exactly their configured distribution
  auto fleet = Make(s, 1, 400000);
  auto events = Generate(*fleet);
  // (model, mode, stage) → values
  std::map<std::tuple<int, int, int>, std::vector<double>> values;
  for (const auto& e : events) {
    if (e.dims[static_cast<int>(Dim::kAsrModel)] != fleet->ValueIndex(Dim::kAsrModel, "asr-42"))
      continue;
    for (int st : {0, 1, 2, 3}) {
      if (e.Has(st)) {
        values[{e.dims[static_cast<int>(Dim::kDeviceModel)],
                e.dims[static_cast<int>(Dim::kAsrMode)], st}]
            .push_back(e.latency[st]);
      }
    }
  }
  std::map<std::string, double> speed;
  for (const auto& p : s.platforms) {
    for (const auto& m : p.device_models) speed[m.name] = m.speed;
  }
  int checked = 0;
  for (const auto& [key, v] : values) {
    auto [model, mode, st] = key;
    if (v.size() < 5000) continue;  // p95 standard error below 2 %
    const std::string& name = fleet->Values(Dim::kDeviceModel)[model];
    bool at_device = mode == 0 || st == 0;
    if (!at_device && st == 1) continue;  // server ASR adds a network round trip
    const LatencySpec& spec = at_device ? s.stages[st].on_device : s.stages[st].server;
    double f = at_device ? speed[name] : 1.0;
    SCOPED_TRACE(name + " mode " + std::to_string(mode) + " stage " +
                 StageName(static_cast<Stage>(st)));
    EXPECT_NEAR(Quantile(v, 0.50) / (spec.p50 * f), 1.0, 0.04);
    EXPECT_NEAR(Quantile(v, 0.95) / (spec.p95 * f), 1.0, 0.07);
    ++checked;
  }
  EXPECT_GE(checked, 20);
}

TEST(FleetTest, ServerLatencyRisesWithLoad) {
  Scenario s = DefaultScenario();
  s.load_sensitivity = 0.5;
  auto fleet = Make(s, 1, 100000);
  auto events = Generate(*fleet);
  const int east = fleet->ValueIndex(Dim::kRegion, "us-east");
  std::array<std::vector<double>, 24> by_hour;
  for (const auto& e : events) {
    if (e.dims[static_cast<int>(Dim::kRegion)] == east &&
        e.dims[static_cast<int>(Dim::kAsrMode)] == 1 && e.Has(2)) {
      by_hour[(e.ts / kHourMs) % 24].push_back(e.latency[2]);
    }
  }
  // en-US evening (01:00 UTC) is busier than its night (09:00 UTC).
  EXPECT_GT(Quantile(by_hour[1], 0.5), 1.15 * Quantile(by_hour[9], 0.5));
}

TEST(FleetTest, DevicesRepeatAndKeepTheirAttributes) {
  auto s = LoadScenario("smoke");
  ASSERT_TRUE(s.ok());
  auto fleet = Make(*s, 1, 20000);
  auto events = Generate(*fleet);
  std::map<uint64_t, std::pair<int, int>> seen;  // device → (model, count)
  for (const auto& e : events) {
    auto& [model, count] = seen[e.device_id];
    if (count > 0) {
      EXPECT_EQ(model, e.dims[static_cast<int>(Dim::kDeviceModel)]);
    }
    model = e.dims[static_cast<int>(Dim::kDeviceModel)];
    ++count;
  }
  int max_count = 0;
  for (const auto& [d, mc] : seen) max_count = std::max(max_count, mc.second);
  EXPECT_LT(seen.size(), events.size() / 2);  // repeat usage
  EXPECT_GT(max_count, 10);                   // a few heavy users
}

TEST(CalendarTest, DaylightSavingRules) {
  LocaleSpec us{"en-US", 1, -300, DstRule::kUs, {}, {}};
  TimeMs change = *ParseTimestamp("2026-03-08T07:00:00Z");
  EXPECT_EQ(UtcOffsetMinutes(us, change - 1), -300);
  EXPECT_EQ(UtcOffsetMinutes(us, change), -240);
  EXPECT_EQ(UtcOffsetMinutes(us, *ParseTimestamp("2026-11-01T05:59:59Z")), -240);
  EXPECT_EQ(UtcOffsetMinutes(us, *ParseTimestamp("2026-11-01T06:00:00Z")), -300);
  LocaleSpec de{"de-DE", 1, 60, DstRule::kEu, {}, {}};
  EXPECT_EQ(UtcOffsetMinutes(de, *ParseTimestamp("2026-03-29T00:59:59Z")), 60);
  EXPECT_EQ(UtcOffsetMinutes(de, *ParseTimestamp("2026-03-29T01:00:00Z")), 120);
  LocaleSpec au{"en-AU", 1, 600, DstRule::kAu, {}, {}};
  EXPECT_EQ(UtcOffsetMinutes(au, *ParseTimestamp("2026-03-02T00:00:00Z")), 660);
  EXPECT_EQ(UtcOffsetMinutes(au, *ParseTimestamp("2026-06-01T00:00:00Z")), 600);
  auto t = DstTransitions(us, *ParseTimestamp("2026-03-02"), *ParseTimestamp("2026-03-16"));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0], change);
}

}  // namespace
}  // namespace vigil::sim
