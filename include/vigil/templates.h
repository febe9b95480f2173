// Failure-message templates: messages clustered into token templates in the style of Drain
// (variable parts masked as `<*>`), counted in an anomalous window against a baseline window.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace vigil {

/// One template with its counts in both windows.
struct ErrorTemplate {
  std::string text;             ///< e.g. "ASR timeout after <*> ms"
  uint64_t count = 0;           ///< messages in the anomalous window
  uint64_t baseline_count = 0;  ///< in the baseline window
};

/// Collects messages, then clusters them. Deterministic: the templates depend only on the
/// multiset of messages, not on their order.
///
/// Method: tokens split on white space; a token holding a digit is a variable (`<*>`) from the
/// start. Messages with the same masked text are counted together. The masked texts are then
/// grouped like Drain's parse tree (same token count, then the same first token) and, largest
/// first, each joins the most similar template of its group when at least half of its tokens
/// agree; tokens that differ become `<*>`. Cost: O(distinct masked texts × templates per group).
class TemplateMiner {
 public:
  /// Adds a message seen in the anomalous window (`baseline` false) or the baseline window.
  void Add(std::string_view message, bool baseline, uint64_t count = 1);
  /// The templates, largest increase first: count − baseline_count × `baseline_scale` (the ratio
  /// of the two windows' traffic), then by count. At most `max` of them.
  std::vector<ErrorTemplate> Templates(double baseline_scale = 1.0, size_t max = 10) const;

  /// The masked form of one message (digits-bearing tokens as `<*>`, single spaces).
  static std::string Mask(std::string_view message);

 private:
  std::map<std::string, std::pair<uint64_t, uint64_t>> masked_;  // text → (count, baseline)
};

}  // namespace vigil
