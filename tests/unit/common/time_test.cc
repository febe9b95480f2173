#include "vigil/time.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(TimeTest, ParsesRfc3339InUtcAndWithOffsets) {
  EXPECT_EQ(*ParseTimestamp("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseTimestamp("2026-03-02T14:05:00.123Z"), 1772460300123);
  EXPECT_EQ(*ParseTimestamp("2026-03-02T16:05:00.123+02:00"), 1772460300123);
  EXPECT_EQ(*ParseTimestamp("2026-03-02 14:05:00Z"), 1772460300000);
  EXPECT_EQ(*ParseTimestamp("2026-03-02"), 1772409600000);
  EXPECT_EQ(*ParseTimestamp("1772460300123"), 1772460300123);
}

TEST(TimeTest, RejectsMalformedTimestampsWithAReason) {
  for (const char* bad :
       {"", "yesterday", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-03-02T25:00:00Z",
        "2026-03-02T14:05:00", "2026-03-02T14:05Zq", "2026-03-02T14:05:00+0200"}) {
    auto r = ParseTimestamp(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("bad timestamp"), std::string::npos);
  }
}

TEST(TimeTest, FormatsRoundTrip) {
  for (TimeMs t : {TimeMs{1}, TimeMs{1772460300000}, TimeMs{1772460300123}, TimeMs{4102444800000},
                   kMaxTime - 1}) {
    EXPECT_EQ(*ParseTimestamp(FormatTimestamp(t)), t);
  }
  EXPECT_EQ(FormatTimestamp(1772460300000), "2026-03-02T14:05:00Z");
}

TEST(TimeTest, DurationsAndBuckets) {
  EXPECT_EQ(*ParseDuration("5m"), 300000);
  EXPECT_EQ(*ParseDuration("1h"), 3600000);
  EXPECT_EQ(*ParseDuration("2d"), 2 * kDayMs);
  EXPECT_FALSE(ParseDuration("5").ok());
  EXPECT_FALSE(ParseDuration("0m").ok());
  EXPECT_FALSE(ParseDuration("5y").ok());
  EXPECT_EQ(FormatDuration(300000), "5m");
  EXPECT_EQ(FormatDuration(90000), "90s");
  EXPECT_EQ(BucketStart(1772460300123, kHourMs), 1772460000000);
  EXPECT_EQ(BucketStart(-1, kHourMs), -kHourMs);
}

TEST(TimeTest, RefusesTimesOutsideTheSupportedRange) {
  // Each of these was once accepted and poisoned the store for every later command.
  for (const char* bad :
       {"-9223372036854775808", "9223372036854775807", "-8900000000000000", "8900000000000000",
        "99999999999999999999", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2200-01-01",
        "1969-12-31T23:59:59.999Z", "1970-01-01T00:30:00+01:00", "-1"}) {
    auto r = ParseTimestamp(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("supported range 1970-01-01 to 2200-01-01"),
              std::string::npos)
        << r.status().message();
  }
  EXPECT_EQ(*ParseTimestamp("2199-12-31T23:59:59.999Z"), kMaxTime - 1);
  EXPECT_EQ(*ParseTimestamp("1970-01-01T01:00:00+01:00"), kMinTime);
}

TEST(TimeTest, DurationsNeverOverflow) {
  for (const char* bad : {"9223372036854775807w", "2305843009213693652s", "18014398509481984w",
                          "9223372036854775807ms", "12001w", "84007d"}) {
    auto r = ParseDuration(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("longer than"), std::string::npos) << r.status().message();
  }
  EXPECT_EQ(*ParseDuration("84006d"), kMaxDurationMs);
  // A long input is quoted shortened, never echoed whole.
  EXPECT_LT(ParseDuration(std::string(100000, '9') + "x").status().message().size(), 200u);
}

TEST(TimeTest, BucketsAndFormattingAreDefinedForEveryValue) {
  EXPECT_EQ(BucketStart(INT64_MIN, kHourMs), INT64_MIN);
  EXPECT_EQ(BucketStart(INT64_MAX, kDayMs), INT64_MAX - INT64_MAX % kDayMs);
  EXPECT_EQ(BucketStart(INT64_MIN + 5, 7), INT64_MIN + 1);
  EXPECT_EQ(BucketStart(INT64_MIN, 7), INT64_MIN);  // its bucket would start before INT64_MIN
  EXPECT_FALSE(FormatTimestamp(INT64_MIN).empty());
  EXPECT_FALSE(FormatTimestamp(INT64_MAX).empty());
}

TEST(TimeTest, TimeZonesLoadOrNameTheMissingZone) {
  EXPECT_TRUE(TimeZone::Load("UTC").ok());
  auto bad = TimeZone::Load("Mars/Olympus_Mons");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("Mars/Olympus_Mons"), std::string::npos);
  EXPECT_FALSE(TimeZone::Load("../../etc/passwd").ok());
}

// Daylight-time changes to the end of the supported range, at the exact instant (a half-hour
// zone included), as Python's zoneinfo computes them from the same tzdata.
TEST(TimeTest, TimeZonesFollowTheirRulesToTheEndOfTheRange) {
  struct Change {
    const char* zone;
    TimeMs at;
    int64_t before, after;
  };
  for (const Change& c : {Change{"Europe/Berlin", 5687802000000, kHourMs, 2 * kHourMs},
                          Change{"America/New_York", 6948831600000, -5 * kHourMs, -4 * kHourMs},
                          Change{"Australia/Adelaide", 4757589000000, 9 * kHourMs + 30 * kMinuteMs,
                                 10 * kHourMs + 30 * kMinuteMs},
                          Change{"Australia/Adelaide", 1791045000000, 9 * kHourMs + 30 * kMinuteMs,
                                 10 * kHourMs + 30 * kMinuteMs}}) {
    auto tz = TimeZone::Load(c.zone);
    ASSERT_TRUE(tz.ok()) << c.zone;
    EXPECT_EQ(tz->OffsetAt(c.at - 1), c.before) << c.zone << " " << FormatTimestamp(c.at);
    EXPECT_EQ(tz->OffsetAt(c.at), c.after) << c.zone << " " << FormatTimestamp(c.at);
  }
}

}  // namespace
}  // namespace vigil
