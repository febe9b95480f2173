// The `alert` section: how long until an incident resolves, the sinks notifications go to, and
// the routing tree that picks an incident's owner and sinks.
#include <algorithm>
#include <regex>

#include "config/names.h"
#include "config/sections.h"

namespace vigil::internal {
namespace {

Status ReadMatchers(const YamlReader& r, const YAML::Node& node, const std::string& key, bool regex,
                    std::vector<std::pair<std::string, std::string>>* out) {
  if (!node.IsMap()) return r.Error(node, key, "expected a map label: value");
  for (auto it = node.begin(); it != node.end(); ++it) {
    std::string label = it->first.as<std::string>(), value;
    VIGIL_RETURN_IF_ERROR(r.Scalar(it->second, key + "." + label, &value));
    if (regex) {
      try {
        std::regex check(value);
      } catch (const std::regex_error& e) {
        return r.Error(it->second, key + "." + label,
                       "not a valid regular expression: " + std::string(e.what()));
      }
    }
    out->emplace_back(label, value);
  }
  return Status::Ok();
}

// A node of the routing tree; only the root's children and their descendants match.
Status ReadRoute(const YamlReader& r, const YAML::Node& node, const std::string& key, bool root,
                 RouteSpec* route) {
  if (!node.IsMap()) return r.Error(node, key, "expected a map");
  route->line = node.Mark().line + 1;
  std::string k = root ? "alert.route" : "alert.route.routes[]";
  if (node["owner"]) VIGIL_RETURN_IF_ERROR(r.Scalar(node["owner"], k + ".owner", &route->owner));
  if (node["sinks"])
    VIGIL_RETURN_IF_ERROR(r.StringList(node["sinks"], k + ".sinks", &route->sinks));
  if (!root) {
    if (node["match"])
      VIGIL_RETURN_IF_ERROR(ReadMatchers(r, node["match"], k + ".match", false, &route->match));
    if (node["match_re"]) {
      VIGIL_RETURN_IF_ERROR(
          ReadMatchers(r, node["match_re"], k + ".match_re", true, &route->match_re));
    }
    if (node["continue"])
      VIGIL_RETURN_IF_ERROR(r.Scalar(node["continue"], k + ".continue", &route->continue_matching));
  } else {
    for (const char* child_only : {"match", "match_re", "continue"}) {
      if (node[child_only])
        return r.Error(node[child_only], k + "." + child_only,
                       "only child routes match; the root routes everything");
    }
  }
  if (const YAML::Node& children = node["routes"]) {
    if (!children.IsSequence())
      return r.Error(children, k + ".routes", "expected a list of routes");
    for (const YAML::Node& child : children) {
      route->routes.emplace_back();
      VIGIL_RETURN_IF_ERROR(
          ReadRoute(r, child, "alert.route.routes[]", false, &route->routes.back()));
    }
  }
  return Status::Ok();
}

Status CheckRouteSinks(const YamlReader& r, const RouteSpec& route,
                       const std::vector<SinkSpec>& sinks) {
  for (const std::string& name : route.sinks) {
    bool found =
        std::any_of(sinks.begin(), sinks.end(), [&](const SinkSpec& s) { return s.name == name; });
    if (!found) {
      std::vector<std::string> names;
      names.reserve(sinks.size());
      for (const SinkSpec& s : sinks) names.push_back(s.name);
      return r.ErrorAtLine(route.line, "alert.route.sinks",
                           "unknown sink '" + name + "'" + DidYouMean(name, names));
    }
  }
  for (const RouteSpec& child : route.routes)
    VIGIL_RETURN_IF_ERROR(CheckRouteSinks(r, child, sinks));
  return Status::Ok();
}

// One item of `alert.sinks`; `defined` are the sinks before it (names are unique).
Status ReadSink(const YamlReader& r, const YAML::Node& item, const std::vector<SinkSpec>& defined,
                SinkSpec* s) {
  if (!item.IsMap()) return r.Error(item, "alert.sinks[]", "expected a map");
  s->line = item.Mark().line + 1;
  if (!item["name"]) return r.Error(item, "alert.sinks[].name", "required");
  VIGIL_RETURN_IF_ERROR(r.Scalar(item["name"], "alert.sinks[].name", &s->name));
  for (const SinkSpec& other : defined) {
    if (other.name == s->name)
      return r.Error(item["name"], "alert.sinks[].name", "'" + s->name + "' is defined twice");
  }
  std::string type;
  if (!item["type"]) return r.Error(item, "alert.sinks[].type", "required");
  VIGIL_RETURN_IF_ERROR(r.Scalar(item["type"], "alert.sinks[].type", &type));
  std::optional<SinkSpec::Kind> kind = ValueNamed(kSinkKindNames, type);
  if (!kind) {
    std::string hint = DidYouMean(type, AllNames(kSinkKindNames));
    return r.Error(item["type"], "alert.sinks[].type",
                   "unknown sink type '" + type + "'" +
                       (hint.empty() ? "; expected stdout, jsonl, webhook or alertmanager" : hint));
  }
  s->kind = *kind;
  if (item["path"]) VIGIL_RETURN_IF_ERROR(r.Scalar(item["path"], "alert.sinks[].path", &s->path));
  if (item["url"]) VIGIL_RETURN_IF_ERROR(r.Scalar(item["url"], "alert.sinks[].url", &s->url));
  if (item["timeout"])
    VIGIL_RETURN_IF_ERROR(r.Duration(item["timeout"], "alert.sinks[].timeout", &s->timeout_ms));
  if (item["backoff"])
    VIGIL_RETURN_IF_ERROR(r.Duration(item["backoff"], "alert.sinks[].backoff", &s->backoff_ms));
  if (item["retries"]) {
    VIGIL_RETURN_IF_ERROR(r.Scalar(item["retries"], "alert.sinks[].retries", &s->retries));
    if (s->retries < 0 || s->retries > 20)
      return r.Error(item["retries"], "alert.sinks[].retries", "must be in [0, 20]");
  }
  if (s->kind == SinkSpec::Kind::kJsonLines && s->path.empty())
    return r.Error(item, "alert.sinks[].path", "required for a jsonl sink");
  if ((s->kind == SinkSpec::Kind::kWebhook || s->kind == SinkSpec::Kind::kAlertmanager) &&
      !(s->url.starts_with("http://") || s->url.starts_with("https://"))) {
    return r.Error(item["url"] ? item["url"] : item, "alert.sinks[].url",
                   "required: an http:// or https:// URL");
  }
  return Status::Ok();
}

}  // namespace

Status ReadAlert(const YamlReader& r, const YAML::Node& node, Config* c) {
  if (!node) return Status::Ok();
  AlertSpec& a = c->alert;
  const AlertSpec defaults;
  if (node["resolve_after"])
    VIGIL_RETURN_IF_ERROR(
        r.Duration(node["resolve_after"], "alert.resolve_after", &a.resolve_after_ms));
  if (node["notify_non_paging"]) {
    VIGIL_RETURN_IF_ERROR(
        r.Scalar(node["notify_non_paging"], "alert.notify_non_paging", &a.notify_non_paging));
  }
  if (node["repeat_interval"]) {
    VIGIL_RETURN_IF_ERROR(
        r.Duration(node["repeat_interval"], "alert.repeat_interval", &a.repeat_interval_ms));
  }
  if (const YAML::Node& sinks = node["sinks"]) {
    if (!sinks.IsSequence()) return r.Error(sinks, "alert.sinks", "expected a list of sinks");
    a.sinks.clear();
    for (const YAML::Node& item : sinks) {
      SinkSpec s;
      VIGIL_RETURN_IF_ERROR(ReadSink(r, item, a.sinks, &s));
      a.sinks.push_back(std::move(s));
    }
  }
  // The default sinks exist unless redefined, after those of the file.
  for (const SinkSpec& d : defaults.sinks) {
    if (std::none_of(a.sinks.begin(), a.sinks.end(),
                     [&](const SinkSpec& s) { return s.name == d.name; })) {
      a.sinks.push_back(d);
    }
  }
  if (const YAML::Node& route = node["route"])
    VIGIL_RETURN_IF_ERROR(ReadRoute(r, route, "alert.route", true, &a.route));
  if (a.route.owner.empty()) a.route.owner = defaults.route.owner;
  if (a.route.sinks.empty()) a.route.sinks = defaults.route.sinks;
  return CheckRouteSinks(r, a.route, a.sinks);
}

}  // namespace vigil::internal
