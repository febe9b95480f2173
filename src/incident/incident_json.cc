#include "vigil/incident_json.h"

#include <cmath>

namespace vigil {
namespace {

// Figures in documents are rounded to what a person can read and a diff stays stable on.
double Round(double v, double scale) { return std::round(v * scale) / scale; }

nlohmann::json NumberOrNull(double v, double scale) {
  return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(Round(v, scale));
}

nlohmann::json TimeOrNull(TimeMs t) { return t ? nlohmann::json(FormatTimestamp(t)) : nlohmann::json(nullptr); }

}  // namespace

nlohmann::json SliceToJson(const Slice& slice) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [d, v] : slice) j[d] = v;
  return j;
}

nlohmann::json IncidentToJson(const Anomaly& a) {
  Incident single;
  single.id = IncidentIdFor(a);
  single.primary = a;
  single.start = a.start;
  single.end = a.end;
  single.severity = SeverityOf(a, 1.0);
  return IncidentToJson(single);
}

nlohmann::json IncidentToJson(const Incident& incident) {
  const Anomaly& a = incident.primary;
  const Evidence& e = incident.evidence;
  nlohmann::json j;
  j["id"] = incident.id;
  j["metric"] = a.metric;
  j["slice"] = SliceToJson(a.slice);
  j["start"] = FormatTimestamp(incident.start);
  j["end"] = TimeOrNull(incident.end);
  j["direction"] = a.direction == Direction::kDown ? "down" : "up";
  j["baseline"] = Round(a.baseline, 1e4);
  j["observed"] = Round(a.observed, 1e4);
  j["relative_change"] = Round(a.relative_change, 1e3);
  j["severity"] = incident.severity.empty() ? SeverityOf(a, e.traffic_share) : incident.severity;
  j["confidence"] = Round(a.confidence, 1e4);
  j["detected"] = FormatTimestamp(a.detected);
  j["detector"] = a.detector;
  j["granularity"] = FormatDuration(a.granularity_ms);
  j["summary"] = incident.summary;
  nlohmann::json causes = nlohmann::json::array();
  for (const RootCause& rc : e.root_causes) {
    causes.push_back({{"slice", SliceToJson(rc.slice)},
                      {"explained_fraction", Round(rc.explained_fraction, 1e3)},
                      {"baseline", NumberOrNull(rc.expected, 1e4)},
                      {"observed", NumberOrNull(rc.actual, 1e4)}});
  }
  j["root_causes"] = causes;
  nlohmann::json stages = nlohmann::json::array();
  for (const StageShare& st : e.stages) {
    // Latency in ms to a tenth; errors per turn (a failure regression's stages) to 1e-4.
    double scale = e.stages_from_errors ? 1e4 : 10;
    stages.push_back({{"stage", st.stage}, {"share", Round(st.share, 1e3)},
                      {"baseline", NumberOrNull(st.baseline, scale)},
                      {"observed", NumberOrNull(st.observed, scale)}});
  }
  j["stages"] = stages;
  if (!e.stages.empty()) j["stages_basis"] = e.stages_from_errors ? "error_codes" : "latency";
  nlohmann::json changed = nlohmann::json::array();
  for (const ChangedValue& cv : e.what_changed) {
    changed.push_back({{"dimension", cv.dimension}, {"value", cv.value},
                       {"first_seen", TimeOrNull(cv.first_seen)},
                       {"share_before", Round(cv.share_before, 1e4)},
                       {"share_after", Round(cv.share_after, 1e4)},
                       {"metric_value", NumberOrNull(cv.metric_value, 1e4)},
                       {"siblings_value", NumberOrNull(cv.siblings_value, 1e4)}});
  }
  j["what_changed"] = changed;
  j["mix_shift"] = e.mix_shift;
  if (e.mix_shift) j["mix_dimension"] = e.mix_dimension;
  j["affected_devices"] = e.affected_devices;
  j["affected_turns"] = e.affected_turns;
  j["traffic_share"] = Round(e.traffic_share, 1e4);
  nlohmann::json templates = nlohmann::json::array();
  for (const ErrorTemplate& t : e.error_templates) {
    templates.push_back({{"template", t.text}, {"count", t.count}, {"baseline_count", t.baseline_count}});
  }
  j["error_templates"] = templates;
  j["examples"] = e.examples;
  j["owner"] = incident.owner.empty() ? nlohmann::json(nullptr) : nlohmann::json(incident.owner);
  j["related"] = incident.related_incidents;
  j["paging"] = incident.paging;
  nlohmann::json members = nlohmann::json::array();
  for (const Anomaly* m : incident.members()) {
    members.push_back({{"metric", m->metric}, {"slice", SliceToJson(m->slice)},
                       {"start", FormatTimestamp(m->start)}, {"end", TimeOrNull(m->end)},
                       {"baseline", Round(m->baseline, 1e4)}, {"observed", Round(m->observed, 1e4)},
                       {"relative_change", Round(m->relative_change, 1e3)},
                       {"confidence", Round(m->confidence, 1e4)}});
  }
  j["anomalies"] = members;
  return j;
}

}  // namespace vigil
