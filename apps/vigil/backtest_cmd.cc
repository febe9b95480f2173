// `vigil backtest --config C --truth truth.json EVENTS...`: detection against labelled truth.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
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
    BacktestOptions options;
    options.files = o->events;
    if (store) {
      options.feedback = [&store](const std::vector<Incident>& incidents) {
        return FeedbackVerdicts(store.get(), incidents);
      };
    }
    auto backtest = RunBacktest(cube, *truth, options);
    if (!backtest.ok()) return ReportError(backtest.status());
    const BacktestReport& r = *backtest;

    fmt::print("{:<5} {:<22} {:<6} {:>10} {:>10}  {:<6} {}\n", "truth", "kind", "found", "delay",
               "onset err", "exact", "as");
    for (const auto& m : r.matches) {
      fmt::print("{:<5} {:<22} {:<6} {:>10} {:>10}  {:<6} {}\n", m.truth_id, m.kind,
                 m.found ? "yes" : "NO", m.found ? Minutes(m.detection_delay_ms) : "-",
                 m.found ? Minutes(m.onset_error_ms) : "-",
                 m.found ? (m.exact_slice ? "yes" : "no") : "-",
                 m.found ? m.metric + " " + FormatSlice(m.slice) : "");
    }
    fmt::print(
        "\nprecision {:.3f}  recall {:.3f}  F1 {:.3f}  anomalies {} ({} true, {} collateral, "
        "{} false)  false per day {:.2f}  delay median {} worst {}\n",
        r.precision(), r.recall(), r.f1(), r.anomalies, r.true_anomalies,
        r.collateral_anomalies.size(), r.false_anomalies.size(), r.false_per_day(),
        Minutes(r.median_delay_ms()), Minutes(r.worst_delay_ms()));
    fmt::print(
        "incidents {} ({} true, {} collateral, {} quiet mix shifts, {} false)  false incidents "
        "per day {:.2f}  decoy incidents {}\n",
        r.incidents, r.true_incidents, r.collateral_incidents, r.quiet_incidents,
        r.false_incidents.size(), r.false_incidents_per_day(), r.decoy_incidents.size());
    fmt::print(
        "explanations: top root cause = truth slice {}/{} found; carrying stage first {}/{} "
        "with a stage\n",
        r.root_cause_exact(), r.found(), r.stage_first(), r.with_stage);
    fmt::print("recall by kind:");
    for (const auto& [kind, k] : r.recall_by_kind())
      fmt::print("  {} {}/{}", kind, k.found, k.total);
    fmt::print("\n");
    fmt::print(
        "precision by monitor (incidents; quiet mix shifts aside; with people's feedback where "
        "given):\n");
    for (const auto& [metric, m] : r.by_monitor) {
      fmt::print("  {:<22} {:>3} incidents  {:>2} quiet  precision {:.2f}", metric, m.incidents,
                 m.quiet, m.precision());
      if (m.with_feedback) {
        fmt::print("  feedback {} ({} true, {} false, {} duplicate) -> precision {:.2f}",
                   m.with_feedback, m.feedback_true, m.feedback_false, m.feedback_duplicate,
                   m.precision_with_feedback());
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
        fmt::print("  {}  {:<20} {:<40} {:+.1f}%  +{} related\n", FormatTimestamp(inc.start),
                   a.metric, FormatSlice(a.slice), 100 * a.relative_change, inc.related.size());
      }
      fmt::print("false anomalies:\n");
      for (const Anomaly& a : r.false_anomalies) {
        fmt::print("  {}  {:<20} {:<40} {:>9.3f} -> {:<9.3f} {:+.1f}%  conf {:.4f} {}\n",
                   FormatTimestamp(a.start), a.metric, FormatSlice(a.slice), a.baseline, a.observed,
                   100 * a.relative_change, a.confidence, a.detector);
      }
    }
    if (!o->json.empty()) std::ofstream(o->json) << BacktestReportToJson(r) << "\n";
    return 0;
  };
}

const bool kRegistered =
    RegisterCommand({"backtest", "Compare detection with labelled truth", 60, Setup});

}  // namespace
}  // namespace vigil::cli
