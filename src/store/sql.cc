#include "store/sql.h"

#include <filesystem>

namespace vigil::internal {

// ---------------------------------------------------------------------------------------------
// Statement

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      what_(std::move(other.what_)),
      bind_error_(other.bind_error_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = std::exchange(other.stmt_, nullptr);
    what_ = std::move(other.what_);
    bind_error_ = other.bind_error_;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::Bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (bind_error_ == SQLITE_OK) bind_error_ = rc;
  return *this;
}

Statement& Statement::Bind(int index, std::string_view text) {
  // A null pointer would bind SQL NULL: an empty view binds the empty text.
  const char* data = text.data() ? text.data() : "";
  int rc = sqlite3_bind_text64(stmt_, index, data, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (bind_error_ == SQLITE_OK) bind_error_ = rc;
  return *this;
}

Statement& Statement::BindBlob(int index, std::string_view bytes) {
  const char* data = bytes.data() ? bytes.data() : "";
  int rc = sqlite3_bind_blob64(stmt_, index, data, bytes.size(), SQLITE_TRANSIENT);
  if (bind_error_ == SQLITE_OK) bind_error_ = rc;
  return *this;
}

Status Statement::Check(int rc, bool* row) {
  if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
    *row = rc == SQLITE_ROW;
    return Status::Ok();
  }
  return db_->Error(what_);
}

Result<bool> Statement::Step() {
  if (bind_error_ != SQLITE_OK) {
    return IoError(db_->path() + ": " + what_ + ": " + sqlite3_errstr(bind_error_));
  }
  bool row = false;
  VIGIL_RETURN_IF_ERROR(Check(sqlite3_step(stmt_), &row));
  return row;
}

Status Statement::Run() {
  VIGIL_ASSIGN_OR_RETURN(bool row, Step());
  if (row) return IoError(db_->path() + ": " + what_ + ": the statement returned rows");
  return Status::Ok();
}

void Statement::Reset() {
  // sqlite3_reset repeats the error of the last step, which Step already reported.
  sqlite3_reset(stmt_);
  bind_error_ = SQLITE_OK;
}

int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::Text(int column) const {
  // sqlite3_column_text before sqlite3_column_bytes: the length is then that of the text form.
  const char* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  return text ? std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)))
              : std::string();
}

std::string_view Statement::Blob(int column) const {
  const char* blob = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
  return blob ? std::string_view(blob, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)))
              : std::string_view();
}

// ---------------------------------------------------------------------------------------------
// StoreConnection

Result<std::unique_ptr<StoreConnection>> StoreConnection::Open(const std::string& path) {
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
  std::unique_ptr<StoreConnection> connection(new StoreConnection(path, db));
  sqlite3_busy_timeout(db, 10000);
  // WAL with full sync: a committed write survives kill -9 and power loss.
  VIGIL_RETURN_IF_ERROR(connection->Exec("PRAGMA journal_mode=WAL"));
  VIGIL_RETURN_IF_ERROR(connection->Exec("PRAGMA synchronous=FULL"));
  return connection;
}

StoreConnection::~StoreConnection() { sqlite3_close(db_); }

Status StoreConnection::Exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return IoError(path_ + ": " + msg);
  }
  return Status::Ok();
}

Result<Statement> StoreConnection::Prepare(std::string_view sql, std::string what) const {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    sqlite3_finalize(stmt);
    return Error(what);
  }
  return Statement(this, stmt, std::move(what));
}

Status StoreConnection::Error(std::string_view what) const {
  return IoError(path_ + ": " + std::string(what) + ": " + sqlite3_errmsg(db_));
}

Result<StoreVersion> StoreConnection::Version() const {
  VIGIL_ASSIGN_OR_RETURN(Statement st, Prepare("PRAGMA data_version", "reading the data version"));
  VIGIL_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return IoError(path_ + ": reading the data version: no answer");
  return StoreVersion{st.Int(0), static_cast<int64_t>(sqlite3_total_changes64(db_))};
}

// ---------------------------------------------------------------------------------------------
// Transaction

Result<Transaction> Transaction::Begin(StoreConnection* db) {
  VIGIL_RETURN_IF_ERROR(db->Exec("BEGIN IMMEDIATE"));
  return Transaction(db);
}

Transaction::~Transaction() {
  if (db_) Rollback();
}

Status Transaction::Commit() {
  Status committed = db_->Exec("COMMIT");
  if (!committed.ok()) Rollback();
  db_ = nullptr;
  return committed;
}

void Transaction::Rollback() {
  // A failed COMMIT may leave the transaction open (SQLITE_BUSY); when SQLite has already rolled
  // it back, ROLLBACK fails harmlessly ("no transaction is active").
  if (!sqlite3_get_autocommit(db_->handle())) db_->Exec("ROLLBACK").ok();
  db_ = nullptr;
}

}  // namespace vigil::internal
