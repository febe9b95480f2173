// The incident index: one row per listed incident (the fields lists and counts read) and one per
// member anomaly, written as incidents are saved so that readers need not parse documents.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "store/sql.h"
#include "vigil/cube.h"
#include "vigil/store.h"

namespace vigil::internal {

/// The index tables (created by the schema).
inline constexpr const char* kIncidentIndexTables =
    "CREATE TABLE IF NOT EXISTS incident_index(source TEXT NOT NULL, id TEXT NOT NULL, start "
    "INTEGER NOT NULL, status TEXT NOT NULL, severity TEXT NOT NULL, owner TEXT NOT NULL, "
    "PRIMARY KEY(source, id));"
    "CREATE TABLE IF NOT EXISTS incident_members(source TEXT NOT NULL, incident TEXT NOT NULL, "
    "seq INTEGER NOT NULL, metric TEXT NOT NULL, slice TEXT NOT NULL, start INTEGER NOT NULL, "
    "end_time INTEGER NOT NULL, member TEXT NOT NULL, PRIMARY KEY(source, incident, seq));"
    "CREATE INDEX IF NOT EXISTS incident_members_by_series ON incident_members(metric, slice);";

/// Where the listed incidents come from: the lifecycle table while it has rows, else the
/// documents `vigil detect` stored. An SQL expression giving the `source` of index rows.
inline constexpr const char* kListedSource =
    "(CASE WHEN EXISTS(SELECT 1 FROM incidents) THEN 'lifecycle' ELSE 'documents' END)";

/// The form in which the index keeps a slice: the JSON object of its pairs, keys sorted. None
/// when the slice cannot be JSON (bad UTF-8), which no stored slice is.
std::optional<std::string> SliceKey(const Slice& slice);

/// Writes index rows in the caller's transaction.
class IncidentIndexWriter {
 public:
  static Result<IncidentIndexWriter> Prepare(const StoreConnection* db);

  /// (Re)indexes an incident of the lifecycle table: listing fields from the record, members
  /// from its document (none, and no listing, when the document is not a JSON object).
  Status IndexRecord(const IncidentRecord& record);
  /// (Re)indexes an incident document stored by `vigil detect`: everything from the document.
  Status IndexDocument(const std::string& id, const std::string& body);
  /// Drops the index rows of every incident document (before the documents are replaced).
  Status ClearDocuments();

 private:
  IncidentIndexWriter(Statement drop_listing, Statement drop_members, Statement clear_listings,
                      Statement clear_members, Statement put_listing, Statement put_member)
      : drop_listing_(std::move(drop_listing)),
        drop_members_(std::move(drop_members)),
        clear_listings_(std::move(clear_listings)),
        clear_members_(std::move(clear_members)),
        put_listing_(std::move(put_listing)),
        put_member_(std::move(put_member)) {}
  Status Drop(std::string_view source, const std::string& id);
  Status Index(std::string_view source, const IncidentRecord& listing,
               const nlohmann::json& document);

  Statement drop_listing_, drop_members_, clear_listings_, clear_members_, put_listing_,
      put_member_;
};

/// Indexes every incident and incident document already stored (a store of schema version 1).
Status RebuildIncidentIndex(const StoreConnection* db);

}  // namespace vigil::internal
