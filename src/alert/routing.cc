// Labels, the routing tree and silences: which owner and sinks hear about an incident.
#include <regex>

#include "vigil/alert.h"

namespace vigil {
namespace {

bool FullMatch(const std::string& pattern, const std::string& text) {
  try {
    return std::regex_match(text, std::regex(pattern));
  } catch (const std::regex_error&) {
    return false;  // the config validated its patterns; a stored silence may hold anything
  }
}

bool Matches(const RouteSpec& route, const Labels& labels) {
  for (const auto& [label, value] : route.match) {
    auto it = labels.find(label);
    if (it == labels.end() || it->second != value) return false;
  }
  for (const auto& [label, pattern] : route.match_re) {
    auto it = labels.find(label);
    if (!FullMatch(pattern, it == labels.end() ? "" : it->second)) return false;
  }
  return true;
}

// Depth first, like Alertmanager: a matching node hands the incident to its first matching
// child (and to later ones after a `continue`); a node none of whose children match keeps it.
void Walk(const RouteSpec& node, const RouteMatch& inherited, const Labels& labels,
          std::vector<RouteMatch>* out) {
  RouteMatch here = inherited;
  if (!node.owner.empty()) here.owner = node.owner;
  if (!node.sinks.empty()) here.sinks = node.sinks;
  bool taken = false;
  for (const RouteSpec& child : node.routes) {
    if (!Matches(child, labels)) continue;
    Walk(child, here, labels, out);
    taken = true;
    if (!child.continue_matching) break;
  }
  if (!taken) out->push_back(here);
}

}  // namespace

Labels IncidentLabels(const nlohmann::json& doc) {
  Labels labels;
  auto text = [&](const char* key) {
    const auto it = doc.find(key);
    if (it == doc.end() || it->is_null()) return std::string();
    return it->is_string() ? it->get<std::string>() : it->dump();
  };
  for (const char* key : {"id", "metric", "severity", "status", "owner"}) labels[key] = text(key);
  labels["paging"] = doc.value("paging", true) ? "true" : "false";
  const auto stages = doc.find("stages");
  if (stages != doc.end() && stages->is_array() && !stages->empty()) {
    labels["stage"] = (*stages)[0].value("stage", "");
  }
  const auto slice = doc.find("slice");
  if (slice != doc.end() && slice->is_object()) {
    for (const auto& [dim, value] : slice->items()) {
      if (value.is_string()) labels[dim] = value.get<std::string>();
    }
  }
  return labels;
}

std::vector<RouteMatch> RouteIncident(const RouteSpec& root, const Labels& labels) {
  std::vector<RouteMatch> out;
  Walk(root, RouteMatch{"unowned", {"stdout"}}, labels, &out);
  return out;
}

bool SilenceMatches(const SilenceRecord& silence, const Labels& labels, TimeMs now) {
  if (now < silence.starts || now >= silence.ends) return false;
  for (const auto& [label, value] : silence.matchers) {
    auto it = labels.find(label);
    std::string actual = it == labels.end() ? "" : it->second;
    bool ok = !value.empty() && value[0] == '~' ? FullMatch(value.substr(1), actual) : actual == value;
    if (!ok) return false;
  }
  return true;
}

int SeverityRank(const std::string& severity) {
  if (severity == "minor") return 1;
  if (severity == "major") return 2;
  if (severity == "critical") return 3;
  return 0;
}

}  // namespace vigil
