// Loading and validating the YAML configuration (yaml-cpp). Keys are checked against the
// parameter table first, so a typo is reported with its line and the nearest valid key.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "common/text.h"
#include "config/yaml_guard.h"
#include "vigil/config.h"
#include "vigil/time.h"

namespace vigil {
namespace {

constexpr size_t kMaxConfigBytes = 16 << 20;

class ConfigReader {
 public:
  ConfigReader(std::string origin) : origin_(std::move(origin)) {}

  Status Error(const YAML::Node& node, const std::string& key, const std::string& why) const {
    int line = node.IsDefined() ? node.Mark().line + 1 : 0;
    std::string where = origin_ + (line > 0 ? ":" + std::to_string(line) : "");
    return ConfigError(where + ": key '" + key + "': " + why);
  }

  // Checks every key of `node` (at table path `path`) against the parameter table.
  Status CheckKeys(const YAML::Node& node, const std::string& path) const {
    if (node.IsMap()) {
      for (auto it = node.begin(); it != node.end(); ++it) {
        std::string key = it->first.as<std::string>();
        std::string child = path.empty() ? key : path + "." + key;
        std::string wildcard = path + ".<name>";
        if (Known(child)) {
          VIGIL_RETURN_IF_ERROR(CheckKeys(it->second, child));
        } else if (Known(wildcard)) {
          VIGIL_RETURN_IF_ERROR(CheckKeys(it->second, wildcard));
        } else {
          std::string why = "unknown key";
          std::string nearest = Nearest(key, ChildrenOf(path));
          if (!nearest.empty()) why += "; did you mean '" + nearest + "'?";
          else why += "; valid keys here: " + Join(ChildrenOf(path));
          return Error(it->first, child, why);
        }
      }
    } else if (node.IsSequence()) {
      // Nested routes have the keys of their parent route.
      std::string item_path = path + "[]";
      if (item_path == "alert.route.routes[].routes[]") item_path = "alert.route.routes[]";
      if (!HasChildren(item_path)) return Status::Ok();
      for (const YAML::Node& item : node) {
        if (item.IsMap()) VIGIL_RETURN_IF_ERROR(CheckKeys(item, item_path));
      }
    }
    return Status::Ok();
  }

  template <typename T>
  Status Scalar(const YAML::Node& node, const std::string& key, T* out) const {
    if (!node.IsScalar()) return Error(node, key, "expected a single value");
    try {
      *out = node.as<T>();
    } catch (const YAML::Exception&) {
      return Error(node, key, std::string("expected ") + TypeName<T>() + ", got '" +
                                  node.Scalar() + "'");
    }
    return Status::Ok();
  }

  Status Duration(const YAML::Node& node, const std::string& key, int64_t* out) const {
    std::string text;
    VIGIL_RETURN_IF_ERROR(Scalar(node, key, &text));
    auto d = ParseDuration(text);
    if (!d.ok()) return Error(node, key, d.status().message());
    *out = *d;
    return Status::Ok();
  }

  Status Positive(const YAML::Node& node, const std::string& key, int64_t* out) const {
    VIGIL_RETURN_IF_ERROR(Scalar(node, key, out));
    if (*out <= 0) return Error(node, key, "must be positive");
    return Status::Ok();
  }

  const std::string& origin() const { return origin_; }

 private:
  template <typename T>
  static const char* TypeName() {
    if constexpr (std::is_same_v<T, std::string>) return "a string";
    else if constexpr (std::is_same_v<T, bool>) return "true or false";
    else if constexpr (std::is_integral_v<T>) return "an integer";
    else return "a number";
  }
  // A key is known when the table declares it or something below it.
  static bool Known(const std::string& path) {
    for (const ParameterSpec& p : ParameterTable()) {
      std::string_view s = p.path;
      if (s == path) return true;
      if (s.starts_with(path) && (s[path.size()] == '.' || s[path.size()] == '[')) return true;
    }
    return false;
  }
  static bool HasChildren(const std::string& prefix) {
    for (const ParameterSpec& p : ParameterTable())
      if (std::string_view(p.path).starts_with(prefix + ".")) return true;
    return false;
  }
  static std::vector<std::string> ChildrenOf(const std::string& path) {
    std::vector<std::string> out;
    std::string prefix = path.empty() ? "" : path + ".";
    for (const ParameterSpec& p : ParameterTable()) {
      std::string_view s = p.path;
      if (!s.starts_with(prefix)) continue;
      s.remove_prefix(prefix.size());
      s = s.substr(0, std::min(s.find('.'), s.find('[')));
      if (s == "<name>" || std::find(out.begin(), out.end(), s) != out.end()) continue;
      out.emplace_back(s);
    }
    return out;
  }
  static std::string Join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  }
  std::string origin_;
};

// A list of names → FieldSpecs (`name: path` map, or a list of paths / {name, field} maps).
Status ReadFields(const ConfigReader& r, const YAML::Node& node, const std::string& key,
                  std::vector<FieldSpec>* out) {
  if (!node) return Status::Ok();
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      FieldSpec f;
      f.name = it->first.as<std::string>();
      VIGIL_RETURN_IF_ERROR(r.Scalar(it->second, key + "." + f.name, &f.path));
      out->push_back(std::move(f));
    }
    return Status::Ok();
  }
  if (!node.IsSequence()) return r.Error(node, key, "expected a list or a map");
  for (const YAML::Node& item : node) {
    FieldSpec f;
    if (item.IsScalar()) {
      f.path = item.as<std::string>();
      f.name = f.path.substr(f.path.rfind('.') + 1);
    } else if (item.IsMap()) {
      VIGIL_RETURN_IF_ERROR(r.Scalar(item["field"], key + "[].field", &f.path));
      f.name = f.path.substr(f.path.rfind('.') + 1);
      if (item["name"]) VIGIL_RETURN_IF_ERROR(r.Scalar(item["name"], key + "[].name", &f.name));
    } else {
      return r.Error(item, key, "expected a field path or {name, field}");
    }
    out->push_back(std::move(f));
  }
  return Status::Ok();
}

