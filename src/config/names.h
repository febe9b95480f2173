// How enum values are spelled in the config file. The section readers parse these spellings and
// the parameter table prints defaults with them, so each is written once.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/config.h"

namespace vigil::internal {

template <typename Enum>
struct Spelling {
  const char* name;
  Enum value;
};

inline constexpr Spelling<MetricType> kMetricTypeNames[] = {
    {"count", MetricType::kCount},       {"rate", MetricType::kRate},
    {"quantile", MetricType::kQuantile}, {"mean", MetricType::kMean},
    {"distinct", MetricType::kDistinct}, {"expression", MetricType::kExpression}};

inline constexpr Spelling<Direction> kDirectionNames[] = {
    {"up", Direction::kUp}, {"down", Direction::kDown}, {"both", Direction::kBoth}};

inline constexpr Spelling<SinkSpec::Kind> kSinkKindNames[] = {
    {"stdout", SinkSpec::Kind::kStdout},
    {"jsonl", SinkSpec::Kind::kJsonLines},
    {"webhook", SinkSpec::Kind::kWebhook},
    {"alertmanager", SinkSpec::Kind::kAlertmanager}};

/// The value spelled `name`, if any.
template <typename Enum, size_t N>
std::optional<Enum> ValueNamed(const Spelling<Enum> (&table)[N], std::string_view name) {
  for (const Spelling<Enum>& s : table)
    if (name == s.name) return s.value;
  return std::nullopt;
}

/// The spelling of `value` ("?" for a value the table lacks).
template <typename Enum, size_t N>
const char* NameOf(const Spelling<Enum> (&table)[N], Enum value) {
  for (const Spelling<Enum>& s : table)
    if (s.value == value) return s.name;
  return "?";
}

/// Every spelling, in table order (candidates for "did you mean").
template <typename Enum, size_t N>
std::vector<std::string> AllNames(const Spelling<Enum> (&table)[N]) {
  std::vector<std::string> names;
  for (const Spelling<Enum>& s : table) names.emplace_back(s.name);
  return names;
}

}  // namespace vigil::internal
