#include <gtest/gtest.h>

#include <random>

#include "vigil/explain.h"

namespace vigil {
namespace {

constexpr const char* kYaml = R"(
input:
  dimensions: [device, model]
  measures: {a: a, b: b, e2e: e2e}
  stages: [a, b]
cube: {granularity: 5m}
metrics:
  volume: {type: count}
  e2e_p95: {type: quantile, measure: e2e, q: 0.95}
)";

struct Builder {
  std::shared_ptr<const Config> config;
  Cube cube;
  std::mt19937 rng{7};
  Builder() : config(std::make_shared<const Config>(*Config::Parse(kYaml))), cube(config) {}
  // `n` events in [from, to) with the given device, model and stage latencies (+ noise).
  void Add(TimeMs from, TimeMs to, int n, const char* device, const char* model, double a,
           double b) {
    std::uniform_real_distribution<double> noise(0.9, 1.1);
    for (int i = 0; i < n; ++i) {
      Event e;
      e.time = from + (to - from) * i / n;
      e.dimensions = {device, model};
      double va = a * noise(rng), vb = b * noise(rng);
      e.measures = {va, vb, va + vb};
      ASSERT_TRUE(cube.Add(e).ok());
    }
  }
};

const TimeMs kDay1 = 1772409600000;  // 2026-03-02
const TimeMs kDay2 = kDay1 + kDayMs;

Anomaly On(Slice slice, TimeMs start, TimeMs end) {
  Anomaly a;
  a.metric = "e2e_p95";
  a.slice = std::move(slice);
  a.start = a.detected = start;
  a.end = end;
  return a;
}

TEST(EvidenceTest, AttributesALatencyRegressionToTheStageThatMoved) {
  Builder b;
  b.Add(kDay1, kDay2, 4000, "d1", "m1", 100, 200);
  b.Add(kDay2, kDay2 + 6 * kHourMs, 2000, "d1", "m1", 100, 200);
  b.Add(kDay2 + 6 * kHourMs, kDay2 + 12 * kHourMs, 2000, "d1", "m1", 105, 450);  // stage b slows
  auto e = CollectEvidence(b.cube, On({}, kDay2 + 6 * kHourMs, kDay2 + 12 * kHourMs));
  ASSERT_TRUE(e.ok()) << e.status().message();
  ASSERT_EQ(e->stages.size(), 2u);
  EXPECT_EQ(e->stages[0].stage, "b");
  EXPECT_GT(e->stages[0].share, 0.9);
  EXPECT_NEAR(e->stages[0].observed / e->stages[0].baseline, 2.25, 0.1);
  EXPECT_FALSE(e->mix_shift);
}

TEST(EvidenceTest, FlagsAPureMixShiftAndNamesTheDimension) {
  Builder b;
  // Before: 90 % fast devices. During: half slow devices, neither device slower than before.
  b.Add(kDay1, kDay2, 3600, "fast", "m1", 50, 50);
  b.Add(kDay1, kDay2, 400, "slow", "m1", 150, 150);
  b.Add(kDay2, kDay2 + kDayMs, 2000, "fast", "m1", 50, 50);
  b.Add(kDay2, kDay2 + kDayMs, 2000, "slow", "m1", 150, 150);
  auto e = CollectEvidence(b.cube, On({}, kDay2, kDay2 + kDayMs));
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->mix_shift);
  EXPECT_EQ(e->mix_dimension, "device");
}

TEST(EvidenceTest, ARealSlowdownIsNotAMixShift) {
  Builder b;
  b.Add(kDay1, kDay2, 3600, "fast", "m1", 50, 50);
  b.Add(kDay1, kDay2, 400, "slow", "m1", 150, 150);
  b.Add(kDay2, kDay2 + kDayMs, 3600, "fast", "m1", 80, 80);  // the same mix, slower
  b.Add(kDay2, kDay2 + kDayMs, 400, "slow", "m1", 240, 240);
  auto e = CollectEvidence(b.cube, On({}, kDay2, kDay2 + kDayMs));
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(e->mix_shift);
}

TEST(EvidenceTest, NamesANewValueWithItsFirstSeenTimeAndCohortContrast) {
  Builder b;
  b.Add(kDay1, kDay2 + 6 * kHourMs, 4000, "d1", "m1", 100, 100);
  b.Add(kDay2 + 6 * kHourMs, kDay2 + 12 * kHourMs, 1400, "d1", "m1", 100, 100);
  b.Add(kDay2 + 6 * kHourMs, kDay2 + 12 * kHourMs, 600, "d1", "m2", 100, 300);  // new, slower
  auto e = CollectEvidence(b.cube, On({}, kDay2 + 6 * kHourMs, kDay2 + 12 * kHourMs));
  ASSERT_TRUE(e.ok());
  ASSERT_FALSE(e->what_changed.empty());
  const ChangedValue& cv = e->what_changed[0];
  EXPECT_EQ(cv.dimension, "model");
  EXPECT_EQ(cv.value, "m2");
  EXPECT_EQ(cv.first_seen, kDay2 + 6 * kHourMs);
  EXPECT_NEAR(cv.share_before, 0, 1e-9);
  EXPECT_NEAR(cv.share_after, 0.3, 0.01);
  EXPECT_GT(cv.metric_value, 1.5 * cv.siblings_value);
}

}  // namespace
}  // namespace vigil