Status ReadInput(const ConfigReader& r, const YAML::Node& node, Config* c) {
  InputMapping& in = c->input;
  if (!node) return r.Error(node, "input", "missing (the input mapping is required)");
  if (node["time"]) VIGIL_RETURN_IF_ERROR(r.Scalar(node["time"], "input.time", &in.time_field));
  if (node["request_id"]) {
    VIGIL_RETURN_IF_ERROR(r.Scalar(node["request_id"], "input.request_id", &in.request_id_field));
  }
  if (node["device_id"]) {
    VIGIL_RETURN_IF_ERROR(r.Scalar(node["device_id"], "input.device_id", &in.device_id_field));
  }
  if (node["message"]) VIGIL_RETURN_IF_ERROR(r.Scalar(node["message"], "input.message", &in.message_field));
  VIGIL_RETURN_IF_ERROR(ReadFields(r, node["dimensions"], "input.dimensions", &in.dimensions));
  VIGIL_RETURN_IF_ERROR(ReadFields(r, node["measures"], "input.measures", &in.measures));
  VIGIL_RETURN_IF_ERROR(ReadFields(r, node["flags"], "input.flags", &in.flags));
  VIGIL_RETURN_IF_ERROR(ReadFields(r, node["attributes"], "input.attributes", &in.attributes));
  if (in.time_field.empty()) return r.Error(node["time"], "input.time", "must name a field");
  if (const YAML::Node& stages = node["stages"]) {
    if (!stages.IsSequence()) return r.Error(stages, "input.stages", "expected a list of measures");
    for (const YAML::Node& st : stages) {
      std::string name;
      VIGIL_RETURN_IF_ERROR(r.Scalar(st, "input.stages", &name));
      int found = -1;
      for (size_t i = 0; i < in.measures.size(); ++i)
        if (in.measures[i].name == name) found = static_cast<int>(i);
      if (found < 0) return r.Error(st, "input.stages", "'" + name + "' is not a measure");
      in.stages.push_back(found);
    }
  }
  for (size_t i = 0; i < in.attributes.size(); ++i)
    if (in.attributes[i].name == "error_code") in.error_code_attribute = static_cast<int>(i);
  if (const YAML::Node& map = node["error_stages"]) {
    if (!map.IsMap()) return r.Error(map, "input.error_stages", "expected a map `code prefix: stage`");
    if (in.error_code_attribute < 0) {
      return r.Error(map, "input.error_stages", "needs an attribute named error_code (input.attributes.error_code)");
    }
    for (auto it = map.begin(); it != map.end(); ++it) {
      std::string prefix = it->first.as<std::string>(), stage;
      VIGIL_RETURN_IF_ERROR(r.Scalar(it->second, "input.error_stages." + prefix, &stage));
      int found = -1;
      for (int s : in.stages)
        if (in.measures[s].name == stage) found = s;
      if (found < 0) return r.Error(it->second, "input.error_stages." + prefix, "'" + stage + "' is not one of input.stages");
      in.error_stages.emplace_back(prefix, found);
    }
  }
  // Names must be unique across all roles: predicates refer to fields by name.
  std::set<std::string> names;
  for (const auto* list : {&in.dimensions, &in.measures, &in.flags, &in.attributes}) {
    for (const FieldSpec& f : *list) {
      if (f.name.empty() || f.path.empty()) {
        return r.Error(node, "input", "a field has an empty name or path");
      }
      if (!names.insert(f.name).second) {
        return r.Error(node, "input", "field name '" + f.name + "' is used twice");
      }
    }
  }
  return Status::Ok();
}

Result<MetricType> ParseMetricType(const std::string& s) {
  static const std::pair<const char*, MetricType> kTypes[] = {
      {"count", MetricType::kCount},       {"rate", MetricType::kRate},
      {"quantile", MetricType::kQuantile}, {"mean", MetricType::kMean},
      {"distinct", MetricType::kDistinct}, {"expression", MetricType::kExpression}};
  for (auto& [name, type] : kTypes)
    if (s == name) return type;
  return ConfigError("unknown metric type '" + s +
                     "'; expected count, rate, quantile, mean, distinct or expression" +
                     (Nearest(s, {"count", "rate", "quantile", "mean", "distinct", "expression"})
                              .empty()
                          ? ""
                          : "; did you mean '" +
                                Nearest(s, {"count", "rate", "quantile", "mean", "distinct",
                                            "expression"}) +
                                "'?"));
}

