// Cube::Merge at limits.max_cells: all or nothing.
#include <gtest/gtest.h>

#include "support/test_data.h"
#include "vigil/cube.h"

namespace vigil {
namespace {

constexpr TimeMs kStart = 1772409600000;  // 2026-03-02T00:00:00Z

Cube CubeOf(std::shared_ptr<const Config> config, const std::vector<testing::RawEvent>& events) {
  Cube cube(std::move(config));
  for (const auto& e : events) EXPECT_TRUE(cube.Add(testing::ToEvent(e)).ok());
  return cube;
}

TEST(CubeMergeTest, AMergePastTheCellLimitChangesNothing) {
  auto unlimited = testing::SmallConfig();
  auto base_events = testing::RandomEvents(2000, 1, kStart, 600);
  const size_t base_cells = CubeOf(unlimited, base_events).cell_count();
  auto config =
      testing::SmallConfig("limits: {max_cells: " + std::to_string(base_cells + 50) + "}\n");
  Cube cube = CubeOf(config, base_events);
  ASSERT_EQ(cube.cell_count(), base_cells);
  std::vector<std::vector<std::string>> values;
  for (int d = 0; d < 3; ++d) values.push_back(cube.DimensionValues(d));

  // 200 events a day later, in new cells and with new values: the limit falls part way through.
  auto later = testing::RandomEvents(200, 2, kStart + kDayMs, 600);
  for (auto& e : later) e.c = "c-new-" + std::to_string(e.time % 7);
  Cube addition = CubeOf(testing::SmallConfig(), later);
  EXPECT_EQ(cube.CheckMerge(addition).code(), StatusCode::kLimitExceeded);
  Status merged = cube.Merge(addition);
  EXPECT_EQ(merged.code(), StatusCode::kLimitExceeded);
  EXPECT_NE(merged.message().find("limits.max_cells"), std::string::npos);
  EXPECT_EQ(cube.event_count(), 2000u);
  EXPECT_EQ(cube.cell_count(), base_cells);
  for (int d = 0; d < 3; ++d) EXPECT_EQ(cube.DimensionValues(d), values[d]) << d;
  EXPECT_TRUE(cube.Equivalent(CubeOf(unlimited, base_events)));

  // An addition that fits, partly into existing cells, is taken whole.
  auto fitting = testing::RandomEvents(40, 3, kStart, 600);
  fitting.insert(fitting.end(), base_events.begin(), base_events.begin() + 300);
  ASSERT_TRUE(cube.CheckMerge(CubeOf(testing::SmallConfig(), fitting)).ok());
  ASSERT_TRUE(cube.Merge(CubeOf(testing::SmallConfig(), fitting)).ok());
  EXPECT_EQ(cube.event_count(), 2340u);
  EXPECT_LE(cube.cell_count(), base_cells + 50);
}

TEST(CubeMergeTest, ValuesFoldedIntoOtherCountAsOneCell) {
  // Past the cardinality limit new values fold into __other__: cells of the addition that fold
  // together are one new cell, not several, when the limit is checked.
  auto config = testing::SmallConfig("limits: {max_dimension_values: 3, max_cells: 260}\n");
  auto base_events = testing::RandomEvents(300, 1, kStart, 10);
  Cube cube = CubeOf(config, base_events);
  auto later = testing::RandomEvents(400, 2, kStart + kDayMs, 1);
  for (size_t i = 0; i < later.size(); ++i) {
    later[i].a = "a-new-" + std::to_string(i);  // all fold into __other__
    later[i].b = "b0";
    later[i].c = "c0";
  }
  Cube addition = CubeOf(testing::SmallConfig(), later);
  ASSERT_TRUE(cube.CheckMerge(addition).ok());
  size_t before = cube.cell_count();
  ASSERT_TRUE(cube.Merge(addition).ok());
  EXPECT_EQ(cube.cell_count(), before + 1);
}

}  // namespace
}  // namespace vigil
