// Values computed from the cube and the store, kept while the data they come from is unchanged:
// the answers of read routes, and the series with their band. Private to apps/server.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "server/server.h"

namespace vigil::server::internal {

/// What a cached value was computed from: the cube's and the store's versions. A value computed
/// at a generation stays valid until the generation changes.
struct DataGeneration {
  uint64_t cube = 0;
  StoreVersion store;
  bool operator==(const DataGeneration&) const = default;
};

/// A cache of values by key, for one data generation at a time, bounded in bytes (least recently
/// used first out). Requests for a key being computed wait for that computation instead of
/// repeating it, so N clients asking for the same expensive value cost one computation.
/// Thread-safe.
template <typename Value>
class SharedCache {
 public:
  using Ptr = std::shared_ptr<const Value>;
  /// The bytes a computed value would hold, or nothing when it must not be kept (a failure).
  using Weigh = std::function<std::optional<size_t>(const Value&)>;

  SharedCache(size_t max_bytes, Weigh weigh) : max_bytes_(max_bytes), weigh_(std::move(weigh)) {}

  /// The value of `key` at `generation`: kept, or computed by `compute` (once for all the
  /// requests asking at the same time). An exception of `compute` reaches every waiter.
  Ptr Get(const DataGeneration& generation, const std::string& key,
          const std::function<Value()>& compute) {
    std::promise<Ptr> promise;
    std::shared_future<Ptr> pending;
    {
      std::lock_guard lock(mutex_);
      if (!(generation == generation_)) {
        ClearLocked();
        generation_ = generation;
      }
      auto it = entries_.find(key);
      if (it != entries_.end()) {
        lru_.splice(lru_.begin(), lru_, it->second.lru);
        pending = it->second.value;
      } else {
        lru_.push_front(key);
        entries_[key] = Entry{promise.get_future().share(), 0, lru_.begin()};
      }
    }
    // Another request computes this value, or has: wait for it outside the lock.
    if (pending.valid()) return pending.get();
    Ptr value;
    std::optional<size_t> bytes;
    try {
      value = std::make_shared<const Value>(compute());
      bytes = weigh_(*value);
    } catch (...) {
      Forget(generation, key);
      promise.set_exception(std::current_exception());
      throw;
    }
    if (!bytes) {
      Forget(generation, key);
    } else {
      std::lock_guard lock(mutex_);
      auto it = entries_.find(key);
      // The entry may be gone: the generation changed while computing.
      if (it != entries_.end() && generation == generation_) {
        it->second.bytes = *bytes + key.size();
        bytes_ += it->second.bytes;
        EvictLocked(key);
      }
    }
    promise.set_value(value);
    return value;
  }

  /// Bytes of the values held.
  size_t bytes() const {
    std::lock_guard lock(mutex_);
    return bytes_;
  }

 private:
  struct Entry {
    std::shared_future<Ptr> value;
    size_t bytes = 0;  // 0 while being computed
    std::list<std::string>::iterator lru;
  };

  void Forget(const DataGeneration& generation, const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end() || !(generation == generation_)) return;
    lru_.erase(it->second.lru);
    entries_.erase(it);
  }

  void ClearLocked() {
    // Requests waiting on an entry hold its future, so dropping the entries is safe.
    entries_.clear();
    lru_.clear();
    bytes_ = 0;
  }

  void EvictLocked(const std::string& keep) {
    for (auto it = std::prev(lru_.end()); bytes_ > max_bytes_ && it != lru_.begin();) {
      auto victim = it--;
      auto e = entries_.find(*victim);
      // Values still being computed are not counted yet and stay.
      if (*victim == keep || e->second.bytes == 0) continue;
      bytes_ -= e->second.bytes;
      entries_.erase(e);
      lru_.erase(victim);
    }
  }

  const size_t max_bytes_;
  const Weigh weigh_;
  mutable std::mutex mutex_;
  DataGeneration generation_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // most recent first
  size_t bytes_ = 0;
};

/// Successful (200) answers of read routes by request. An answer's body is shared
/// (`HttpResponse::shared_body`), never copied per request.
class ResponseCache {
 public:
  explicit ResponseCache(size_t max_bytes);
  /// The answer to `key` at `generation`; answers other than 200 are returned but not kept.
  HttpResponse Get(const DataGeneration& generation, const std::string& key,
                   const std::function<HttpResponse()>& compute);
  size_t bytes() const { return cache_.bytes(); }

 private:
  SharedCache<HttpResponse> cache_;
};

}  // namespace vigil::server::internal
