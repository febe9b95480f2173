// SQLite helpers shared by the store's files.
#pragma once

#include <sqlite3.h>

#include <string>

#include "vigil/status.h"

namespace vigil::internal {

// A prepared statement that finalizes itself.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Statement() { sqlite3_finalize(stmt_); }
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

/// A text column as the exact bytes stored, with its length: a value may hold NUL bytes (JSON's
/// `\u0000`), which a C string would cut short.
inline std::string ColumnString(sqlite3_stmt* st, int index) {
  // sqlite3_column_text before sqlite3_column_bytes: the length is then that of the text form.
  const char* text = reinterpret_cast<const char*>(sqlite3_column_text(st, index));
  return text ? std::string(text, static_cast<size_t>(sqlite3_column_bytes(st, index))) : std::string();
}

inline Status SqlError(sqlite3* db, const std::string& path, const std::string& what) {
  return IoError(path + ": " + what + ": " + sqlite3_errmsg(db));
}

}  // namespace vigil::internal
