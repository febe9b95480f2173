// Helpers shared by the subcommands.
#pragma once

#include <memory>
#include <string>

#include "vigil/config.h"
#include "vigil/status.h"

namespace vigil::cli {

/// Loads and validates a config file.
Result<std::shared_ptr<const Config>> LoadConfig(const std::string& path);

/// 1234567 → "1,234,567".
std::string Thousands(uint64_t n);

/// A rate for people: 1.53e6 → "1.53 M".
std::string HumanRate(double per_second);

/// A metric value for people, by unit.
std::string FormatValue(double value, const std::string& unit);

}  // namespace vigil::cli
