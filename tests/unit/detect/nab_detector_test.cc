// The "nab" detector on synthetic series: a weekly habit and the first weekend are not news, a
// real shift is reported once and early, a lasting disturbance once rather than every day, and
// the probability is the report itself (so any threshold on it gives the same reports).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "vigil/detect.h"

namespace vigil {
namespace {

constexpr int64_t kStep = 5 * kMinuteMs;
constexpr int64_t kSlotsPerDay = kDayMs / kStep;
constexpr double kFire = 0.5;  // probability is 1 on a report, 0 elsewhere (docs/nab.md)
// 2014-01-06 00:00 UTC, a Monday.
constexpr TimeMs kMonday = 1388966400000;

// A daily cycle with noise, and every Friday 50 % busier.
double Traffic(int64_t slot, std::mt19937_64& rng) {
  double hour = double(slot % kSlotsPerDay) * 24.0 / double(kSlotsPerDay);
  int weekday = int((slot / kSlotsPerDay) % 7);  // 0 = Monday
  double v = 100 + 40 * std::sin((hour - 6) / 24 * 2 * M_PI);
  if (weekday == 4) v *= 1.5;
  return v + std::normal_distribution<double>(0, 6)(rng);
}

std::unique_ptr<Detector> MakeNab() {
  DetectorOptions options;
  options.bucket_ms = kStep;
  auto d = Detector::Create("nab", options);
  EXPECT_TRUE(d.ok()) << d.status().message();
  return d.ok() ? std::move(*d) : nullptr;
}

TEST(NabDetector, LearnsAWeeklyHabit) {
  auto nab = MakeNab();
  ASSERT_TRUE(nab);
  std::mt19937_64 rng(7);
  int friday_alarms_after_two_weeks = 0, alarms = 0;
  for (int64_t slot = 0; slot < 7 * 7 * kSlotsPerDay; ++slot) {
    Observation o;
    o.time = kMonday + slot * kStep;
    o.value = Traffic(slot, rng);
    Assessment a = nab->Update(o);
    bool friday = (slot / kSlotsPerDay) % 7 == 4;
    if (a.probability < kFire) continue;
    ++alarms;
    if (slot >= 14 * kSlotsPerDay && friday) ++friday_alarms_after_two_weeks;
  }
  // The first busy Fridays are news; once the weekly predictor has seen a week, the five after
  // them are not.
  EXPECT_EQ(friday_alarms_after_two_weeks, 0);
  EXPECT_LE(alarms, 3) << "seven weeks of a steady habit";
}

TEST(NabDetector, ReportsAShiftOnceAndEarly) {
  auto nab = MakeNab();
  ASSERT_TRUE(nab);
  std::mt19937_64 rng(11);
  const int64_t shift =
      5 * 7 * kSlotsPerDay + 2 * kSlotsPerDay + kSlotsPerDay / 2;  // a Wednesday noon
  int64_t first = -1;
  int settled_alarms_before = 0, alarms_after = 0;
  for (int64_t slot = 0; slot < shift + kSlotsPerDay / 2; ++slot) {
    Observation o;
    o.time = kMonday + slot * kStep;
    o.value = Traffic(slot, rng) + (slot >= shift ? 80 : 0);
    Assessment a = nab->Update(o);
    if (a.probability < kFire) continue;
    if (slot < shift) {
      settled_alarms_before += slot >= 14 * kSlotsPerDay;
    } else {
      ++alarms_after;
      if (first < 0) first = slot;
    }
  }
  EXPECT_LE(settled_alarms_before, 1) << "the three steady weeks before the shift";
  ASSERT_GE(first, 0) << "the shift was not reported";
  EXPECT_LE(first - shift, 3) << "reported within 15 minutes";
  EXPECT_EQ(alarms_after, 1) << "one report for one shift";
}

// Every day alike (a busy block from 09:00 to 17:00), from a Tuesday: the first Saturday is not
// news. (The daily predictor prefers days of the same kind; before any weekend day was seen it
// had nothing to go on, the local predictor spoke, and the 09:00 step paged.)
TEST(NabDetector, FirstWeekendIsNotNews) {
  auto nab = MakeNab();
  ASSERT_TRUE(nab);
  std::mt19937_64 rng(3);
  int weekend_reports = 0;
  for (int64_t slot = kSlotsPerDay; slot < 8 * kSlotsPerDay; ++slot) {  // Tuesday to Monday
    Observation o;
    o.time = kMonday + slot * kStep;
    double hour = double(slot % kSlotsPerDay) * 24.0 / double(kSlotsPerDay);
    o.value = (hour >= 9 && hour < 17 ? 68 : 20) + std::normal_distribution<double>(0, 2)(rng);
    Assessment a = nab->Update(o);
    int64_t day = slot / kSlotsPerDay;
    if (a.probability >= kFire && (day == 5 || day == 6)) ++weekend_reports;
  }
  EXPECT_EQ(weekend_reports, 0) << "the first Saturday and Sunday";
}

// Two days of a doubled noise level (a changed texture, which keeps the evidence high) are one
// episode: reported once, not once a day.
TEST(NabDetector, LastingDisturbanceIsReportedOnce) {
  auto nab = MakeNab();
  ASSERT_TRUE(nab);
  std::mt19937_64 rng(5);
  const int64_t start = 3 * 7 * kSlotsPerDay + kSlotsPerDay / 2;  // a Monday noon
  const int64_t end = start + 2 * kSlotsPerDay;
  int reports_before = 0, reports_during = 0, evident = 0;
  for (int64_t slot = 0; slot < end; ++slot) {
    Observation o;
    o.time = kMonday + slot * kStep;
    double noise = slot >= start ? 24 : 6;
    o.value = Traffic(slot, rng) + std::normal_distribution<double>(0, noise)(rng);
    Assessment a = nab->Update(o);
    if (slot >= start) evident += a.p_value < 0.01;
    if (a.probability < kFire) continue;
    if (slot < start) {
      reports_before += slot >= 14 * kSlotsPerDay;
    } else {
      ++reports_during;
    }
  }
  EXPECT_LE(reports_before, 1) << "the settled weeks before";
  EXPECT_GT(evident, kSlotsPerDay) << "the evidence stays high for more than a day";
  EXPECT_EQ(reports_during, 1) << "one report for one disturbance";
}

// The probability is a decision (0 or 1), whatever threshold is put on it; the evidence behind a
// report is in p_value.
TEST(NabDetector, ProbabilityIsTheReport) {
  auto nab = MakeNab();
  ASSERT_TRUE(nab);
  std::mt19937_64 rng(13);
  int reports = 0;
  for (int64_t slot = 0; slot < 10 * kSlotsPerDay; ++slot) {
    Observation o;
    o.time = kMonday + slot * kStep;
    o.value = Traffic(slot, rng) + (slot >= 9 * kSlotsPerDay ? 80 : 0);
    Assessment a = nab->Update(o);
    EXPECT_TRUE(a.probability == 0.0 || a.probability == 1.0) << a.probability;
    if (a.probability == 1.0) {
      ++reports;
      EXPECT_LE(a.p_value, 0.0025) << "slot " << slot;
    }
  }
  EXPECT_GE(reports, 1) << "the shift on the last day";
}

}  // namespace
}  // namespace vigil
