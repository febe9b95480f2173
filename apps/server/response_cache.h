// Answers of read routes kept while the data they come from is unchanged. Private to
// apps/server.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "server/server.h"

namespace vigil::server::internal {

/// What a cached answer was computed from: the cube's and the store's versions. An answer
/// computed at a generation stays valid until the generation changes.
struct DataGeneration {
  uint64_t cube = 0;
  StoreVersion store;
  bool operator==(const DataGeneration&) const = default;
};

/// A cache of successful (200) answers by request key, for one data generation at a time,
/// bounded in bytes (least recently used first out). Requests for a key being computed wait for
/// that computation instead of repeating it, so N clients asking for the same expensive answer
/// cost one computation. Thread-safe.
class ResponseCache {
 public:
  explicit ResponseCache(size_t max_bytes) : max_bytes_(max_bytes) {}

  /// The answer to `key` at `generation`: cached, or computed by `compute` (once for all the
  /// requests asking at the same time). Answers other than 200 are returned but not kept.
  /// The answer's body is shared (`HttpResponse::shared_body`), never copied.
  HttpResponse Get(const DataGeneration& generation, const std::string& key,
                   const std::function<HttpResponse()>& compute);

  /// Bytes of the answers held.
  size_t bytes() const;

 private:
  using Answer = std::shared_ptr<const HttpResponse>;
  struct Entry {
    std::shared_future<Answer> answer;
    size_t bytes = 0;
    std::list<std::string>::iterator lru;
  };
  void ClearLocked();
  void EvictLocked(const std::string& keep);

  const size_t max_bytes_;
  mutable std::mutex mutex_;
  DataGeneration generation_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // most recent first
  size_t bytes_ = 0;
};

}  // namespace vigil::server::internal
