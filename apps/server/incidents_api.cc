// The incidents resource: GET /api/incidents (filtered, newest first), GET /api/incidents/{id}
// (the DESIGN §5 document with its lifecycle and feedback) and POST /api/incidents/{id}/feedback.
#include <set>

#include "incident/incident_codec.h"
#include "server/api_common.h"
#include "server/server.h"

namespace vigil::server {
namespace {

using internal::Json;
using internal::JsonResponse;
using internal::OwnerOrNull;
using internal::ParamSet;
using internal::TimeOrNull;

// The incident as the list shows it.
Json IncidentSummary(const StoredIncident& i) {
  const Incident& d = i.incident;
  return {{"id", i.record.id},
          {"status", i.record.status},
          {"severity", i.record.severity},
          {"owner", OwnerOrNull(i.record.owner)},
          {"metric", i.record.metric},
          {"slice", SliceToJson(d.primary.slice)},
          {"start", TimeOrNull(i.record.start)},
          {"end", TimeOrNull(i.record.end)},
          {"paging", i.record.paging},
          {"baseline", Json(d.primary.baseline)},
          {"observed", Json(d.primary.observed)},
          {"relative_change", Json(d.primary.relative_change)},
          {"confidence", Json(d.primary.confidence)},
          {"summary", d.summary},
          {"updated", TimeOrNull(i.record.updated)}};
}

// True when `value` names one of `wanted` (a record's text that names nothing matches no filter).
template <typename T>
bool In(const std::set<T>& wanted, const Result<T>& value) {
  return value.ok() && wanted.count(*value) > 0;
}

Json FeedbackJson(const FeedbackRecord& f) {
  return {
      {"incident", f.incident}, {"verdict", f.verdict}, {"note", f.note}, {"at", TimeOrNull(f.at)}};
}

}  // namespace

Result<std::shared_ptr<const Service::IncidentList>> Service::IncidentsLocked() {
  VIGIL_ASSIGN_OR_RETURN(StoreVersion version, store_->Version());
  if (incidents_ && incidents_->version == version) return incidents_;
  auto list = std::make_shared<IncidentList>();
  list->version = version;
  VIGIL_ASSIGN_OR_RETURN(list->incidents, LoadStoredIncidents(store_.get()));
  incidents_ = std::move(list);
  return incidents_;
}

HttpResponse Service::ListIncidents(const HttpRequest& r) {
  std::set<std::string> owner = ParamSet(r, "owner"), metric = ParamSet(r, "metric");
  std::set<IncidentStatus> status;
  for (const std::string& s : ParamSet(r, "status")) {
    Result<IncidentStatus> parsed = ParseIncidentStatus(s);
    if (!parsed.ok())
      return ErrorResponse(400,
                           "parameter 'status': '" + s + "' is not open, acknowledged or resolved");
    status.insert(*parsed);
  }
  std::set<Severity> severity;
  for (const std::string& s : ParamSet(r, "severity")) {
    Result<Severity> parsed = ParseSeverity(s);
    if (!parsed.ok())
      return ErrorResponse(400,
                           "parameter 'severity': '" + s + "' is not minor, major or critical");
    severity.insert(*parsed);
  }
  std::shared_ptr<const IncidentList> stored;
  {
    std::lock_guard lock(store_mutex_);
    auto loaded = IncidentsLocked();
    if (!loaded.ok()) return ErrorResponse(500, loaded.status().message());
    stored = std::move(*loaded);
  }
  const std::vector<StoredIncident>* incidents = &stored->incidents;
  Json list = Json::array();
  std::set<std::string> owners;
  // Newest first: the dashboard's list starts with what is happening now.
  for (auto it = incidents->rbegin(); it != incidents->rend(); ++it) {
    const IncidentRecord& rec = it->record;
    owners.insert(rec.owner);
    if (!status.empty() && !In(status, ParseIncidentStatus(rec.status))) continue;
    if (!owner.empty() && !owner.count(rec.owner)) continue;
    if (!severity.empty() && !In(severity, ParseSeverity(rec.severity))) continue;
    if (!metric.empty() && !metric.count(rec.metric)) continue;
    list.push_back(IncidentSummary(*it));
  }
  return JsonResponse({{"incidents", list},
                       {"count", list.size()},
                       {"total", incidents->size()},
                       {"owners", owners}});
}

HttpResponse Service::GetIncident(const std::string& id) {
  std::lock_guard lock(store_mutex_);
  auto incidents = IncidentsLocked();
  if (!incidents.ok()) return ErrorResponse(500, incidents.status().message());
  for (const StoredIncident& i : (*incidents)->incidents) {
    if (i.record.id != id) continue;
    Json doc = IncidentToJson(i.incident);
    doc["status"] = i.record.status;
    doc["owner"] = OwnerOrNull(i.record.owner);
    doc["updated"] = TimeOrNull(i.record.updated);
    auto feedback = store_->incidents().Feedback(id);
    if (!feedback.ok()) return ErrorResponse(500, feedback.status().message());
    Json list = Json::array();
    for (const FeedbackRecord& f : *feedback) list.push_back(FeedbackJson(f));
    doc["feedback"] = list;
    return JsonResponse(doc);
  }
  return ErrorResponse(404, "no incident '" + id + "'");
}

HttpResponse Service::PostFeedback(const HttpRequest& r, const std::string& id) {
  if (auto refused = CheckToken(r)) return *refused;
  Json body = Json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object())
    return ErrorResponse(400, "the body must be a JSON object: {\"verdict\": ..., \"note\": ...}");
  if (!body.contains("verdict") || !body["verdict"].is_string()) {
    return ErrorResponse(400, "'verdict' is required: true_positive, false_positive or duplicate");
  }
  if (body.contains("note") && !body["note"].is_string())
    return ErrorResponse(400, "'note' must be a string");
  FeedbackRecord f{id, body["verdict"].get<std::string>(), body.value("note", std::string()),
                   WallClockNow()};
  std::lock_guard lock(store_mutex_);
  Status added = store_->incidents().AddFeedback(f);
  if (added.code() == StatusCode::kNotFound) {
    // Incidents that `vigil detect` stored have no lifecycle yet: feedback needs one.
    auto docs = store_->incidents().Documents("incident");
    if (docs.ok()) {
      for (const auto& [doc_id, body_text] : *docs) {
        if (doc_id == id) {
          return ErrorResponse(409, "incident '" + id +
                                        "' was found by `vigil detect` but has no lifecycle yet; "
                                        "run `vigil run` to track it, then give feedback");
        }
      }
    }
    return ErrorResponse(404, "no incident '" + id + "'");
  }
  if (!added.ok()) return ErrorResponse(HttpStatusFor(added.code()), added.message());
  ++feedback_;
  return JsonResponse(FeedbackJson(f), 201);
}

}  // namespace vigil::server
