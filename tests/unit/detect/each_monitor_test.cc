// A monitor that names dimensions with `each` and `depth` watches exactly the slices the data
// holds: every value of each dimension and, at depth 2, every pair of values seen together.
#include <gtest/gtest.h>

#include <set>

#include "support/test_data.h"
#include "vigil/detect.h"

namespace vigil {
namespace {

TEST(EachMonitorTest, ADepthTwoMonitorWatchesEveryObservedValueAndPair) {
  auto config = testing::SmallConfig(R"(
monitors:
  - {metric: fail_rate, each: [a, b, c], depth: 2, granularity: 15m}
)");
  ASSERT_EQ(config->monitors.size(), 1u);
  // all, three dimensions, three pairs.
  EXPECT_EQ(config->monitors[0].slices.size(), 1u + 3u + 3u);
  auto events = testing::RandomEvents(3000, 21, 1772409600000, 240);
  // Leave some pairs out, so that only observed pairs are watched.
  std::erase_if(events, [](const testing::RawEvent& e) {
    return (e.a == "a0" && e.b == "b3") || (e.b == "b1" && e.c == "c1");
  });
  Cube cube(config);
  std::set<Slice> expected = {Slice{}};
  for (const testing::RawEvent& e : events) {
    ASSERT_TRUE(cube.Add(testing::ToEvent(e)).ok());
    expected.insert({{"a", e.a}});
    expected.insert({{"b", e.b}});
    expected.insert({{"c", e.c}});
    expected.insert({{"a", e.a}, {"b", e.b}});
    expected.insert({{"a", e.a}, {"c", e.c}});
    expected.insert({{"b", e.b}, {"c", e.c}});
  }
  std::vector<MonitoredSeries> series;
  DetectOptions options;
  options.series_out = &series;
  auto report = Detect(cube, options);
  ASSERT_TRUE(report.ok()) << report.status().message();
  std::set<Slice> watched;
  for (const MonitoredSeries& s : series) EXPECT_TRUE(watched.insert(s.slice).second);
  EXPECT_EQ(watched, expected);
  EXPECT_EQ(report->series, expected.size());
  EXPECT_FALSE(watched.count({{"a", "a0"}, {"b", "b3"}}));
}

TEST(EachMonitorTest, EachIsCheckedAndAddsToTheSlicesListed) {
  auto depth_one = Config::Parse(testing::SmallConfigYaml(R"(
monitors:
  - {metric: volume, slices: [[a, b], a], each: [a, c]}
)"),
                                 "t.yaml");
  ASSERT_TRUE(depth_one.ok()) << depth_one.status().message();
  // [a, b] and a as listed, then c (a is not repeated); no pairs at depth 1, no `all`.
  ASSERT_EQ(depth_one->monitors[0].slices.size(), 3u);
  EXPECT_EQ(depth_one->monitors[0].slices[2].dimensions, std::vector<std::string>{"c"});
  for (const char* bad : {"{metric: volume, each: [a, d]}", "{metric: volume, each: [a, a]}",
                          "{metric: volume, each: [a], depth: 3}", "{metric: volume, depth: 2}"}) {
    auto c = Config::Parse(testing::SmallConfigYaml(std::string("monitors:\n  - ") + bad + "\n"),
                           "t.yaml");
    EXPECT_FALSE(c.ok()) << bad;
    if (!c.ok()) {
      EXPECT_NE(c.status().message().find("t.yaml:"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace vigil
