#include "sim/truth.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <tuple>

#include "sim/calendar.h"

namespace vigil::sim {
namespace {

using Json = nlohmann::ordered_json;

Json SliceJson(const std::vector<std::pair<Dim, std::string>>& slice) {
  Json j = Json::object();
  for (const auto& [d, v] : slice) j[DimName(d)] = v;
  return j;
}

struct Decoy {
  std::string kind;
  Json slice;
  TimeMs start, end;
};

}  // namespace

std::vector<std::string> TruthMetrics(const std::string& kind, const char* stage) {
  if (kind == "latency_step" || kind == "latency_drift" || kind == "rollout_regression") {
    return {"e2e_p95", "e2e_p99", std::string(stage ? stage : "e2e") + "_p95"};
  }
  if (kind == "failure_spike") return {"failure_rate", "good_turn_rate"};
  if (kind == "timeout_storm") return {"timeout_rate", "failure_rate", "good_turn_rate"};
  if (kind == "rephrase_rise") return {"rephrase_rate", "good_turn_rate"};
  if (kind == "false_barge_in_rise") return {"false_barge_in_rate"};
  if (kind == "volume_drop") return {"volume", "affected_devices"};
  if (kind == "joint") return {"asr_final_p95", "failure_rate", "rephrase_rate"};
  return {};
}

std::vector<std::string> TruthMoved(const std::string& kind, const char* stage) {
  std::vector<std::string> moved = TruthMetrics(kind, stage);
  // A joint change is modest in each of its metrics; what they feed moves with them.
  if (kind == "joint") moved.insert(moved.end(), {"e2e_p95", "e2e_p99", "good_turn_rate"});
  return moved;
}

std::string TruthJson(const Fleet& fleet, int* incidents, int* decoys,
                      const std::vector<double>* detectability) {
  const TimeMs start = fleet.Start(), end = fleet.End();
  const Scenario& s = fleet.scenario();
  Json truth;
  truth["start"] = FormatTimestamp(start);
  truth["end"] = FormatTimestamp(end);
  Json inc = Json::array();
  std::vector<Decoy> ds;
  std::vector<std::pair<Dim, std::string>> incident_values;
  for (size_t index = 0; index < fleet.Injections().size(); ++index) {
    const ResolvedInjection& ri = fleet.Injections()[index];
    const Injection& in = *ri.spec;
    TimeMs a = std::max(ri.onset, start);
    if (in.decoy) {
      ds.push_back({in.kind, SliceJson(in.slice), a, ri.end});
      continue;
    }
    for (const auto& sv : in.slice) incident_values.push_back(sv);
    Json j;
    j["id"] = in.id;
    j["kind"] = in.kind;
    const char* stage = in.stage ? StageName(*in.stage) : nullptr;
    std::vector<std::string> metrics = TruthMetrics(in.kind, stage);
    std::vector<std::string> moved = TruthMoved(in.kind, stage);
    j["metrics"] = metrics;
    if (moved != metrics) j["moved"] = moved;
    j["slice"] = SliceJson(in.slice);
    j["stage"] = stage ? Json(stage) : Json(nullptr);
    j["start"] = FormatTimestamp(a);
    j["end"] = FormatTimestamp(ri.end);
    if (detectability) j["detectability"] = (*detectability)[index];
    inc.push_back(std::move(j));
  }
  // Decoys the fleet brings by itself.
  for (const LocaleSpec& l : s.locales) {
    for (const Holiday& h : l.holidays) {
      TimeMs midnight = h.date * kDayMs;
      TimeMs a = midnight - static_cast<int64_t>(UtcOffsetMinutes(l, midnight)) * kMinuteMs;
      TimeMs b = a + kDayMs;
      if (b > start && a < end)
        ds.push_back({"holiday", Json{{"locale", l.name}}, std::max(a, start), std::min(b, end)});
    }
    for (TimeMs t : DstTransitions(l, start, end)) {
      ds.push_back({"dst_change", Json{{"locale", l.name}}, t, std::min(t + kDayMs, end)});
    }
  }
  const std::vector<RolloutSpec>* fams[3] = {&s.app_builds, &s.asr_models, &s.tts_voices};
  const Dim dims[3] = {Dim::kAppBuild, Dim::kAsrModel, Dim::kTtsVoice};
  for (int f = 0; f < 3; ++f) {
    for (const RolloutSpec& r : *fams[f]) {
      TimeMs a = r.release.Resolve(start), b = a + std::max<int64_t>(r.ramp_ms, kHourMs);
      if (a < start || a >= end) continue;
      bool regressed = std::find(incident_values.begin(), incident_values.end(),
                                 std::make_pair(dims[f], r.name)) != incident_values.end();
      if (regressed) continue;
      ds.push_back({f == 0 ? "build_ramp" : "model_ramp", Json{{DimName(dims[f]), r.name}}, a,
                    std::min(b, end)});
    }
  }
  std::stable_sort(ds.begin(), ds.end(), [](const Decoy& x, const Decoy& y) {
    return std::tie(x.start, x.kind) < std::tie(y.start, y.kind);
  });
  Json dec = Json::array();
  for (const Decoy& d : ds) {
    Json j;
    j["kind"] = d.kind;
    j["slice"] = d.slice;
    j["start"] = FormatTimestamp(d.start);
    j["end"] = FormatTimestamp(d.end);
    dec.push_back(std::move(j));
  }
  if (incidents) *incidents = static_cast<int>(inc.size());
  if (decoys) *decoys = static_cast<int>(dec.size());
  truth["incidents"] = std::move(inc);
  truth["decoys"] = std::move(dec);
  return truth.dump(2) + "\n";
}

}  // namespace vigil::sim
