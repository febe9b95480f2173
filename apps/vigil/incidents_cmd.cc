// People's side of the incident lifecycle: `vigil incidents` lists them, `vigil ack` takes one on,
// `vigil feedback` records a verdict, `vigil silence` holds notifications back for a while.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>

#include "command.h"
#include "common.h"
#include "vigil/alert.h"
#include "vigil/incident_json.h"

namespace vigil::cli {
namespace {

Result<std::unique_ptr<Store>> OpenStore(const std::string& config_path) {
  VIGIL_ASSIGN_OR_RETURN(auto config, LoadConfig(config_path));
  return Store::Open(config->StorePath());
}

Action SetupIncidents(CLI::App* app) {
  struct Options {
    std::string config, status, owner, severity;
  };
  auto o = std::make_shared<Options>();
  app->add_option("--config", o->config, "The YAML config")->required();
  app->add_option("--status", o->status, "Only open, acknowledged or resolved incidents");
  app->add_option("--owner", o->owner, "Only this owner's incidents");
  app->add_option("--severity", o->severity, "Only minor, major or critical incidents");
  return [o]() -> int {
    auto store = OpenStore(o->config);
    if (!store.ok()) return ReportError(store.status());
    auto incidents = (*store)->incidents().All();
    if (!incidents.ok()) return ReportError(incidents.status());
    int shown = 0;
    for (const IncidentRecord& r : *incidents) {
      if ((!o->status.empty() && r.status != o->status) ||
          (!o->owner.empty() && r.owner != o->owner) ||
          (!o->severity.empty() && r.severity != o->severity)) {
        continue;
      }
      Result<Incident> incident = ParseIncidentJson(r.document);
      std::string slice;
      if (incident.ok()) {
        for (const auto& [d, v] : incident->primary.slice)
          slice += (slice.empty() ? "" : ",") + d + "=" + v;
      }
      std::printf("%s  %-12s %-8s %-10s %s  %-20s %s%s\n", r.id.c_str(), r.status.c_str(),
                  r.severity.c_str(), r.owner.c_str(), FormatTimestamp(r.start).c_str(),
                  r.metric.c_str(), slice.empty() ? "all" : slice.c_str(),
                  r.paging ? "" : "  [not paging]");
      ++shown;
    }
    std::fprintf(stderr, "%d of %zu incidents\n", shown, incidents->size());
    return 0;
  };
}

Action SetupAck(CLI::App* app) {
  struct Options {
    std::string config, id;
  };
  auto o = std::make_shared<Options>();
  app->add_option("--config", o->config, "The YAML config")->required();
  app->add_option("INCIDENT", o->id, "The incident id (inc-...)")->required();
  return [o]() -> int {
    auto store = OpenStore(o->config);
    if (!store.ok()) return ReportError(store.status());
    Status acked = AcknowledgeIncident(store->get(), o->id, WallClockNow());
    if (!acked.ok()) return ReportError(acked);
    auto record = (*store)->incidents().Find(o->id);
    if (!record.ok()) return ReportError(record.status());
    std::printf("%s %s\n", o->id.c_str(), record->status.c_str());
    return 0;
  };
}

Action SetupFeedback(CLI::App* app) {
  struct Options {
    std::string config, id, verdict, note;
  };
  auto o = std::make_shared<Options>();
  app->add_option("--config", o->config, "The YAML config")->required();
  app->add_option("INCIDENT", o->id, "The incident id (inc-...)")->required();
  app->add_option("VERDICT", o->verdict, "true_positive, false_positive or duplicate")
      ->required()
      ->check(CLI::IsMember({"true_positive", "false_positive", "duplicate"}));
  app->add_option("--note", o->note, "Why, for whoever tunes the monitor");
  return [o]() -> int {
    auto store = OpenStore(o->config);
    if (!store.ok()) return ReportError(store.status());
    Status added = (*store)->incidents().AddFeedback({o->id, o->verdict, o->note, WallClockNow()});
    if (!added.ok()) return ReportError(added);
    std::printf("%s: %s recorded\n", o->id.c_str(), o->verdict.c_str());
    return 0;
  };
}

Action SetupSilence(CLI::App* app) {
  struct Options {
    std::string config, starts, ends, duration = "2h", comment;
    std::vector<std::string> matchers;
    int64_t remove = 0;
    bool list = false;
  };
  auto o = std::make_shared<Options>();
  app->add_option("--config", o->config, "The YAML config")->required();
  app->add_option("--match", o->matchers,
                  "label=value or label=~regex (repeatable), e.g. platform=watchOS");
  app->add_option("--start", o->starts, "From (RFC 3339; default now)");
  app->add_option("--end", o->ends, "Until (RFC 3339); default start + --for");
  app->add_option("--for", o->duration, "How long (default 2h)");
  app->add_option("--comment", o->comment, "Why");
  app->add_flag("--list", o->list, "List the silences instead");
  app->add_option("--remove", o->remove, "Remove the silence with this id instead");
  return [o]() -> int {
    auto store = OpenStore(o->config);
    if (!store.ok()) return ReportError(store.status());
    if (o->remove > 0) {
      Status removed = (*store)->incidents().RemoveSilence(o->remove);
      if (!removed.ok()) return ReportError(removed);
      std::printf("silence %lld removed\n", static_cast<long long>(o->remove));
      return 0;
    }
    if (o->list) {
      auto silences = (*store)->incidents().Silences();
      if (!silences.ok()) return ReportError(silences.status());
      for (const SilenceRecord& s : *silences) {
        std::string m;
        for (const auto& [k, v] : s.matchers) m += (m.empty() ? "" : ",") + k + "=" + v;
        std::printf("%lld  %s .. %s  %s  %s\n", static_cast<long long>(s.id),
                    FormatTimestamp(s.starts).c_str(), FormatTimestamp(s.ends).c_str(), m.c_str(),
                    s.comment.c_str());
      }
      return 0;
    }
    if (o->matchers.empty())
      return ReportError(InvalidArgument("--match: give at least one label=value"));
    SilenceRecord s;
    for (const std::string& m : o->matchers) {
      size_t eq = m.find('=');
      if (eq == std::string::npos || eq == 0) {
        return ReportError(
            InvalidArgument("--match '" + m + "': expected label=value or label=~regex"));
      }
      s.matchers.emplace_back(m.substr(0, eq), m.substr(eq + 1));
    }
    auto starts = ParseTimeFlag("--start", o->starts);
    if (!starts.ok()) return ReportError(starts.status());
    s.starts = *starts ? *starts : WallClockNow();
    if (!o->ends.empty()) {
      auto ends = ParseTimeFlag("--end", o->ends);
      if (!ends.ok()) return ReportError(ends.status());
      s.ends = *ends;
    } else {
      auto d = ParseDuration(o->duration);
      if (!d.ok()) return ReportError(InvalidArgument("--for: " + d.status().message()));
      s.ends = s.starts + *d;
    }
    if (s.ends <= s.starts) return ReportError(InvalidArgument("--end: must be after the start"));
    s.comment = o->comment;
    auto id = (*store)->incidents().AddSilence(s);
    if (!id.ok()) return ReportError(id.status());
    std::printf("silence %lld until %s\n", static_cast<long long>(*id),
                FormatTimestamp(s.ends).c_str());
    return 0;
  };
}

const bool kIncidents = RegisterCommand(
    {"incidents", "List stored incidents with status and owner", 55, SetupIncidents});
const bool kAck = RegisterCommand({"ack", "Acknowledge an incident", 56, SetupAck});
const bool kFeedback = RegisterCommand(
    {"feedback", "Record a verdict on an incident: true_positive, false_positive or duplicate", 57,
     SetupFeedback});
const bool kSilence = RegisterCommand(
    {"silence", "Hold notifications back for matching incidents", 58, SetupSilence});

}  // namespace
}  // namespace vigil::cli