Status ReadMetrics(const ConfigReader& r, const YAML::Node& node, Config* c) {
  if (!node) return Status::Ok();
  if (!node.IsMap()) return r.Error(node, "metrics", "expected a map of metric names");
  for (auto it = node.begin(); it != node.end(); ++it) {
    MetricSpec m;
    m.name = it->first.as<std::string>();
    m.line = it->first.Mark().line + 1;
    std::string key = "metrics." + m.name;
    const YAML::Node def = it->second;  // a handle: the iterator's proxy is a temporary
    if (!def.IsMap()) return r.Error(def, key, "expected a map with at least `type`");
    std::string type;
    if (!def["type"]) return r.Error(it->first, key + ".type", "missing");
    VIGIL_RETURN_IF_ERROR(r.Scalar(def["type"], key + ".type", &type));
    auto t = ParseMetricType(type);
    if (!t.ok()) return r.Error(def["type"], key + ".type", t.status().message());
    m.type = *t;
    if (def["unit"]) VIGIL_RETURN_IF_ERROR(r.Scalar(def["unit"], key + ".unit", &m.unit));
    if (def["description"]) {
      VIGIL_RETURN_IF_ERROR(r.Scalar(def["description"], key + ".description", &m.description));
    }
    auto predicate = [&](const char* field, std::optional<Predicate>* out) -> Status {
      std::string text;
      VIGIL_RETURN_IF_ERROR(r.Scalar(def[field], key + "." + field, &text));
      auto p = Predicate::Compile(text, c->input);
      if (!p.ok()) return r.Error(def[field], key + "." + field, p.status().message());
      *out = std::move(*p);
      return Status::Ok();
    };
    auto forbid = [&](std::initializer_list<const char*> keys) -> Status {
      for (const char* k : keys) {
        if (def[k]) return r.Error(def[k], key + "." + k, "does not apply to type " + type);
      }
      return Status::Ok();
    };
    switch (m.type) {
      case MetricType::kCount:
      case MetricType::kDistinct:
        VIGIL_RETURN_IF_ERROR(forbid({"where", "of", "measure", "q", "expr"}));
        if (m.type == MetricType::kDistinct && c->input.device_id_field.empty()) {
          return r.Error(def["type"], key + ".type", "distinct needs input.device_id");
        }
        break;
      case MetricType::kRate:
        VIGIL_RETURN_IF_ERROR(forbid({"measure", "q", "expr"}));
        if (!def["where"]) return r.Error(it->first, key + ".where", "missing (rate needs it)");
        VIGIL_RETURN_IF_ERROR(predicate("where", &m.where));
        if (def["of"]) {
          VIGIL_RETURN_IF_ERROR(predicate("of", &m.of));
          // The numerator counts events of the denominator only: where AND of.
          auto both = Predicate::Compile("(" + m.where->text() + ") and (" + m.of->text() + ")",
                                         c->input);
          if (!both.ok()) return r.Error(def["where"], key + ".where", both.status().message());
          m.where = std::move(*both);
        }
        break;
      case MetricType::kQuantile:
      case MetricType::kMean: {
        VIGIL_RETURN_IF_ERROR(forbid({"where", "of", "expr"}));
        std::string measure;
        if (!def["measure"]) return r.Error(it->first, key + ".measure", "missing");
        VIGIL_RETURN_IF_ERROR(r.Scalar(def["measure"], key + ".measure", &measure));
        for (size_t i = 0; i < c->input.measures.size(); ++i)
          if (c->input.measures[i].name == measure) m.measure = static_cast<int>(i);
        if (m.measure < 0) {
          std::vector<std::string> names;
          for (const auto& f : c->input.measures) names.push_back(f.name);
          std::string near = Nearest(measure, names);
          return r.Error(def["measure"], key + ".measure",
                         "unknown measure '" + measure + "'" +
                             (near.empty() ? "" : "; did you mean '" + near + "'?"));
        }
        if (m.type == MetricType::kQuantile) {
          if (!def["q"]) return r.Error(it->first, key + ".q", "missing");
          VIGIL_RETURN_IF_ERROR(r.Scalar(def["q"], key + ".q", &m.q));
          if (!(m.q >= 0 && m.q <= 1)) return r.Error(def["q"], key + ".q", "must be in [0, 1]");
        } else {
          VIGIL_RETURN_IF_ERROR(forbid({"q"}));
        }
        break;
      }
      case MetricType::kExpression: {
        VIGIL_RETURN_IF_ERROR(forbid({"where", "of", "measure", "q"}));
        std::string text;
        if (!def["expr"]) return r.Error(it->first, key + ".expr", "missing");
        VIGIL_RETURN_IF_ERROR(r.Scalar(def["expr"], key + ".expr", &text));
        auto e = MetricExpression::Parse(text);
        if (!e.ok()) return r.Error(def["expr"], key + ".expr", e.status().message());
        m.expression = std::move(*e);
        break;
      }
    }
    if (c->FindMetric(m.name) >= 0) return r.Error(it->first, key, "declared twice");
    c->metrics.push_back(std::move(m));
  }
  // Expressions refer to metrics declared anywhere; resolve now and reject cycles.
  std::vector<std::string> names;
  for (const MetricSpec& m : c->metrics) names.push_back(m.name);
  for (MetricSpec& m : c->metrics) {
    if (!m.expression) continue;
    for (const std::string& in : m.expression->inputs()) {
      int idx = c->FindMetric(in);
      if (idx < 0) {
        std::string near = Nearest(in, names);
        return r.Error(node[m.name]["expr"], "metrics." + m.name + ".expr",
                       "unknown metric '" + in + "'" +
                           (near.empty() ? "" : "; did you mean '" + near + "'?"));
      }
      m.expression_inputs.push_back(idx);
    }
  }
  // Depth-first cycle check over expression inputs.
  std::vector<int> state(c->metrics.size(), 0);
  std::function<bool(int)> cyclic = [&](int i) {
    if (state[i] == 1) return true;
    if (state[i] == 2) return false;
    state[i] = 1;
    for (int j : c->metrics[i].expression_inputs)
      if (cyclic(j)) return true;
    state[i] = 2;
    return false;
  };
  for (size_t i = 0; i < c->metrics.size(); ++i) {
    if (cyclic(static_cast<int>(i))) {
      return r.Error(node[c->metrics[i].name], "metrics." + c->metrics[i].name + ".expr",
                     "expressions refer to each other in a cycle");
    }
  }
  return Status::Ok();
}

