// Explain-away with correlated dimensions: most of one platform's traffic is in one region, and
// that region fails more than the others every day. A failure spike on the platform shows on the
// region too; the platform is the slice that explains the change and leaves the region's other
// platforms unexplained, so the platform is what is reported.
#include "explain/explain_away.h"

#include <gtest/gtest.h>

#include "support/test_data.h"
#include "vigil/pipeline.h"

namespace vigil {
namespace {

constexpr TimeMs kMonday = 1775433600000;  // 2026-04-06T00:00:00Z
constexpr TimeMs kSpike = kMonday + 3 * kDayMs + 12 * kHourMs;

Cube CorrelatedCube() {
  Cube cube(testing::SmallConfig(R"(
monitors:
  - {metric: fail_rate, slices: [a, b], granularity: 15m, direction: up,
     min_absolute_effect: 0.005}
)"));
  struct Part {
    const char* platform;
    const char* region;
    int per_hour;
    double fail;
  };
  // p1 lives mostly in r1; r1 fails 3.5 % of turns every day, r2 1 %.
  const Part parts[] = {{"p1", "r1", 850, 0.035},
                        {"p1", "r2", 150, 0.01},
                        {"p2", "r1", 300, 0.035},
                        {"p2", "r2", 700, 0.01}};
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> uniform(0, 1);
  for (int64_t h = 0; h < 5 * 24; ++h) {
    TimeMs t = kMonday + h * kHourMs;
    bool spike = t >= kSpike && t < kSpike + 3 * kHourMs;
    for (const Part& p : parts) {
      double fail = p.fail * (spike && std::string(p.platform) == "p1" ? 3 : 1);
      for (int i = 0; i < p.per_hour; ++i) {
        testing::RawEvent e{
            t + i * kHourMs / p.per_hour,         p.platform, p.region, "c1", 100, false,
            uniform(rng) < fail ? "error" : "ok", "d1"};
        EXPECT_TRUE(cube.Add(testing::ToEvent(e)).ok());
      }
    }
  }
  return cube;
}

TEST(ExplainAwayTest, TheSliceThatCarriesACorrelatedSpikeIsReported) {
  Cube cube = CorrelatedCube();
  auto detected = Detect(cube);
  ASSERT_TRUE(detected.ok()) << detected.status().message();
  auto seen = [](const std::vector<Anomaly>& all, const Slice& slice) {
    return std::any_of(all.begin(), all.end(), [&](const Anomaly& a) {
      return a.slice == slice && a.start >= kSpike - kHourMs && a.start < kSpike + 3 * kHourMs;
    });
  };
  // Both move before explain-away...
  ASSERT_TRUE(seen(detected->anomalies, {{"a", "p1"}}));
  ASSERT_TRUE(seen(detected->anomalies, {{"b", "r1"}}));
  // ...and the platform is what is left.
  auto found = FindAnomalies(cube);
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(seen(found->anomalies, {{"a", "p1"}}));
  EXPECT_FALSE(seen(found->anomalies, {{"b", "r1"}}));
}

// Many anomalies at random on random traffic: finding each anomaly's cells once (and skipping
// slices that share no traffic with it) gives the anomalies that scanning the window for every
// comparison gives, moved and dropped alike.
TEST(ExplainAwayTest, CellsReadOnceGiveWhatAScanPerComparisonGives) {
  constexpr TimeMs kStart = 1772409600000;
  Cube cube(testing::SmallConfig(R"(
monitors:
  - {metric: fail_rate, slices: [a, b, c, [a, b]], granularity: 15m}
  - {metric: lat_p95, slices: [a, b, c], granularity: 15m}
  - {metric: volume, slices: [a, b, c], granularity: 15m}
)"));
  for (const testing::RawEvent& e : testing::RandomEvents(12000, 5, kStart, 2 * 24 * 60))
    ASSERT_TRUE(cube.Add(testing::ToEvent(e)).ok());
  std::mt19937 rng(11);
  const std::vector<std::string> metrics = {"fail_rate", "lat_p95", "volume"};
  const Slice choices = {{"a", "a0"}, {"a", "a1"}, {"a", "a2"}, {"b", "b0"}, {"b", "b1"},
                         {"b", "b2"}, {"b", "b3"}, {"c", "c0"}, {"c", "c1"}};
  size_t changed = 0;
  for (int trial = 0; trial < 12; ++trial) {
    std::vector<Anomaly> all;
    for (int k = 0; k < 25; ++k) {
      Anomaly a;
      a.metric = metrics[rng() % metrics.size()];
      for (int d = 0; d < 1 + static_cast<int>(rng() % 2); ++d) {
        const auto& kv = choices[rng() % choices.size()];
        if (std::none_of(a.slice.begin(), a.slice.end(),
                         [&](const auto& p) { return p.first == kv.first; })) {
          a.slice.push_back(kv);
        }
      }
      a.granularity_ms = 15 * kMinuteMs;
      a.start = kStart + kDayMs + static_cast<TimeMs>(rng() % 8) * kHourMs;
      a.detected = a.start;
      a.end = rng() % 3 == 0 ? 0 : a.start + static_cast<TimeMs>(1 + rng() % 6) * kHourMs;
      auto now = cube.Total(a.slice, a.detected, a.end ? a.end : kStart + 2 * kDayMs,
                            cube.config().FindMetric(a.metric));
      ASSERT_TRUE(now.ok());
      double value = cube.MetricValue(cube.config().FindMetric(a.metric), *now);
      if (std::isnan(value)) continue;
      a.observed = value;
      a.baseline = value * (0.4 + 0.1 * static_cast<double>(rng() % 6));
      a.support = now->count;
      all.push_back(a);
    }
    auto fast = internal::ExplainAway(cube, all, /*read_cells_once=*/true);
    auto reference = internal::ExplainAway(cube, all, /*read_cells_once=*/false);
    ASSERT_EQ(fast.size(), reference.size()) << "trial " << trial;
    for (size_t i = 0; i < fast.size(); ++i) {
      EXPECT_EQ(fast[i].metric, reference[i].metric);
      EXPECT_EQ(fast[i].slice, reference[i].slice) << FormatSlice(fast[i].slice);
      EXPECT_EQ(fast[i].start, reference[i].start);
      EXPECT_EQ(fast[i].baseline, reference[i].baseline);
      EXPECT_EQ(fast[i].observed, reference[i].observed);
    }
    changed += all.size() - fast.size();
    for (size_t i = 0; i < fast.size(); ++i) {
      changed += std::none_of(all.begin(), all.end(), [&](const Anomaly& a) {
        return a.metric == fast[i].metric && a.slice == fast[i].slice;
      });
    }
  }
  EXPECT_GT(changed, 10u);  // the comparisons moved or dropped anomalies: not a trivial pass
}

}  // namespace
}  // namespace vigil
