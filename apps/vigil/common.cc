#include "common.h"

#include <cmath>
#include <fmt/format.h>

namespace vigil::cli {

Result<std::shared_ptr<const Config>> LoadConfig(const std::string& path) {
  VIGIL_ASSIGN_OR_RETURN(Config config, Config::Load(path));
  return std::make_shared<const Config>(std::move(config));
}

std::string Thousands(uint64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(i, ",");
  return s;
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
