#include "common.h"

#include <cmath>
#include <fmt/format.h>

namespace vigil::cli {

Result<std::shared_ptr<const Config>> LoadConfig(const std::string& path) {
  VIGIL_ASSIGN_OR_RETURN(Config config, Config::Load(path));
  return std::make_shared<const Config>(std::move(config));
}

Result<StoredCube> OpenStoredCube(const std::string& config_path, bool require_events) {
  VIGIL_ASSIGN_OR_RETURN(auto config, LoadConfig(config_path));
  VIGIL_ASSIGN_OR_RETURN(auto store, Store::Open(config->StorePath()));
  VIGIL_ASSIGN_OR_RETURN(Cube cube, store->LoadCube(config));
  if (require_events && cube.event_count() == 0) {
    return DataError("the store " + store->path() + " holds no events yet; run `vigil ingest` first");
  }
  return StoredCube{std::move(config), std::move(store), std::move(cube)};
}

Result<TimeMs> ParseTimeFlag(const char* flag, const std::string& text) {
  if (text.empty()) return TimeMs{0};
  auto t = ParseTimestamp(text);
  if (!t.ok()) return InvalidArgument(std::string(flag) + ": " + t.status().message());
  return *t;
}

std::string Thousands(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  out.reserve(digits.size() + digits.size() / 3);
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string HumanRate(double v) {
  if (v >= 1e9) return fmt::format("{:.2f} G", v / 1e9);
  if (v >= 1e6) return fmt::format("{:.2f} M", v / 1e6);
  if (v >= 1e3) return fmt::format("{:.1f} k", v / 1e3);
  return fmt::format("{:.0f} ", v);
}

std::string FormatValue(double v, const std::string& unit) {
  if (std::isnan(v)) return "-";
  if (unit == "ratio") return fmt::format("{:.4f}", v);
  if (unit == "ms") return fmt::format("{:.1f}", v);
  if (v == std::floor(v) && std::abs(v) < 1e15) return fmt::format("{:.0f}", v);
  return fmt::format("{:.6g}", v);
}

}  // namespace vigil::cli
