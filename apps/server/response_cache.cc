#include "server/response_cache.h"

#include <exception>

namespace vigil::server::internal {

HttpResponse ResponseCache::Get(const DataGeneration& generation, const std::string& key,
                                const std::function<HttpResponse()>& compute) {
  std::promise<Answer> promise;
  std::shared_future<Answer> pending;
  {
    std::lock_guard lock(mutex_);
    if (!(generation == generation_)) {
      ClearLocked();
      generation_ = generation;
    }
    auto it = entries_.find(key);
    if (it != entries_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.lru);
      pending = it->second.answer;
    } else {
      lru_.push_front(key);
      entries_[key] = Entry{promise.get_future().share(), 0, lru_.begin()};
    }
  }
  // Another request computes this answer, or has: wait for it outside the lock.
  if (pending.valid()) return *pending.get();
  auto answer = std::make_shared<HttpResponse>();
  try {
    *answer = compute();
  } catch (const std::exception& e) {
    *answer = ErrorResponse(500, std::string("internal error: ") + e.what());
  }
  if (!answer->shared_body) {
    answer->shared_body = std::make_shared<const std::string>(std::move(answer->body));
    answer->body.clear();
  }
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    // The entry may be gone: the generation changed while computing.
    if (it != entries_.end() && generation == generation_) {
      if (answer->status == 200) {
        it->second.bytes = answer->shared_body->size() + key.size();
        bytes_ += it->second.bytes;
        EvictLocked(key);
      } else {
        lru_.erase(it->second.lru);
        entries_.erase(it);
      }
    }
  }
  promise.set_value(answer);
  return *answer;
}

size_t ResponseCache::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

void ResponseCache::ClearLocked() {
  // Requests waiting on an entry hold its future, so dropping the entries is safe.
  entries_.clear();
  lru_.clear();
  bytes_ = 0;
}

void ResponseCache::EvictLocked(const std::string& keep) {
  for (auto it = std::prev(lru_.end()); bytes_ > max_bytes_ && it != lru_.begin();) {
    auto victim = it--;
    auto e = entries_.find(*victim);
    // Answers still being computed are not counted yet and stay.
    if (*victim == keep || e->second.bytes == 0) continue;
    bytes_ -= e->second.bytes;
    entries_.erase(e);
    lru_.erase(victim);
  }
}

}  // namespace vigil::server::internal
