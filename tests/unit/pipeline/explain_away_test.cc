// Explain-away with correlated dimensions: most of one platform's traffic is in one region, and
// that region fails more than the others every day. A failure spike on the platform shows on the
// region too; the platform is the slice that explains the change and leaves the region's other
// platforms unexplained, so the platform is what is reported.
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

}  // namespace
}  // namespace vigil
