// The embedded store (SQLite, WAL): the cube bucket by bucket, and later incidents, feedback and
// annotations. A write that returned ok survives a crash of the process.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "vigil/cube.h"
#include "vigil/status.h"

struct sqlite3;

namespace vigil {

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

  /// Replaces the stored JSON documents of `kind` (e.g. "anomaly") with `docs` (id, body), in
  /// one transaction: re-running detection over the same data leaves the same set.
  Status ReplaceDocuments(const std::string& kind,
                          const std::vector<std::pair<std::string, std::string>>& docs);
  /// The stored documents of `kind` as (id, body), ordered by id.
  Result<std::vector<std::pair<std::string, std::string>>> Documents(const std::string& kind);

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
