// Parsing one input line (a JSON object or a CSV row) into a mapped Event.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

#include "vigil/config.h"
#include "vigil/event.h"

namespace vigil::internal {

/// Where a mapped field goes in an Event.
struct FieldTarget {
  enum Role {
    kNone,
    kTime,
    kRequestId,
    kDeviceId,
    kDimension,
    kMeasure,
    kFlag,
    kAttribute,
    kMessage
  };
  Role role = kNone;
  int index = 0;
  std::string path;           ///< dotted path, for messages
  bool also_message = false;  ///< an attribute that is also the failure message (same field)
};

/// JSON Lines: one object per line, mapped fields found by dotted path. Uses simdjson's DOM
/// parser, which picks the fastest kernel for the CPU at run time (its on-demand API would be
/// fixed at compile time to the portable one) and validates the whole line.
class JsonLineParser {
 public:
  explicit JsonLineParser(const InputMapping& mapping);
  /// Parses `line` (which must be followed by readable padding up to `capacity` bytes) into
  /// `event`. Returns false and sets `*reason` when the line is bad.
  bool Parse(const char* line, size_t length, size_t capacity, Event* event, std::string* reason);

 private:
  struct Entry {  // a key of one level of the path tree: a field, or a nested level
    std::string key;
    FieldTarget target;  // role kNone for a nested level
    int child = -1;      // index into nodes_
  };
  struct Node {
    std::vector<Entry> entries;
    // Keys arrive in the same order line after line: remember the entry (or -1 for an unmapped
    // key) seen at each position, so that a lookup is usually one comparison.
    std::vector<std::pair<std::string, int>> predicted;
  };
  int Lookup(Node& node, size_t position, std::string_view key);
  bool ParseObject(simdjson::dom::object object, int node, Event* event, std::string* reason);
  bool Assign(const FieldTarget& target, simdjson::dom::element value, Event* event,
              std::string* reason);

  std::vector<Node> nodes_;
  simdjson::dom::parser parser_;
  bool saw_time_ = false;
  std::string time_path_;
  std::vector<std::string> scratch_;  // numbers and booleans used as dimension values
};

/// CSV with a header naming the columns by dotted path; one record per line.
class CsvLineParser {
 public:
  /// Reads the header; unknown columns are ignored, the time column is required.
  static Result<CsvLineParser> Create(std::string_view header, const InputMapping& mapping);
  bool Parse(std::string_view line, Event* event, std::string* reason);

 private:
  std::vector<FieldTarget> columns_;
  std::vector<std::string_view> fields_;
  std::vector<std::string> unquoted_;
};

/// Resolves every mapped field path to its target.
std::vector<FieldTarget> MappedFields(const InputMapping& mapping);

/// An Event sized for `mapping` (every field missing).
Event EmptyEvent(const InputMapping& mapping);

}  // namespace vigil::internal
