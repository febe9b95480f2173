// `vigil run --config C [EVENTS...]`: the main job. Ingests the events, judges every monitored
// series, groups and explains the anomalies, updates the incidents' lifecycle in the store,
// notifies the routed sinks of what changed, and writes the incidents.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "command.h"
#include "common.h"
#include "vigil/alert.h"
#include "vigil/incident_json.h"
#include "vigil/pipeline.h"
#include "vigil/report.h"

namespace vigil::cli {
namespace {

struct Options {
  std::string config, from, to, json, now, report;
  std::vector<std::string> files;
  int threads = 0;
  bool quiet = false;
  bool force = false;
};

Action Setup(CLI::App* app) {
  auto o = std::make_shared<Options>();
  app->add_option("--config", o->config, "The YAML config")->required();
  app->add_option("EVENTS", o->files,
                  "JSON Lines or CSV files to ingest first (none: judge the store as it is)");
  app->add_option(
      "--from", o->from,
      "Report incidents from this onset (RFC 3339); earlier data still feeds baselines");
  app->add_option("--to", o->to, "Report incidents with an onset before this time");
  app->add_option("--json", o->json,
                  "Write {\"incidents\": [...]} (DESIGN §5, with status and owner) to this file");
  app->add_option("--report", o->report,
                  "Also write the self-contained HTML report (DESIGN §4) to this file");
  app->add_option(
      "--now", o->now,
      "Wall-clock time of this run (RFC 3339; default: the system clock), for silences");
  app->add_option("--threads", o->threads, "Parser threads");
  app->add_flag("--quiet", o->quiet, "Print only the summary lines and notifications");
  app->add_flag("--force", o->force,
                "Ingest files whose content the store already holds (counted again)");
  return [o]() -> int {
    // Only a run that ingests writes the cube: one without files judges the store as it is (and
    // writes incidents, which SQLite serializes), so it may run beside a server, e.g. from cron.
    auto opened = OpenStoredCube(o->config, /*require_events=*/o->files.empty(),
                                 o->files.empty() ? "" : "vigil run");
    if (!opened.ok()) return ReportError(opened.status());
    if (!o->files.empty()) {
      auto stats = IngestIntoStore(&*opened, o->files, o->threads, o->quiet, o->force);
      if (!stats.ok()) return ReportError(stats.status());
    }
    const Config& config = *opened->config;
    Cube& cube = opened->cube;
    auto from = ParseTimeFlag("--from", o->from);
    if (!from.ok()) return ReportError(from.status());
    auto to = ParseTimeFlag("--to", o->to);
    if (!to.ok()) return ReportError(to.status());
    auto now = ParseTimeFlag("--now", o->now);
    if (!now.ok()) return ReportError(now.status());

    InvestigateOptions investigate;
    investigate.from = *from;
    investigate.to = *to;
    // Examples and failure templates come from the events themselves: one more pass.
    investigate.files = o->files;
    auto search = Investigate(cube, investigate);
    if (!search.ok()) return ReportError(search.status());
    AlertOptions options;
    options.now = *now;
    options.data_end = cube.last_bucket() + config.granularity_ms;
    options.from = *from;
    options.to = *to;
    options.out = &std::cout;
    auto report = UpdateIncidents(opened->store.get(), config, search->incidents, options);
    if (!report.ok()) return ReportError(report.status());
    std::cout.flush();
    for (const std::string& problem : report->problems) Warn(problem);

    auto stored = opened->store->incidents().All();
    if (!stored.ok()) return ReportError(stored.status());
    if (!o->json.empty()) {
      nlohmann::json incidents = nlohmann::json::array();
      for (const IncidentRecord& r : *stored) {
        if ((*from && r.start < *from) || (*to && r.start >= *to)) continue;
        incidents.push_back(nlohmann::json::parse(r.document));
      }
      std::ofstream out(o->json);
      out << nlohmann::json{{"incidents", incidents}}.dump(2) << "\n";
      if (!out) return ReportError(IoError(o->json + ": cannot write"));
    }
    if (!o->report.empty()) {
      ReportOptions report_options;
      report_options.generated_at = options.now ? options.now : WallClockNow();
      auto html = RenderReport(cube, opened->store.get(), report_options);
      if (!html.ok()) return ReportError(html.status());
      Status written = WriteFileAtomically(o->report, *html);
      if (!written.ok()) return ReportError(written);
    }
    size_t anomalies = 0;
    for (const Incident& inc : search->incidents) anomalies += 1 + inc.related.size();
    std::fprintf(stderr,
                 "%zu incidents from %zu anomalies in %zu monitored series (%s points judged)\n",
                 search->incidents.size(), anomalies, search->detection.series,
                 Thousands(search->detection.points).c_str());
    std::fprintf(stderr,
                 "lifecycle: %d opened, %d reopened, %d escalated, %d resolved, %d unchanged; "
                 "notifications: %d sent, %d failed, %d silenced, %d held back (not paging)\n",
                 report->opened, report->reopened, report->escalated, report->resolved,
                 report->unchanged, report->sent, report->failed, report->silenced,
                 report->not_paging);
    return 0;
  };
}

const bool kRegistered = RegisterCommand(
    {"run", "Ingest, detect, explain, update incidents and notify their owners (the main job)", 15,
     Setup});

}  // namespace
}  // namespace vigil::cli
