// Dictionary encoding of one dimension's values, with the cardinality limit.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/hash.h"

namespace vigil::internal {

struct StringViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return Hash64(s); }
};

/// Values ↔ dense codes. Past `limit` distinct values, new values fold into `__other__`
/// (which takes one code of its own, beyond the limit).
class Dictionary {
 public:
  explicit Dictionary(int64_t limit) : limit_(limit) {}

  /// The code of `value`, adding it (or folding it) when new.
  uint32_t Encode(std::string_view value);
  /// The code of `value`, or -1 when unknown.
  int64_t Find(std::string_view value) const;
  const std::string& Value(uint32_t code) const { return values_[code]; }
  const std::vector<std::string>& values() const { return values_; }
  size_t size() const { return values_.size(); }
  int64_t limit() const { return limit_; }
  uint64_t folded_events() const { return folded_events_; }
  void add_folded_events(uint64_t n) { folded_events_ += n; }
  void set_folded_events(uint64_t n) { folded_events_ = n; }
  /// Appends a value read from a serialized form; false when it is a duplicate.
  bool Append(std::string value);

 private:
  int64_t limit_;
  std::vector<std::string> values_;
  // Open addressing on (hash, code + 1): one hash of the incoming bytes per lookup, no
  // allocation on a hit. std::unordered_map cost twice as much on the ingest hot path.
  std::vector<uint64_t> slot_hash_ = std::vector<uint64_t>(64, 0);
  std::vector<uint32_t> slot_code_ = std::vector<uint32_t>(64, 0);
  int64_t FindHashed(std::string_view value, uint64_t hash, size_t* slot) const;
  void Insert(std::string value, uint64_t hash, size_t slot);
  int64_t other_code_ = -1;
  uint64_t folded_events_ = 0;
};

}  // namespace vigil::internal
