// The store's incident side: incidents with their lifecycle state and members, detect's
// documents, feedback, silences and what each sink was last told.
#include <nlohmann/json.hpp>

#include "store/incident_index.h"
#include "store/sql.h"
#include "vigil/store.h"

namespace vigil {
using internal::IncidentIndexWriter;
using internal::Statement;
using internal::Transaction;
namespace {

constexpr const char* kIncidentColumns =
    "id, status, severity, owner, metric, start, end_time, updated, paging, document";

IncidentRecord ReadIncident(const Statement& row) {
  IncidentRecord r;
  r.id = row.Text(0);
  r.status = row.Text(1);
  r.severity = row.Text(2);
  r.owner = row.Text(3);
  r.metric = row.Text(4);
  r.start = row.Int(5);
  r.end = row.Int(6);
  r.updated = row.Int(7);
  r.paging = row.Int(8) != 0;
  r.document = row.Text(9);
  return r;
}

}  // namespace

Status IncidentStore::Put(const IncidentRecord& incident) { return PutAll({incident}); }

Status IncidentStore::PutAll(const std::vector<IncidentRecord>& incidents) {
  VIGIL_ASSIGN_OR_RETURN(Transaction transaction, Transaction::Begin(db_));
  VIGIL_ASSIGN_OR_RETURN(
      Statement put,
      db_->Prepare("INSERT OR REPLACE INTO incidents VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   "writing incidents"));
  VIGIL_ASSIGN_OR_RETURN(IncidentIndexWriter index, IncidentIndexWriter::Prepare(db_));
  for (const IncidentRecord& r : incidents) {
    put.Reset();
    VIGIL_RETURN_IF_ERROR(put.Bind(1, r.id)
                              .Bind(2, r.status)
                              .Bind(3, r.severity)
                              .Bind(4, r.owner)
                              .Bind(5, r.metric)
                              .Bind(6, r.start)
                              .Bind(7, r.end)
                              .Bind(8, r.updated)
                              .Bind(9, r.paging ? 1 : 0)
                              .Bind(10, r.document)
                              .Run());
    VIGIL_RETURN_IF_ERROR(index.IndexRecord(r));
  }
  return transaction.Commit();
}

Result<std::vector<IncidentRecord>> IncidentStore::All() {
  VIGIL_ASSIGN_OR_RETURN(Statement st, db_->Prepare(std::string("SELECT ") + kIncidentColumns +
                                                        " FROM incidents ORDER BY start, id",
                                                    "reading incidents"));
  std::vector<IncidentRecord> out;
  VIGIL_RETURN_IF_ERROR(st.ForEachRow([&](const Statement& row) {
    out.push_back(ReadIncident(row));
    return Status::Ok();
  }));
  return out;
}

Result<IncidentRecord> IncidentStore::Find(const std::string& id) {
  VIGIL_ASSIGN_OR_RETURN(Statement st, db_->Prepare(std::string("SELECT ") + kIncidentColumns +
                                                        " FROM incidents WHERE id = ?",
                                                    "reading incident " + id));
  st.Bind(1, id);
  VIGIL_ASSIGN_OR_RETURN(bool found, st.Step());
  if (found) return ReadIncident(st);
  return NotFound("no incident '" + id + "' in " + db_->path());
}

Status IncidentStore::ReplaceDocuments(
    const std::string& kind, const std::vector<std::pair<std::string, std::string>>& docs) {
  VIGIL_ASSIGN_OR_RETURN(Transaction transaction, Transaction::Begin(db_));
  {
    VIGIL_ASSIGN_OR_RETURN(Statement del, db_->Prepare("DELETE FROM documents WHERE kind = ?",
                                                       "clearing " + kind + " documents"));
    VIGIL_RETURN_IF_ERROR(del.Bind(1, kind).Run());
  }
  // Incident documents are listed (while the lifecycle table is empty), so they are indexed.
  const bool indexed = kind == "incident";
  VIGIL_ASSIGN_OR_RETURN(IncidentIndexWriter index, IncidentIndexWriter::Prepare(db_));
  if (indexed) VIGIL_RETURN_IF_ERROR(index.ClearDocuments());
  VIGIL_ASSIGN_OR_RETURN(Statement put,
                         db_->Prepare("INSERT OR REPLACE INTO documents VALUES(?, ?, ?)",
                                      "writing " + kind + " documents"));
  for (const auto& [id, body] : docs) {
    put.Reset();
    VIGIL_RETURN_IF_ERROR(put.Bind(1, kind).Bind(2, id).Bind(3, body).Run());
    if (indexed) VIGIL_RETURN_IF_ERROR(index.IndexDocument(id, body));
  }
  return transaction.Commit();
}

Result<std::vector<std::pair<std::string, std::string>>> IncidentStore::Documents(
    const std::string& kind) {
  VIGIL_ASSIGN_OR_RETURN(Statement st,
                         db_->Prepare("SELECT id, body FROM documents WHERE kind = ? ORDER BY id",
                                      "reading " + kind + " documents"));
  st.Bind(1, kind);
  std::vector<std::pair<std::string, std::string>> out;
  VIGIL_RETURN_IF_ERROR(st.ForEachRow([&](const Statement& row) {
    out.emplace_back(row.Text(0), row.Text(1));
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<IncidentMemberRecord>> IncidentStore::MembersOn(const std::string& metric,
                                                                   const Slice& slice) {
  std::vector<IncidentMemberRecord> out;
  std::optional<std::string> slice_key = internal::SliceKey(slice);
  if (!slice_key) return out;
  VIGIL_ASSIGN_OR_RETURN(
      Statement st,
      db_->Prepare(std::string("SELECT m.incident, i.status, m.start, m.end_time, m.member "
                               "FROM incident_members m JOIN incident_index i "
                               "ON i.source = m.source AND i.id = m.incident "
                               "WHERE m.metric = ? AND m.slice = ? AND m.source = ") +
                       internal::kListedSource + " ORDER BY i.start, i.id, m.seq",
                   "reading incident members"));
  st.Bind(1, metric).Bind(2, *slice_key);
  VIGIL_RETURN_IF_ERROR(st.ForEachRow([&](const Statement& row) {
    out.push_back({row.Text(0), row.Text(1), row.Int(2), row.Int(3), row.Text(4)});
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<IncidentCount>> IncidentStore::Counts() {
  VIGIL_ASSIGN_OR_RETURN(
      Statement st,
      db_->Prepare(
          std::string(
              "SELECT status, severity, owner, COUNT(*) FROM incident_index WHERE source = ") +
              internal::kListedSource +
              " GROUP BY status, severity, owner ORDER BY status, severity, owner",
          "counting incidents"));
  std::vector<IncidentCount> out;
  VIGIL_RETURN_IF_ERROR(st.ForEachRow([&](const Statement& row) {
    out.push_back({row.Text(0), row.Text(1), row.Text(2), row.Int(3)});
    return Status::Ok();
  }));
  return out;
}

Status IncidentStore::AddFeedback(const FeedbackRecord& f) {
  if (f.verdict != "true_positive" && f.verdict != "false_positive" && f.verdict != "duplicate") {
    return InvalidArgument("verdict '" + f.verdict +
                           "': expected true_positive, false_positive or duplicate");
  }
  VIGIL_RETURN_IF_ERROR(Find(f.incident).status());
  VIGIL_ASSIGN_OR_RETURN(
      Statement put,
      db_->Prepare("INSERT INTO feedback(incident, verdict, note, at) VALUES(?, ?, ?, ?)",
                   "writing feedback"));
  return put.Bind(1, f.incident).Bind(2, f.verdict).Bind(3, f.note).Bind(4, f.at).Run();
}

Result<std::vector<FeedbackRecord>> IncidentStore::Feedback(const std::string& incident) {
  VIGIL_ASSIGN_OR_RETURN(Statement st,
                         db_->Prepare("SELECT incident, verdict, note, at FROM feedback "
                                      "WHERE ?1 = '' OR incident = ?1 ORDER BY seq",
                                      "reading feedback"));
  st.Bind(1, incident);
  std::vector<FeedbackRecord> out;
  VIGIL_RETURN_IF_ERROR(st.ForEachRow([&](const Statement& row) {
    out.push_back({row.Text(0), row.Text(1), row.Text(2), row.Int(3)});
    return Status::Ok();
  }));
  return out;
}

Result<int64_t> IncidentStore::AddSilence(const SilenceRecord& s) {
  nlohmann::json matchers = nlohmann::json::array();
  for (const auto& [label, value] : s.matchers) matchers.push_back({label, value});
  VIGIL_ASSIGN_OR_RETURN(Statement put,
                         db_->Prepare("INSERT INTO silences(matchers, starts, ends, comment) "
                                      "VALUES(?, ?, ?, ?)",
                                      "writing a silence"));
  VIGIL_RETURN_IF_ERROR(
      put.Bind(1, matchers.dump()).Bind(2, s.starts).Bind(3, s.ends).Bind(4, s.comment).Run());
  return static_cast<int64_t>(sqlite3_last_insert_rowid(db_->handle()));
}

Status IncidentStore::RemoveSilence(int64_t id) {
  VIGIL_ASSIGN_OR_RETURN(Statement del,
                         db_->Prepare("DELETE FROM silences WHERE id = ?", "removing a silence"));
  VIGIL_RETURN_IF_ERROR(del.Bind(1, id).Run());
  if (sqlite3_changes(db_->handle()) == 0)
    return NotFound("no silence " + std::to_string(id) + " in " + db_->path());
  return Status::Ok();
}

Result<std::vector<SilenceRecord>> IncidentStore::Silences() {
  VIGIL_ASSIGN_OR_RETURN(
      Statement st,
      db_->Prepare("SELECT id, matchers, starts, ends, comment FROM silences ORDER BY id",
                   "reading silences"));
  std::vector<SilenceRecord> out;
  VIGIL_RETURN_IF_ERROR(st.ForEachRow([&](const Statement& row) {
    SilenceRecord s;
    s.id = row.Int(0);
    nlohmann::json matchers = nlohmann::json::parse(row.Text(1), nullptr, false);
    if (!matchers.is_array())
      return Corruption(db_->path() + ": silence " + std::to_string(s.id) + " is unreadable");
    for (const auto& m : matchers) {
      if (!m.is_array() || m.size() != 2 || !m[0].is_string() || !m[1].is_string()) {
        return Corruption(db_->path() + ": silence " + std::to_string(s.id) + " is unreadable");
      }
      s.matchers.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
    }
    s.starts = row.Int(2);
    s.ends = row.Int(3);
    s.comment = row.Text(4);
    out.push_back(std::move(s));
    return Status::Ok();
  }));
  return out;
}

Status IncidentStore::PutDelivery(const DeliveryRecord& d) {
  VIGIL_ASSIGN_OR_RETURN(
      Statement put,
      db_->Prepare("INSERT OR REPLACE INTO deliveries VALUES(?, ?, ?, ?)", "writing a delivery"));
  return put.Bind(1, d.incident).Bind(2, d.sink).Bind(3, d.state).Bind(4, d.at).Run();
}

Result<std::vector<DeliveryRecord>> IncidentStore::Deliveries() {
  VIGIL_ASSIGN_OR_RETURN(Statement st,
                         db_->Prepare("SELECT incident, sink, state, at FROM deliveries "
                                      "ORDER BY incident, sink",
                                      "reading deliveries"));
  std::vector<DeliveryRecord> out;
  VIGIL_RETURN_IF_ERROR(st.ForEachRow([&](const Statement& row) {
    out.push_back({row.Text(0), row.Text(1), row.Text(2), row.Int(3)});
    return Status::Ok();
  }));
  return out;
}

}  // namespace vigil
