#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "vigil/learn.h"

namespace vigil {
namespace {

constexpr int64_t kSlot = int64_t{5} * 60 * 1000;
constexpr int64_t kDay = int64_t{24} * 60 * 60 * 1000;
constexpr int64_t kHour = int64_t{3600} * 1000;

TEST(SeasonalBaselineTest, ResidualsRemoveTheDailyCycle) {
  // 14 days of 5-minute buckets; feature 0 follows a daily cycle of amplitude 100 with noise of
  // sd 2, feature 1 is flat at 50 with noise of sd 5.
  std::mt19937_64 rng(1);
  std::normal_distribution<double> noise(0, 1);
  std::vector<int64_t> times;
  std::vector<double> x;
  const int64_t start = 1772409600000;  // 2026-03-02T00:00:00Z
  for (int64_t t = start; t < start + int64_t{14} * kDay; t += kSlot) {
    const double phase = 2 * M_PI * static_cast<double>((t - start) % kDay) / kDay;
    times.push_back(t);
    x.push_back(300 + 100 * std::sin(phase) + 2 * noise(rng));
    x.push_back(50 + 5 * noise(rng));
  }
  auto baseline = SeasonalBaseline::Fit(times, RowsView(x, 2), kDay, kSlot);
  ASSERT_TRUE(baseline.ok()) << baseline.status().ToString();
  EXPECT_EQ(baseline->slots(), 288u);
  EXPECT_EQ(baseline->features(), 2u);
  // The slot at 06:00 peaks (sin = 1).
  EXPECT_NEAR(baseline->Median(start + 6 * kHour, 0), 400, 3);
  // A slot median of 14 noisy points lies within ~1 sd of the cycle, so the residuals' robust
  // scale is about the noise's sd (times sqrt(1 + pi / (2 * 14)) for the median's own error).
  EXPECT_NEAR(baseline->Scale(0), 2, 0.3);
  EXPECT_NEAR(baseline->Scale(1), 5, 0.75);

  // A new day: an ordinary point sits near 0, a step of +20 on feature 0 at 06:00 is ~10 units.
  std::vector<int64_t> later = {start + int64_t{20} * kDay + 6 * kHour,
                                start + int64_t{20} * kDay + 18 * kHour};
  std::vector<double> rows = {400, 50, 200 + 20, 50};
  auto r = baseline->Residuals(later, RowsView(rows, 2));
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR((*r)[0], 0, 1.5);
  EXPECT_NEAR((*r)[1], 0, 0.5);
  EXPECT_NEAR((*r)[2], 10, 2);
}

TEST(SeasonalBaselineTest, BadArgumentsAndNaN) {
  std::vector<int64_t> times = {0, kSlot, -kSlot};
  std::vector<double> x = {1, 2, NAN};
  EXPECT_EQ(
      SeasonalBaseline::Fit(times, RowsView(x, 1), kDay, int64_t{7} * 60 * 1000).status().code(),
      StatusCode::kInvalidArgument);
  EXPECT_FALSE(SeasonalBaseline::Fit({0}, RowsView(x, 1), kDay, kSlot).ok());
  auto b = SeasonalBaseline::Fit(times, RowsView(x, 1), kDay, kSlot);
  ASSERT_TRUE(b.ok());
  // Before 1970 is the slot of the same time of day; the NaN's slot falls back to the median.
  EXPECT_EQ(b->Median(kDay - kSlot, 0), 1.5);
  auto r = b->Residuals(times, RowsView(x, 1));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(std::isnan((*r)[2]));
  EXPECT_EQ(b->Residuals({0}, RowsView(x, 1)).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vigil