Status ReadSlices(const ConfigReader& r, const YAML::Node& node, const std::string& key,
                  const Config& c, std::vector<SliceSelector>* out) {
  auto dimension = [&](const YAML::Node& n, std::string* name) -> Status {
    VIGIL_RETURN_IF_ERROR(r.Scalar(n, key, name));
    if (c.FindDimension(*name) < 0) {
      std::vector<std::string> dims;
      for (const auto& d : c.input.dimensions) dims.push_back(d.name);
      std::string near = Nearest(*name, dims);
      return r.Error(n, key, "unknown dimension '" + *name + "'" +
                                 (near.empty() ? "" : "; did you mean '" + near + "'?"));
    }
    return Status::Ok();
  };
  if (!node.IsSequence()) return r.Error(node, key, "expected a list");
  for (const YAML::Node& item : node) {
    SliceSelector s;
    if (item.IsScalar() && item.as<std::string>() == "all") {
      s.kind = SliceSelector::Kind::kAll;
    } else if (item.IsScalar()) {
      s.kind = SliceSelector::Kind::kEachValue;
      s.dimensions.emplace_back();
      VIGIL_RETURN_IF_ERROR(dimension(item, &s.dimensions.back()));
    } else if (item.IsSequence()) {
      s.kind = SliceSelector::Kind::kEachPair;
      if (item.size() != 2) return r.Error(item, key, "a list selects pairs: name two dimensions");
      for (const YAML::Node& d : item) {
        s.dimensions.emplace_back();
        VIGIL_RETURN_IF_ERROR(dimension(d, &s.dimensions.back()));
      }
    } else if (item.IsMap()) {
      s.kind = SliceSelector::Kind::kExplicit;
      for (auto it = item.begin(); it != item.end(); ++it) {
        std::string dim, value;
        VIGIL_RETURN_IF_ERROR(dimension(it->first, &dim));
        VIGIL_RETURN_IF_ERROR(r.Scalar(it->second, key, &value));
        s.slice.emplace_back(dim, value);
      }
    } else {
      return r.Error(item, key, "expected all, a dimension, a pair or a map");
    }
    out->push_back(std::move(s));
  }
  return Status::Ok();
}

Status ReadMonitors(const ConfigReader& r, const YAML::Node& node, Config* c) {
  if (!node) return Status::Ok();
  if (!node.IsSequence()) return r.Error(node, "monitors", "expected a list");
  for (const YAML::Node& item : node) {
    if (!item.IsMap()) return r.Error(item, "monitors[]", "expected a map with `metric`");
    MonitorSpec m;
    m.line = item.Mark().line + 1;
    if (!item["metric"]) return r.Error(item, "monitors[].metric", "missing");
    VIGIL_RETURN_IF_ERROR(r.Scalar(item["metric"], "monitors[].metric", &m.metric));
    if (c->FindMetric(m.metric) < 0) {
      std::vector<std::string> names;
      for (const auto& x : c->metrics) names.push_back(x.name);
      std::string near = Nearest(m.metric, names);
      return r.Error(item["metric"], "monitors[].metric",
                     "unknown metric '" + m.metric + "'" +
                         (near.empty() ? "" : "; did you mean '" + near + "'?"));
    }
    if (item["slices"]) {
      VIGIL_RETURN_IF_ERROR(ReadSlices(r, item["slices"], "monitors[].slices", *c, &m.slices));
    } else {
      m.slices.push_back(SliceSelector{});
    }
    if (item["granularity"]) {
      VIGIL_RETURN_IF_ERROR(r.Duration(item["granularity"], "monitors[].granularity",
                                       &m.granularity_ms));
    }
    if (item["direction"]) {
      std::string d;
      VIGIL_RETURN_IF_ERROR(r.Scalar(item["direction"], "monitors[].direction", &d));
      if (d == "up") m.direction = Direction::kUp;
      else if (d == "down") m.direction = Direction::kDown;
      else if (d == "both") m.direction = Direction::kBoth;
      else return r.Error(item["direction"], "monitors[].direction", "expected up, down or both");
    }
    if (item["min_relative_effect"]) {
      VIGIL_RETURN_IF_ERROR(r.Scalar(item["min_relative_effect"], "monitors[].min_relative_effect",
                                     &m.min_relative_effect));
    }
    if (item["min_absolute_effect"]) {
      VIGIL_RETURN_IF_ERROR(r.Scalar(item["min_absolute_effect"], "monitors[].min_absolute_effect",
                                     &m.min_absolute_effect));
    }
    if (item["min_duration"]) {
      VIGIL_RETURN_IF_ERROR(
          r.Duration(item["min_duration"], "monitors[].min_duration", &m.min_duration_ms));
    }
    if (item["min_volume"]) {
      VIGIL_RETURN_IF_ERROR(r.Scalar(item["min_volume"], "monitors[].min_volume", &m.min_volume));
    }
    c->monitors.push_back(std::move(m));
  }
  return Status::Ok();
}

