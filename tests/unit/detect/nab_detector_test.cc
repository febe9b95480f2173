// The "nab" detector on synthetic series: a weekly habit is learnt, a real shift is reported once.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "vigil/detect.h"

namespace vigil {
namespace {

constexpr int64_t kStep = 5 * kMinuteMs;
constexpr int64_t kSlotsPerDay = kDayMs / kStep;
constexpr double kFire = 0.997;  // the detector's own detection level (docs/nab.md)
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
  const int64_t shift = 5 * 7 * kSlotsPerDay + 2 * kSlotsPerDay + kSlotsPerDay / 2;  // a Wednesday noon
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

}  // namespace
}  // namespace vigil
