// SQLite beneath the store: one connection, its prepared statements and write transactions.
// Every step of a statement is checked, and every error names the store file and what was
// being done.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "vigil/status.h"
#include "vigil/store.h"

namespace vigil::internal {

class StoreConnection;

/// A prepared statement; finalizes itself. Move-only: two owners would finalize it twice.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  /// Binds parameter `index` (1-based). Text and blobs are copied. A failed bind is reported
  /// by the next Step or Run.
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, std::string_view text);
  Statement& BindBlob(int index, std::string_view bytes);

  /// Advances to the next row: true when there is one, false when the statement is done.
  Result<bool> Step();
  /// Runs a statement that returns no rows (INSERT, UPDATE, DELETE) to its end.
  Status Run();
  /// Steps through every row, calling `row` on each; stops at the first error.
  template <typename RowFn>
  Status ForEachRow(RowFn&& row) {
    while (true) {
      VIGIL_ASSIGN_OR_RETURN(bool more, Step());
      if (!more) return Status::Ok();
      VIGIL_RETURN_IF_ERROR(row(static_cast<const Statement&>(*this)));
    }
  }
  /// Makes the statement ready to run again, keeping its bindings until they are replaced.
  void Reset();

  /// Columns of the current row (0-based).
  int64_t Int(int column) const;
  /// A text column as the exact bytes stored: a value may hold NUL bytes (JSON's `\u0000`),
  /// which a C string would cut short.
  std::string Text(int column) const;
  /// A blob column; valid until the next Step or Reset.
  std::string_view Blob(int column) const;

 private:
  friend class StoreConnection;
  Statement(const StoreConnection* db, sqlite3_stmt* stmt, std::string what)
      : db_(db), stmt_(stmt), what_(std::move(what)) {}
  Status Check(int rc, bool* row);

  const StoreConnection* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  std::string what_;  // what the statement does, for error messages
  int bind_error_ = SQLITE_OK;
};

/// The store's one SQLite connection (WAL, full sync), shared by its cube and incident sides.
class StoreConnection {
 public:
  /// Opens (creating when needed) the database at `path`; parent folders are created. The
  /// schema is created or brought up to date by the store, not here.
  static Result<std::unique_ptr<StoreConnection>> Open(const std::string& path);
  ~StoreConnection();
  StoreConnection(const StoreConnection&) = delete;
  StoreConnection& operator=(const StoreConnection&) = delete;

  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }

  /// Runs SQL that returns no rows (several statements allowed).
  Status Exec(const std::string& sql);
  /// Prepares one statement; `what` says what it does in error messages ("reading incidents").
  Result<Statement> Prepare(std::string_view sql, std::string what) const;
  /// "<path>: <what>: <SQLite's latest message>" as an IoError.
  Status Error(std::string_view what) const;
  /// The current StoreVersion; cheap (no table is read).
  Result<StoreVersion> Version() const;

 private:
  StoreConnection(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}
  std::string path_;
  sqlite3* db_;
};

/// A write transaction (BEGIN IMMEDIATE) that rolls back unless it was committed.
class Transaction {
 public:
  static Result<Transaction> Begin(StoreConnection* db);
  Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  /// Commits. A commit that fails rolls back, so the store is as it was before Begin.
  Status Commit();

 private:
  explicit Transaction(StoreConnection* db) : db_(db) {}
  void Rollback();
  StoreConnection* db_;  // null once committed or rolled back
};

}  // namespace vigil::internal