Status ReadLimits(const ConfigReader& r, const YAML::Node& node, Config* c) {
  if (!node) return Status::Ok();
  Limits& l = c->limits;
  if (node["max_line_bytes"]) {
    VIGIL_RETURN_IF_ERROR(r.Positive(node["max_line_bytes"], "limits.max_line_bytes",
                                     &l.max_line_bytes));
  }
  if (node["max_dimension_values"]) {
    VIGIL_RETURN_IF_ERROR(r.Positive(node["max_dimension_values"], "limits.max_dimension_values",
                                     &l.max_dimension_values));
  }
  if (node["max_bad_lines_shown"]) {
    VIGIL_RETURN_IF_ERROR(r.Scalar(node["max_bad_lines_shown"], "limits.max_bad_lines_shown",
                                   &l.max_bad_lines_shown));
  }
  if (node["max_cells"]) {
    VIGIL_RETURN_IF_ERROR(r.Positive(node["max_cells"], "limits.max_cells", &l.max_cells));
  }
  if (node["max_series_points"]) {
    VIGIL_RETURN_IF_ERROR(r.Positive(node["max_series_points"], "limits.max_series_points",
                                     &l.max_series_points));
  }
  if (const YAML::Node& per = node["dimension_values"]) {
    if (!per.IsMap()) return r.Error(per, "limits.dimension_values", "expected a map");
    for (auto it = per.begin(); it != per.end(); ++it) {
      std::string dim = it->first.as<std::string>();
      std::string key = "limits.dimension_values." + dim;
      if (c->FindDimension(dim) < 0) return r.Error(it->first, key, "unknown dimension");
      int64_t v;
      VIGIL_RETURN_IF_ERROR(r.Positive(it->second, key, &v));
      l.dimension_values[dim] = v;
    }
  }
  return Status::Ok();
}

Status ReadStringList(const ConfigReader& r, const YAML::Node& node, const std::string& key,
                      std::vector<std::string>* out) {
  if (!node.IsSequence()) return r.Error(node, key, "expected a list");
  out->clear();
  for (const YAML::Node& n : node) {
    out->emplace_back();
    VIGIL_RETURN_IF_ERROR(r.Scalar(n, key, &out->back()));
  }
  return Status::Ok();
}

Status ReadMatchers(const ConfigReader& r, const YAML::Node& node, const std::string& key, bool regex,
                    std::vector<std::pair<std::string, std::string>>* out) {
  if (!node.IsMap()) return r.Error(node, key, "expected a map label: value");
  for (auto it = node.begin(); it != node.end(); ++it) {
    std::string label = it->first.as<std::string>(), value;
    VIGIL_RETURN_IF_ERROR(r.Scalar(it->second, key + "." + label, &value));
    if (regex) {
      try {
        std::regex check(value);
      } catch (const std::regex_error& e) {
        return r.Error(it->second, key + "." + label, "not a valid regular expression: " + std::string(e.what()));
      }
    }
    out->emplace_back(label, value);
  }
  return Status::Ok();
}

Status ReadRoute(const ConfigReader& r, const YAML::Node& node, const std::string& key, bool root,
                 RouteSpec* route) {
  if (!node.IsMap()) return r.Error(node, key, "expected a map");
  route->line = node.Mark().line + 1;
  std::string k = root ? "alert.route" : "alert.route.routes[]";
  if (node["owner"]) VIGIL_RETURN_IF_ERROR(r.Scalar(node["owner"], k + ".owner", &route->owner));
  if (node["sinks"]) VIGIL_RETURN_IF_ERROR(ReadStringList(r, node["sinks"], k + ".sinks", &route->sinks));
  if (!root) {
    if (node["match"]) VIGIL_RETURN_IF_ERROR(ReadMatchers(r, node["match"], k + ".match", false, &route->match));
    if (node["match_re"]) {
      VIGIL_RETURN_IF_ERROR(ReadMatchers(r, node["match_re"], k + ".match_re", true, &route->match_re));
    }
    if (node["continue"]) VIGIL_RETURN_IF_ERROR(r.Scalar(node["continue"], k + ".continue", &route->continue_matching));
  } else {
    for (const char* child_only : {"match", "match_re", "continue"}) {
      if (node[child_only]) return r.Error(node[child_only], k + "." + child_only, "only child routes match; the root routes everything");
    }
  }
  if (const YAML::Node& children = node["routes"]) {
    if (!children.IsSequence()) return r.Error(children, k + ".routes", "expected a list of routes");
    for (const YAML::Node& child : children) {
      route->routes.emplace_back();
      VIGIL_RETURN_IF_ERROR(ReadRoute(r, child, "alert.route.routes[]", false, &route->routes.back()));
    }
  }
  return Status::Ok();
}

