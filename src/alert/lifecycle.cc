// The incident lifecycle in the store and the notifications it causes.
#include <chrono>
#include <set>
#include <unordered_map>

#include "incident/incident_codec.h"
#include "vigil/alert.h"
#include "vigil/incident_json.h"

namespace vigil {
namespace {

// An anomaly's identity across runs: later data may make another member the primary (and so
// change the fresh id), but the members themselves stay put.
std::string MemberKey(const Anomaly& member) {
  return member.metric + '\x1f' + SliceToJson(member.slice).dump() + '\x1f' +
         FormatTimestamp(member.start);
}

// The stored status of a record; text that names no status is neither acknowledged nor resolved.
IncidentStatus StatusOf(const IncidentRecord& record) {
  Result<IncidentStatus> status = ParseIncidentStatus(record.status);
  return status.ok() ? *status : IncidentStatus::kOpen;
}

// True when `severity` is worse than the stored `last` (any severity is, of text naming none).
bool Worse(Severity severity, std::string_view last) {
  Result<Severity> last_severity = ParseSeverity(last);
  return !last_severity.ok() || severity > *last_severity;
}

bool IsPagingSink(const SinkSpec& spec) {
  return spec.kind == SinkSpec::Kind::kWebhook || spec.kind == SinkSpec::Kind::kAlertmanager;
}

// What a sink was told, as stored with its delivery: "firing/major", "resolved/minor".
std::string DeliveryState(bool resolved, Severity severity) {
  return std::string(resolved ? "resolved/" : "firing/") + std::string(ToString(severity));
}

// What a sink that was last told `last` (a DeliveryState) must hear now (nothing: false).
bool Decide(const std::string& last, bool resolved, Severity severity, Notification::Kind* kind) {
  if (last.empty()) {
    *kind = resolved ? Notification::Kind::kResolved : Notification::Kind::kFiring;
    return true;
  }
  bool was_resolved = last.starts_with("resolved/");
  if (!was_resolved && resolved) {
    *kind = Notification::Kind::kResolved;
    return true;
  }
  if (was_resolved && !resolved) {
    *kind = Notification::Kind::kReopened;
    return true;
  }
  if (!resolved && Worse(severity, std::string_view(last).substr(last.find('/') + 1))) {
    *kind = Notification::Kind::kEscalated;
    return true;
  }
  return false;
}

// The examples and error templates of a stored document.
void RestoreSamples(const std::string& document, Evidence* evidence) {
  Result<Incident> stored = ParseIncidentJson(document);
  if (!stored.ok()) return;
  evidence->examples = std::move(stored->evidence.examples);
  evidence->error_templates = std::move(stored->evidence.error_templates);
}

}  // namespace

const char* NotificationKindName(Notification::Kind kind) {
  switch (kind) {
    case Notification::Kind::kFiring:
      return "firing";
    case Notification::Kind::kEscalated:
      return "escalated";
    case Notification::Kind::kReopened:
      return "reopened";
    case Notification::Kind::kResolved:
      return "resolved";
    case Notification::Kind::kRepeated:
      return "repeated";
  }
  return "firing";
}

Result<AlertReport> UpdateIncidents(Store* store, const Config& config,
                                    const std::vector<Incident>& incidents,
                                    const AlertOptions& options) {
  AlertReport report;
  const TimeMs now = options.now ? options.now : WallClockNow();
  VIGIL_ASSIGN_OR_RETURN(std::vector<IncidentRecord> stored, store->incidents().All());
  std::unordered_map<std::string, const IncidentRecord*> by_id;
  std::unordered_map<std::string, std::vector<std::string>> ids_by_member;
  for (const IncidentRecord& r : stored) {
    by_id[r.id] = &r;
    Result<Incident> decoded = ParseIncidentJson(r.document);
    if (!decoded.ok()) continue;
    for (const Anomaly* m : decoded->members()) ids_by_member[MemberKey(*m)].push_back(r.id);
  }
  std::map<std::pair<std::string, std::string>, const DeliveryRecord*> delivered;
  VIGIL_ASSIGN_OR_RETURN(auto deliveries, store->incidents().Deliveries());
  for (const DeliveryRecord& d : deliveries) delivered[{d.incident, d.sink}] = &d;
  VIGIL_ASSIGN_OR_RETURN(auto silences, store->incidents().Silences());

  // Sinks: the config's, with the caller's overrides.
  std::map<std::string, std::shared_ptr<Sink>> sinks = options.sinks;
  std::map<std::string, const SinkSpec*> specs;
  for (const SinkSpec& spec : config.alert.sinks) {
    specs[spec.name] = &spec;
    if (sinks.count(spec.name)) continue;
    VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<Sink> sink, Sink::Create(spec, config, options.out));
    sinks[spec.name] = std::move(sink);
  }

