// Followed sources (`server.follow`): JSON Lines files, or directories of them, read like
// `tail -F` into a Service. Each file's read offset enters the store with its events, in the same
// transaction, so a restart resumes at the first line not yet held: nothing lost, nothing twice.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "server/server.h"

namespace vigil::server {

/// What one pass over the followed paths did.
struct FollowPass {
  uint64_t events = 0;
  uint64_t bad_lines = 0;
  uint64_t bytes = 0;  ///< bytes consumed (whole lines)
};

/// Follows `paths` (files or directories; in a directory, every regular file whose name holds
/// `.jsonl` or `.json`, so `events.jsonl.1` left by a rotation is read to its end). A file is
/// known by device, inode and first line, so a rename keeps its offset, while a new file at the
/// old name, a new file that reuses a deleted one's inode, or a truncated file written anew
/// starts at 0; a file shorter than its offset was truncated and is read again from 0. A line is
/// read once its newline is written. Not thread-safe: one follower per service.
class Follower {
 public:
  Follower(Service* service, std::vector<std::string> paths);
  /// Reads what was appended since the last pass (at most `max_bytes` per file and pass, so one
  /// busy file does not starve the others) and ingests it. Problems (an unreadable path, a bad
  /// line, a failed write) are reported through `warn` and never stop the follower.
  FollowPass Poll(uint64_t max_bytes = 16 << 20);
  /// Polls every `interval_ms` until `stopping`, reporting to stderr.
  void Run(const std::atomic<bool>& stopping, int interval_ms = 500);

 private:
  struct FileState {
    uint64_t offset = 0;
    uint64_t events = 0;  ///< events ingested from it so far
  };
  void ReadFile(const std::string& path, uint64_t max_bytes, FollowPass* pass);
  void Warn(const std::string& key, const std::string& message);

  Service* service_;
  std::vector<std::string> paths_;
  std::map<std::string, FileState> files_;     // by ledger key (device and inode)
  std::map<std::string, std::string> warned_;  // the last warning per path, said once
};

}  // namespace vigil::server
