#include "config/yaml_reader.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "common/text.h"
#include "config/yaml_guard.h"
#include "vigil/time.h"

namespace vigil::internal {
namespace {

// `ORIGIN:LINE: PREFIXwhy` at the exception's mark (yaml-cpp's line is 0-based).
Status FromException(const std::string& origin, std::string_view prefix, const YAML::Exception& e) {
  return ConfigError(origin + ":" + std::to_string(e.mark.line + 1) + ": " + std::string(prefix) +
                     e.msg);
}

// A bound of a range as people write it ("1e+06" for a million, as printf's %g).
std::string BoundText(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

Result<YAML::Node> LoadYaml(std::string_view text, const std::string& origin) {
  VIGIL_RETURN_IF_ERROR(CheckYamlSize(text, origin));
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return FromException(origin, "invalid YAML: ", e);
  }
}

std::string JoinKey(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string nearest = Nearest(word, candidates);
  return nearest.empty() ? "" : "; did you mean '" + nearest + "'?";
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string s;
  for (const std::string& name : names) s += (s.empty() ? "" : ", ") + name;
  return s;
}

Status YamlReader::Error(const YAML::Node& node, const std::string& key,
                         const std::string& why) const {
  // A missing node (a key not in its map) has no mark; a node built in memory has a null one.
  int line = node.IsDefined() && !node.Mark().is_null() ? node.Mark().line + 1 : 0;
  return ErrorAtLine(line, key, why);
}

Status YamlReader::ErrorAtLine(int line, const std::string& key, const std::string& why) const {
  std::string where = origin_ + (line > 0 ? ":" + std::to_string(line) : "");
  return ConfigError(where + ": key '" + key + "': " + why);
}

Status YamlReader::ExceptionError(std::string_view prefix, const YAML::Exception& e) const {
  return FromException(origin_, prefix, e);
}

Status YamlReader::CheckKeys(const YAML::Node& map, const std::string& path,
                             std::initializer_list<const char*> allowed) const {
  if (!map.IsMap()) return Error(map, path, "expected a mapping");
  for (const auto& kv : map) {
    std::string key = kv.first.as<std::string>();
    bool known = false;
    for (const char* a : allowed) known = known || key == a;
    if (!known) {
      return Error(kv.first, JoinKey(path, key),
                   "unknown key (expected one of: " +
                       JoinNames(std::vector<std::string>(allowed.begin(), allowed.end())) + ")");
    }
  }
  return Status::Ok();
}

Status YamlReader::StringList(const YAML::Node& node, const std::string& key,
                              std::vector<std::string>* out) const {
  if (!node.IsSequence()) return Error(node, key, "expected a list");
  out->clear();
  for (const YAML::Node& item : node) {
    out->emplace_back();
    VIGIL_RETURN_IF_ERROR(Scalar(item, key, &out->back()));
  }
  return Status::Ok();
}

Status YamlReader::Duration(const YAML::Node& node, const std::string& key, int64_t* out) const {
  std::string text;
  VIGIL_RETURN_IF_ERROR(Scalar(node, key, &text));
  auto ms = ParseDuration(text);
  if (!ms.ok()) return Error(node, key, ms.status().message());
  *out = *ms;
  return Status::Ok();
}

Status YamlReader::Positive(const YAML::Node& node, const std::string& key, int64_t* out) const {
  VIGIL_RETURN_IF_ERROR(Scalar(node, key, out));
  if (*out <= 0) return Error(node, key, "must be positive");
  return Status::Ok();
}

Status YamlReader::Number(const YAML::Node& node, const std::string& key, double lo, double hi,
                          double* out) const {
  if (!node.IsScalar()) return Error(node, key, "expected a number");
  const std::string& s = node.Scalar();
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) {
    return Error(node, key, "expected a number, got '" + s + "'");
  }
  if (v < lo || v > hi) {
    return Error(node, key,
                 "value " + s + " out of range [" + BoundText(lo) + ", " + BoundText(hi) + "]");
  }
  *out = v;
  return Status::Ok();
}

Status YamlReader::Integer(const YAML::Node& node, const std::string& key, int64_t lo, int64_t hi,
                           int64_t* out) const {
  double v = 0;
  VIGIL_RETURN_IF_ERROR(Number(node, key, static_cast<double>(lo), static_cast<double>(hi), &v));
  if (v != std::floor(v)) return Error(node, key, "expected an integer");
  *out = static_cast<int64_t>(v);
  return Status::Ok();
}

}  // namespace vigil::internal
