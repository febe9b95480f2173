// The embedded store (SQLite, WAL): one database file, one connection, two sides. The cube side
// keeps the cube bucket by bucket with its dictionaries; the incident side keeps incidents with
// their lifecycle and members, feedback, silences and deliveries. A write that returned ok
// survives a crash of the process.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "vigil/cube.h"
#include "vigil/status.h"
#include "vigil/time.h"

struct sqlite3;

namespace vigil {
namespace internal {
class StoreConnection;
}  // namespace internal

/// An incident as stored: its latest DESIGN §5 document and where it is in its lifecycle.
struct IncidentRecord {
  std::string id;
  std::string status;    ///< "open", "acknowledged" or "resolved"
  std::string severity;  ///< minor, major, critical
  std::string owner;     ///< from routing ("" when unrouted)
  std::string metric;    ///< the primary metric
  TimeMs start = 0;      ///< onset (data time)
  TimeMs end = 0;        ///< recovery (data time); 0 while open
  TimeMs updated = 0;    ///< wall-clock time of the last change
  bool paging = true;    ///< false for incidents that page nobody by default (mix shifts)
  std::string document;  ///< the DESIGN §5 JSON
};

/// A person's verdict on an incident.
struct FeedbackRecord {
  std::string incident;
  std::string verdict;  ///< true_positive, false_positive or duplicate
  std::string note;
  TimeMs at = 0;  ///< wall-clock time it was given
};

/// A silence: incidents whose labels match every matcher between `starts` and `ends` notify
/// nobody (they are still recorded).
struct SilenceRecord {
  int64_t id = 0;                                             ///< assigned by the store
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

/// How much of the cube a store holds.
struct StoredCubeSize {
  int64_t buckets = 0;
  int64_t events = 0;
};

/// A member anomaly of a stored incident, from the membership table.
struct IncidentMemberRecord {
  std::string incident;  ///< the incident's id
  std::string status;    ///< the incident's status: "open", "acknowledged" or "resolved"
  TimeMs start = 0;      ///< the anomaly's onset
  TimeMs end = 0;        ///< its recovery; 0 while open
  std::string member;    ///< its entry in the incident document's `anomalies` (a JSON object)
};

/// The number of stored incidents with one status, severity and owner.
struct IncidentCount {
  std::string status;
  std::string severity;
  std::string owner;
  int64_t incidents = 0;
};

/// An entry of the ingest ledger: an input whose events the stored cube holds, so that offering
/// it again does not count it twice. A file is known by its content fingerprint
/// (FingerprintFile) and kept for good; an HTTP body by its Idempotency-Key ("key:" and the
/// key), kept for 7 days after its ingest.
struct IngestedInput {
  std::string fingerprint;
  std::string path;  ///< where it was read from (a file's path as given, or the endpoint)
  uint64_t bytes = 0;
  uint64_t events = 0;
  TimeMs at = 0;  ///< wall-clock time of the ingest
};

/// The cube side of a store: the cube bucket by bucket with its dictionaries, written through
/// the cube's persistence methods (changed buckets, a bucket's bytes, the dictionary delta).
class CubeStore {
 public:
  /// The stored cube for `config` (an empty cube when nothing was stored yet). A store written
  /// with a different cube configuration is a kConfig error that says what to do.
  Result<Cube> Load(const std::shared_ptr<const Config>& config);
  /// Writes the buckets `cube` changed since it was loaded, in one transaction, then marks them
  /// saved. Ingesting A then B gives the same stored cube as ingesting A and B together.
  /// `inputs` enter the ingest ledger in the same transaction: both or neither.
  Status Save(Cube* cube, const std::vector<IngestedInput>& inputs = {});
  /// Adds `addition` to `cube` in memory and in the store, both or neither: the buckets the
  /// addition touches are written merged first, and `cube` takes the addition only once they
  /// are committed. A failed write leaves `cube` as it was (and in step with the store); an
  /// addition that would pass limits.max_cells is refused (kLimitExceeded) before anything is
  /// written. `cube` must be in step with the store (loaded from it, every change saved).
  Status SaveMerged(Cube* cube, const Cube& addition,
                    const std::vector<IngestedInput>& inputs = {});
  /// Applies the config's cube.retention and cube.tiers, counted from `cube`'s newest bucket (or
  /// the wall clock, when that is earlier): what passed a tier's retention is rolled up into the
  /// next tier, and what passed the last one is dropped, each step in the store first (one
  /// transaction) and then in `cube`. Returns the events dropped (0 without a retention). The
  /// freed pages are reused by later buckets, so the file stops growing.
  Result<uint64_t> ApplyRetention(Cube* cube);
  /// The ledger's entry for `fingerprint`, if the store holds that input.
  Result<std::optional<IngestedInput>> FindIngested(const std::string& fingerprint);
  /// Number of stored buckets and events (for summaries).
  Result<StoredCubeSize> Size();