Status CheckRouteSinks(const ConfigReader& r, const RouteSpec& route, const std::vector<SinkSpec>& sinks) {
  for (const std::string& name : route.sinks) {
    bool found = std::any_of(sinks.begin(), sinks.end(), [&](const SinkSpec& s) { return s.name == name; });
    if (!found) {
      std::vector<std::string> names;
      for (const SinkSpec& s : sinks) names.push_back(s.name);
      std::string near = Nearest(name, names);
      return ConfigError(r.origin() + ":" + std::to_string(route.line) + ": key 'alert.route.sinks': unknown sink '" +
                         name + "'" + (near.empty() ? "" : "; did you mean '" + near + "'?"));
    }
  }
  for (const RouteSpec& child : route.routes) VIGIL_RETURN_IF_ERROR(CheckRouteSinks(r, child, sinks));
  return Status::Ok();
}

Status ReadAlert(const ConfigReader& r, const YAML::Node& node, Config* c) {
  AlertSpec& a = c->alert;
  a.route.owner = "unowned";
  a.route.sinks = {"stdout"};
  SinkSpec stdout_sink;
  stdout_sink.name = "stdout";
  if (!node) {
    a.sinks = {stdout_sink};
    return Status::Ok();
  }
  if (node["resolve_after"]) VIGIL_RETURN_IF_ERROR(r.Duration(node["resolve_after"], "alert.resolve_after", &a.resolve_after_ms));
  if (node["notify_non_paging"]) {
    VIGIL_RETURN_IF_ERROR(r.Scalar(node["notify_non_paging"], "alert.notify_non_paging", &a.notify_non_paging));
  }
  if (const YAML::Node& sinks = node["sinks"]) {
    if (!sinks.IsSequence()) return r.Error(sinks, "alert.sinks", "expected a list of sinks");
    for (const YAML::Node& item : sinks) {
      if (!item.IsMap()) return r.Error(item, "alert.sinks[]", "expected a map");
      SinkSpec s;
      s.line = item.Mark().line + 1;
      if (!item["name"]) return r.Error(item, "alert.sinks[].name", "required");
      VIGIL_RETURN_IF_ERROR(r.Scalar(item["name"], "alert.sinks[].name", &s.name));
      for (const SinkSpec& other : a.sinks) {
        if (other.name == s.name) return r.Error(item["name"], "alert.sinks[].name", "'" + s.name + "' is defined twice");
      }
      std::string type;
      if (!item["type"]) return r.Error(item, "alert.sinks[].type", "required");
      VIGIL_RETURN_IF_ERROR(r.Scalar(item["type"], "alert.sinks[].type", &type));
      if (type == "stdout") s.kind = SinkSpec::Kind::kStdout;
      else if (type == "jsonl") s.kind = SinkSpec::Kind::kJsonLines;
      else if (type == "webhook") s.kind = SinkSpec::Kind::kWebhook;
      else if (type == "alertmanager") s.kind = SinkSpec::Kind::kAlertmanager;
      else {
        std::string near = Nearest(type, {"stdout", "jsonl", "webhook", "alertmanager"});
        return r.Error(item["type"], "alert.sinks[].type", "unknown sink type '" + type + "'" +
                                                             (near.empty() ? "; expected stdout, jsonl, webhook or alertmanager" : "; did you mean '" + near + "'?"));
      }
      if (item["path"]) VIGIL_RETURN_IF_ERROR(r.Scalar(item["path"], "alert.sinks[].path", &s.path));
      if (item["url"]) VIGIL_RETURN_IF_ERROR(r.Scalar(item["url"], "alert.sinks[].url", &s.url));
      if (item["timeout"]) VIGIL_RETURN_IF_ERROR(r.Duration(item["timeout"], "alert.sinks[].timeout", &s.timeout_ms));
      if (item["backoff"]) VIGIL_RETURN_IF_ERROR(r.Duration(item["backoff"], "alert.sinks[].backoff", &s.backoff_ms));
      if (item["retries"]) {
        VIGIL_RETURN_IF_ERROR(r.Scalar(item["retries"], "alert.sinks[].retries", &s.retries));
        if (s.retries < 0 || s.retries > 20) return r.Error(item["retries"], "alert.sinks[].retries", "must be in [0, 20]");
      }
      if (s.kind == SinkSpec::Kind::kJsonLines && s.path.empty()) return r.Error(item, "alert.sinks[].path", "required for a jsonl sink");
      if ((s.kind == SinkSpec::Kind::kWebhook || s.kind == SinkSpec::Kind::kAlertmanager) &&
          !(s.url.starts_with("http://") || s.url.starts_with("https://"))) {
        return r.Error(item["url"] ? item["url"] : item, "alert.sinks[].url", "required: an http:// or https:// URL");
      }
      a.sinks.push_back(std::move(s));
    }
  }
  if (std::none_of(a.sinks.begin(), a.sinks.end(), [](const SinkSpec& s) { return s.name == "stdout"; })) {
    a.sinks.push_back(stdout_sink);
  }
  if (const YAML::Node& route = node["route"]) VIGIL_RETURN_IF_ERROR(ReadRoute(r, route, "alert.route", true, &a.route));
  if (a.route.owner.empty()) a.route.owner = "unowned";
  if (a.route.sinks.empty()) a.route.sinks = {"stdout"};
  return CheckRouteSinks(r, a.route, a.sinks);
}

