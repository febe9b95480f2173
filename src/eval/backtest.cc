#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/text.h"
#include "vigil/eval.h"

namespace vigil {
namespace {

constexpr size_t kMaxTruthBytes = 64 << 20;

Result<Truth> ParseTruth(const std::string& text, const std::string& origin);

bool Related(const Slice& a, const Slice& b) {
  auto contains = [](const Slice& big, const Slice& small) {
    for (const auto& kv : small)
      if (std::find(big.begin(), big.end(), kv) == big.end()) return false;
    return true;
  };
  return contains(a, b) || contains(b, a);
}

Result<TimeMs> TimeField(const nlohmann::json& j, const char* key, const std::string& where) {
  if (!j.contains(key) || !j[key].is_string()) {
    return DataError(where + ": field '" + key + "' must be an RFC 3339 string");
  }
  auto t = ParseTimestamp(j[key].get<std::string>());
  if (!t.ok()) return DataError(where + ": field '" + key + "': " + t.status().message());
  return *t;
}

Result<Slice> SliceField(const nlohmann::json& j, const std::string& where) {
  Slice s;
  if (!j.contains("slice")) return s;
  if (!j["slice"].is_object()) return DataError(where + ": field 'slice' must be an object");
  for (auto it = j["slice"].begin(); it != j["slice"].end(); ++it) {
    if (!it.value().is_string()) return DataError(where + ": slice values must be strings");
    s.emplace_back(it.key(), it.value().get<std::string>());
  }
  return s;
}

}  // namespace

Result<Truth> Truth::Load(const std::string& path) {
  VIGIL_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, kMaxTruthBytes, "truth file"));
  return Parse(text, path);
}

Result<Truth> Truth::Parse(const std::string& text, const std::string& origin) {
  try {
    return ParseTruth(text, origin);
  } catch (const nlohmann::json::exception& e) {
    // Every shape is checked before use; this is the net under what a check missed.
    return DataError(origin + ": malformed truth file (" + e.what() + ")");
  }
}

namespace {

Result<Truth> ParseTruth(const std::string& text, const std::string& origin) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return DataError(origin + ": not a JSON object");
  Truth t;
  VIGIL_ASSIGN_OR_RETURN(t.start, TimeField(j, "start", origin));
  VIGIL_ASSIGN_OR_RETURN(t.end, TimeField(j, "end", origin));
  if (!j.contains("incidents") || !j["incidents"].is_array()) {
    return DataError(origin + ": field 'incidents' must be a list");
  }
  for (size_t i = 0; i < j["incidents"].size(); ++i) {
    const auto& x = j["incidents"][i];
    std::string where = origin + ": incidents[" + std::to_string(i) + "]";
    TruthIncident inc;
    auto string_field = [&](const char* key) {
      return x.contains(key) && x[key].is_string() ? x[key].get<std::string>() : std::string();
    };
    inc.id = string_field("id").empty() ? "t" + std::to_string(i + 1) : string_field("id");
    inc.kind = string_field("kind");
    inc.stage = string_field("stage");
    if (!x.contains("metrics") || !x["metrics"].is_array()) {
      return DataError(where + ": field 'metrics' must be a list");
    }
    for (const auto& m : x["metrics"]) {
      if (!m.is_string()) return DataError(where + ": metrics must be strings");
      inc.metrics.push_back(m.get<std::string>());
    }
    // `moved`: metrics that follow from the ones changed (a joint regression's e2e p95); an
    // anomaly of any of them finds the regression, as the derived metrics of other kinds do.
    if (x.contains("moved") && x["moved"].is_array()) {
      for (const auto& m : x["moved"]) {
        if (!m.is_string()) return DataError(where + ": moved must be strings");
        std::string name = m.get<std::string>();
        if (std::find(inc.metrics.begin(), inc.metrics.end(), name) == inc.metrics.end())
          inc.metrics.push_back(std::move(name));
      }
    }
    VIGIL_ASSIGN_OR_RETURN(inc.slice, SliceField(x, where));
    VIGIL_ASSIGN_OR_RETURN(inc.start, TimeField(x, "start", where));
    VIGIL_ASSIGN_OR_RETURN(inc.end, TimeField(x, "end", where));
    t.incidents.push_back(std::move(inc));
  }
  if (j.contains("decoys")) {
    if (!j["decoys"].is_array()) return DataError(origin + ": field 'decoys' must be a list");
    for (size_t i = 0; i < j["decoys"].size(); ++i) {
      const auto& x = j["decoys"][i];
      std::string where = origin + ": decoys[" + std::to_string(i) + "]";
      TruthDecoy d;
      d.kind = x.contains("kind") && x["kind"].is_string() ? x["kind"].get<std::string>() : "";
      VIGIL_ASSIGN_OR_RETURN(d.slice, SliceField(x, where));
      VIGIL_ASSIGN_OR_RETURN(d.start, TimeField(x, "start", where));
      VIGIL_ASSIGN_OR_RETURN(d.end, TimeField(x, "end", where));
      t.decoys.push_back(std::move(d));
    }
  }
  return t;
}

}  // namespace

