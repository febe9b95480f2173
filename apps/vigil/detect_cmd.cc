// `vigil detect --config C [--from T --to T] [--json FILE]`: judges every monitored series of the
// stored cube, stores the anomalies and prints them.
#include <fmt/format.h>

#include <cstdio>
#include <fstream>

#include "command.h"
#include "common.h"
#include "incident/incident_codec.h"
#include "vigil/detect.h"
#include "vigil/incident_json.h"
#include "vigil/pipeline.h"
#include "vigil/store.h"

namespace vigil::cli {
namespace {

struct Options {
  std::string config, from, to, json;
  bool quiet = false;
};

Action Setup(CLI::App* app) {
  auto o = std::make_shared<Options>();
  app->add_option("--config", o->config, "The YAML config")->required();
  app->add_option("--from", o->from,
                  "Judge from this time (RFC 3339); history before it still feeds baselines");
  app->add_option("--to", o->to, "Judge until this time (exclusive)");
  app->add_option("--json", o->json, "Write {\"incidents\": [...]} (DESIGN §5) to this file");
  app->add_flag("--quiet", o->quiet, "Print only the summary line");
  return [o]() -> int {
    auto opened = OpenStoredCube(o->config, /*require_events=*/true);
    if (!opened.ok()) return ReportError(opened.status());
    auto& config = opened->config;
    auto& store = opened->store;
    Cube* cube = &opened->cube;
    auto from = ParseTimeFlag("--from", o->from);
    if (!from.ok()) return ReportError(from.status());
    auto to = ParseTimeFlag("--to", o->to);
    if (!to.ok()) return ReportError(to.status());
    InvestigateOptions investigate;
    investigate.from = *from;
    investigate.to = *to;
    auto search = Investigate(*cube, investigate);
    if (!search.ok()) return ReportError(search.status());
    const std::vector<Incident>& grouped = search->incidents;
    size_t anomalies = 0;
    for (const Incident& inc : grouped) anomalies += 1 + inc.related.size();
    nlohmann::json incidents = nlohmann::json::array();
    std::vector<std::pair<std::string, std::string>> docs;
    for (const Incident& inc : grouped) {
      nlohmann::json j = IncidentToJson(inc);
      docs.emplace_back(inc.id, j.dump());
      incidents.push_back(std::move(j));
    }
    Status saved = store->incidents().ReplaceDocuments("incident", docs);
    if (!saved.ok()) return ReportError(saved);
    if (!o->json.empty()) {
      std::ofstream out(o->json);
      out << nlohmann::json{{"incidents", incidents}}.dump(2) << "\n";
      if (!out) return ReportError(IoError(o->json + ": cannot write"));
    }
    if (!o->quiet) {
      for (const Incident& inc : grouped) {
        const Anomaly& a = inc.primary;
        const std::string& unit = config->metrics[config->FindMetric(a.metric)].unit;
        fmt::print("{}  {}  {:<20} {:<44} {:>10} -> {:<10} {:+6.1f}%  {:<8} conf {:.4f}{}{}\n",
                   inc.id, FormatTimestamp(inc.start), a.metric, FormatSlice(a.slice),
                   FormatValue(a.baseline, unit), FormatValue(a.observed, unit),
                   100 * a.relative_change, ToString(inc.severity), a.confidence,
                   inc.related.empty() ? "" : fmt::format("  +{} related", inc.related.size()),
                   std::string(inc.end ? "" : "  (open)") +
                       (inc.paging ? ""
                                   : "  [mix shift along " + inc.evidence.mix_dimension +
                                         ": not paging]"));
      }
    }
    std::fprintf(stderr,
                 "%zu incidents from %zu anomalies in %zu monitored series (%s points "
                 "judged)\n",
                 grouped.size(), anomalies, search->detection.series,
                 Thousands(search->detection.points).c_str());
    return 0;
  };
}

const bool kRegistered =
    RegisterCommand({"detect", "Find regressions in the monitored series", 40, Setup});

}  // namespace
}  // namespace vigil::cli
