#include "vigil/cube.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "support/test_data.h"

namespace vigil {
namespace {

using testing::RawEvent;
using testing::ToEvent;

Cube Build(std::shared_ptr<const Config> config, const std::vector<RawEvent>& events) {
  Cube cube(config);
  for (const RawEvent& r : events) EXPECT_TRUE(cube.Add(ToEvent(r)).ok());
  return cube;
}

bool InSlice(const RawEvent& r, const Slice& s) {
  for (const auto& [d, v] : s) {
    const std::string& x = d == "a" ? r.a : d == "b" ? r.b : r.c;
    if (x != v) return false;
  }
  return true;
}

double ExactQuantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * (v.size() - 1))];
}

// Slice queries equal a brute-force computation over the raw events: counts and rates exactly,
// quantiles within the sketch's 1 % bound.
TEST(CubeTest, SliceSeriesMatchBruteForceOnRandomData) {
  auto config = testing::SmallConfig();
  for (uint32_t seed : {1u, 2u, 3u, 4u, 5u}) {
    auto events = testing::RandomEvents(3000, seed);
    Cube cube = Build(config, events);
    ASSERT_EQ(cube.event_count(), events.size());
    std::vector<Slice> slices = {
        {}, {{"a", "a1"}}, {{"b", "b2"}, {"c", "c0"}}, {{"a", "a0"}, {"b", "b3"}, {"c", "c1"}}};
    for (const Slice& slice : slices) {
      for (int64_t g : {kMinuteMs, 5 * kMinuteMs}) {
        auto vol = cube.Series("volume", slice, 0, 0, g);
        auto fail = cube.Series("fail_rate", slice, 0, 0, g);
        auto retry = cube.Series("retry_of_a1", slice, 0, 0, g);
        auto p95 = cube.Series("lat_p95", slice, 0, 0, g);
        auto mean = cube.Series("lat_mean", slice, 0, 0, g);
        auto okr = cube.Series("ok_rate", slice, 0, 0, g);
        ASSERT_TRUE(vol.ok() && fail.ok() && retry.ok() && p95.ok() && mean.ok() && okr.ok());
        for (size_t k = 0; k < vol->size(); ++k) {
          TimeMs t = (*vol)[k].time;
          uint64_t n = 0, failed = 0, a1 = 0, a1_retry = 0;
          std::vector<double> lats;
          for (const RawEvent& r : events) {
            if (BucketStart(r.time, g) != t || !InSlice(r, slice)) continue;
            ++n;
            failed += r.outcome != "ok";
            if (r.a == "a1") {
              ++a1;
              a1_retry += r.retry;
            }
            if (!std::isnan(r.lat)) lats.push_back(r.lat);
          }
          EXPECT_EQ((*vol)[k].value, static_cast<double>(n));
          if (n == 0) {
            EXPECT_TRUE(std::isnan((*fail)[k].value));
            continue;
          }
          EXPECT_DOUBLE_EQ((*fail)[k].value, static_cast<double>(failed) / n);
          EXPECT_DOUBLE_EQ((*okr)[k].value, 1.0 - static_cast<double>(failed) / n);
          EXPECT_EQ((*fail)[k].support, n);
          if (a1 > 0) {
            EXPECT_DOUBLE_EQ((*retry)[k].value, static_cast<double>(a1_retry) / a1);
            EXPECT_EQ((*retry)[k].support, a1);
          }
          if (!lats.empty()) {
            double exact = ExactQuantile(lats, 0.95);
            EXPECT_NEAR((*p95)[k].value, exact, exact * 0.01 + 1e-9);
            double sum = 0;
            for (double x : lats) sum += x;
            EXPECT_NEAR((*mean)[k].value, sum / lats.size(), 1e-9 * sum);
            EXPECT_EQ((*p95)[k].support, lats.size());
          }
        }
      }
    }
  }
}

TEST(CubeTest, EventsBeforeCountsTheEarlierBuckets) {
  auto config = testing::SmallConfig();
  auto events = testing::RandomEvents(3000, 11, 1772409600000, 60);
  Cube cube = Build(config, events);
  for (TimeMs t : {TimeMs{0}, TimeMs{1772409600000}, TimeMs{1772409600000 + 17 * kMinuteMs},
                   TimeMs{1772409600000 + 59 * kMinuteMs}, TimeMs{1772409600000 + 2 * kHourMs}}) {
    uint64_t expected = 0;
    for (const RawEvent& e : events) expected += BucketStart(e.time, kMinuteMs) < t;
    EXPECT_EQ(cube.EventsBefore(t), expected) << FormatTimestamp(t);
  }
}

