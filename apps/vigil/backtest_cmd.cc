// `vigil backtest --config C --truth truth.json EVENTS...`: detection against labelled truth.
#include <algorithm>
#include <cstdio>
#include <fmt/format.h>
#include <filesystem>
#include <fstream>

#include "command.h"
#include "common.h"
#include "incident/incident_codec.h"
#include "vigil/alert.h"
#include "vigil/eval.h"
#include "vigil/ingest.h"
#include "vigil/store.h"

namespace vigil::cli {
namespace {

struct Options {
  std::string config, truth, json;
  std::vector<std::string> events;
  bool verbose = false;
};

std::string Minutes(double ms) { return fmt::format("{:.0f} min", ms / kMinuteMs); }

Action Setup(CLI::App* app) {
  auto o = std::make_shared<Options>();
  app->add_option("--config", o->config, "The YAML config")->required();
  app->add_option("--truth", o->truth, "truth.json (DESIGN §5.2)")->required();
  app->add_option("EVENTS", o->events, "Events files; none: the config's store");
  app->add_option("--json", o->json, "Write the report as JSON to this file");
  app->add_flag("--verbose", o->verbose, "List every false anomaly");
  return [o]() -> int {
    auto config = LoadConfig(o->config);
    if (!config.ok()) return ReportError(config.status());
    auto truth = Truth::Load(o->truth);
    if (!truth.ok()) return ReportError(truth.status());
    Cube cube(*config);
    if (o->events.empty()) {
      auto store = Store::Open((*config)->StorePath());
      if (!store.ok()) return ReportError(store.status());
      auto loaded = (*store)->cube().Load(*config);
      if (!loaded.ok()) return ReportError(loaded.status());
      cube = std::move(*loaded);
    } else {
      auto stats = IngestFiles(o->events, &cube);
      if (!stats.ok()) return ReportError(stats.status());
    }
    std::unique_ptr<Store> store;
    if (o->events.empty() || std::filesystem::exists((*config)->StorePath())) {
      auto opened = Store::Open((*config)->StorePath());
      if (!opened.ok()) return ReportError(opened.status());
      store = std::move(*opened);
    }
    auto detection = Detect(cube);
    if (!detection.ok()) return ReportError(detection.status());
    BacktestReport r = Backtest(detection->anomalies, *truth);
    std::vector<Incident> incidents = GroupIncidents(detection->anomalies);
    Status evidence = AttachEvidence(cube, &incidents);
    if (!evidence.ok()) return ReportError(evidence);
    if (!o->events.empty()) {
      Status sampled = AttachSamples(o->events, **config, &incidents);
      if (!sampled.ok()) return ReportError(sampled);
    }
    ScoreIncidents(incidents, *truth, &r);
    if (store) {
      auto verdicts = FeedbackVerdicts(store.get(), incidents);
      if (!verdicts.ok()) return ReportError(verdicts.status());
      ScoreFeedback(incidents, *verdicts, &r);
    }

    fmt::print("{:<5} {:<22} {:<6} {:>10} {:>10}  {:<6} {}\n", "truth", "kind", "found", "delay",
               "onset err", "exact", "as");
    std::vector<double> delays;
    std::map<std::string, std::pair<int, int>> by_kind;
    for (const auto& m : r.matches) {
      by_kind[m.kind].second++;
      if (m.found) {
        by_kind[m.kind].first++;
        delays.push_back(m.detection_delay_ms);
      }
      fmt::print("{:<5} {:<22} {:<6} {:>10} {:>10}  {:<6} {}\n", m.truth_id, m.kind,
                 m.found ? "yes" : "NO", m.found ? Minutes(m.detection_delay_ms) : "-",
                 m.found ? Minutes(m.onset_error_ms) : "-", m.found ? (m.exact_slice ? "yes" : "no") : "-",
                 m.found ? m.metric + " " + FormatSlice(m.slice) : "");
    }
    std::sort(delays.begin(), delays.end());
    double median = delays.empty() ? 0 : delays[delays.size() / 2];
    double worst = delays.empty() ? 0 : delays.back();
    fmt::print("\nprecision {:.3f}  recall {:.3f}  F1 {:.3f}  anomalies {} ({} true, {} collateral, "
               "{} false)  false per day {:.2f}  delay median {} worst {}\n",
               r.precision(), r.recall(), r.f1(), r.anomalies, r.true_anomalies,
               r.collateral_anomalies.size(), r.false_anomalies.size(), r.false_per_day(),
               Minutes(median), Minutes(worst));
    fmt::print("incidents {} ({} true, {} collateral, {} quiet mix shifts, {} false)  false incidents "
               "per day {:.2f}  decoy incidents {}\n",
               r.incidents, r.true_incidents, r.collateral_incidents, r.quiet_incidents,
               r.false_incidents.size(), r.false_incidents_per_day(), r.decoy_incidents.size());
    size_t found = 0;
    for (const auto& m : r.matches) found += m.found;
    fmt::print("explanations: top root cause = truth slice {}/{} found; carrying stage first {}/{} "
               "with a stage\n",
               r.root_cause_exact(), found, r.stage_first(), r.with_stage);
    fmt::print("recall by kind:");
    for (const auto& [kind, fc] : by_kind) fmt::print("  {} {}/{}", kind, fc.first, fc.second);
    fmt::print("\n");
    fmt::print("precision by monitor (incidents; quiet mix shifts aside; with people's feedback where given):\n");
    for (const auto& [metric, m] : r.by_monitor) {
      fmt::print("  {:<22} {:>3} incidents  {:>2} quiet  precision {:.2f}", metric, m.incidents, m.quiet, m.precision());
      if (m.with_feedback) {
        fmt::print("  feedback {} ({} true, {} false, {} duplicate) -> precision {:.2f}", m.with_feedback,
                   m.feedback_true, m.feedback_false, m.feedback_duplicate, m.precision_with_feedback());
      }
      fmt::print("\n");
    }
    if (!r.decoy_hits.empty()) {
      fmt::print("decoys that produced an anomaly:\n");
      for (const auto& [d, a] : r.decoy_hits) {
        fmt::print("  {:<12} {}  -> {} {} at {}\n", d.kind, FormatSlice(d.slice), a.metric,
                   FormatSlice(a.slice), FormatTimestamp(a.start));
      }
    }
    if (o->verbose) {
      fmt::print("false incidents:\n");
      for (const Incident& inc : r.false_incidents) {
        const Anomaly& a = inc.primary;
        fmt::print("  {}  {:<20} {:<40} {:+.1f}%  +{} related\n", FormatTimestamp(inc.start), a.metric,
                   FormatSlice(a.slice), 100 * a.relative_change, inc.related.size());
      }
      fmt::print("false anomalies:\n");
      for (const Anomaly& a : r.false_anomalies) {
        fmt::print("  {}  {:<20} {:<40} {:>9.3f} -> {:<9.3f} {:+.1f}%  conf {:.4f} {}\n",
                   FormatTimestamp(a.start), a.metric, FormatSlice(a.slice), a.baseline, a.observed,
                   100 * a.relative_change, a.confidence, a.detector);
      }
    }
    if (!o->json.empty()) {
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
      j["median_delay_minutes"] = median / kMinuteMs;
      j["worst_delay_minutes"] = worst / kMinuteMs;
      for (const auto& m : r.matches) {
        j["truth"].push_back({{"id", m.truth_id}, {"kind", m.kind}, {"found", m.found},
                              {"delay_minutes", m.detection_delay_ms / kMinuteMs},
                              {"exact_slice", m.exact_slice}, {"root_cause_exact", m.root_cause_exact},
                              {"stage_first", m.stage_first}});
      }
      for (const auto& [metric, m] : r.by_monitor) {
        j["by_monitor"][metric] = {{"incidents", m.incidents}, {"quiet", m.quiet}, {"precision", m.precision()},
                                   {"feedback", m.with_feedback}, {"feedback_true", m.feedback_true},
                                   {"feedback_false", m.feedback_false}, {"feedback_duplicate", m.feedback_duplicate},
                                   {"precision_with_feedback", m.precision_with_feedback()}};
      }
      for (const auto& [d, a] : r.decoy_hits) {
        j["decoy_hits"].push_back({{"kind", d.kind}, {"incident", IncidentToJson(a)}});
      }
      std::ofstream(o->json) << j.dump(2) << "\n";
    }
    return 0;
  };
}

const bool kRegistered = RegisterCommand({"backtest", "Compare detection with labelled truth", 60, Setup});

}  // namespace
}  // namespace vigil::cli
