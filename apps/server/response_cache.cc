#include "server/response_cache.h"

#include <exception>

namespace vigil::server::internal {

ResponseCache::ResponseCache(size_t max_bytes)
    : cache_(max_bytes, [](const HttpResponse& r) -> std::optional<size_t> {
        if (r.status != 200) return std::nullopt;
        return r.text().size();
      }) {}

HttpResponse ResponseCache::Get(const DataGeneration& generation, const std::string& key,
                                const std::function<HttpResponse()>& compute) {
  auto answer = cache_.Get(generation, key, [&] {
    HttpResponse r;
    try {
      r = compute();
    } catch (const std::exception& e) {
      r = ErrorResponse(500, std::string("internal error: ") + e.what());
    }
    if (!r.shared_body) {
      r.shared_body = std::make_shared<const std::string>(std::move(r.body));
      r.body.clear();
    }
    return r;
  });
  return *answer;
}

}  // namespace vigil::server::internal