TEST(CubeTest, GroupSeriesOfSeveralMetricsEqualsOneMetricAtATime) {
  auto config = testing::SmallConfig();
  Cube cube = Build(config, testing::RandomEvents(4000, 13, 1772409600000, 180));
  const std::vector<std::string> metrics = {"volume", "fail_rate", "lat_p95", "devices", "ok_rate"};
  for (const std::vector<std::string>& dims : {std::vector<std::string>{}, {"c"}, {"a", "b"}}) {
    for (int64_t g : {kMinuteMs, 15 * kMinuteMs}) {
      auto together = cube.GroupSeriesOfMetrics(metrics, {}, dims, 0, 0, g);
      ASSERT_TRUE(together.ok()) << together.status().message();
      ASSERT_EQ(together->size(), metrics.size());
      for (size_t k = 0; k < metrics.size(); ++k) {
        auto alone = cube.GroupSeries(metrics[k], {}, dims, 0, 0, g);
        ASSERT_TRUE(alone.ok());
        ASSERT_EQ((*together)[k].size(), alone->size()) << metrics[k];
        for (size_t i = 0; i < alone->size(); ++i) {
          const SliceSeries& x = (*together)[k][i];
          const SliceSeries& y = (*alone)[i];
          ASSERT_EQ(x.slice, y.slice);
          ASSERT_EQ(x.points.size(), y.points.size());
          for (size_t j = 0; j < y.points.size(); ++j) {
            const SeriesPoint& p = x.points[j];
            const SeriesPoint& q = y.points[j];
            EXPECT_TRUE(p.value == q.value || (std::isnan(p.value) && std::isnan(q.value)))
                << metrics[k] << " " << FormatSlice(y.slice) << " at " << FormatTimestamp(q.time);
            EXPECT_EQ(p.time, q.time);
            EXPECT_EQ(p.events, q.events);
            EXPECT_EQ(p.support, q.support);
            EXPECT_TRUE(p.sampling_error == q.sampling_error ||
                        (std::isnan(p.sampling_error) && std::isnan(q.sampling_error)));
          }
        }
      }
    }
  }
}

// Explain-away reads a slice's cells once and takes many others out of them: the same totals
// as a scan of the window, bit for bit.
TEST(CubeTest, TotalsOverCellsFoundOnceEqualTheScan) {
  auto config = testing::SmallConfig();
  Cube cube = Build(config, testing::RandomEvents(4000, 17, 1772409600000, 180));
  const TimeMs start = 1772409600000;
  const std::vector<Slice> slices = {{}, {{"a", "a1"}}, {{"b", "b0"}}, {{"a", "a0"}, {"c", "c1"}}};
  for (const Slice& slice : slices) {
    for (auto [from, to] :
         {std::pair<TimeMs, TimeMs>{0, 0}, {start + 30 * kMinuteMs, start + 2 * kHourMs}}) {
      auto cells = cube.CellsUnder(slice, from, to);
      ASSERT_TRUE(cells.ok()) << cells.status().message();
      for (const Slice& exclude : slices) {
        for (int metric = -1; metric < static_cast<int>(cube.config().metrics.size()); ++metric) {
          auto scan = cube.TotalExcluding(slice, exclude, from, to, metric);
          auto once = cube.TotalExcluding(*cells, exclude, metric);
          ASSERT_TRUE(scan.ok() && once.ok());
          EXPECT_EQ(scan->count, once->count)
              << FormatSlice(slice) << " without " << FormatSlice(exclude);
          for (int k = 0; k < static_cast<int>(cube.config().metrics.size()); ++k) {
            double x = cube.MetricValue(k, *scan), y = cube.MetricValue(k, *once);
            EXPECT_TRUE(x == y || (std::isnan(x) && std::isnan(y)))
                << FormatSlice(slice) << " without " << FormatSlice(exclude) << " metric " << k;
          }
        }
      }
    }
  }
  Cube::SliceCells foreign{{static_cast<uint32_t>(cube.cell_count() + 5)}};
  EXPECT_FALSE(cube.TotalExcluding(foreign, {}).ok());
}

TEST(CubeTest, DistinctDevicesAreNearlyExactForSmallCounts) {
  auto events = testing::RandomEvents(5000, 9);
  Cube cube = Build(testing::SmallConfig(), events);
  std::set<std::string> devices;
  for (const RawEvent& r : events) devices.insert(r.device);
  auto total = cube.Total({});
  ASSERT_TRUE(total.ok());
  EXPECT_NEAR(cube.MetricValue(cube.config().FindMetric("devices"), *total), devices.size(), 1);
}