 private:
  friend class Store;
  explicit CubeStore(internal::StoreConnection* db) : db_(db) {}
  /// Writes every bucket `cube` changed (inside the caller's transaction).
  Status WriteChangedBuckets(const Cube& cube);
  /// Rolls the buckets in [from, before) up to `granularity_ms`, in the store then in `cube`.
  Status RollUp(Cube* cube, TimeMs from, TimeMs before, int64_t granularity_ms);
  internal::StoreConnection* db_;
};

/// The incident side of a store. Readers see the stored incidents as the lifecycle table kept by
/// alerting or, while that is empty, the incident documents `vigil detect` stored (status
/// "resolved" once they have an end, else "open"); incidents whose document is not a JSON object
/// are not listed. Every incident's member anomalies are kept in a table as it is saved, so
/// MembersOn and Counts read no document.
class IncidentStore {
 public:
  /// Inserts or replaces an incident by id, with its members.
  Status Put(const IncidentRecord& incident);
  /// Several in one transaction.
  Status PutAll(const std::vector<IncidentRecord>& incidents);
  /// Every incident of the lifecycle table, by start then id.
  Result<std::vector<IncidentRecord>> All();
  /// One incident of the lifecycle table; kNotFound naming the id when there is none.
  Result<IncidentRecord> Find(const std::string& id);

  /// Replaces the stored JSON documents of `kind` (e.g. "incident") with `docs` (id, body), in
  /// one transaction: re-running detection over the same data leaves the same set.
  Status ReplaceDocuments(const std::string& kind,
                          const std::vector<std::pair<std::string, std::string>>& docs);
  /// The stored documents of `kind` as (id, body), ordered by id.
  Result<std::vector<std::pair<std::string, std::string>>> Documents(const std::string& kind);

  /// Every member anomaly of a listed incident on exactly `metric` and `slice`, by incident
  /// (start, then id), then in the order of the incident's `anomalies`. Members without a
  /// readable start or end are left out.
  Result<std::vector<IncidentMemberRecord>> MembersOn(const std::string& metric,
                                                      const Slice& slice);
  /// The listed incidents counted by status, severity and owner, ordered by those.
  Result<std::vector<IncidentCount>> Counts();

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

 private:
  friend class Store;
  explicit IncidentStore(internal::StoreConnection* db) : db_(db) {}
  internal::StoreConnection* db_;
};

/// A store: opens the database, creates or upgrades its schema, and hands out its two sides,
/// which share its one connection.
class Store {
 public:
  /// Opens (creating when needed) the database at `path`; parent folders are created. A store
  /// of an older schema is upgraded in place; one of a newer schema is refused.
  static Result<std::unique_ptr<Store>> Open(const std::string& path);
  /// Opens the store as the one writer of its cube: an exclusive lock on `<path>.lock`, held
  /// while the Store lives and released however the process ends (kill -9 included). `writer`
  /// says who holds it (e.g. "vigil serve, config vigil.yaml"); a second cube writer is refused
  /// (kIoError) with the holder's description and pid, so two processes never write buckets and
  /// dictionaries over each other. Readers, and writers of incidents only (SQLite serializes
  /// those), use Open.
  static Result<std::unique_ptr<Store>> OpenForWriting(const std::string& path,
                                                       const std::string& writer);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& path() const;
  CubeStore& cube() { return cube_; }
  IncidentStore& incidents() { return incidents_; }

  /// The current StoreVersion; cheap (no table is read).
  Result<StoreVersion> Version();

  /// The SQLite connection (tests use it to make writes fail).
  sqlite3* handle();

 private:
  explicit Store(std::unique_ptr<internal::StoreConnection> db);
  std::unique_ptr<internal::StoreConnection> db_;
  int writer_lock_ = -1;  ///< the lock file's descriptor while this Store is the writer
  CubeStore cube_;
  IncidentStore incidents_;
};

}  // namespace vigil
