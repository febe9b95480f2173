// The backtest report as JSON (`vigil backtest --json`, vigil.backtest in Python).
#include <nlohmann/json.hpp>

#include "incident/incident_codec.h"
#include "vigil/eval.h"

namespace vigil {

std::string BacktestReportToJson(const BacktestReport& r) {
  nlohmann::json j;
  j["precision"] = r.precision();
  j["recall"] = r.recall();
  j["f1"] = r.f1();
  j["anomalies"] = r.anomalies;
  j["false_per_day"] = r.false_per_day();
  j["collateral"] = r.collateral_anomalies.size();
  j["incidents"] = r.incidents;
  j["false_incidents"] = r.false_incidents.size();
  j["false_incidents_per_day"] = r.false_incidents_per_day();
  j["decoy_incidents"] = r.decoy_incidents.size();
  j["quiet_incidents"] = r.quiet_incidents;
  j["root_cause_exact"] = r.root_cause_exact();
  j["stage_first"] = r.stage_first();
  j["with_stage"] = r.with_stage;
  j["false"] = r.false_anomalies.size();
  j["median_delay_minutes"] = r.median_delay_ms() / kMinuteMs;
  j["worst_delay_minutes"] = r.worst_delay_ms() / kMinuteMs;
  for (const auto& m : r.matches) {
    j["truth"].push_back({{"id", m.truth_id},
                          {"kind", m.kind},
                          {"found", m.found},
                          {"delay_minutes", m.detection_delay_ms / kMinuteMs},
                          {"exact_slice", m.exact_slice},
                          {"root_cause_exact", m.root_cause_exact},
                          {"stage_first", m.stage_first}});
  }
  for (const auto& [metric, m] : r.by_monitor) {
    j["by_monitor"][metric] = {{"incidents", m.incidents},
                               {"quiet", m.quiet},
                               {"precision", m.precision()},
                               {"feedback", m.with_feedback},
                               {"feedback_true", m.feedback_true},
                               {"feedback_false", m.feedback_false},
                               {"feedback_duplicate", m.feedback_duplicate},
                               {"precision_with_feedback", m.precision_with_feedback()}};
  }
  // What paged for nothing, briefly: where to look first when false alarms rise.
  j["false_incident_list"] = nlohmann::json::array();
  for (const Incident& inc : r.false_incidents) {
    std::string decoy;
    for (const auto& [d, hit] : r.decoy_incidents)
      if (hit.id == inc.id) decoy = d.kind;
    j["false_incident_list"].push_back(
        {{"id", inc.id},
         {"metric", inc.primary.metric},
         {"slice", FormatSlice(inc.primary.slice)},
         {"start", FormatTimestamp(inc.start)},
         {"end", inc.end ? nlohmann::json(FormatTimestamp(inc.end)) : nlohmann::json()},
         {"relative_change", inc.primary.relative_change},
         {"decoy", decoy}});
  }
  j["incident_list"] = nlohmann::json::array();
  for (const BacktestReport::ScoredIncident& inc : r.scored_incidents) {
    j["incident_list"].push_back(
        {{"id", inc.id},
         {"metric", inc.metric},
         {"slice", FormatSlice(inc.slice)},
         {"start", FormatTimestamp(inc.start)},
         {"end", inc.end ? nlohmann::json(FormatTimestamp(inc.end)) : nlohmann::json()},
         {"verdict", inc.verdict},
         {"truth", inc.truth_id},
         {"root_cause", FormatSlice(inc.root_cause)}});
  }
  for (const auto& [d, a] : r.decoy_hits) {
    j["decoy_hits"].push_back({{"kind", d.kind}, {"incident", IncidentToJson(a)}});
  }
  return j.dump(2);
}

}  // namespace vigil
