// Opening a store: the connection, and the schema created or brought up to date.
#include "vigil/store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "store/incident_index.h"
#include "store/sql.h"

namespace vigil {
using internal::Statement;
using internal::StoreConnection;
using internal::Transaction;
namespace {

// 1: the cube (meta, dimension_values, dimension_folds, cube_buckets), documents, incidents,
//    feedback, silences, deliveries.
// 2: the incident index (incident_index, incident_members), filled from the stored incidents
//    when a version 1 store is opened.
// 3: the ingest ledger (ingested): the files and request keys whose events the cube holds.
constexpr int kSchemaVersion = 3;

constexpr const char* kTables =
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
    "NOT NULL, at INTEGER NOT NULL, PRIMARY KEY(incident, sink));"
    "CREATE TABLE IF NOT EXISTS ingested(fingerprint TEXT PRIMARY KEY, path TEXT NOT NULL, bytes "
    "INTEGER NOT NULL, events INTEGER NOT NULL, at INTEGER NOT NULL);";

// The schema version of the store; none for a new (empty) database.
Result<std::optional<int>> SchemaVersion(const StoreConnection& db) {
  VIGIL_ASSIGN_OR_RETURN(
      Statement has_meta,
      db.Prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
                 "reading the schema version"));
  VIGIL_ASSIGN_OR_RETURN(bool found, has_meta.Step());
  if (!found) return std::optional<int>();
  VIGIL_ASSIGN_OR_RETURN(Statement get,
                         db.Prepare("SELECT value FROM meta WHERE key = 'schema_version'",
                                    "reading the schema version"));
  VIGIL_ASSIGN_OR_RETURN(found, get.Step());
  if (!found) return std::optional<int>();
  return std::optional<int>(static_cast<int>(get.Int(0)));
}

Status CheckSupported(const StoreConnection& db, int version) {
  if (version > kSchemaVersion || version < 1) {
    return IoError(db.path() + ": store schema version " + std::to_string(version) +
                   " is not supported by this build (expects " + std::to_string(kSchemaVersion) +
                   ")");
  }
  return Status::Ok();
}

// Creates the tables of a new store, or upgrades an older one, in one transaction.
Status PrepareSchema(StoreConnection* db) {
  VIGIL_ASSIGN_OR_RETURN(std::optional<int> version, SchemaVersion(*db));
  if (version == kSchemaVersion) return Status::Ok();  // the common case writes nothing
  if (version) VIGIL_RETURN_IF_ERROR(CheckSupported(*db, *version));
  VIGIL_ASSIGN_OR_RETURN(Transaction transaction, Transaction::Begin(db));
  // Another process may have created or upgraded the store meanwhile.
  VIGIL_ASSIGN_OR_RETURN(version, SchemaVersion(*db));
  if (version == kSchemaVersion) return transaction.Commit();
  if (version) VIGIL_RETURN_IF_ERROR(CheckSupported(*db, *version));
  VIGIL_RETURN_IF_ERROR(db->Exec(kTables));
  VIGIL_RETURN_IF_ERROR(db->Exec(internal::kIncidentIndexTables));
  if (version == 1) VIGIL_RETURN_IF_ERROR(internal::RebuildIncidentIndex(db));
  VIGIL_ASSIGN_OR_RETURN(Statement set,
                         db->Prepare("INSERT OR REPLACE INTO meta VALUES('schema_version', ?)",
                                     "writing the schema version"));
  VIGIL_RETURN_IF_ERROR(set.Bind(1, std::to_string(kSchemaVersion)).Run());
  return transaction.Commit();
}

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const std::string& path) {
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<StoreConnection> db, StoreConnection::Open(path));
  VIGIL_RETURN_IF_ERROR(PrepareSchema(db.get()));
  return std::unique_ptr<Store>(new Store(std::move(db)));
}

Result<std::unique_ptr<Store>> Store::OpenForWriting(const std::string& path,
                                                     const std::string& writer) {
  // The lock is taken before the database is opened, so that not even a schema upgrade runs
  // beside another writer. flock is released by the kernel when the process ends.
  std::error_code ignored;
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ignored);
  const std::string lock_path = path + ".lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return IoError(lock_path + ": cannot open the store's writer lock: " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    std::string holder(512, '\0');
    ssize_t n = ::pread(fd, holder.data(), holder.size(), 0);
    holder.resize(n > 0 ? static_cast<size_t>(n) : 0);
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\0')) holder.pop_back();
    ::close(fd);
    if (err != EWOULDBLOCK)
      return IoError(lock_path + ": cannot lock the store for writing: " + std::strerror(err));
    return IoError(path + ": the store has a writer already (" +
                   (holder.empty() ? std::string("another process") : holder) +
                   "); one process writes a store: send events to that server "
                   "(POST /api/ingest), or stop it first");
  }
  std::string me = writer + " (pid " + std::to_string(::getpid()) + ")\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, me.data(), me.size(), 0) < 0) {
    // The lock holds without its description; a refused writer then names no holder.
  }
  auto opened = Open(path);
  if (!opened.ok()) {
    ::close(fd);
    return opened.status();
  }
  (*opened)->writer_lock_ = fd;
  return opened;
}

Store::Store(std::unique_ptr<StoreConnection> db)
    : db_(std::move(db)), cube_(db_.get()), incidents_(db_.get()) {}

Store::~Store() {
  if (writer_lock_ >= 0) ::close(writer_lock_);
}

const std::string& Store::path() const { return db_->path(); }

Result<StoreVersion> Store::Version() { return db_->Version(); }

sqlite3* Store::handle() { return db_->handle(); }

}  // namespace vigil