  std::vector<IncidentRecord> records;
  struct Pending {
    std::string sink;
    Notification notification;
    std::string state;
  };
  std::vector<Pending> pending;
  std::map<std::string, std::vector<Notification>> still_firing;
  // Which sinks must hear about an incident now, given what each was last told.
  auto plan = [&](const Incident& incident, const Labels& labels,
                  const std::vector<RouteMatch>& routes, bool resolved, Severity severity,
                  bool paging) {
    const std::string& id = incident.id;
    bool silenced = false;
    for (const SilenceRecord& s : silences) silenced = silenced || SilenceMatches(s, labels, now);
    std::set<std::string> targets;
    for (const RouteMatch& r : routes) targets.insert(r.sinks.begin(), r.sinks.end());
    std::string state = DeliveryState(resolved, severity);
    for (const std::string& sink : targets) {
      auto spec = specs.find(sink);
      if (spec == specs.end() && !options.sinks.count(sink)) continue;
      if (!paging && !config.alert.notify_non_paging && spec != specs.end() &&
          IsPagingSink(*spec->second)) {
        ++report.not_paging;
        continue;
      }
      Notification n{Notification::Kind::kFiring, incident, now};
      auto last = delivered.find({id, sink});
      const DeliveryRecord* told = last == delivered.end() ? nullptr : last->second;
      if (!Decide(told ? told->state : "", resolved, severity, &n.kind)) {
        if (resolved) continue;
        if (now - told->at < config.alert.repeat_interval_ms) {
          still_firing[sink].push_back(n);
          continue;
        }
        n.kind = Notification::Kind::kRepeated;
      }
      if (silenced) {
        ++report.silenced;
        continue;
      }
      pending.push_back({sink, std::move(n), state});
    }
  };
  // Ids first (stored ids kept through shared members), so related ids can be rewritten too.
  std::set<std::string> seen_ids;
  std::vector<std::string> ids;
  std::map<std::string, std::string> final_id;
  for (const Incident& inc : incidents) {
    // The stored incidents this one continues: its own id, then every one sharing a member
    // anomaly. The first still open and not taken by an earlier incident of this run wins, else
    // the first not taken: so when later data split what was one incident, each part keeps the
    // id it had since the split, run after run, rather than a new one each time.
    std::vector<std::string> candidates;
    if (by_id.count(inc.id)) candidates.push_back(inc.id);
    for (const Anomaly* m : inc.members()) {
      auto it = ids_by_member.find(MemberKey(*m));
      if (it == ids_by_member.end()) continue;
      candidates.insert(candidates.end(), it->second.begin(), it->second.end());
    }
    std::string id;
    for (bool open_only : {true, false}) {
      for (const std::string& c : candidates) {
        if (!id.empty() || seen_ids.count(c)) continue;
        if (!open_only || StatusOf(*by_id[c]) != IncidentStatus::kResolved) id = c;
      }
    }
    if (id.empty()) {
      // A new incident, or a part split off one whose every stored part is taken.
      id = inc.id;
      for (int n = 2; seen_ids.count(id) || (by_id.count(id) && id != inc.id); ++n)
        id = inc.id + "-" + std::to_string(n);
    }
    seen_ids.insert(id);
    ids.push_back(id);
    final_id[inc.id] = id;
  }
  for (size_t k = 0; k < incidents.size(); ++k) {
    const std::string& id = ids[k];
    const IncidentRecord* prior = by_id.count(id) ? by_id[id] : nullptr;
    Incident inc = incidents[k];
    if (prior && inc.evidence.examples.empty() && inc.evidence.error_templates.empty()) {
      // A run without the event files keeps what an earlier run read from them.
      RestoreSamples(prior->document, &inc.evidence);
      inc.summary = Summarize(inc, config);
    }
    for (std::string& r : inc.related_incidents) {
      if (final_id.count(r)) r = final_id[r];
    }
    inc.id = id;
    bool resolved = inc.end != 0 && options.data_end - inc.end >= config.alert.resolve_after_ms;
    const IncidentStatus prior_status = prior ? StatusOf(*prior) : IncidentStatus::kOpen;
    IncidentStatus status = resolved ? IncidentStatus::kResolved
                            : prior_status == IncidentStatus::kAcknowledged
                                ? IncidentStatus::kAcknowledged
                                : IncidentStatus::kOpen;
    inc.status = status;
    inc.owner.clear();
    Labels labels = IncidentLabels(inc);
    std::vector<RouteMatch> routes = RouteIncident(config.alert.route, labels);
    inc.owner = routes.front().owner;
    labels["owner"] = routes.front().owner;

    if (!prior) {
      resolved ? ++report.resolved : ++report.opened;
    } else if (prior_status == IncidentStatus::kResolved && !resolved) {
      ++report.reopened;
    } else if (prior_status != IncidentStatus::kResolved && resolved) {
      ++report.resolved;
    } else if (!resolved && Worse(inc.severity, prior->severity)) {
      ++report.escalated;
    } else {
      ++report.unchanged;
    }
    IncidentRecord record;
    record.id = id;
    record.status = ToString(status);
    record.severity = ToString(inc.severity);
    record.owner = routes.front().owner;
    record.metric = inc.primary.metric;
    record.start = inc.start;
    record.end = inc.end;
    record.paging = inc.paging;
    record.document = IncidentToJson(inc).dump();
    bool changed = !prior || prior->document != record.document || prior->status != record.status ||
                   prior->owner != record.owner;
    record.updated = changed ? now : prior->updated;
    records.push_back(record);

    plan(inc, labels, routes, resolved, inc.severity, inc.paging);
  }
  // A stored incident that detection no longer finds over data that covers it (later data
  // showed a blip, or a narrower search) resolves rather than firing forever.
  for (const IncidentRecord& r : stored) {
    if (seen_ids.count(r.id) || StatusOf(r) == IncidentStatus::kResolved) continue;
    if ((options.from && r.start < options.from) || (options.to && r.start >= options.to)) continue;
    if (options.data_end - r.start < config.alert.resolve_after_ms) continue;
    Result<Incident> retracted = ParseIncidentJson(r.document);
    if (!retracted.ok()) continue;
    retracted->status = IncidentStatus::kResolved;
    retracted->end = options.data_end;
    retracted->retracted = true;
    IncidentRecord record = r;
    record.status = ToString(IncidentStatus::kResolved);
    record.end = options.data_end;
    record.updated = now;
    record.document = IncidentToJson(*retracted).dump();
    records.push_back(record);
    ++report.resolved;
    Labels labels = IncidentLabels(*retracted);
    Result<Severity> severity = ParseSeverity(r.severity);
    plan(*retracted, labels, RouteIncident(config.alert.route, labels), true,
         severity.ok() ? *severity : retracted->severity, r.paging);
  }
  // The lifecycle is stored before anything is sent: a crash in between re-sends at worst,
  // it never loses an incident.
  VIGIL_RETURN_IF_ERROR(store->incidents().PutAll(records));
  for (Pending& p : pending) {
    Status sent = sinks[p.sink]->Send(p.notification);
    if (!sent.ok()) {
      ++report.failed;
      report.problems.push_back("sink '" + p.sink + "': " + p.notification.incident.id + ": " +
                                sent.message());
      continue;
    }
    ++report.sent;
    VIGIL_RETURN_IF_ERROR(
        store->incidents().PutDelivery({p.notification.incident.id, p.sink, p.state, now}));
  }
  for (auto& [sink, firing] : still_firing) {
    Status refreshed = sinks[sink]->Refresh(firing);
    if (!refreshed.ok())
      report.problems.push_back("sink '" + sink + "': refresh: " + refreshed.message());
  }
  return report;
}

