// Investigate is its steps in order: the anomalies FindAnomalies reports, those with an onset in
// the range grouped, then explained. A failure regression injected on one slice is the case.
#include <gtest/gtest.h>

#include <algorithm>

#include "support/test_data.h"
#include "vigil/pipeline.h"

namespace vigil {
namespace {

constexpr TimeMs kStart = 1772409600000;  // 2026-03-02T00:00:00Z
constexpr TimeMs kOnset = kStart + 2 * kDayMs + 12 * kHourMs;

Cube RegressedCube() {
  Cube cube(testing::SmallConfig(R"(
monitors:
  - {metric: fail_rate, slices: [all, a], granularity: 1h, direction: up, min_volume: 20}
  - {metric: lat_p95, slices: [all, a], granularity: 1h, direction: up}
detect: {warmup: 1h}
)"));
  for (testing::RawEvent& e : testing::RandomEvents(30000, 5, kStart, 3 * 1440)) {
    // From the onset, most turns of a=a1 fail.
    if (e.time >= kOnset && e.a == "a1" && e.time % 10 < 7) e.outcome = "error";
    EXPECT_TRUE(cube.Add(testing::ToEvent(e)).ok());
  }
  return cube;
}

TEST(InvestigateTest, IsItsStepsInOrder) {
  Cube cube = RegressedCube();
  auto all = Investigate(cube);
  ASSERT_TRUE(all.ok()) << all.status().message();
  ASSERT_FALSE(all->incidents.empty());
  auto found = FindAnomalies(cube);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(all->detection.anomalies.size(), found->anomalies.size());
  EXPECT_TRUE(std::is_sorted(found->anomalies.begin(), found->anomalies.end(),
                             [](const Anomaly& a, const Anomaly& b) { return a.start < b.start; }));

  std::vector<Incident> stepwise = GroupIncidents(found->anomalies);
  ASSERT_TRUE(ExplainIncidents(cube, {}, &stepwise).ok());
  ASSERT_EQ(stepwise.size(), all->incidents.size());
  for (size_t i = 0; i < stepwise.size(); ++i) {
    EXPECT_EQ(stepwise[i].id, all->incidents[i].id);
    EXPECT_EQ(stepwise[i].severity, all->incidents[i].severity);
    EXPECT_EQ(stepwise[i].summary, all->incidents[i].summary);
    EXPECT_FALSE(all->incidents[i].summary.empty());
  }
  bool regression_found =
      std::any_of(all->incidents.begin(), all->incidents.end(), [](const Incident& inc) {
        return inc.primary.metric == "fail_rate" && inc.primary.slice == Slice{{"a", "a1"}};
      });
  EXPECT_TRUE(regression_found);
}

// A service's rounds keep the evidence of incidents that ended: each round words every incident
// as a round without the cache does, and the ended ones are not read again.
TEST(InvestigateTest, EvidenceKeptForEndedIncidentsIsWhatExplainingAgainGives) {
  auto config = testing::SmallConfig(R"(
monitors:
  - {metric: fail_rate, slices: [all, a, b], granularity: 1h, direction: up, min_volume: 20}
  - {metric: lat_p95, slices: [all, a], granularity: 1h, direction: up}
detect: {warmup: 1h}
)");
  // Six hours of failures on a=a1, then back to normal.
  std::vector<testing::RawEvent> events = testing::RandomEvents(40000, 5, kStart, 4 * 1440);
  for (testing::RawEvent& e : events) {
    if (e.time >= kOnset && e.time < kOnset + 6 * kHourMs && e.a == "a1" && e.time % 10 < 7)
      e.outcome = "error";
  }
  std::sort(events.begin(), events.end(),
            [](const testing::RawEvent& x, const testing::RawEvent& y) { return x.time < y.time; });
  Cube cube(config);
  DetectionState state;
  EvidenceCache cache;
  size_t next = 0, hits = 0;
  bool ended_regression = false;
  for (TimeMs end = kOnset + 2 * kHourMs; end <= kStart + 4 * kDayMs; end += 2 * kHourMs) {
    for (; next < events.size() && events[next].time < end; ++next)
      ASSERT_TRUE(cube.Add(testing::ToEvent(events[next])).ok());
    InvestigateOptions round;
    round.data_end = end;
    round.state = &state;
    round.evidence_cache = &cache;
    auto kept = Investigate(cube, round);
    ASSERT_TRUE(kept.ok()) << kept.status().message();
    InvestigateOptions fresh;
    fresh.data_end = end;
    auto again = Investigate(cube, fresh);
    ASSERT_TRUE(again.ok());
    ASSERT_EQ(kept->incidents.size(), again->incidents.size()) << FormatTimestamp(end);
    for (size_t i = 0; i < kept->incidents.size(); ++i) {
      EXPECT_EQ(kept->incidents[i].id, again->incidents[i].id);
      EXPECT_EQ(kept->incidents[i].summary, again->incidents[i].summary) << FormatTimestamp(end);
      EXPECT_EQ(kept->incidents[i].severity, again->incidents[i].severity);
      EXPECT_EQ(kept->incidents[i].evidence.root_causes.size(),
                again->incidents[i].evidence.root_causes.size());
      ended_regression |=
          kept->incidents[i].primary.slice == Slice{{"a", "a1"}} && kept->incidents[i].end != 0;
    }
    hits += cache.hits();
    EXPECT_LE(cache.size(), kept->incidents.size());  // what the round used, nothing older
  }
  EXPECT_TRUE(ended_regression);
  EXPECT_GT(hits, 5u);
  cache.Clear();
  EXPECT_EQ(cache.size(), 0u);
}

TEST(InvestigateTest, TheRangeSelectsOnsetsButDetectionSeesEverything) {
  Cube cube = RegressedCube();
  auto all = Investigate(cube);
  ASSERT_TRUE(all.ok());
  InvestigateOptions before;
  before.to = kOnset - kHourMs;
  auto early = Investigate(cube, before);
  ASSERT_TRUE(early.ok());
  EXPECT_EQ(early->detection.anomalies.size(), all->detection.anomalies.size());
  for (const Incident& inc : early->incidents) EXPECT_LT(inc.primary.start, before.to);
  InvestigateOptions after;
  after.from = before.to;
  auto late = Investigate(cube, after);
  ASSERT_TRUE(late.ok());
  for (const Incident& inc : late->incidents) EXPECT_GE(inc.start, after.from);
  EXPECT_FALSE(late->incidents.empty());
}

TEST(InvestigateTest, MissingEventFilesAreAnError) {
  Cube cube = RegressedCube();
  InvestigateOptions options;
  options.files = {"/nonexistent/events.jsonl"};
  EXPECT_FALSE(Investigate(cube, options).ok());
}

}  // namespace
}  // namespace vigil
