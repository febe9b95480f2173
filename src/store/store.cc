#include "vigil/store.h"

#include <sqlite3.h>

#include <filesystem>
#include <unordered_map>
#include <unordered_set>

#include "cube/cube_impl.h"
#include "store/sql.h"

namespace vigil {
using internal::SqlError;
using internal::Statement;
namespace {

constexpr int kSchemaVersion = 1;

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const std::string& path) {
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return IoError(path + ": cannot open the store: " + msg);
  }
  std::unique_ptr<Store> store(new Store(path, db));
  sqlite3_busy_timeout(db, 10000);
  // WAL with full sync: a committed write survives kill -9 and power loss.
  VIGIL_RETURN_IF_ERROR(store->Exec("PRAGMA journal_mode=WAL"));
  VIGIL_RETURN_IF_ERROR(store->Exec("PRAGMA synchronous=FULL"));
  VIGIL_RETURN_IF_ERROR(store->Exec(
      "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
      "CREATE TABLE IF NOT EXISTS dimension_values(dimension INTEGER NOT NULL, code INTEGER NOT "
      "NULL, value TEXT NOT NULL, PRIMARY KEY(dimension, code));"
      "CREATE TABLE IF NOT EXISTS dimension_folds(dimension INTEGER PRIMARY KEY, folded_events "
      "INTEGER NOT NULL);"
      "CREATE TABLE IF NOT EXISTS cube_buckets(bucket INTEGER PRIMARY KEY, events INTEGER NOT "
      "NULL, cells BLOB NOT NULL);"
      "CREATE TABLE IF NOT EXISTS documents(kind TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT "
      "NULL, PRIMARY KEY(kind, id));"
      "CREATE TABLE IF NOT EXISTS incidents(id TEXT PRIMARY KEY, status TEXT NOT NULL, severity "
      "TEXT NOT NULL, owner TEXT NOT NULL, metric TEXT NOT NULL, start INTEGER NOT NULL, end_time "
      "INTEGER NOT NULL, updated INTEGER NOT NULL, paging INTEGER NOT NULL, document TEXT NOT NULL);"
      "CREATE TABLE IF NOT EXISTS feedback(seq INTEGER PRIMARY KEY AUTOINCREMENT, incident TEXT NOT "
      "NULL, verdict TEXT NOT NULL, note TEXT NOT NULL, at INTEGER NOT NULL);"
      "CREATE TABLE IF NOT EXISTS silences(id INTEGER PRIMARY KEY AUTOINCREMENT, matchers TEXT NOT "
      "NULL, starts INTEGER NOT NULL, ends INTEGER NOT NULL, comment TEXT NOT NULL);"
      "CREATE TABLE IF NOT EXISTS deliveries(incident TEXT NOT NULL, sink TEXT NOT NULL, state TEXT "
      "NOT NULL, at INTEGER NOT NULL, PRIMARY KEY(incident, sink));"));
  Statement get(db, "SELECT value FROM meta WHERE key='schema_version'");
  if (!get.ok()) return SqlError(db, path, "reading the schema version");
  if (sqlite3_step(get.get()) == SQLITE_ROW) {
    int version = sqlite3_column_int(get.get(), 0);
    if (version != kSchemaVersion) {
      return IoError(path + ": store schema version " + std::to_string(version) +
                     " is not supported by this build (expects " +
                     std::to_string(kSchemaVersion) + ")");
    }
  } else {
    VIGIL_RETURN_IF_ERROR(store->Exec(
        ("INSERT OR IGNORE INTO meta VALUES('schema_version','" + std::to_string(kSchemaVersion) +
         "')").c_str()));
  }
  return store;
}

Store::~Store() { sqlite3_close(db_); }

Status Store::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return IoError(path_ + ": " + msg);
  }
  return Status::Ok();
}

