// Detection carried between rounds (DetectionState) finds what a batch over the same cube finds,
// round after round, while each round judges only the buckets that closed since the last.
#include <gtest/gtest.h>

#include <algorithm>

#include "support/test_data.h"
#include "vigil/detect.h"

namespace vigil {
namespace {

constexpr TimeMs kStart = 1772409600000;  // 2026-03-02T00:00:00Z
constexpr TimeMs kOnset = kStart + 2 * kDayMs + 6 * kHourMs;
constexpr TimeMs kNewValue = kStart + kDayMs + 3 * kHourMs;

const char* kMonitors = R"(
monitors:
  - {metric: fail_rate, slices: [all, a, [a, b]], granularity: 15m, direction: up, min_volume: 10}
  - {metric: lat_p95, slices: [all, a, {a: a1, c: c0}], granularity: 1h, direction: up}
  - {metric: volume, slices: [all, b], granularity: 15m, direction: down}
detect: {warmup: 2h}
)";

// Four days: from the onset most of a1's turns fail and b3 loses its traffic; a new value (a9)
// appears on the second day.
std::vector<testing::RawEvent> Events() {
  std::vector<testing::RawEvent> events = testing::RandomEvents(60000, 7, kStart, 4 * 1440);
  for (testing::RawEvent& e : events) {
    if (e.time >= kOnset && e.a == "a1" && e.time % 10 < 6) e.outcome = "error";
    if (e.time >= kNewValue && e.c == "c1" && e.time % 3 == 0) e.a = "a9";
  }
  std::erase_if(events, [](const testing::RawEvent& e) {
    return e.time >= kOnset + 6 * kHourMs && e.b == "b3" && e.time % 4 != 0;
  });
  std::sort(events.begin(), events.end(),
            [](const testing::RawEvent& x, const testing::RawEvent& y) { return x.time < y.time; });
  return events;
}

bool Same(double x, double y) { return x == y || (std::isnan(x) && std::isnan(y)); }

// Every series with the same points and the same assessments, bit for bit.
void ExpectSameSeries(const std::vector<MonitoredSeries>& carried,
                      const std::vector<MonitoredSeries>& batch) {
  ASSERT_EQ(carried.size(), batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    const MonitoredSeries& c = carried[i];
    const MonitoredSeries& b = batch[i];
    ASSERT_EQ(c.metric + " " + FormatSlice(c.slice), b.metric + " " + FormatSlice(b.slice));
    ASSERT_EQ(c.points.size(), b.points.size()) << b.metric << " " << FormatSlice(b.slice);
    for (size_t k = 0; k < b.points.size(); ++k) {
      const bool same = c.points[k].time == b.points[k].time &&
                        Same(c.points[k].value, b.points[k].value) &&
                        c.points[k].support == b.points[k].support &&
                        Same(c.assessments[k].expected, b.assessments[k].expected) &&
                        Same(c.assessments[k].p_value, b.assessments[k].p_value);
      ASSERT_TRUE(same) << b.metric << " " << FormatSlice(b.slice) << " at "
                        << FormatTimestamp(b.points[k].time);
    }
  }
}

void ExpectSameAnomalies(const std::vector<Anomaly>& carried, const std::vector<Anomaly>& batch,
                         TimeMs end) {
  ASSERT_EQ(carried.size(), batch.size()) << "round to " << FormatTimestamp(end);
  for (size_t i = 0; i < batch.size(); ++i) {
    SCOPED_TRACE(batch[i].metric + " " + FormatSlice(batch[i].slice) + " to " +
                 FormatTimestamp(end));
    EXPECT_EQ(carried[i].metric, batch[i].metric);
    EXPECT_EQ(carried[i].slice, batch[i].slice);
    EXPECT_EQ(carried[i].start, batch[i].start);
    EXPECT_EQ(carried[i].end, batch[i].end);
    EXPECT_EQ(carried[i].detected, batch[i].detected);
    EXPECT_DOUBLE_EQ(carried[i].confidence, batch[i].confidence);
    EXPECT_DOUBLE_EQ(carried[i].observed, batch[i].observed);
  }
}

TEST(DetectionStateTest, RoundAfterRoundFindsWhatABatchFindsAndJudgesOnlyWhatClosed) {
  auto config = testing::SmallConfig(kMonitors);
  const std::vector<testing::RawEvent> events = Events();
  Cube cube(config);
  DetectionState state, lean;
  size_t next = 0;
  bool found_the_regression = false;
  // A round every 3 hours (the last one mid-hour: the hourly monitor waits for its whole hour).
  for (TimeMs end = kStart + 3 * kHourMs; end <= kStart + 4 * kDayMs; end += 3 * kHourMs) {
    const TimeMs data_end = end == kStart + 4 * kDayMs ? end - 30 * kMinuteMs : end;
    for (; next < events.size() && events[next].time < data_end; ++next)
      ASSERT_TRUE(cube.Add(testing::ToEvent(events[next])).ok());
    DetectOptions carried_options;
    carried_options.to = data_end;
    carried_options.state = &state;
    std::vector<MonitoredSeries> carried_series, batch_series;
    carried_options.series_out = &carried_series;
    auto carried = Detect(cube, carried_options);
    ASSERT_TRUE(carried.ok()) << carried.status().message();
    DetectOptions batch_options;
    batch_options.to = data_end;
    batch_options.series_out = &batch_series;
    auto batch = Detect(cube, batch_options);
    ASSERT_TRUE(batch.ok()) << batch.status().message();
    EXPECT_EQ(carried->series, batch->series) << FormatTimestamp(end);
    ExpectSameSeries(carried_series, batch_series);
    EXPECT_EQ(state.series(), batch->series);
    ExpectSameAnomalies(carried->anomalies, batch->anomalies, data_end);
    // Without series asked for, the rounds lend the held series to their jobs: the same again.
    DetectOptions lean_options;
    lean_options.to = data_end;
    lean_options.state = &lean;
    auto lean_round = Detect(cube, lean_options);
    ASSERT_TRUE(lean_round.ok()) << lean_round.status().message();
    ExpectSameAnomalies(lean_round->anomalies, batch->anomalies, data_end);
    // A round judges the new buckets only (and a new value's history): 3 hours of a day or more.
    if (end >= kStart + 2 * kDayMs) {
      EXPECT_LT(carried->points * 4, batch->points);
    }
    for (const Anomaly& a : carried->anomalies)
      found_the_regression |= a.metric == "fail_rate" && a.slice == Slice{{"a", "a1"}};
  }
  EXPECT_TRUE(found_the_regression);
}

// With a horizon the state holds the last day (and what a run still reported needs), and each
// round reports what a batch reports within it: the anomalies open or ending after the horizon.
TEST(DetectionStateTest, WithAHorizonRoundsHoldADayAndFindWhatABatchFindsWithinIt) {
  auto config = testing::SmallConfig(kMonitors);
  const std::vector<testing::RawEvent> events = Events();
  Cube cube(config);
  DetectionState state;
  state.set_horizon(kDayMs);
  size_t next = 0, compared = 0;
  size_t most_held = 0, batch_points = 0;
  for (TimeMs end = kStart + 3 * kHourMs; end <= kStart + 4 * kDayMs; end += 3 * kHourMs) {
    for (; next < events.size() && events[next].time < end; ++next)
      ASSERT_TRUE(cube.Add(testing::ToEvent(events[next])).ok());
    DetectOptions carried_options;
    carried_options.to = end;
    carried_options.state = &state;
    auto carried = Detect(cube, carried_options);
    ASSERT_TRUE(carried.ok()) << carried.status().message();
    DetectOptions batch_options;
    batch_options.to = end;
    auto batch = Detect(cube, batch_options);
    ASSERT_TRUE(batch.ok()) << batch.status().message();
    std::vector<Anomaly> within = batch->anomalies;
    std::erase_if(within, [&](const Anomaly& a) { return a.end != 0 && a.end <= end - kDayMs; });
    ExpectSameAnomalies(carried->anomalies, within, end);
    compared += within.size();
    most_held = std::max(most_held, state.points_held());
    batch_points = batch->points;
  }
  EXPECT_GT(compared, 10u);
  // Four days in the cube, a day and a bit held (the regression's runs keep theirs).
  EXPECT_LT(most_held * 2, batch_points);
  EXPECT_EQ(state.horizon(), kDayMs);
  state.Reset();
  EXPECT_EQ(state.horizon(), kDayMs);
}

TEST(DetectionStateTest, ARoundAfterAnHourJudgesOnePointPerSeriesAndBucket) {
  auto config = testing::SmallConfig(R"(
monitors:
  - {metric: fail_rate, slices: [all, a, b], granularity: 15m, direction: up}
detect: {warmup: 1h}
)");
  const std::vector<testing::RawEvent> events = testing::RandomEvents(20000, 3, kStart, 1440);
  Cube cube(config);
  for (const testing::RawEvent& e : events) {
    if (e.time < kStart + 12 * kHourMs) {
      ASSERT_TRUE(cube.Add(testing::ToEvent(e)).ok());
    }
  }
  DetectionState state;
  DetectOptions options;
  options.state = &state;
  options.to = kStart + 12 * kHourMs;
  auto first = Detect(cube, options);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->points, first->series * 48);  // twelve hours of 15-minute buckets
  EXPECT_EQ(state.read_to(), kStart + 12 * kHourMs);
  for (const testing::RawEvent& e : events) {
    if (e.time >= kStart + 12 * kHourMs && e.time < kStart + 13 * kHourMs) {
      ASSERT_TRUE(cube.Add(testing::ToEvent(e)).ok());
    }
  }
  options.to = kStart + 13 * kHourMs;
  auto next = Detect(cube, options);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->series, 1u + 3u + 4u);
  EXPECT_EQ(next->points, next->series * 4);
  // Nothing closed since: nothing judged, the same anomalies.
  auto again = Detect(cube, options);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->points, 0u);
  ExpectSameAnomalies(again->anomalies, next->anomalies, options.to);
}

