#include "incident_json.h"

#include <cmath>
#include <cstdio>


namespace vigil::cli {

std::string Severity(const Anomaly& a) {
  double size = std::abs(a.relative_change);
  if (size >= 1.0 && a.confidence >= 0.999) return "critical";
  if (size >= 0.25) return "major";
  return "minor";
}

nlohmann::json SliceJson(const Slice& slice) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [d, v] : slice) j[d] = v;
  return j;
}

nlohmann::json IncidentJson(const Anomaly& a) {
  auto round = [](double v, double scale) { return std::round(v * scale) / scale; };
  nlohmann::json j;
  j["id"] = IncidentIdFor(a);
  j["metric"] = a.metric;
  j["slice"] = SliceJson(a.slice);
  j["start"] = FormatTimestamp(a.start);
  j["end"] = a.end ? nlohmann::json(FormatTimestamp(a.end)) : nlohmann::json(nullptr);
  j["direction"] = a.direction == Direction::kDown ? "down" : "up";
  j["baseline"] = round(a.baseline, 1e4);
  j["observed"] = round(a.observed, 1e4);
  j["relative_change"] = round(a.relative_change, 1e3);
  j["severity"] = Severity(a);
  j["confidence"] = round(a.confidence, 1e4);
  j["detected"] = FormatTimestamp(a.detected);
  j["detector"] = a.detector;
  j["granularity"] = FormatDuration(a.granularity_ms);
  j["root_causes"] = nlohmann::json::array();
  j["stages"] = nlohmann::json::array();
  j["what_changed"] = nlohmann::json::array();
  j["mix_shift"] = false;
  j["examples"] = nlohmann::json::array();
  j["related"] = nlohmann::json::array();
  return j;
}

nlohmann::json IncidentJson(const Incident& incident) {
  nlohmann::json j = IncidentJson(incident.primary);
  j["id"] = incident.id;
  j["start"] = FormatTimestamp(incident.start);
  j["end"] = incident.end ? nlohmann::json(FormatTimestamp(incident.end)) : nlohmann::json(nullptr);
  nlohmann::json members = nlohmann::json::array();
  for (const Anomaly* a : incident.members()) {
    members.push_back({{"metric", a->metric}, {"slice", SliceJson(a->slice)},
                       {"start", FormatTimestamp(a->start)},
                       {"baseline", std::round(a->baseline * 1e4) / 1e4},
                       {"observed", std::round(a->observed * 1e4) / 1e4},
                       {"confidence", std::round(a->confidence * 1e4) / 1e4}});
  }
  j["anomalies"] = members;
  const Evidence& e = incident.evidence;
  nlohmann::json stages = nlohmann::json::array();
  for (const StageShare& st : e.stages) {
    stages.push_back({{"stage", st.stage}, {"share", std::round(st.share * 1e3) / 1e3},
                      {"baseline", std::round(st.baseline * 10) / 10},
                      {"observed", std::round(st.observed * 10) / 10}});
  }
  j["stages"] = stages;
  nlohmann::json causes = nlohmann::json::array();
  for (const RootCause& rc : e.root_causes) {
    nlohmann::json slice = nlohmann::json::object();
    for (const auto& [d, v] : rc.slice) slice[d] = v;
    causes.push_back({{"slice", slice},
                      {"explained_fraction", std::round(rc.explained_fraction * 1e3) / 1e3},
                      {"baseline", std::round(rc.expected * 1e4) / 1e4},
                      {"observed", std::round(rc.actual * 1e4) / 1e4}});
  }
  j["root_causes"] = causes;
  nlohmann::json changed = nlohmann::json::array();
  for (const ChangedValue& cv : e.what_changed) {
    changed.push_back({{"dimension", cv.dimension}, {"value", cv.value},
                       {"first_seen", cv.first_seen ? nlohmann::json(FormatTimestamp(cv.first_seen)) : nlohmann::json(nullptr)},
                       {"share_before", std::round(cv.share_before * 1e4) / 1e4},
                       {"share_after", std::round(cv.share_after * 1e4) / 1e4},
                       {"metric_value", std::isnan(cv.metric_value) ? nlohmann::json(nullptr) : nlohmann::json(std::round(cv.metric_value * 1e4) / 1e4)},
                       {"siblings_value", std::isnan(cv.siblings_value) ? nlohmann::json(nullptr) : nlohmann::json(std::round(cv.siblings_value * 1e4) / 1e4)}});
  }
  j["what_changed"] = changed;
  j["mix_shift"] = e.mix_shift;
  if (e.mix_shift) j["mix_dimension"] = e.mix_dimension;
  j["affected_devices"] = e.affected_devices;
  j["paging"] = incident.paging;
  return j;
}

}  // namespace vigil::cli