Status ReadDetect(const ConfigReader& r, const YAML::Node& node, Config* c) {
  if (!node) return Status::Ok();
  DetectSpec& d = c->detect;
  // A zone is loaded here so that `config check` catches a misspelt one, not the first detection.
  auto check_zone = [&](const YAML::Node& n, const std::string& key, const std::string& zone) -> Status {
    auto tz = TimeZone::Load(zone);
    if (!tz.ok()) return r.Error(n, key, tz.status().message());
    return Status::Ok();
  };
  if (node["timezone"]) {
    VIGIL_RETURN_IF_ERROR(r.Scalar(node["timezone"], "detect.timezone", &d.timezone));
    VIGIL_RETURN_IF_ERROR(check_zone(node["timezone"], "detect.timezone", d.timezone));
  }
  if (node["zone_dimension"]) {
    VIGIL_RETURN_IF_ERROR(r.Scalar(node["zone_dimension"], "detect.zone_dimension", &d.zone_dimension));
    if (c->FindDimension(d.zone_dimension) < 0) {
      return r.Error(node["zone_dimension"], "detect.zone_dimension", "unknown dimension");
    }
  }
  if (const YAML::Node& zones = node["timezones"]) {
    if (!zones.IsMap()) return r.Error(zones, "detect.timezones", "expected a map value: zone");
    for (auto it = zones.begin(); it != zones.end(); ++it) {
      std::string value = it->first.as<std::string>();
      VIGIL_RETURN_IF_ERROR(r.Scalar(it->second, "detect.timezones." + value, &d.timezones[value]));
      VIGIL_RETURN_IF_ERROR(check_zone(it->second, "detect.timezones." + value, d.timezones[value]));
    }
  }
  if (const YAML::Node& cal = node["calendar"]) {
    if (!cal.IsSequence()) return r.Error(cal, "detect.calendar", "expected a list");
    for (const YAML::Node& item : cal) {
      CalendarEntry e;
      if (!item.IsMap()) return r.Error(item, "detect.calendar[]", "expected a map");
      if (item["name"]) VIGIL_RETURN_IF_ERROR(r.Scalar(item["name"], "detect.calendar[].name", &e.name));
      for (const char* k : {"start", "end"}) {
        std::string text;
        std::string key = std::string("detect.calendar[].") + k;
        if (!item[k]) return r.Error(item, key, "missing");
        VIGIL_RETURN_IF_ERROR(r.Scalar(item[k], key, &text));
        auto t = ParseTimestamp(text);
        if (!t.ok()) return r.Error(item[k], key, t.status().message());
        (std::string_view(k) == "start" ? e.start : e.end) = *t;
      }
      if (e.end <= e.start) return r.Error(item["end"], "detect.calendar[].end", "must be after start");
      if (const YAML::Node& sl = item["slice"]) {
        if (!sl.IsMap()) return r.Error(sl, "detect.calendar[].slice", "expected a map");
        for (auto it = sl.begin(); it != sl.end(); ++it) {
          std::string dim = it->first.as<std::string>(), value;
          if (c->FindDimension(dim) < 0) {
            return r.Error(it->first, "detect.calendar[].slice", "unknown dimension '" + dim + "'");
          }
          VIGIL_RETURN_IF_ERROR(r.Scalar(it->second, "detect.calendar[].slice", &value));
          e.slice.emplace_back(dim, value);
        }
      }
      d.calendar.push_back(std::move(e));
    }
  }
  if (node["fdr"]) {
    VIGIL_RETURN_IF_ERROR(r.Scalar(node["fdr"], "detect.fdr", &d.fdr));
    if (!(d.fdr > 0 && d.fdr < 1)) return r.Error(node["fdr"], "detect.fdr", "must be in (0, 1)");
  }
  if (node["warmup"]) VIGIL_RETURN_IF_ERROR(r.Duration(node["warmup"], "detect.warmup", &d.warmup_ms));
  if (const YAML::Node& det = node["detectors"]) {
    if (!det.IsSequence() || det.size() == 0) {
      return r.Error(det, "detect.detectors", "expected a non-empty list of detector names");
    }
    d.detectors.clear();
    for (const YAML::Node& n : det) {
      d.detectors.emplace_back();
      VIGIL_RETURN_IF_ERROR(r.Scalar(n, "detect.detectors", &d.detectors.back()));
    }
  }
  return Status::Ok();
}

}  // namespace

const char* MetricTypeName(MetricType type) {
  switch (type) {
    case MetricType::kCount: return "count";
    case MetricType::kRate: return "rate";
    case MetricType::kQuantile: return "quantile";
    case MetricType::kMean: return "mean";
    case MetricType::kDistinct: return "distinct";
    case MetricType::kExpression: return "expression";
  }
  return "?";
}

Result<Config> Config::Load(const std::string& path) {
  auto read = ReadSmallFile(path, kMaxConfigBytes, "config file");
  if (!read.ok() && read.status().code() == StatusCode::kLimitExceeded) {
    return ConfigError(read.status().message());  // a bad config: exit code 2
  }
  VIGIL_ASSIGN_OR_RETURN(std::string text, std::move(read));
  std::string dir = std::filesystem::path(path).parent_path().string();
  auto c = Parse(text, path, dir.empty() ? "." : dir);
  if (c.ok()) c->path = path;
  return c;
}