TEST(DetectionStateTest, SeriesWhoseEventsAllExpiredAreDroppedAsABatchDropsThem) {
  auto config = testing::SmallConfig(R"(
monitors:
  - {metric: volume, slices: [a], granularity: 15m, direction: down}
detect: {warmup: 1h}
)");
  Cube cube(config);
  // a0..a2 for the first day; only a0 afterwards.
  for (testing::RawEvent& e : testing::RandomEvents(20000, 4, kStart, 2 * 1440)) {
    if (e.time >= kStart + kDayMs) e.a = "a0";
    ASSERT_TRUE(cube.Add(testing::ToEvent(e)).ok());
  }
  DetectionState state;
  DetectOptions options;
  options.state = &state;
  options.to = kStart + 2 * kDayMs;
  auto before = Detect(cube, options);
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->series, 3u);
  cube.DropBefore(kStart + kDayMs + kHourMs);  // what cube.retention does
  auto after = Detect(cube, options);
  ASSERT_TRUE(after.ok());
  DetectOptions batch_options;
  batch_options.to = options.to;
  auto batch = Detect(cube, batch_options);
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(after->series, 1u);
  EXPECT_EQ(batch->series, 1u);
  EXPECT_EQ(state.series(), 1u);
}

TEST(DetectionStateTest, NeedsAnEndAndResetReadsEverythingAgain) {
  auto config = testing::SmallConfig(R"(
monitors:
  - {metric: fail_rate, slices: [all], granularity: 15m, direction: up}
)");
  Cube cube(config);
  for (const testing::RawEvent& e : testing::RandomEvents(2000, 5, kStart, 240))
    ASSERT_TRUE(cube.Add(testing::ToEvent(e)).ok());
  DetectionState state;
  DetectOptions options;
  options.state = &state;
  EXPECT_EQ(Detect(cube, options).status().code(), StatusCode::kInvalidArgument);
  options.to = kStart + 4 * kHourMs;
  auto first = Detect(cube, options);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->points, 16u);
  state.Reset();
  EXPECT_EQ(state.series(), 0u);
  EXPECT_EQ(state.read_to(), 0);
  auto again = Detect(cube, options);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->points, 16u);
}

}  // namespace
}  // namespace vigil