TEST(CubeTest, MergeOfPartsEqualsTheWholeAndIsAssociative) {
  auto config = testing::SmallConfig();
  auto events = testing::RandomEvents(4000, 11);
  Cube whole = Build(config, events);
  std::vector<RawEvent> p1(events.begin(), events.begin() + 1000);
  std::vector<RawEvent> p2(events.begin() + 1000, events.begin() + 2500);
  std::vector<RawEvent> p3(events.begin() + 2500, events.end());
  Cube left = Build(config, p1);  // (p1 + p2) + p3
  ASSERT_TRUE(left.Merge(Build(config, p2)).ok());
  ASSERT_TRUE(left.Merge(Build(config, p3)).ok());
  Cube right = Build(config, p2);  // p3 + (p2 + p1), merged in another order
  ASSERT_TRUE(right.Merge(Build(config, p1)).ok());
  Cube tail = Build(config, p3);
  ASSERT_TRUE(tail.Merge(right).ok());
  EXPECT_TRUE(whole.Equivalent(left));
  EXPECT_TRUE(whole.Equivalent(tail));
  EXPECT_TRUE(left.Equivalent(whole));
  // Queries agree too.
  auto a = whole.Series("lat_p95", {{"a", "a2"}});
  auto b = tail.Series("lat_p95", {{"a", "a2"}});
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->size(), b->size());
  for (size_t i = 0; i < a->size(); ++i) {
    EXPECT_TRUE((*a)[i].value == (*b)[i].value ||
                (std::isnan((*a)[i].value) && std::isnan((*b)[i].value)));
  }
  // A different event set is not equivalent.
  Cube fewer = Build(config, p1);
  EXPECT_FALSE(whole.Equivalent(fewer));
}

TEST(CubeTest, MergeRejectsADifferentConfiguration) {
  Cube a(testing::SmallConfig());
  Cube b(testing::SmallConfig("limits: {max_cells: 10}\n"));  // limits do not shape cells
  EXPECT_TRUE(a.Merge(b).ok());
  auto other = std::make_shared<const Config>(
      *Config::Parse("input: {dimensions: [a]}\nmetrics: {volume: {type: count}}\n", "<t>"));
  Cube c(other);
  Status s = a.Merge(c);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
}

TEST(CubeTest, SerializationRoundTripsAndRejectsCorruption) {
  auto config = testing::SmallConfig();
  Cube cube = Build(config, testing::RandomEvents(2000, 21));
  std::string bytes;
  cube.Serialize(&bytes);
  auto back = Cube::Deserialize(bytes, config);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(back->Equivalent(cube));
  std::string again;
  back->Serialize(&again);
  EXPECT_EQ(again, bytes);

  // Truncations and flipped bytes: an error or a valid cube, never a crash.
  for (size_t len = 0; len < bytes.size(); len += std::max<size_t>(1, bytes.size() / 300)) {
    auto r = Cube::Deserialize(std::string_view(bytes).substr(0, len), config);
    EXPECT_FALSE(r.ok()) << "truncated at " << len;
  }
  std::mt19937 rng(5);
  for (int i = 0; i < 300; ++i) {
    std::string bad = bytes;
    bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
    auto r = Cube::Deserialize(bad, config);
    if (r.ok()) {
      EXPECT_LE(r->cell_count(), cube.cell_count() + 1);
    }
  }
  auto garbage = Cube::Deserialize("not a cube at all", config);
  EXPECT_EQ(garbage.status().code(), StatusCode::kCorruption);
}

TEST(CubeTest, CardinalityLimitFoldsNewValuesIntoOther) {
  auto config = testing::SmallConfig("limits: {dimension_values: {b: 2}}\n");
  auto events = testing::RandomEvents(1000, 31);
  Cube cube = Build(config, events);
  const auto& values = cube.DimensionValues(1);
  ASSERT_EQ(values.size(), 3u);
  EXPECT_EQ(values[2], kOtherValue);
  std::set<std::string> kept(values.begin(), values.begin() + 2);
  uint64_t folded = 0;
  for (const RawEvent& r : events) folded += !kept.count(r.b);
  auto folds = cube.Folds();
  ASSERT_EQ(folds.size(), 1u);
  EXPECT_EQ(folds[0].dimension, "b");
  EXPECT_EQ(folds[0].limit, 2);
  EXPECT_EQ(folds[0].events, folded);
  auto other = cube.Total({{"b", std::string(kOtherValue)}});
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->count, folded);
  EXPECT_EQ(cube.event_count(), events.size());  // nothing is lost
}

