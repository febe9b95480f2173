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

Labels IncidentLabels(const Incident& incident) {
  Labels labels;
  labels["id"] = incident.id;
  labels["metric"] = incident.primary.metric;
  labels["severity"] = ToString(incident.severity);
  labels["status"] = incident.status ? std::string(ToString(*incident.status)) : std::string();
  labels["owner"] = incident.owner;
  labels["paging"] = incident.paging ? "true" : "false";
  if (!incident.evidence.stages.empty()) labels["stage"] = incident.evidence.stages.front().stage;
  for (const auto& [dimension, value] : incident.primary.slice) labels[dimension] = value;
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
    bool ok =
        !value.empty() && value[0] == '~' ? FullMatch(value.substr(1), actual) : actual == value;
    if (!ok) return false;
  }
  return true;
}

}  // namespace vigil
