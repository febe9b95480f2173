#include "store/incident_index.h"

#include <cstddef>
#include <nlohmann/json.hpp>

namespace vigil::internal {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kLifecycle = "lifecycle";
constexpr std::string_view kDocuments = "documents";

std::string StringField(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A time field of a document; 0 when absent or unreadable (as readers of documents take it).
TimeMs TimeField(const Json& j, const char* key) {
  auto t = ParseTimestamp(StringField(j, key));
  return t.ok() ? *t : 0;
}

}  // namespace

std::optional<std::string> SliceKey(const Slice& slice) {
  Json j = Json::object();
  for (const auto& [dimension, value] : slice) j[dimension] = value;
  try {
    return j.dump();
  } catch (const Json::type_error&) {  // a value that is not UTF-8
    return std::nullopt;
  }
}

Result<IncidentIndexWriter> IncidentIndexWriter::Prepare(const StoreConnection* db) {
  VIGIL_ASSIGN_OR_RETURN(
      Statement drop_listing,
      db->Prepare("DELETE FROM incident_index WHERE source = ? AND id = ?", "indexing incidents"));
  VIGIL_ASSIGN_OR_RETURN(
      Statement drop_members,
      db->Prepare("DELETE FROM incident_members WHERE source = ? AND incident = ?",
                  "indexing incidents"));
  VIGIL_ASSIGN_OR_RETURN(Statement clear_listings,
                         db->Prepare("DELETE FROM incident_index WHERE source = 'documents'",
                                     "clearing the incident index"));
  VIGIL_ASSIGN_OR_RETURN(Statement clear_members,
                         db->Prepare("DELETE FROM incident_members WHERE source = 'documents'",
                                     "clearing the incident index"));
  VIGIL_ASSIGN_OR_RETURN(
      Statement put_listing,
      db->Prepare("INSERT INTO incident_index VALUES(?, ?, ?, ?, ?, ?)", "indexing incidents"));
  VIGIL_ASSIGN_OR_RETURN(Statement put_member,
                         db->Prepare("INSERT INTO incident_members VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
                                     "indexing incident members"));
  return IncidentIndexWriter(std::move(drop_listing), std::move(drop_members),
                             std::move(clear_listings), std::move(clear_members),
                             std::move(put_listing), std::move(put_member));
}

Status IncidentIndexWriter::Drop(std::string_view source, const std::string& id) {
  drop_listing_.Reset();
  VIGIL_RETURN_IF_ERROR(drop_listing_.Bind(1, source).Bind(2, id).Run());
  drop_members_.Reset();
  return drop_members_.Bind(1, source).Bind(2, id).Run();
}

Status IncidentIndexWriter::ClearDocuments() {
  clear_listings_.Reset();
  VIGIL_RETURN_IF_ERROR(clear_listings_.Run());
  clear_members_.Reset();
  return clear_members_.Run();
}

Status IncidentIndexWriter::IndexRecord(const IncidentRecord& record) {
  VIGIL_RETURN_IF_ERROR(Drop(kLifecycle, record.id));
  Json document = Json::parse(record.document, nullptr, /*allow_exceptions=*/false);
  if (!document.is_object()) return Status::Ok();  // not listed
  return Index(kLifecycle, record, document);
}

Status IncidentIndexWriter::IndexDocument(const std::string& id, const std::string& body) {
  VIGIL_RETURN_IF_ERROR(Drop(kDocuments, id));
  Json document = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!document.is_object()) return Status::Ok();  // not listed
  // A document carries no lifecycle: it is open until it has an end.
  IncidentRecord listing;
  listing.id = id;
  listing.start = TimeField(document, "start");
  listing.status = TimeField(document, "end") ? "resolved" : "open";
  listing.severity = StringField(document, "severity");
  listing.owner = StringField(document, "owner");
  return Index(kDocuments, listing, document);
}

Status IncidentIndexWriter::Index(std::string_view source, const IncidentRecord& listing,
                                  const Json& document) {
  put_listing_.Reset();
  VIGIL_RETURN_IF_ERROR(put_listing_.Bind(1, source)
                            .Bind(2, listing.id)
                            .Bind(3, listing.start)
                            .Bind(4, listing.status)
                            .Bind(5, listing.severity)
                            .Bind(6, listing.owner)
                            .Run());
  auto members = document.find("anomalies");
  if (members == document.end() || !members->is_array()) return Status::Ok();
  for (size_t seq = 0; seq < members->size(); ++seq) {
    const Json& member = (*members)[seq];
    // Members readers could not place are not kept: no metric, a slice that is not an object,
    // or an unreadable start or end.
    if (!member.is_object()) continue;
    auto metric = member.find("metric");
    if (metric == member.end() || !metric->is_string()) continue;
    auto slice = member.find("slice");
    const Json slice_object = slice == member.end() ? Json::object() : *slice;
    if (!slice_object.is_object()) continue;
    auto start = ParseTimestamp(StringField(member, "start"));
    if (!start.ok()) continue;
    TimeMs end = 0;
    if (auto it = member.find("end"); it != member.end() && it->is_string()) {
      auto parsed = ParseTimestamp(it->get<std::string>());
      if (!parsed.ok()) continue;
      end = *parsed;
    }
    put_member_.Reset();
    VIGIL_RETURN_IF_ERROR(put_member_.Bind(1, source)
                              .Bind(2, listing.id)
                              .Bind(3, static_cast<int64_t>(seq))
                              .Bind(4, metric->get_ref<const std::string&>())
                              .Bind(5, slice_object.dump())
                              .Bind(6, *start)
                              .Bind(7, end)
                              .Bind(8, member.dump())
                              .Run());
  }
  return Status::Ok();
}

Status RebuildIncidentIndex(const StoreConnection* db) {
  VIGIL_ASSIGN_OR_RETURN(IncidentIndexWriter writer, IncidentIndexWriter::Prepare(db));
  VIGIL_ASSIGN_OR_RETURN(
      Statement incidents,
      db->Prepare("SELECT id, status, severity, owner, start, document FROM incidents",
                  "indexing incidents"));
  VIGIL_RETURN_IF_ERROR(incidents.ForEachRow([&](const Statement& row) {
    IncidentRecord r;
    r.id = row.Text(0);
    r.status = row.Text(1);
    r.severity = row.Text(2);
    r.owner = row.Text(3);
    r.start = row.Int(4);
    r.document = row.Text(5);
    return writer.IndexRecord(r);
  }));
  VIGIL_ASSIGN_OR_RETURN(Statement documents,
                         db->Prepare("SELECT id, body FROM documents WHERE kind = 'incident'",
                                     "indexing incident documents"));
  return documents.ForEachRow(
      [&](const Statement& row) { return writer.IndexDocument(row.Text(0), row.Text(1)); });
}

}  // namespace vigil::internal