Result<Cube> Store::LoadCube(std::shared_ptr<const Config> config) {
  Cube cube(config);
  Cube::Impl& m = cube.impl();
  {
    Statement st(db_, "SELECT value FROM meta WHERE key='cube_fingerprint'");
    if (!st.ok()) return SqlError(db_, path_, "reading the cube");
    if (sqlite3_step(st.get()) != SQLITE_ROW) return cube;  // nothing stored yet
    std::string stored = internal::ColumnString(st.get(), 0);
    if (stored != config->CubeFingerprint()) {
      return ConfigError(path_ + ": the store holds a cube built with a different input mapping, "
                         "granularity or rate predicates; use a new store.path or delete the store "
                         "to rebuild it");
    }
  }
  {
    Statement st(db_, "SELECT dimension, code, value FROM dimension_values ORDER BY dimension, code");
    while (sqlite3_step(st.get()) == SQLITE_ROW) {
      int64_t d = sqlite3_column_int64(st.get(), 0);
      int64_t code = sqlite3_column_int64(st.get(), 1);
      if (d < 0 || d >= static_cast<int64_t>(m.ndims) ||
          code != static_cast<int64_t>(m.dictionaries[d].size())) {
        return Corruption(path_ + ": dimension dictionary is inconsistent");
      }
      // Values are written with their length and read back the same way: a value may hold a NUL
      // byte, and read as a C string it would collide with its prefix.
      if (!m.dictionaries[d].Append(internal::ColumnString(st.get(), 2))) {
        return Corruption(path_ + ": dimension " + std::to_string(d) + ": duplicate value at code " +
                          std::to_string(code));
      }
    }
  }
  {
    Statement st(db_, "SELECT dimension, folded_events FROM dimension_folds");
    while (sqlite3_step(st.get()) == SQLITE_ROW) {
      int64_t d = sqlite3_column_int64(st.get(), 0);
      if (d >= 0 && d < static_cast<int64_t>(m.ndims)) {
        m.dictionaries[d].add_folded_events(sqlite3_column_int64(st.get(), 1));
      }
    }
  }
  Statement st(db_, "SELECT bucket, cells FROM cube_buckets ORDER BY bucket");
  while (sqlite3_step(st.get()) == SQLITE_ROW) {
    const char* blob = static_cast<const char*>(sqlite3_column_blob(st.get(), 1));
    int n = sqlite3_column_bytes(st.get(), 1);
    Status s = m.DeserializeCells(std::string_view(blob ? blob : "", n));
    if (!s.ok()) {
      return Corruption(path_ + ": bucket " + FormatTimestamp(sqlite3_column_int64(st.get(), 0)) +
                        ": " + s.message());
    }
  }
  m.ClearDirty();
  return cube;
}