bool Matches(const Anomaly& a, const TruthIncident& t) {
  if (std::find(t.metrics.begin(), t.metrics.end(), a.metric) == t.metrics.end()) return false;
  if (a.start < t.start - 30 * kMinuteMs || a.start > t.end) return false;
  return Related(a.slice, t.slice);
}

BacktestReport Backtest(const std::vector<Anomaly>& anomalies, const Truth& truth) {
  BacktestReport r;
  r.anomalies = anomalies.size();
  r.days = static_cast<double>(truth.end - truth.start) / kDayMs;
  std::vector<bool> matched(anomalies.size(), false);
  for (const TruthIncident& t : truth.incidents) {
    BacktestReport::Match m;
    m.truth_id = t.id;
    m.kind = t.kind;
    for (size_t i = 0; i < anomalies.size(); ++i) {
      const Anomaly& a = anomalies[i];
      if (!Matches(a, t)) continue;
      matched[i] = true;
      bool better = !m.found || a.detected - t.start < m.detection_delay_ms;
      if (better) {
        m.found = true;
        m.detection_delay_ms = static_cast<double>(std::max<TimeMs>(0, a.detected - t.start));
        m.onset_error_ms = static_cast<double>(std::abs(a.start - t.start));
        m.metric = a.metric;
        m.slice = a.slice;
      }
      Slice x = a.slice, y = t.slice;
      std::sort(x.begin(), x.end());
      std::sort(y.begin(), y.end());
      m.exact_slice = m.exact_slice || x == y;
    }
    r.matches.push_back(std::move(m));
  }
  for (size_t i = 0; i < anomalies.size(); ++i) {
    if (matched[i]) {
      ++r.true_anomalies;
      continue;
    }
    // Another metric of a true regression, in a related slice during it (a latency step also
    // lowers the good-turn rate): not a false alarm; grouping makes it part of that incident.
    bool collateral = false;
    for (const TruthIncident& t : truth.incidents) {
      if (anomalies[i].start >= t.start - 30 * kMinuteMs && anomalies[i].start <= t.end &&
          Related(anomalies[i].slice, t.slice)) {
        collateral = true;
      }
    }
    if (collateral) {
      r.collateral_anomalies.push_back(anomalies[i]);
      continue;
    }
    r.false_anomalies.push_back(anomalies[i]);
    for (const TruthDecoy& d : truth.decoys) {
      TimeMs end = anomalies[i].end ? anomalies[i].end : INT64_MAX;
      if (anomalies[i].start < d.end && d.start < end &&
          (d.slice.empty() || Related(anomalies[i].slice, d.slice))) {
        r.decoy_hits.emplace_back(d, anomalies[i]);
        break;
      }
    }
  }
  return r;
}

namespace {
bool Collateral(const Anomaly& a, const Truth& truth) {
  for (const TruthIncident& t : truth.incidents) {
    if (a.start >= t.start - 30 * kMinuteMs && a.start <= t.end && Related(a.slice, t.slice))
      return true;
  }
  return false;
}
}  // namespace

