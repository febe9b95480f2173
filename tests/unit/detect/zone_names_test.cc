// The zone a locale lives in: the config's map first, else its country's zone from tzdata, else
// the default zone.
#include <gtest/gtest.h>

#include "detect/series_job.h"

namespace vigil::internal {
namespace {

Config WithZones() {
  Config c;
  c.detect.timezone = "UTC";
  c.detect.zone_dimension = "locale";
  c.detect.timezones = {{"en-US", "America/Los_Angeles"}};
  return c;
}

TEST(ZoneOfValueTest, TheConfigsMapComesFirst) {
  EXPECT_EQ(ZoneOfValue(WithZones(), "en-US"), "America/Los_Angeles");
}

TEST(ZoneOfValueTest, ALocaleNobodyListedLivesInItsCountrysZone) {
  Config c = WithZones();
  EXPECT_EQ(ZoneOfValue(c, "th-TH"), "Asia/Bangkok");
  EXPECT_EQ(ZoneOfValue(c, "pt_BR"), "America/Sao_Paulo");  // many zones: the principal one
  EXPECT_EQ(ZoneOfValue(c, "es-us"), "America/New_York");
  EXPECT_EQ(ZoneOfValue(c, "zh_Hant_TW"), "Asia/Taipei");
  // Every zone named loads.
  for (const char* v : {"ar-SA", "id-ID", "tr-TR", "fr-CA", "es-MX", "en-AU", "ru-RU", "uk-UA"})
    EXPECT_TRUE(TimeZone::Load(ZoneOfValue(c, v)).ok()) << v;
}

TEST(ZoneOfValueTest, WithoutACountryTheDefaultZone) {
  Config c = WithZones();
  EXPECT_EQ(ZoneOfValue(c, "es-419"), "UTC");
  EXPECT_EQ(ZoneOfValue(c, "de"), "UTC");
  EXPECT_EQ(ZoneOfValue(c, "xx-QQ"), "UTC");
}

}  // namespace
}  // namespace vigil::internal