Result<Config> Config::Parse(std::string_view yaml, const std::string& origin,
                             const std::string& base_dir) {
  ConfigReader r(origin);
  VIGIL_RETURN_IF_ERROR(internal::CheckYamlSize(yaml, origin));
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::ParserException& e) {
    return ConfigError(origin + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
  }
  if (!root.IsMap()) return ConfigError(origin + ": expected a map of sections at the top level");
  Config c;
  c.base_dir = base_dir;
  try {
    VIGIL_RETURN_IF_ERROR(r.CheckKeys(root, ""));
    VIGIL_RETURN_IF_ERROR(ReadInput(r, root["input"], &c));
    if (const YAML::Node& cube = root["cube"]) {
      if (cube["granularity"]) {
        VIGIL_RETURN_IF_ERROR(r.Duration(cube["granularity"], "cube.granularity", &c.granularity_ms));
      }
    }
    VIGIL_RETURN_IF_ERROR(ReadMetrics(r, root["metrics"], &c));
    VIGIL_RETURN_IF_ERROR(ReadMonitors(r, root["monitors"], &c));
    for (const MonitorSpec& m : c.monitors) {
      if (m.granularity_ms != 0 && m.granularity_ms % c.granularity_ms != 0) {
        return ConfigError(origin + ":" + std::to_string(m.line) +
                           ": key 'monitors[].granularity': must be a multiple of "
                           "cube.granularity (" + FormatDuration(c.granularity_ms) + ")");
      }
    }
    c.store_path = "vigil.db";
    if (const YAML::Node& store = root["store"]) {
      if (store["path"]) VIGIL_RETURN_IF_ERROR(r.Scalar(store["path"], "store.path", &c.store_path));
    }
    VIGIL_RETURN_IF_ERROR(ReadLimits(r, root["limits"], &c));
    VIGIL_RETURN_IF_ERROR(ReadDetect(r, root["detect"], &c));
    VIGIL_RETURN_IF_ERROR(ReadAlert(r, root["alert"], &c));
    if (const YAML::Node& server = root["server"]) {
      if (server["token"]) VIGIL_RETURN_IF_ERROR(r.Scalar(server["token"], "server.token", &c.server.token));
      if (server["max_body_bytes"]) {
        VIGIL_RETURN_IF_ERROR(r.Positive(server["max_body_bytes"], "server.max_body_bytes", &c.server.max_body_bytes));
      }
      const std::pair<const char*, int64_t*> counts[] = {{"max_connections", &c.server.max_connections},
                                                         {"max_header_bytes", &c.server.max_header_bytes},
                                                         {"max_headers", &c.server.max_headers}};
      for (const auto& [name, out] : counts) {
        if (server[name]) VIGIL_RETURN_IF_ERROR(r.Positive(server[name], std::string("server.") + name, out));
      }
      const std::pair<const char*, int64_t*> timeouts[] = {{"header_timeout", &c.server.header_timeout_ms},
                                                           {"request_timeout", &c.server.request_timeout_ms}};
      for (const auto& [name, out] : timeouts) {
        if (!server[name]) continue;
        VIGIL_RETURN_IF_ERROR(r.Duration(server[name], std::string("server.") + name, out));
        if (*out <= 0) return r.Error(server[name], std::string("server.") + name, "must be positive");
      }
    }
    if (const YAML::Node& ingest = root["ingest"]) {
      if (ingest["threads"]) VIGIL_RETURN_IF_ERROR(r.Scalar(ingest["threads"], "ingest.threads", &c.threads));
      if (c.threads < 0) return r.Error(ingest["threads"], "ingest.threads", "must be 0 or more");
    }
  } catch (const YAML::Exception& e) {
    return ConfigError(origin + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return c;
}

int Config::FindMetric(std::string_view name) const {
  for (size_t i = 0; i < metrics.size(); ++i)
    if (metrics[i].name == name) return static_cast<int>(i);
  return -1;
}

int Config::FindDimension(std::string_view name) const {
  for (size_t i = 0; i < input.dimensions.size(); ++i)
    if (input.dimensions[i].name == name) return static_cast<int>(i);
  return -1;
}

std::string Config::StorePath() const { return ResolvePath(store_path); }

std::string Config::ResolvePath(const std::string& path) const {
  std::filesystem::path p(path);
  if (p.is_absolute()) return p.string();
  return (std::filesystem::path(base_dir) / p).lexically_normal().string();
}

int64_t Config::DimensionLimit(int index) const {
  auto it = limits.dimension_values.find(input.dimensions[index].name);
  return it != limits.dimension_values.end() ? it->second : limits.max_dimension_values;
}

std::vector<const Predicate*> Config::CountedPredicates() const {
  std::vector<const Predicate*> out;
  auto add = [&](const std::optional<Predicate>& p) {
    if (!p) return;
    for (const Predicate* q : out)
      if (q->text() == p->text()) return;
    out.push_back(&*p);
  };
  for (const MetricSpec& m : metrics) {
    add(m.where);
    add(m.of);
  }
  return out;
}

std::string Config::CubeFingerprint() const {
  std::string s = "granularity=" + std::to_string(granularity_ms) + ";time=" + input.time_field +
                  ";device=" + input.device_id_field;
  auto fields = [&](const char* role, const std::vector<FieldSpec>& v) {
    for (const FieldSpec& f : v) s += std::string(";") + role + ":" + f.name + "=" + f.path;
  };
  fields("dim", input.dimensions);
  fields("measure", input.measures);
  for (const Predicate* p : CountedPredicates()) s += ";pred=" + p->text();
  return s;
}

}  // namespace vigil
