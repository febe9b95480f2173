// Small text helpers shared by the config and the CLI.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vigil {

/// Levenshtein distance between two strings.
size_t EditDistance(std::string_view a, std::string_view b);

/// The candidate closest to `word` when it is close enough to be a likely typo, else "".
std::string Nearest(std::string_view word, const std::vector<std::string>& candidates);

/// Splits on `sep`, keeping empty parts.
std::vector<std::string_view> Split(std::string_view s, char sep);

}  // namespace vigil
