// The store's incident side: incidents with their lifecycle state, feedback, silences and what
// each sink was last told.
#include <nlohmann/json.hpp>

#include "store/sql.h"
#include "vigil/store.h"

namespace vigil {
using internal::SqlError;
using internal::Statement;
namespace {

void BindText(sqlite3_stmt* st, int index, const std::string& text) {
  sqlite3_bind_text(st, index, text.c_str(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

std::string ColumnText(sqlite3_stmt* st, int index) { return internal::ColumnString(st, index); }

IncidentRecord ReadIncident(sqlite3_stmt* st) {
  IncidentRecord r;
  r.id = ColumnText(st, 0);
  r.status = ColumnText(st, 1);
  r.severity = ColumnText(st, 2);
  r.owner = ColumnText(st, 3);
  r.metric = ColumnText(st, 4);
  r.start = sqlite3_column_int64(st, 5);
  r.end = sqlite3_column_int64(st, 6);
  r.updated = sqlite3_column_int64(st, 7);
  r.paging = sqlite3_column_int64(st, 8) != 0;
  r.document = ColumnText(st, 9);
  return r;
}

constexpr const char* kIncidentColumns =
    "id, status, severity, owner, metric, start, end_time, updated, paging, document";

}  // namespace

Status Store::PutIncident(const IncidentRecord& incident) { return PutIncidents({incident}); }

Status Store::PutIncidents(const std::vector<IncidentRecord>& incidents) {
  VIGIL_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  Statement put(db_, "INSERT OR REPLACE INTO incidents VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  for (const IncidentRecord& r : incidents) {
    sqlite3_reset(put.get());
    BindText(put.get(), 1, r.id);
    BindText(put.get(), 2, r.status);
    BindText(put.get(), 3, r.severity);
    BindText(put.get(), 4, r.owner);
    BindText(put.get(), 5, r.metric);
    sqlite3_bind_int64(put.get(), 6, r.start);
    sqlite3_bind_int64(put.get(), 7, r.end);
    sqlite3_bind_int64(put.get(), 8, r.updated);
    sqlite3_bind_int64(put.get(), 9, r.paging ? 1 : 0);
    BindText(put.get(), 10, r.document);
    if (sqlite3_step(put.get()) != SQLITE_DONE) {
      Status s = SqlError(db_, path_, "writing incident " + r.id);
      Exec("ROLLBACK").ok();
      return s;
    }
  }
  return Exec("COMMIT");
}

Result<std::vector<IncidentRecord>> Store::Incidents() {
  Statement st(db_, (std::string("SELECT ") + kIncidentColumns + " FROM incidents ORDER BY start, id").c_str());
  std::vector<IncidentRecord> out;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) out.push_back(ReadIncident(st.get()));
  if (rc != SQLITE_DONE) return SqlError(db_, path_, "reading incidents");
  return out;
}

Result<IncidentRecord> Store::FindIncident(const std::string& id) {
  Statement st(db_, (std::string("SELECT ") + kIncidentColumns + " FROM incidents WHERE id = ?").c_str());
  BindText(st.get(), 1, id);
  int rc = sqlite3_step(st.get());
  if (rc == SQLITE_ROW) return ReadIncident(st.get());
  if (rc != SQLITE_DONE) return SqlError(db_, path_, "reading incident " + id);
  return NotFound("no incident '" + id + "' in " + path_);
}

Status Store::AddFeedback(const FeedbackRecord& f) {
  if (f.verdict != "true_positive" && f.verdict != "false_positive" && f.verdict != "duplicate") {
    return InvalidArgument("verdict '" + f.verdict + "': expected true_positive, false_positive or duplicate");
  }
  VIGIL_RETURN_IF_ERROR(FindIncident(f.incident).status());
  Statement put(db_, "INSERT INTO feedback(incident, verdict, note, at) VALUES(?, ?, ?, ?)");
  BindText(put.get(), 1, f.incident);
  BindText(put.get(), 2, f.verdict);
  BindText(put.get(), 3, f.note);
  sqlite3_bind_int64(put.get(), 4, f.at);
  if (sqlite3_step(put.get()) != SQLITE_DONE) return SqlError(db_, path_, "writing feedback");
  return Status::Ok();
}

Result<std::vector<FeedbackRecord>> Store::Feedback(const std::string& incident) {
  Statement st(db_, "SELECT incident, verdict, note, at FROM feedback WHERE ?1 = '' OR incident = ?1 ORDER BY seq");
  BindText(st.get(), 1, incident);
  std::vector<FeedbackRecord> out;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    out.push_back({ColumnText(st.get(), 0), ColumnText(st.get(), 1), ColumnText(st.get(), 2),
                   sqlite3_column_int64(st.get(), 3)});
  }
  if (rc != SQLITE_DONE) return SqlError(db_, path_, "reading feedback");
  return out;
}

Result<int64_t> Store::AddSilence(const SilenceRecord& s) {
  nlohmann::json matchers = nlohmann::json::array();
  for (const auto& [label, value] : s.matchers) matchers.push_back({label, value});
  Statement put(db_, "INSERT INTO silences(matchers, starts, ends, comment) VALUES(?, ?, ?, ?)");
  BindText(put.get(), 1, matchers.dump());
  sqlite3_bind_int64(put.get(), 2, s.starts);
  sqlite3_bind_int64(put.get(), 3, s.ends);
  BindText(put.get(), 4, s.comment);
  if (sqlite3_step(put.get()) != SQLITE_DONE) return SqlError(db_, path_, "writing a silence");
  return static_cast<int64_t>(sqlite3_last_insert_rowid(db_));
}

Status Store::RemoveSilence(int64_t id) {
  Statement del(db_, "DELETE FROM silences WHERE id = ?");
  sqlite3_bind_int64(del.get(), 1, id);
  if (sqlite3_step(del.get()) != SQLITE_DONE) return SqlError(db_, path_, "removing a silence");
  if (sqlite3_changes(db_) == 0) return NotFound("no silence " + std::to_string(id) + " in " + path_);
  return Status::Ok();
}

Result<std::vector<SilenceRecord>> Store::Silences() {
  Statement st(db_, "SELECT id, matchers, starts, ends, comment FROM silences ORDER BY id");
  std::vector<SilenceRecord> out;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    SilenceRecord s;
    s.id = sqlite3_column_int64(st.get(), 0);
    nlohmann::json matchers = nlohmann::json::parse(ColumnText(st.get(), 1), nullptr, false);
    if (!matchers.is_array()) return Corruption(path_ + ": silence " + std::to_string(s.id) + " is unreadable");
    for (const auto& m : matchers) {
      if (!m.is_array() || m.size() != 2 || !m[0].is_string() || !m[1].is_string()) {
        return Corruption(path_ + ": silence " + std::to_string(s.id) + " is unreadable");
      }
      s.matchers.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
    }
    s.starts = sqlite3_column_int64(st.get(), 2);
    s.ends = sqlite3_column_int64(st.get(), 3);
    s.comment = ColumnText(st.get(), 4);
    out.push_back(std::move(s));
  }
  if (rc != SQLITE_DONE) return SqlError(db_, path_, "reading silences");
  return out;
}

Status Store::PutDelivery(const DeliveryRecord& d) {
  Statement put(db_, "INSERT OR REPLACE INTO deliveries VALUES(?, ?, ?, ?)");
  BindText(put.get(), 1, d.incident);
  BindText(put.get(), 2, d.sink);
  BindText(put.get(), 3, d.state);
  sqlite3_bind_int64(put.get(), 4, d.at);
  if (sqlite3_step(put.get()) != SQLITE_DONE) return SqlError(db_, path_, "writing a delivery");
  return Status::Ok();
}

Result<std::vector<DeliveryRecord>> Store::Deliveries() {
  Statement st(db_, "SELECT incident, sink, state, at FROM deliveries ORDER BY incident, sink");
  std::vector<DeliveryRecord> out;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    out.push_back({ColumnText(st.get(), 0), ColumnText(st.get(), 1), ColumnText(st.get(), 2),
                   sqlite3_column_int64(st.get(), 3)});
  }
  if (rc != SQLITE_DONE) return SqlError(db_, path_, "reading deliveries");
  return out;
}

}  // namespace vigil