void ScoreIncidents(const std::vector<Incident>& incidents, const Truth& truth, BacktestReport* r) {
  r->incidents = incidents.size();
  auto sorted = [](Slice s) {
    std::sort(s.begin(), s.end());
    return s;
  };
  for (size_t t = 0; t < truth.incidents.size() && t < r->matches.size(); ++t) {
    const TruthIncident& ti = truth.incidents[t];
    auto& m = r->matches[t];
    if (!m.found) continue;
    if (!ti.stage.empty()) ++r->with_stage;
    for (const Incident& inc : incidents) {
      bool holds = false;
      for (const Anomaly* a : inc.members()) holds = holds || Matches(*a, ti);
      if (!holds) continue;
      if (!inc.evidence.root_causes.empty()) {
        Slice top(inc.evidence.root_causes[0].slice.begin(),
                  inc.evidence.root_causes[0].slice.end());
        m.root_cause_exact = m.root_cause_exact || sorted(top) == sorted(ti.slice);
      }
      if (!ti.stage.empty() && !inc.evidence.stages.empty()) {
        m.stage_first = m.stage_first || inc.evidence.stages[0].stage == ti.stage;
      }
    }
  }
  r->incident_truth.clear();
  r->scored_incidents.clear();
  for (const Incident& inc : incidents) {
    bool matched = false, collateral = false;
    BacktestReport::ScoredIncident scored{
        inc.id, inc.primary.metric, inc.primary.slice, inc.start, inc.end, "", "", {}};
    if (!inc.evidence.root_causes.empty()) {
      scored.root_cause =
          Slice(inc.evidence.root_causes[0].slice.begin(), inc.evidence.root_causes[0].slice.end());
    }
    for (const Anomaly* a : inc.members()) {
      for (const TruthIncident& t : truth.incidents) {
        if (!Matches(*a, t)) continue;
        if (!matched) scored.truth_id = t.id;
        matched = true;
      }
      collateral = collateral || Collateral(*a, truth);
    }
    scored.verdict = matched ? "true" : collateral ? "collateral" : inc.paging ? "false" : "quiet";
    r->scored_incidents.push_back(scored);
    BacktestReport::MonitorScore& score = r->by_monitor[inc.primary.metric];
    ++score.incidents;
    if (matched || collateral) {
      ++score.true_by_truth;
      ++score.true_with_feedback;
      r->incident_truth.push_back(1);
      ++(matched ? r->true_incidents : r->collateral_incidents);
      continue;
    }
    if (!inc.paging) {
      ++score.quiet;
      r->incident_truth.push_back(-1);
      ++r->quiet_incidents;  // labelled (a mix shift) and paging nobody
      continue;
    }
    r->incident_truth.push_back(0);
    r->false_incidents.push_back(inc);
    for (const TruthDecoy& d : truth.decoys) {
      TimeMs end = inc.end ? inc.end : INT64_MAX;
      if (inc.start < d.end && d.start < end &&
          (d.slice.empty() || Related(inc.primary.slice, d.slice))) {
        r->decoy_incidents.emplace_back(d, inc);
        break;
      }
    }
  }
}

void ScoreFeedback(const std::vector<Incident>& incidents,
                   const std::map<std::string, Verdict>& verdicts, BacktestReport* r) {
  for (size_t i = 0; i < incidents.size() && i < r->incident_truth.size(); ++i) {
    auto it = verdicts.find(incidents[i].id);
    if (it == verdicts.end()) continue;
    BacktestReport::MonitorScore& score = r->by_monitor[incidents[i].primary.metric];
    ++score.with_feedback;
    bool truth_says_true = r->incident_truth[i] == 1;
    if (r->incident_truth[i] == -1) continue;  // quiet: not in either precision
    if (truth_says_true) --score.true_with_feedback;
    if (it->second == Verdict::kTruePositive) {
      ++score.feedback_true;
      ++score.true_with_feedback;
    } else if (it->second == Verdict::kFalsePositive) {
      ++score.feedback_false;
    } else {
      ++score.feedback_duplicate;
    }
  }
}

double BacktestReport::MonitorScore::precision() const {
  size_t judged = incidents - quiet;
  return judged ? static_cast<double>(true_by_truth) / judged : 1.0;
}

double BacktestReport::MonitorScore::precision_with_feedback() const {
  size_t judged = incidents - quiet - feedback_duplicate;
  return judged ? static_cast<double>(true_with_feedback) / judged : 1.0;
}

size_t BacktestReport::root_cause_exact() const {
  size_t n = 0;
  for (const Match& m : matches) n += m.root_cause_exact;
  return n;
}

size_t BacktestReport::stage_first() const {
  size_t n = 0;
  for (const Match& m : matches) n += m.stage_first;
  return n;
}

double BacktestReport::false_incidents_per_day() const {
  return days <= 0 ? 0 : static_cast<double>(false_incidents.size()) / days;
}

double BacktestReport::precision() const {
  return anomalies == 0
             ? 1.0
             : static_cast<double>(true_anomalies + collateral_anomalies.size()) / anomalies;
}
double BacktestReport::recall() const {
  if (matches.empty()) return 1.0;
  size_t found = 0;
  for (const Match& m : matches) found += m.found;
  return static_cast<double>(found) / matches.size();
}
double BacktestReport::f1() const {
  double p = precision(), r = recall();
  return p + r == 0 ? 0 : 2 * p * r / (p + r);
}
double BacktestReport::false_per_day() const {
  return days <= 0 ? 0 : static_cast<double>(false_anomalies.size()) / days;
}

}  // namespace vigil
