// The multivariate detector: a slice whose failure rate and latency quantiles each rise by less
// than their smallest effect that matters, but all at once, is found by it and by nothing else;
// its anomaly says which metrics moved; a service's rounds find what a batch finds.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "support/test_data.h"
#include "vigil/detect.h"

namespace vigil {
namespace {

constexpr TimeMs kStart = 1772409600000;  // 2026-03-02T00:00:00Z
constexpr TimeMs kOnset = kStart + 4 * kDayMs + 9 * kHourMs;
constexpr TimeMs kEnd = kStart + 5 * kDayMs;

// Each metric alone needs a large move; the planted one is about 60 % of each.
std::string Monitors(const std::string& detectors) {
  return R"(
monitors:
  - {metric: fail_rate, slices: [all, a], granularity: 15m, direction: up, min_absolute_effect: 0.05,
     min_duration: 1h}
  - {metric: lat_p95, slices: [all, a], granularity: 15m, direction: up, min_relative_effect: 0.2,
     min_duration: 1h}
  - {metric: lat_p50, slices: [all, a], granularity: 15m, direction: up, min_relative_effect: 0.2,
     min_duration: 1h}
detect: {detectors: [)" +
         detectors + R"(]}
)";
}

// Five days; from the onset, a1's turns fail 3 points more often and are 12 % slower.
const std::vector<testing::RawEvent>& Events() {
  static const std::vector<testing::RawEvent> events = [] {
    std::vector<testing::RawEvent> out = testing::RandomEvents(400000, 11, kStart, 5 * 1440);
    for (testing::RawEvent& e : out) {
      if (e.time < kOnset || e.a != "a1") continue;
      if (!std::isnan(e.lat)) e.lat *= 1.12;
      if (e.outcome == "ok" && (e.time / 1000) % 100 < 3) e.outcome = "error";
    }
    std::sort(out.begin(), out.end(), [](const testing::RawEvent& x, const testing::RawEvent& y) {
      return x.time < y.time;
    });
    return out;
  }();
  return events;
}

Cube MakeCube(std::shared_ptr<const Config> config, TimeMs to = kEnd) {
  Cube cube(std::move(config));
  for (const testing::RawEvent& e : Events()) {
    if (e.time >= to) break;
    EXPECT_TRUE(cube.Add(testing::ToEvent(e)).ok());
  }
  return cube;
}

bool OnA1(const Anomaly& a) { return a.slice == Slice{{"a", "a1"}}; }

TEST(JointTest, OnlyTheMultivariateDetectorFindsARiseModestInEachMetric) {
  auto univariate = Detect(MakeCube(testing::SmallConfig(Monitors("seasonal, cusum"))));
  ASSERT_TRUE(univariate.ok()) << univariate.status().message();
  for (const Anomaly& a : univariate->anomalies)
    EXPECT_FALSE(OnA1(a)) << "the ensemble alone found " << a.metric << " on a1";

  auto joint = Detect(MakeCube(testing::SmallConfig(Monitors("seasonal, cusum, multivariate"))));
  ASSERT_TRUE(joint.ok()) << joint.status().message();
  const Anomaly* found = nullptr;
  for (const Anomaly& a : joint->anomalies) {
    if (a.detector != "multivariate") continue;
    EXPECT_TRUE(OnA1(a)) << "a false joint anomaly on " << FormatSlice(a.slice) << " at "
                         << FormatTimestamp(a.start);
    if (OnA1(a) && !found) found = &a;
  }
  ASSERT_NE(found, nullptr);
  EXPECT_GE(found->start, kOnset - kHourMs);
  EXPECT_LE(found->detected, kOnset + 6 * kHourMs);
  // The moved metrics take the attributions, each a positive share, adding up to the score's
  // distance from an ordinary bucket; the anomaly is reported under the largest.
  const Attributions& at = found->attributions;
  ASSERT_EQ(at.features.size(), 3U);
  double sum = 0;
  for (const Attribution& f : at.features) {
    EXPECT_GT(f.value, 0) << f.metric;
    EXPECT_GT(f.residual, 0) << f.metric;
    sum += f.value;
  }
  EXPECT_NEAR(sum, at.score - at.base, 1e-9);
  EXPECT_GT(at.score, at.base);
  EXPECT_EQ(found->metric, at.features.front().metric);
  EXPECT_TRUE(
      std::is_sorted(at.features.begin(), at.features.end(),
                     [](const Attribution& x, const Attribution& y) { return x.value > y.value; }));
}

TEST(JointTest, EveryAnomalyOnASliceWithAModelCarriesItsAttributions) {
  // A large failure rise on a2 is the ensemble's; it still says which metrics moved.
  std::vector<testing::RawEvent> events = Events();
  for (testing::RawEvent& e : events)
    if (e.time >= kOnset && e.a == "a2" && (e.time / 1000) % 10 < 4) e.outcome = "error";
  Cube cube(testing::SmallConfig(Monitors("seasonal, cusum, multivariate")));
  for (const testing::RawEvent& e : events) ASSERT_TRUE(cube.Add(testing::ToEvent(e)).ok());
  auto report = Detect(cube);
  ASSERT_TRUE(report.ok()) << report.status().message();
  bool seen = false;
  for (const Anomaly& a : report->anomalies) {
    if (a.slice != Slice{{"a", "a2"}} || a.metric != "fail_rate") continue;
    seen = true;
    EXPECT_EQ(a.detector, "ensemble");
    ASSERT_FALSE(a.attributions.features.empty());
    EXPECT_EQ(a.attributions.features.front().metric, "fail_rate");
  }
  EXPECT_TRUE(seen);
}

TEST(JointTest, RoundsFindWhatABatchFindsWithTheSameAttributions) {
  auto config = testing::SmallConfig(Monitors("seasonal, cusum, multivariate"));
  Cube cube(config);
  DetectionState state;
  size_t next = 0;
  bool found = false;
  for (TimeMs end = kStart + 3 * kDayMs; end <= kEnd; end += 6 * kHourMs) {
    for (; next < Events().size() && Events()[next].time < end; ++next)
      ASSERT_TRUE(cube.Add(testing::ToEvent(Events()[next])).ok());
    DetectOptions carried_options;
    carried_options.to = end;
    carried_options.state = &state;
    auto carried = Detect(cube, carried_options);
    ASSERT_TRUE(carried.ok()) << carried.status().message();
    DetectOptions batch_options;
    batch_options.to = end;
    auto batch = Detect(cube, batch_options);
    ASSERT_TRUE(batch.ok()) << batch.status().message();
    ASSERT_EQ(carried->anomalies.size(), batch->anomalies.size()) << FormatTimestamp(end);
    for (size_t i = 0; i < batch->anomalies.size(); ++i) {
      const Anomaly& c = carried->anomalies[i];
      const Anomaly& b = batch->anomalies[i];
      SCOPED_TRACE(b.metric + " " + FormatSlice(b.slice) + " to " + FormatTimestamp(end));
      EXPECT_EQ(c.metric, b.metric);
      EXPECT_EQ(c.start, b.start);
      EXPECT_EQ(c.end, b.end);
      EXPECT_EQ(c.detector, b.detector);
      ASSERT_EQ(c.attributions.features.size(), b.attributions.features.size());
      for (size_t k = 0; k < b.attributions.features.size(); ++k) {
        EXPECT_EQ(c.attributions.features[k].metric, b.attributions.features[k].metric);
        EXPECT_DOUBLE_EQ(c.attributions.features[k].value, b.attributions.features[k].value);
      }
      found |= b.detector == "multivariate" && OnA1(b);
    }
  }
  EXPECT_TRUE(found);
}

TEST(JointTest, TheConfigNamesTheDetectorAndRefusesItAlone) {
  auto alone = Config::Parse(testing::SmallConfigYaml(Monitors("multivariate")), "<test>");
  ASSERT_FALSE(alone.ok());
  EXPECT_NE(alone.status().message().find("at least one of"), std::string::npos)
      << alone.status().message();
  auto unknown =
      Config::Parse(testing::SmallConfigYaml(Monitors("seasonal, isolation_forest")), "<test>");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("multivariate"), std::string::npos)
      << unknown.status().message();
  auto odd = Config::Parse(testing::SmallConfigYaml(R"(
detect: {detectors: [seasonal, multivariate], multivariate_granularity: 90s}
)"),
                           "<test>");
  ASSERT_FALSE(odd.ok());
  EXPECT_NE(odd.status().message().find("multiple of cube.granularity"), std::string::npos)
      << odd.status().message();
}

}  // namespace
}  // namespace vigil
