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
  for (const char* bad : {"", "yesterday", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
                          "2026-03-02T25:00:00Z", "2026-03-02T14:05:00", "2026-03-02T14:05Zq",
                          "2026-03-02T14:05:00+0200"}) {
    auto r = ParseTimestamp(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("bad timestamp"), std::string::npos);
  }
}

TEST(TimeTest, FormatsRoundTrip) {
  for (TimeMs t : {0LL, 1772460300000LL, 1772460300123LL, -86400000LL, 4102444800000LL}) {
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

}  // namespace
}  // namespace vigil