TEST(CubeTest, SeriesCoversEveryBucketAndValidatesItsArguments) {
  auto config = testing::SmallConfig();
  Cube cube(config);
  RawEvent r{1772409600000 + 30 * 1000, "a0", "b0", "c0", 100, false, "ok", "d1"};
  ASSERT_TRUE(cube.Add(ToEvent(r)).ok());
  r.time += 10 * kMinuteMs;
  ASSERT_TRUE(cube.Add(ToEvent(r)).ok());
  auto s = cube.Series("volume", {});
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->size(), 11u);  // empty buckets in between are present
  EXPECT_EQ((*s)[0].value, 1);
  EXPECT_EQ((*s)[5].value, 0);
  EXPECT_EQ((*s)[10].value, 1);
  auto p = cube.Series("lat_p95", {});
  EXPECT_TRUE(std::isnan((*p)[5].value));
  auto bad_metric = cube.Series("lat_p96", {});
  EXPECT_EQ(bad_metric.status().code(), StatusCode::kNotFound);
  EXPECT_NE(bad_metric.status().message().find("did you mean 'lat_p95'"), std::string::npos);
  auto bad_dim = cube.Series("volume", {{"aa", "a0"}});
  EXPECT_EQ(bad_dim.status().code(), StatusCode::kNotFound);
  auto bad_value = cube.Series("volume", {{"a", "a9"}});
  EXPECT_EQ(bad_value.status().code(), StatusCode::kNotFound);
  auto bad_g = cube.Series("volume", {}, 0, 0, 90 * kSecondMs);
  EXPECT_EQ(bad_g.status().code(), StatusCode::kInvalidArgument);
  auto ranged = cube.Series("volume", {}, r.time - 5 * kMinuteMs, r.time + kMinuteMs);
  ASSERT_TRUE(ranged.ok());
  EXPECT_EQ(ranged->size(), 7u);  // buckets 5..11: `to` falls inside bucket 11
}

TEST(CubeTest, CellsUnderASliceAddUpToItsTotal) {
  auto config = testing::SmallConfig();
  auto events = testing::RandomEvents(2000, 41);
  Cube cube = Build(config, events);
  Slice slice = {{"a", "a1"}};
  auto cells = cube.Cells(slice);
  auto total = cube.Total(slice);
  ASSERT_TRUE(cells.ok() && total.ok());
  EXPECT_LE(cells->size(), 8u);  // 4 values of b x 2 of c
  uint64_t sum = 0;
  std::set<std::vector<std::string>> seen;
  for (const LeafCell& c : *cells) {
    EXPECT_EQ(c.values[0], "a1");
    EXPECT_TRUE(seen.insert(c.values).second);
    sum += c.aggregate.count;
  }
  EXPECT_EQ(sum, total->count);
}

TEST(CubeTest, MaxCellsIsAnExplicitLimit) {
  auto config = testing::SmallConfig("limits: {max_cells: 5}\n");
  Cube cube(config);
  Status last;
  for (const RawEvent& r : testing::RandomEvents(200, 3)) {
    last = cube.Add(ToEvent(r));
    if (!last.ok()) break;
  }
  EXPECT_EQ(last.code(), StatusCode::kLimitExceeded);
  EXPECT_NE(last.message().find("max_cells"), std::string::npos);
  EXPECT_EQ(cube.cell_count(), 5u);
}

TEST(SliceTest, ParsesAndFormats) {
  auto s = ParseSlice("platform=watchOS,asr_model=asr-42");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->size(), 2u);
  EXPECT_EQ(FormatSlice(*s), "platform=watchOS,asr_model=asr-42");
  EXPECT_TRUE(ParseSlice("")->empty());
  EXPECT_TRUE(ParseSlice("all")->empty());
  EXPECT_FALSE(ParseSlice("platform").ok());
  EXPECT_FALSE(ParseSlice("a=1,a=2").ok());
}

// Found by fuzz/config_fuzz: with no dimensions, a cell's codes were read from an empty vector.
// Such a cube keeps one cell per bucket and answers like any other.
TEST(CubeTest, ACubeWithoutDimensionsCountsAndRoundTrips) {
  auto parsed = Config::Parse(R"(
input: {time: ts, measures: {lat: lat}}
cube: {granularity: 1m}
metrics:
  volume: {type: count}
  lat_p50: {type: quantile, measure: lat, q: 0.5}
)");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  auto config = std::make_shared<const Config>(std::move(*parsed));
  Cube cube(config);
  Event e;
  e.measures = {100};
  const TimeMs start = 1772409600000;
  for (int i = 0; i < 5; ++i) {
    e.time = start + i * 20000;  // two buckets: 3 events, then 2
    ASSERT_TRUE(cube.Add(e).ok());
  }
  EXPECT_EQ(cube.cell_count(), 2u);
  auto series = cube.Series("volume", {});
  ASSERT_TRUE(series.ok()) << series.status().ToString();
  ASSERT_EQ(series->size(), 2u);
  EXPECT_EQ((*series)[0].value, 3);
  EXPECT_EQ((*series)[1].value, 2);
  std::string bytes;
  cube.Serialize(&bytes);
  auto back = Cube::Deserialize(bytes, config);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(back->Equivalent(cube));
  Cube merged(config);
  ASSERT_TRUE(merged.Merge(cube).ok());
  ASSERT_TRUE(merged.Merge(cube).ok());
  EXPECT_EQ(merged.cell_count(), 2u);
  EXPECT_EQ(merged.event_count(), 10u);
}

}  // namespace
}  // namespace vigil
