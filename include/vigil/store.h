// The embedded store (SQLite, WAL): the cube bucket by bucket, and later incidents, feedback and
// annotations. A write that returned ok survives a crash of the process.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "vigil/cube.h"
#include "vigil/status.h"
#include "vigil/time.h"

struct sqlite3;

namespace vigil {

/// An incident as stored: its latest DESIGN §5 document and where it is in its lifecycle.
struct IncidentRecord {
  std::string id;
  std::string status;     ///< "open", "acknowledged" or "resolved"
  std::string severity;   ///< minor, major, critical
  std::string owner;      ///< from routing ("" when unrouted)
  std::string metric;     ///< the primary metric
  TimeMs start = 0;       ///< onset (data time)
  TimeMs end = 0;         ///< recovery (data time); 0 while open
  TimeMs updated = 0;     ///< wall-clock time of the last change
  bool paging = true;     ///< false for incidents that page nobody by default (mix shifts)
  std::string document;   ///< the DESIGN §5 JSON
};

/// A person's verdict on an incident.
struct FeedbackRecord {
  std::string incident;
  std::string verdict;  ///< true_positive, false_positive or duplicate
  std::string note;
  TimeMs at = 0;        ///< wall-clock time it was given
};

/// A silence: incidents whose labels match every matcher between `starts` and `ends` notify
/// nobody (they are still recorded).
struct SilenceRecord {
  int64_t id = 0;  ///< assigned by the store
  std::vector<std::pair<std::string, std::string>> matchers;  ///< label = value ("~value": regex)
  TimeMs starts = 0;
  TimeMs ends = 0;
  std::string comment;
};

/// What a sink was last told about an incident, so a re-run sends nothing twice.
struct DeliveryRecord {
  std::string incident;
  std::string sink;
  std::string state;  ///< e.g. "open/major", "resolved/major"
  TimeMs at = 0;
};

/// Identifies the state of a store's data: it differs after any committed change, made through
/// this Store or by another process. Readers cache what they derive from the store under it.
struct StoreVersion {
  int64_t others = 0;  ///< SQLite's data_version: moves when another connection commits
  int64_t own = 0;     ///< rows changed through this Store
  bool operator==(const StoreVersion&) const = default;
};

class Store {
 public:
  /// Opens (creating when needed) the database at `path`; parent folders are created.
  static Result<std::unique_ptr<Store>> Open(const std::string& path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& path() const { return path_; }

  /// The stored cube for `config` (an empty cube when nothing was stored yet). A store written
  /// with a different cube configuration is a kConfig error that says what to do.
  Result<Cube> LoadCube(std::shared_ptr<const Config> config);
  /// Writes the buckets `cube` changed since it was loaded, in one transaction, then marks them
  /// clean. Ingesting A then B gives the same stored cube as ingesting A and B together.
  Status SaveCube(Cube* cube);
  /// Adds `addition` to `cube` in memory and in the store, both or neither: the buckets the
  /// addition touches are written merged first, and `cube` takes the addition only once they
  /// are committed. A failed write leaves `cube` as it was (and in step with the store); an
  /// addition that would pass limits.max_cells is refused (kLimitExceeded) before anything is
  /// written. `cube` must be in step with the store (loaded from it, every change saved).
  Status SaveMerged(Cube* cube, const Cube& addition);

  /// Replaces the stored JSON documents of `kind` (e.g. "anomaly") with `docs` (id, body), in
  /// one transaction: re-running detection over the same data leaves the same set.
  Status ReplaceDocuments(const std::string& kind,
                          const std::vector<std::pair<std::string, std::string>>& docs);
  /// The stored documents of `kind` as (id, body), ordered by id.
  Result<std::vector<std::pair<std::string, std::string>>> Documents(const std::string& kind);

  /// Inserts or replaces an incident by id.
  Status PutIncident(const IncidentRecord& incident);
  /// Several in one transaction.
  Status PutIncidents(const std::vector<IncidentRecord>& incidents);
  /// Every stored incident, by start then id.
  Result<std::vector<IncidentRecord>> Incidents();
  /// One incident; kNotFound naming the id when there is none.
  Result<IncidentRecord> FindIncident(const std::string& id);

  /// Stores a verdict on a stored incident: kInvalidArgument for an unknown verdict, kNotFound
  /// for an unknown incident.
  Status AddFeedback(const FeedbackRecord& feedback);
  /// Feedback on one incident ("" for all), oldest first.
  Result<std::vector<FeedbackRecord>> Feedback(const std::string& incident = "");

  /// Stores a silence and returns its id.
  Result<int64_t> AddSilence(const SilenceRecord& silence);
  Status RemoveSilence(int64_t id);
  Result<std::vector<SilenceRecord>> Silences();

  Status PutDelivery(const DeliveryRecord& delivery);
  /// The last delivery of every (incident, sink).
  Result<std::vector<DeliveryRecord>> Deliveries();

  /// The current StoreVersion; cheap (no table is read).
  Result<StoreVersion> Version();

  /// Number of stored buckets and events (for summaries).
  Result<std::pair<int64_t, int64_t>> CubeSize();

  sqlite3* handle() { return db_; }

 private:
  Store(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}
  Status Exec(const char* sql);
  std::string path_;
  sqlite3* db_;
};

}  // namespace vigil