Status Store::SaveCube(Cube* cube) {
  Cube::Impl& m = cube->impl();
  VIGIL_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  auto fail = [&](const std::string& what) {
    Status s = SqlError(db_, path_, what);
    Exec("ROLLBACK").ok();
    return s;
  };
  {
    Statement st(db_, "INSERT OR REPLACE INTO meta VALUES('cube_fingerprint', ?)");
    std::string fp = m.config->CubeFingerprint();
    sqlite3_bind_text(st.get(), 1, fp.c_str(), static_cast<int>(fp.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(st.get()) != SQLITE_DONE) return fail("writing the cube fingerprint");
  }
  {
    Statement count(db_, "SELECT dimension, COUNT(*) FROM dimension_values GROUP BY dimension");
    std::vector<int64_t> stored(m.ndims, 0);
    while (sqlite3_step(count.get()) == SQLITE_ROW) {
      int64_t d = sqlite3_column_int64(count.get(), 0);
      if (d >= 0 && d < static_cast<int64_t>(m.ndims)) stored[d] = sqlite3_column_int64(count.get(), 1);
    }
    Statement ins(db_, "INSERT INTO dimension_values VALUES(?, ?, ?)");
    Statement folds(db_, "INSERT OR REPLACE INTO dimension_folds VALUES(?, ?)");
    for (size_t d = 0; d < m.ndims; ++d) {
      const auto& values = m.dictionaries[d].values();
      for (size_t code = stored[d]; code < values.size(); ++code) {
        sqlite3_reset(ins.get());
        sqlite3_bind_int64(ins.get(), 1, d);
        sqlite3_bind_int64(ins.get(), 2, code);
        sqlite3_bind_text(ins.get(), 3, values[code].c_str(), static_cast<int>(values[code].size()),
                          SQLITE_STATIC);
        if (sqlite3_step(ins.get()) != SQLITE_DONE) return fail("writing dimension values");
      }
      sqlite3_reset(folds.get());
      sqlite3_bind_int64(folds.get(), 1, d);
      sqlite3_bind_int64(folds.get(), 2, m.dictionaries[d].folded_events());
      if (sqlite3_step(folds.get()) != SQLITE_DONE) return fail("writing folds");
    }
  }
  std::unordered_map<TimeMs, std::vector<size_t>> by_bucket;
  for (size_t i = 0; i < m.cell_bucket.size(); ++i) {
    if (m.dirty_buckets.count(m.cell_bucket[i])) by_bucket[m.cell_bucket[i]].push_back(i);
  }
  Statement put(db_, "INSERT OR REPLACE INTO cube_buckets VALUES(?, ?, ?)");
  std::string blob;
  for (const auto& [bucket, ids] : by_bucket) {
    blob.clear();
    m.SerializeCells(ids, &blob);
    int64_t events = 0;
    for (size_t id : ids) events += m.CellEvents(id);
    sqlite3_reset(put.get());
    sqlite3_bind_int64(put.get(), 1, bucket);
    sqlite3_bind_int64(put.get(), 2, events);
    sqlite3_bind_blob(put.get(), 3, blob.data(), static_cast<int>(blob.size()), SQLITE_STATIC);
    if (sqlite3_step(put.get()) != SQLITE_DONE) return fail("writing cube bucket");
  }
  VIGIL_RETURN_IF_ERROR(Exec("COMMIT"));
  m.ClearDirty();
  return Status::Ok();
}

Status Store::SaveMerged(Cube* cube, const Cube& addition) {
  VIGIL_RETURN_IF_ERROR(cube->CheckMerge(addition));
  const Cube::Impl& m = cube->impl();
  const Cube::Impl& a = addition.impl();
  // What the touched buckets hold after the merge, with the dictionaries the merge will give:
  // a copy of the cube's cells in those buckets, plus the addition.
  Cube merged(m.config);
  Cube::Impl& p = merged.impl();
  p.dictionaries = m.dictionaries;
  std::unordered_set<TimeMs> touched(a.cell_bucket.begin(), a.cell_bucket.end());
  for (size_t i = 0; i < m.cell_bucket.size(); ++i) {
    if (!touched.count(m.cell_bucket[i])) continue;
    bool created;
    int64_t cell = p.FindOrAddCell(m.cell_bucket[i], m.Codes(i), &created);
    if (cell < 0) return LimitExceeded("limits.max_cells reached while saving the cube");
    if (m.IsFull(i)) {
      p.AbsorbFull(cell, created, m.full_cells[m.cell_full[i] - 1]);
    } else {
      p.AbsorbSingle(cell, created, &m.single_measures[i * m.nmeasures], m.single_bits[i], m.single_device[i]);
    }
  }
  VIGIL_RETURN_IF_ERROR(merged.Merge(addition));
  VIGIL_RETURN_IF_ERROR(SaveCube(&merged));
  // Committed: the cube takes the same addition (CheckMerge said it fits), already stored.
  Status in_memory = cube->Merge(addition);
  if (!in_memory.ok()) return in_memory;
  cube->impl().ClearDirty();
  return Status::Ok();
}

Status Store::ReplaceDocuments(const std::string& kind,
                               const std::vector<std::pair<std::string, std::string>>& docs) {
  VIGIL_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  auto fail = [&](const std::string& what) {
    Status s = SqlError(db_, path_, what);
    Exec("ROLLBACK").ok();
    return s;
  };
  {
    Statement del(db_, "DELETE FROM documents WHERE kind = ?");
    sqlite3_bind_text(del.get(), 1, kind.c_str(), -1, SQLITE_STATIC);
    if (sqlite3_step(del.get()) != SQLITE_DONE) return fail("clearing " + kind + " documents");
  }
  Statement put(db_, "INSERT OR REPLACE INTO documents VALUES(?, ?, ?)");
  for (const auto& [id, body] : docs) {
    sqlite3_reset(put.get());
    sqlite3_bind_text(put.get(), 1, kind.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_text(put.get(), 2, id.c_str(), static_cast<int>(id.size()), SQLITE_STATIC);
    sqlite3_bind_text(put.get(), 3, body.c_str(), static_cast<int>(body.size()), SQLITE_STATIC);
    if (sqlite3_step(put.get()) != SQLITE_DONE) return fail("writing " + kind + " documents");
  }
  return Exec("COMMIT");
}

Result<std::vector<std::pair<std::string, std::string>>> Store::Documents(const std::string& kind) {
  Statement st(db_, "SELECT id, body FROM documents WHERE kind = ? ORDER BY id");
  sqlite3_bind_text(st.get(), 1, kind.c_str(), -1, SQLITE_STATIC);
  std::vector<std::pair<std::string, std::string>> out;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    out.emplace_back(internal::ColumnString(st.get(), 0), internal::ColumnString(st.get(), 1));
  }
  if (rc != SQLITE_DONE) return SqlError(db_, path_, "reading " + kind + " documents");
  return out;
}

Result<StoreVersion> Store::Version() {
  Statement st(db_, "PRAGMA data_version");
  if (!st.ok() || sqlite3_step(st.get()) != SQLITE_ROW) return SqlError(db_, path_, "reading the data version");
  return StoreVersion{sqlite3_column_int64(st.get(), 0), static_cast<int64_t>(sqlite3_total_changes64(db_))};
}

Result<std::pair<int64_t, int64_t>> Store::CubeSize() {
  Statement st(db_, "SELECT COUNT(*), COALESCE(SUM(events), 0) FROM cube_buckets");
  if (sqlite3_step(st.get()) != SQLITE_ROW) return SqlError(db_, path_, "reading the cube size");
  return std::pair<int64_t, int64_t>(sqlite3_column_int64(st.get(), 0),
                                     sqlite3_column_int64(st.get(), 1));
}

}  // namespace vigil
