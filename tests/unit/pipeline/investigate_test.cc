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