Result<std::map<std::string, Verdict>> FeedbackVerdicts(Store* store,
                                                        const std::vector<Incident>& incidents) {
  VIGIL_ASSIGN_OR_RETURN(auto feedback, store->incidents().Feedback());
  std::map<std::string, Verdict> latest;  // stored id → verdict
  for (const FeedbackRecord& f : feedback) {
    // The store takes only the three verdicts.
    if (Result<Verdict> verdict = ParseVerdict(f.verdict); verdict.ok())
      latest[f.incident] = *verdict;
  }
  std::map<std::string, Verdict> out;
  if (latest.empty()) return out;
  std::unordered_map<std::string, Verdict> verdict_by_member;
  VIGIL_ASSIGN_OR_RETURN(auto stored, store->incidents().All());
  for (const IncidentRecord& r : stored) {
    auto verdict = latest.find(r.id);
    if (verdict == latest.end()) continue;
    Result<Incident> decoded = ParseIncidentJson(r.document);
    if (!decoded.ok()) continue;
    for (const Anomaly* m : decoded->members()) verdict_by_member[MemberKey(*m)] = verdict->second;
  }
  for (const Incident& inc : incidents) {
    auto direct = latest.find(inc.id);
    if (direct != latest.end()) {
      out[inc.id] = direct->second;
      continue;
    }
    for (const Anomaly* m : inc.members()) {
      auto it = verdict_by_member.find(MemberKey(*m));
      if (it != verdict_by_member.end()) {
        out[inc.id] = it->second;
        break;
      }
    }
  }
  return out;
}

Status AcknowledgeIncident(Store* store, const std::string& id, TimeMs now) {
  VIGIL_ASSIGN_OR_RETURN(IncidentRecord record, store->incidents().Find(id));
  if (record.status != ToString(IncidentStatus::kOpen)) return Status::Ok();
  record.status = ToString(IncidentStatus::kAcknowledged);
  record.updated = now ? now : WallClockNow();
  if (Result<Incident> incident = ParseIncidentJson(record.document); incident.ok()) {
    incident->status = IncidentStatus::kAcknowledged;
    record.document = IncidentToJson(*incident).dump();
  }
  return store->incidents().Put(record);
}

}  // namespace vigil
