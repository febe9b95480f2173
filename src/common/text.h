// Small text helpers shared by the config, the incident summaries and the front ends.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/status.h"

namespace vigil {

/// The whole of a small text file (a config, a scenario, a truth file), read once through one
/// stream, so pipes and `/dev/stdin` work. More than `max_bytes` is a kLimitExceeded error naming
/// the file, so `/dev/zero` ends with a message rather than exhausting memory.
Result<std::string> ReadSmallFile(const std::string& path, size_t max_bytes, const char* what);

/// Levenshtein distance between two strings.
size_t EditDistance(std::string_view a, std::string_view b);

/// The candidate closest to `word` when it is close enough to be a likely typo, else "".
std::string Nearest(std::string_view word, const std::vector<std::string>& candidates);

/// Splits on `sep`, keeping empty parts.
std::vector<std::string_view> Split(std::string_view s, char sep);

/// 1234567 → "1,234,567".
std::string Thousands(uint64_t n);

/// A value from a stranger's input, safe to put in a message: at most 40 characters (then
/// "..."), control and non-ASCII bytes as '?'.
std::string ShownValue(std::string_view v);

/// A rate for people: 1.53e6 → "1.53 M".
std::string HumanRate(double per_second);

/// A metric value for people, by unit ("ms": one decimal, "ratio": four, counts whole).
std::string FormatValue(double value, const std::string& unit);

}  // namespace vigil
