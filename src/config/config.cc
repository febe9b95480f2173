// Loading and validating the YAML configuration. Keys are checked against the parameter table
// first, so a typo is reported with its line and the nearest valid key; then each section is read
// by its own reader (config/sections.h).
#include "vigil/config.h"

#include <algorithm>
#include <filesystem>

#include "common/text.h"
#include "config/sections.h"
#include "config/yaml_reader.h"

namespace vigil {
namespace {

using internal::YamlReader;

constexpr size_t kMaxConfigBytes = 16 << 20;

// A key is known when the table declares it or something below it.
bool Known(const std::string& path) {
  for (const ParameterSpec& p : ParameterTable()) {
    std::string_view s = p.path;
    if (s == path) return true;
    if (s.starts_with(path) && (s[path.size()] == '.' || s[path.size()] == '[')) return true;
  }
  return false;
}

bool HasChildren(const std::string& prefix) {
  for (const ParameterSpec& p : ParameterTable())
    if (std::string_view(p.path).starts_with(prefix + ".")) return true;
  return false;
}

std::vector<std::string> ChildrenOf(const std::string& path) {
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

// Checks every key of `node` (at table path `path`) against the parameter table.
Status CheckKeys(const YamlReader& r, const YAML::Node& node, const std::string& path) {
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      std::string key = it->first.as<std::string>();
      std::string child = internal::JoinKey(path, key);
      std::string wildcard = path + ".<name>";
      if (Known(child)) {
        VIGIL_RETURN_IF_ERROR(CheckKeys(r, it->second, child));
      } else if (Known(wildcard)) {
        VIGIL_RETURN_IF_ERROR(CheckKeys(r, it->second, wildcard));
      } else {
        std::vector<std::string> valid = ChildrenOf(path);
        std::string hint = internal::DidYouMean(key, valid);
        if (hint.empty() && valid.empty()) hint = "; '" + path + "' is not a map (docs/config.md)";
        if (hint.empty()) hint = "; valid keys here: " + internal::JoinNames(valid);
        return r.Error(it->first, child, "unknown key" + hint);
      }
    }
  } else if (node.IsSequence()) {
    // Nested routes have the keys of their parent route.
    std::string item_path = path + "[]";
    if (item_path == "alert.route.routes[].routes[]") item_path = "alert.route.routes[]";
    if (!HasChildren(item_path)) return Status::Ok();
    for (const YAML::Node& item : node) {
      if (item.IsMap()) VIGIL_RETURN_IF_ERROR(CheckKeys(r, item, item_path));
    }
  }
  return Status::Ok();
}

}  // namespace

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
  YamlReader r(origin);
  VIGIL_ASSIGN_OR_RETURN(YAML::Node root, internal::LoadYaml(yaml, origin));
  if (!root.IsMap()) return ConfigError(origin + ": expected a map of sections at the top level");
  Config c;
  c.base_dir = base_dir;
  VIGIL_RETURN_IF_ERROR(r.Guard("", [&]() -> Status {
    VIGIL_RETURN_IF_ERROR(CheckKeys(r, root, ""));
    VIGIL_RETURN_IF_ERROR(internal::ReadInput(r, root["input"], &c));
    VIGIL_RETURN_IF_ERROR(internal::ReadCube(r, root["cube"], &c));
    VIGIL_RETURN_IF_ERROR(internal::ReadMetrics(r, root["metrics"], &c));
    VIGIL_RETURN_IF_ERROR(internal::ReadMonitors(r, root["monitors"], &c));
    VIGIL_RETURN_IF_ERROR(internal::ReadStore(r, root["store"], &c));
    VIGIL_RETURN_IF_ERROR(internal::ReadLimits(r, root["limits"], &c));
    VIGIL_RETURN_IF_ERROR(internal::ReadDetect(r, root["detect"], &c));
    VIGIL_RETURN_IF_ERROR(internal::ReadAlert(r, root["alert"], &c));
    VIGIL_RETURN_IF_ERROR(internal::ReadServer(r, root["server"], &c));
    return internal::ReadIngest(r, root["ingest"], &c);
  }));
  return c;
}

bool DetectSpec::multivariate() const {
  return std::find(detectors.begin(), detectors.end(), kMultivariateDetector) != detectors.end();
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

std::string Config::ResolvePath(const std::string& relative) const {
  std::filesystem::path p(relative);
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
