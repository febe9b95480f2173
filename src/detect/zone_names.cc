// The time zone a value of the zone dimension lives in. The config's `detect.timezones` first;
// else, for a locale with a country (th-TH, pt_BR, es-419 has none), the country's zone from the
// system's tzdata (zone.tab); else the default zone. A locale nobody listed still follows its own
// clock: judged in UTC, Bangkok's Saturday starts on Friday at 17:00 and every week pages.
#include <fstream>
#include <sstream>

#include "detect/series_job.h"

namespace vigil::internal {
namespace {

// Countries over several zones: zone.tab lists them west to east, not by people. The zone most
// of the country's people live in.
const std::map<std::string, std::string>& PrincipalZones() {
  static const std::map<std::string, std::string> zones = {
      {"AR", "America/Argentina/Buenos_Aires"},
      {"AU", "Australia/Sydney"},
      {"BR", "America/Sao_Paulo"},
      {"CA", "America/Toronto"},
      {"CD", "Africa/Kinshasa"},
      {"CL", "America/Santiago"},
      {"CN", "Asia/Shanghai"},
      {"DE", "Europe/Berlin"},
      {"EC", "America/Guayaquil"},
      {"ES", "Europe/Madrid"},
      {"ID", "Asia/Jakarta"},
      {"KZ", "Asia/Almaty"},
      {"MN", "Asia/Ulaanbaatar"},
      {"MX", "America/Mexico_City"},
      {"MY", "Asia/Kuala_Lumpur"},
      {"NZ", "Pacific/Auckland"},
      {"PT", "Europe/Lisbon"},
      {"RU", "Europe/Moscow"},
      {"UA", "Europe/Kyiv"},
      {"US", "America/New_York"},
      {"UZ", "Asia/Tashkent"},
  };
  return zones;
}

// Country code -> zone: the principal zone, else the first zone.tab lists for the country.
std::map<std::string, std::string> LoadCountryZones() {
  std::ifstream in("/usr/share/zoneinfo/zone.tab");
  if (!in) return {};  // no tzdata: no zone to load either
  std::map<std::string, std::string> out = PrincipalZones();
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string country, coordinates, zone;
    if (std::getline(fields, country, '\t') && std::getline(fields, coordinates, '\t') &&
        std::getline(fields, zone, '\t')) {
      out.emplace(country, zone);  // keeps the principal or the first
    }
  }
  return out;
}

// The country of a locale: its last part of two letters (en-US, zh_Hant_TW), upper-cased.
std::string CountryOf(const std::string& locale) {
  size_t cut = locale.find_last_of("-_");
  if (cut == std::string::npos) return "";
  std::string part = locale.substr(cut + 1);
  if (part.size() != 2 || !std::isalpha(static_cast<unsigned char>(part[0])) ||
      !std::isalpha(static_cast<unsigned char>(part[1]))) {
    return "";
  }
  for (char& ch : part) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return part;
}

}  // namespace

const std::string& ZoneOfValue(const Config& c, const std::string& value) {
  auto named = c.detect.timezones.find(value);
  if (named != c.detect.timezones.end()) return named->second;
  static const std::map<std::string, std::string> countries = LoadCountryZones();
  auto country = countries.find(CountryOf(value));
  if (country != countries.end()) return country->second;
  return c.detect.timezone;
}

}  // namespace vigil::internal
