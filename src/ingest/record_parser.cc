#include "ingest/record_parser.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "common/text.h"
#include "vigil/time.h"

namespace vigil::internal {

std::vector<FieldTarget> MappedFields(const InputMapping& m) {
  std::vector<FieldTarget> out;
  auto add = [&](FieldTarget::Role role, int index, const std::string& path) {
    if (!path.empty()) out.push_back({role, index, path});
  };
  add(FieldTarget::kTime, 0, m.time_field);
  add(FieldTarget::kRequestId, 0, m.request_id_field);
  add(FieldTarget::kDeviceId, 0, m.device_id_field);
  for (size_t i = 0; i < m.dimensions.size(); ++i)
    add(FieldTarget::kDimension, static_cast<int>(i), m.dimensions[i].path);
  for (size_t i = 0; i < m.measures.size(); ++i)
    add(FieldTarget::kMeasure, static_cast<int>(i), m.measures[i].path);
  for (size_t i = 0; i < m.flags.size(); ++i)
    add(FieldTarget::kFlag, static_cast<int>(i), m.flags[i].path);
  bool message_is_attribute = false;
  for (size_t i = 0; i < m.attributes.size(); ++i) {
    add(FieldTarget::kAttribute, static_cast<int>(i), m.attributes[i].path);
    if (!m.message_field.empty() && m.attributes[i].path == m.message_field) {
      out.back().also_message = true;  // one field, two uses: a path is looked up once
      message_is_attribute = true;
    }
  }
  if (!message_is_attribute) add(FieldTarget::kMessage, 0, m.message_field);
  return out;
}

Event EmptyEvent(const InputMapping& m) {
  Event e;
  e.dimensions.resize(m.dimensions.size());
  e.measures.resize(m.measures.size());
  e.flags.resize(m.flags.size());
  e.attributes.resize(m.attributes.size());
  e.Reset();
  return e;
}

namespace {

// Stores a text value for a string role; false for roles that do not take text.
bool AssignText(const FieldTarget& t, std::string_view text, Event* e) {
  switch (t.role) {
    case FieldTarget::kRequestId:
      e->request_id = text;
      return true;
    case FieldTarget::kDeviceId:
      e->device_id = text;
      return true;
    case FieldTarget::kDimension:
      e->dimensions[t.index] = text;
      return true;
    case FieldTarget::kAttribute:
      e->attributes[t.index] = text;
      if (t.also_message) e->message = text;
      return true;
    case FieldTarget::kMessage:
      e->message = text;
      return true;
    default:
      return false;
  }
}

// An event time outside [kMinTime, kMaxTime) would overflow bucket and duration arithmetic
// downstream, so such a line is bad rather than accepted. Numbers are compared as doubles so
// that 8.9e15 or 1e300 never reach an integer conversion.
bool InEventRange(double t) {
  return t >= static_cast<double>(kMinTime) && t < static_cast<double>(kMaxTime);
}

std::string OutOfRange(const std::string& what) {
  return what + " is outside the supported range 1970-01-01T00:00:00Z to 2200-01-01T00:00:00Z";
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// JSON Lines

JsonLineParser::JsonLineParser(const InputMapping& mapping) {
  nodes_.emplace_back();
  for (const FieldTarget& t : MappedFields(mapping)) {
    if (t.role == FieldTarget::kTime) time_path_ = t.path;
    std::vector<std::string_view> parts = Split(t.path, '.');
    int node = 0;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      int child = -1;
      for (const Entry& e : nodes_[node].entries)
        if (e.child >= 0 && e.key == parts[i]) child = e.child;
      if (child < 0) {
        child = static_cast<int>(nodes_.size());
        nodes_[node].entries.push_back({std::string(parts[i]), FieldTarget{}, child});
        nodes_.emplace_back();
      }
      node = child;
    }
    nodes_[node].entries.push_back({std::string(parts.back()), t, -1});
  }
  scratch_.resize(mapping.dimensions.size() + mapping.attributes.size() + 2);
}

int JsonLineParser::Lookup(Node& node, size_t position, std::string_view key) {
  if (position < node.predicted.size() && node.predicted[position].first == key) {
    return node.predicted[position].second;
  }
  int found = -1;
  for (size_t i = 0; i < node.entries.size(); ++i) {
    if (node.entries[i].key == key) {
      found = static_cast<int>(i);
      break;
    }
  }
  if (position < 64) {  // remember, for the lines to come
    if (node.predicted.size() <= position) node.predicted.resize(position + 1);
    node.predicted[position] = {std::string(key), found};
  }
  return found;
}

bool JsonLineParser::Parse(const char* line, size_t length, size_t capacity, Event* event,
                           std::string* reason) {
  event->Reset();
  saw_time_ = false;
  (void)capacity;  // the buffer carries simdjson's padding after every line
  simdjson::dom::element doc;
  auto err = parser_.parse(reinterpret_cast<const uint8_t*>(line), length, false).get(doc);
  if (err) {
    *reason = std::string("invalid JSON: ") + simdjson::error_message(err);
    return false;
  }
  simdjson::dom::object object;
  if (doc.get_object().get(object)) {
    *reason = "not a JSON object";
    return false;
  }
  if (!ParseObject(object, 0, event, reason)) return false;
  if (!saw_time_) {
    *reason = "missing field '" + time_path_ + "'";
    return false;
  }
  return true;
}

bool JsonLineParser::ParseObject(simdjson::dom::object object, int node, Event* event,
                                 std::string* reason) {
  size_t position = 0;
  for (simdjson::dom::key_value_pair field : object) {
    int index = Lookup(nodes_[node], position++, field.key);
    if (index < 0) continue;  // an unmapped field
    const Entry& entry = nodes_[node].entries[index];
    if (entry.child < 0) {
      if (!Assign(entry.target, field.value, event, reason)) return false;
      continue;
    }
    simdjson::dom::object inner;
    if (field.value.get_object().get(inner)) {
      if (field.value.is_null()) continue;  // a null group: its fields are missing
      *reason = "field '" + entry.key + "': expected an object";
      return false;
    }
    if (!ParseObject(inner, entry.child, event, reason)) return false;
  }
  return true;
}

namespace {

// The JSON spelling of a number or boolean used as a label (e.g. os_version 17).
void ScalarText(simdjson::dom::element v, std::string* out) {
  char buf[64];
  char* end = buf;
  switch (v.type()) {
    case simdjson::dom::element_type::INT64:
      end = std::to_chars(buf, buf + sizeof buf, int64_t(v)).ptr;
      break;
    case simdjson::dom::element_type::UINT64:
      end = std::to_chars(buf, buf + sizeof buf, uint64_t(v)).ptr;
      break;
    case simdjson::dom::element_type::DOUBLE:
      end = std::to_chars(buf, buf + sizeof buf, double(v)).ptr;
      break;
    case simdjson::dom::element_type::BOOL:
      out->assign(bool(v) ? "true" : "false");
      return;
    default:
      break;
  }
  out->assign(buf, end);
}

}  // namespace

bool JsonLineParser::Assign(const FieldTarget& t, simdjson::dom::element value, Event* e,
                            std::string* reason) {
  using ET = simdjson::dom::element_type;
  ET type = value.type();
  if (type == ET::NULL_VALUE) {
    if (t.role == FieldTarget::kTime) {
      *reason = "field '" + t.path + "': null timestamp";
      return false;
    }
    return true;  // missing
  }
  auto fail = [&](const std::string& why) {
    *reason = "field '" + t.path + "': " + why;
    return false;
  };
  bool number = type == ET::INT64 || type == ET::UINT64 || type == ET::DOUBLE;
  switch (t.role) {
    case FieldTarget::kTime: {
      saw_time_ = true;
      if (type == ET::INT64) {
        int64_t millis = int64_t(value);
        if (!InEventRange(static_cast<double>(millis))) {
          return fail(OutOfRange("epoch milliseconds " + std::to_string(millis)));
        }
        e->time = millis;
        return true;
      }
      if (number) {
        double d = double(value);
        if (!std::isfinite(d)) return fail("bad epoch milliseconds");
        if (!InEventRange(d)) {
          char shown[32];
          std::snprintf(shown, sizeof shown, "%.17g", d);
          return fail(OutOfRange("epoch milliseconds " + std::string(shown)));
        }
        e->time = static_cast<int64_t>(d);
        return true;
      }
      if (type != ET::STRING) return fail("expected an RFC 3339 string or epoch milliseconds");
      auto ts = ParseTimestamp(std::string_view(value));
      if (!ts.ok()) return fail(ts.status().message());  // out-of-range times included
      e->time = *ts;
      return true;
    }
    case FieldTarget::kMeasure: {
      if (!number) {
        if (type == ET::STRING)
          return fail("expected a number, got \"" + ShownValue(std::string_view(value)) + "\"");
        return fail("expected a number");
      }
      double d = double(value);
      if (!std::isfinite(d)) return fail("number out of range");
      e->measures[t.index] = d;
      return true;
    }
    case FieldTarget::kFlag: {
      if (type == ET::BOOL) {
        e->flags[t.index] = bool(value) ? FlagValue::kTrue : FlagValue::kFalse;
        return true;
      }
      if (type == ET::INT64 && (int64_t(value) == 0 || int64_t(value) == 1)) {
        e->flags[t.index] = int64_t(value) ? FlagValue::kTrue : FlagValue::kFalse;
        return true;
      }
      return fail("expected true or false");
    }
    default: {
      if (type == ET::STRING) {
        AssignText(t, std::string_view(value), e);
        return true;
      }
      if (t.role == FieldTarget::kMessage) return true;  // only text is a message
      if (number || type == ET::BOOL) {
        size_t slot = (t.role == FieldTarget::kDimension ? 0 : e->dimensions.size()) + t.index;
        if (t.role == FieldTarget::kRequestId) slot = scratch_.size() - 2;
        if (t.role == FieldTarget::kDeviceId) slot = scratch_.size() - 1;
        ScalarText(value, &scratch_[slot]);
        AssignText(t, scratch_[slot], e);
        return true;
      }
      return fail("expected a string");
    }
  }
}

// ---------------------------------------------------------------------------------------------
// CSV

Result<CsvLineParser> CsvLineParser::Create(std::string_view header, const InputMapping& mapping) {
  if (!header.empty() && header.back() == '\r') header.remove_suffix(1);
  CsvLineParser p;
  std::vector<FieldTarget> mapped = MappedFields(mapping);
  bool has_time = false;
  for (std::string_view name : Split(header, ',')) {
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
      name = name.substr(1, name.size() - 2);
    }
    FieldTarget target;
    for (const FieldTarget& t : mapped)
      if (t.path == name) target = t;
    has_time |= target.role == FieldTarget::kTime;
    p.columns_.push_back(target);
  }
  if (!has_time) {
    return DataError("the CSV header has no column '" + mapping.time_field + "' (the time field)");
  }
  p.unquoted_.resize(p.columns_.size());
  return p;
}

bool CsvLineParser::Parse(std::string_view line, Event* e, std::string* reason) {
  e->Reset();
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  fields_.clear();
  size_t i = 0;
  while (true) {
    if (i < line.size() && line[i] == '"') {
      // Quoted field: "" is an escaped quote.
      std::string& buf = unquoted_[std::min(fields_.size(), unquoted_.size() - 1)];
      buf.clear();
      size_t j = i + 1;
      bool closed = false;
      while (j < line.size()) {
        if (line[j] == '"') {
          if (j + 1 < line.size() && line[j + 1] == '"') {
            buf.push_back('"');
            j += 2;
            continue;
          }
          closed = true;
          ++j;
          break;
        }
        buf.push_back(line[j++]);
      }
      if (!closed) {
        *reason = "unterminated quoted field in column " + std::to_string(fields_.size() + 1);
        return false;
      }
      if (j < line.size() && line[j] != ',') {
        *reason = "text after a quoted field in column " + std::to_string(fields_.size() + 1);
        return false;
      }
      fields_.push_back(buf);
      i = j;
    } else {
      size_t j = line.find(',', i);
      if (j == std::string_view::npos) j = line.size();
      fields_.push_back(line.substr(i, j - i));
      i = j;
    }
    if (i >= line.size()) break;
    ++i;  // the comma
    if (i == line.size()) {
      fields_.push_back({});
      break;
    }
  }
  if (fields_.size() != columns_.size()) {
    *reason = "expected " + std::to_string(columns_.size()) + " fields, found " +
              std::to_string(fields_.size());
    return false;
  }
  for (size_t c = 0; c < columns_.size(); ++c) {
    const FieldTarget& t = columns_[c];
    std::string_view v = fields_[c];
    if (t.role == FieldTarget::kNone) continue;
    if (v.empty()) {
      if (t.role == FieldTarget::kTime) {
        *reason = "field '" + t.path + "': empty timestamp";
        return false;
      }
      continue;
    }
    switch (t.role) {
      case FieldTarget::kTime: {
        auto ts = ParseTimestamp(v);
        if (!ts.ok()) {
          *reason = "field '" + t.path + "': " + ts.status().message();
          return false;
        }
        e->time = *ts;
        break;
      }
      case FieldTarget::kMeasure: {
        double d;
        auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
        if (ec != std::errc() || p != v.data() + v.size() || !std::isfinite(d)) {
          *reason = "field '" + t.path + "': expected a number, got '" + ShownValue(v) + "'";
          return false;
        }
        e->measures[t.index] = d;
        break;
      }
      case FieldTarget::kFlag:
        if (v == "true" || v == "1" || v == "True" || v == "TRUE") {
          e->flags[t.index] = FlagValue::kTrue;
        } else if (v == "false" || v == "0" || v == "False" || v == "FALSE") {
          e->flags[t.index] = FlagValue::kFalse;
        } else {
          *reason = "field '" + t.path + "': expected true or false, got '" + ShownValue(v) + "'";
          return false;
        }
        break;
      default:
        // JSON Lines are valid UTF-8 (simdjson checks); CSV text is held to the same, since
        // values end up in JSON documents (incidents, the API) that must stay valid.
        if (!simdjson::validate_utf8(v.data(), v.size())) {
          *reason = "field '" + t.path + "': not valid UTF-8 text";
          return false;
        }
        AssignText(t, v, e);
        break;
    }
  }
  return true;
}

}  // namespace vigil::internal
