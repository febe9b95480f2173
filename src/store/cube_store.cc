// The store's cube side: the cube bucket by bucket (a blob of cells each) with its dictionaries,
// written incrementally from the buckets the cube changed.
#include <algorithm>
#include <cstdlib>
#include <optional>
#include <vector>

#include "store/sql.h"
#include "vigil/store.h"

namespace vigil {
using internal::Statement;
using internal::Transaction;

namespace {
constexpr TimeMs kKeyRetentionMs = 7 * kDayMs;
}  // namespace

Result<Cube> CubeStore::Load(const std::shared_ptr<const Config>& config) {
  const std::string& path = db_->path();
  Cube cube(config);
  {
    VIGIL_ASSIGN_OR_RETURN(
        Statement st,
        db_->Prepare("SELECT value FROM meta WHERE key='cube_fingerprint'", "reading the cube"));
    VIGIL_ASSIGN_OR_RETURN(bool stored, st.Step());
    if (!stored) return cube;  // nothing stored yet
    if (st.Text(0) != config->CubeFingerprint()) {
      return ConfigError(path +
                         ": the store holds a cube built with a different input mapping, "
                         "granularity or rate predicates; use a new store.path or delete the store "
                         "to rebuild it");
    }
  }
  const size_t ndims = config->input.dimensions.size();
  DictionaryDelta dictionary;
  dictionary.dimensions.resize(ndims);
  {
    VIGIL_ASSIGN_OR_RETURN(Statement st,
                           db_->Prepare("SELECT dimension, code, value FROM dimension_values "
                                        "ORDER BY dimension, code",
                                        "reading dimension values"));
    VIGIL_RETURN_IF_ERROR(st.ForEachRow([&](const Statement& row) {
      int64_t d = row.Int(0);
      int64_t code = row.Int(1);
      if (d < 0 || d >= static_cast<int64_t>(ndims) ||
          code != static_cast<int64_t>(dictionary.dimensions[d].values.size())) {
        return Corruption(path + ": dimension dictionary is inconsistent");
      }
      // Values are written with their length and read back the same way: a value may hold a NUL
      // byte, and read as a C string it would collide with its prefix.
      dictionary.dimensions[d].values.push_back(row.Text(2));
      return Status::Ok();
    }));
  }
  {
    VIGIL_ASSIGN_OR_RETURN(
        Statement st,
        db_->Prepare("SELECT dimension, folded_events FROM dimension_folds", "reading folds"));
    VIGIL_RETURN_IF_ERROR(st.ForEachRow([&](const Statement& row) {
      int64_t d = row.Int(0);
      if (d >= 0 && d < static_cast<int64_t>(ndims)) {
        dictionary.dimensions[d].folded_events += static_cast<uint64_t>(row.Int(1));
      }
      return Status::Ok();
    }));
  }
  Status loaded = cube.LoadDictionary(dictionary);
  if (!loaded.ok()) return Corruption(path + ": " + loaded.message());
  {
    VIGIL_ASSIGN_OR_RETURN(Statement st,
                           db_->Prepare("SELECT key, value FROM meta WHERE key LIKE 'rolled_up:%'",
                                        "reading the rolled-up tiers"));
    VIGIL_RETURN_IF_ERROR(st.ForEachRow([&](const Statement& row) {
      // rolled_up:<granularity ms> = the bucket (ms) before which data is at that granularity.
      std::string key = row.Text(0);
      char* end = nullptr;
      const long long granularity = std::strtoll(key.c_str() + 10, &end, 10);
      const long long before = std::strtoll(row.Text(1).c_str(), nullptr, 10);
      if (granularity <= 0 || *end != '\0') return Corruption(path + ": bad meta key " + key);
      cube.SetRolledUp(granularity, before);
      return Status::Ok();
    }));
  }
  VIGIL_ASSIGN_OR_RETURN(
      Statement st,
      db_->Prepare("SELECT bucket, cells FROM cube_buckets ORDER BY bucket", "reading the cube"));
  VIGIL_RETURN_IF_ERROR(st.ForEachRow([&](const Statement& row) {
    Status s = cube.LoadBucket(row.Blob(1));
    if (!s.ok())
      return Corruption(path + ": bucket " + FormatTimestamp(row.Int(0)) + ": " + s.message());
    return Status::Ok();
  }));
  cube.MarkSaved();
  return cube;
}

Status CubeStore::WriteChangedBuckets(const Cube& cube) {
  VIGIL_ASSIGN_OR_RETURN(
      Statement put,
      db_->Prepare("INSERT OR REPLACE INTO cube_buckets VALUES(?, ?, ?)", "writing cube bucket"));
  return cube.ForEachChangedBucket([&](const BucketBytes& bucket) {
    put.Reset();
    return put.Bind(1, bucket.bucket)
        .Bind(2, static_cast<int64_t>(bucket.events))
        .BindBlob(3, bucket.cells)
        .Run();
  });
}

Status CubeStore::Save(Cube* cube, const std::vector<IngestedInput>& inputs) {
  VIGIL_ASSIGN_OR_RETURN(Transaction transaction, Transaction::Begin(db_));
  {
    VIGIL_ASSIGN_OR_RETURN(Statement st,
                           db_->Prepare("INSERT OR REPLACE INTO meta VALUES('cube_fingerprint', ?)",
                                        "writing the cube fingerprint"));
    VIGIL_RETURN_IF_ERROR(st.Bind(1, cube->config().CubeFingerprint()).Run());
  }
  // The dictionaries grow only by appending: the store adds the values beyond those it holds.
  const size_t ndims = cube->config().input.dimensions.size();
  std::vector<size_t> stored(ndims, 0);
  {
    VIGIL_ASSIGN_OR_RETURN(
        Statement count,
        db_->Prepare("SELECT dimension, COUNT(*) FROM dimension_values GROUP BY dimension",
                     "reading dimension values"));
    VIGIL_RETURN_IF_ERROR(count.ForEachRow([&](const Statement& row) {
      int64_t d = row.Int(0);
      if (d >= 0 && d < static_cast<int64_t>(ndims)) stored[d] = static_cast<size_t>(row.Int(1));
      return Status::Ok();
    }));
  }
  {
    VIGIL_ASSIGN_OR_RETURN(
        Statement put_value,
        db_->Prepare("INSERT INTO dimension_values VALUES(?, ?, ?)", "writing dimension values"));
    VIGIL_ASSIGN_OR_RETURN(
        Statement put_folds,
        db_->Prepare("INSERT OR REPLACE INTO dimension_folds VALUES(?, ?)", "writing folds"));
    DictionaryDelta delta = cube->DictionarySince(stored);
    for (size_t d = 0; d < delta.dimensions.size(); ++d) {
      const DictionaryDelta::Dimension& dim = delta.dimensions[d];
      for (size_t i = 0; i < dim.values.size(); ++i) {
        put_value.Reset();
        VIGIL_RETURN_IF_ERROR(put_value.Bind(1, static_cast<int64_t>(d))
                                  .Bind(2, static_cast<int64_t>(dim.first_code + i))
                                  .Bind(3, dim.values[i])
                                  .Run());
      }
      put_folds.Reset();
      VIGIL_RETURN_IF_ERROR(put_folds.Bind(1, static_cast<int64_t>(d))
                                .Bind(2, static_cast<int64_t>(dim.folded_events))
                                .Run());
    }
  }
  VIGIL_RETURN_IF_ERROR(WriteChangedBuckets(*cube));
  if (!inputs.empty()) {
    // Request keys are kept for kKeyRetentionMs after their ingest (retries come within
    // minutes), so the ledger does not grow with every keyed body; files are kept for good.
    TimeMs newest = 0;
    for (const IngestedInput& in : inputs) newest = std::max(newest, in.at);
    VIGIL_ASSIGN_OR_RETURN(
        Statement prune,
        db_->Prepare("DELETE FROM ingested WHERE fingerprint LIKE 'key:%' AND at < ?",
                     "pruning the ingest ledger"));
    VIGIL_RETURN_IF_ERROR(prune.Bind(1, newest - kKeyRetentionMs).Run());
    VIGIL_ASSIGN_OR_RETURN(Statement put,
                           db_->Prepare("INSERT OR REPLACE INTO ingested VALUES(?, ?, ?, ?, ?)",
                                        "writing the ingest ledger"));
    for (const IngestedInput& in : inputs) {
      put.Reset();
      VIGIL_RETURN_IF_ERROR(put.Bind(1, in.fingerprint)
                                .Bind(2, in.path)
                                .Bind(3, static_cast<int64_t>(in.bytes))
                                .Bind(4, static_cast<int64_t>(in.events))
                                .Bind(5, in.at)
                                .Run());
    }
  }
  VIGIL_RETURN_IF_ERROR(transaction.Commit());
  cube->MarkSaved();
  return Status::Ok();
}

Result<std::optional<IngestedInput>> CubeStore::FindIngested(const std::string& fingerprint) {
  VIGIL_ASSIGN_OR_RETURN(
      Statement st,
      db_->Prepare("SELECT path, bytes, events, at FROM ingested WHERE fingerprint = ?",
                   "reading the ingest ledger"));
  st.Bind(1, fingerprint);
  VIGIL_ASSIGN_OR_RETURN(bool found, st.Step());
  if (!found) return std::optional<IngestedInput>();
  IngestedInput in;
  in.fingerprint = fingerprint;
  in.path = st.Text(0);
  in.bytes = static_cast<uint64_t>(st.Int(1));
  in.events = static_cast<uint64_t>(st.Int(2));
  in.at = st.Int(3);
  return std::optional<IngestedInput>(std::move(in));
}

Status CubeStore::SaveMerged(Cube* cube, const Cube& addition,
                             const std::vector<IngestedInput>& inputs) {
  // What the touched buckets hold after the merge, with the dictionaries the merge will give.
  VIGIL_ASSIGN_OR_RETURN(Cube merged, cube->MergedBuckets(addition));
  VIGIL_RETURN_IF_ERROR(Save(&merged, inputs));
  // Committed: the cube takes the same addition (MergedBuckets checked that it fits), already
  // stored.
  VIGIL_RETURN_IF_ERROR(cube->Merge(addition));
  cube->MarkSaved();
  return Status::Ok();
}

Status CubeStore::RollUp(Cube* cube, TimeMs from, TimeMs before, int64_t granularity_ms) {
  VIGIL_ASSIGN_OR_RETURN(Cube rolled, cube->RolledBuckets(from, before, granularity_ms));
  {
    VIGIL_ASSIGN_OR_RETURN(Transaction transaction, Transaction::Begin(db_));
    VIGIL_ASSIGN_OR_RETURN(Statement drop,
                           db_->Prepare("DELETE FROM cube_buckets WHERE bucket >= ? AND bucket < ?",
                                        "rolling up buckets (cube.tiers)"));
    VIGIL_RETURN_IF_ERROR(drop.Bind(1, from).Bind(2, before).Run());
    VIGIL_RETURN_IF_ERROR(WriteChangedBuckets(rolled));
    VIGIL_ASSIGN_OR_RETURN(Statement mark, db_->Prepare("INSERT OR REPLACE INTO meta VALUES(?, ?)",
                                                        "writing the rolled-up tiers"));
    VIGIL_RETURN_IF_ERROR(mark.Bind(1, "rolled_up:" + std::to_string(granularity_ms))
                              .Bind(2, std::to_string(before))
                              .Run());
    VIGIL_RETURN_IF_ERROR(transaction.Commit());
  }
  // Committed: the cube takes the same roll-up, already stored.
  VIGIL_RETURN_IF_ERROR(cube->ReplaceWithRolled(from, before, granularity_ms, rolled));
  cube->MarkSaved();
  return Status::Ok();
}

Result<uint64_t> CubeStore::ApplyRetention(Cube* cube) {
  const Config& config = cube->config();
  if (config.retention_ms <= 0 || cube->event_count() == 0) return uint64_t{0};
  // Counted from the newest bucket, but never from past the wall clock: one event stamped a year
  // ahead must not expire everything else.
  const TimeMs newest = std::min(cube->last_bucket(), WallClockNow());
  // Each tier rolls up what passed the finer one's retention; the steps are a 24th of that
  // retention: rewriting buckets compacts the cube and rebuilds its index, which a service must
  // not pay on every commit (at most 1/24 more is held at the finer grain).
  int64_t granularity = config.granularity_ms, retention = config.retention_ms;
  for (const Config::RetentionTier& tier : config.tiers) {
    const TimeMs before = BucketStart(newest - retention, tier.granularity_ms);
    // From where this tier's last roll-up ended (or the start), past what is already coarser.
    TimeMs from = cube->first_bucket();
    for (const auto& [g, bound] : cube->RolledUp())
      if (g >= tier.granularity_ms) from = std::max(from, bound);
    const int64_t step = std::max(tier.granularity_ms, retention / 24);
    if (before - from >= step)
      VIGIL_RETURN_IF_ERROR(RollUp(cube, from, before, tier.granularity_ms));
    granularity = tier.granularity_ms;
    retention = tier.retention_ms;
  }
  // Past the last retention, buckets are dropped.
  const TimeMs horizon = BucketStart(newest - retention, granularity) + granularity;
  const int64_t step = std::max(granularity, retention / 24);
  if (cube->first_bucket() > horizon - step) return uint64_t{0};
  {
    VIGIL_ASSIGN_OR_RETURN(Transaction transaction, Transaction::Begin(db_));
    VIGIL_ASSIGN_OR_RETURN(Statement drop, db_->Prepare("DELETE FROM cube_buckets WHERE bucket < ?",
                                                        "dropping buckets past cube.retention"));
    VIGIL_RETURN_IF_ERROR(drop.Bind(1, horizon).Run());
    VIGIL_RETURN_IF_ERROR(transaction.Commit());
  }
  return cube->DropBefore(horizon);
}

Result<StoredCubeSize> CubeStore::Size() {
  VIGIL_ASSIGN_OR_RETURN(Statement st,
                         db_->Prepare("SELECT COUNT(*), COALESCE(SUM(events), 0) FROM cube_buckets",
                                      "reading the cube size"));
  VIGIL_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return IoError(db_->path() + ": reading the cube size: no answer");
  return StoredCubeSize{st.Int(0), st.Int(1)};
}

}  // namespace vigil
