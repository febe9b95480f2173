// The service's state and what every request goes through: opening, the response cache, the
// token, the counters, and the route table (router.cc). Each resource answers in its own file:
// series_api.cc, incidents_api.cc, ingest_api.cc, dashboard.cc, prometheus.cc.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <optional>
#include <thread>

#include "server/api_common.h"
#include "server/compute_pool.h"
#include "server/response_cache.h"
#include "server/router.h"
#include "server/server.h"

namespace vigil::server {
namespace {

using internal::CacheKey;
using internal::IsCachedRoute;
using internal::IsWriteRoute;
using internal::JsonResponse;
using internal::RouteLabel;

// Bytes of read answers, and of whole-history series, kept for as long as the cube and the store
// are unchanged.
constexpr size_t kResponseCacheBytes = 64 << 20;
constexpr size_t kHistoryCacheBytes = 64 << 20;

// Constant time in the token's length, so response timing does not reveal a matching prefix.
bool SameToken(const std::string& given, const std::string& expected) {
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i) {
    diff |= static_cast<unsigned char>(expected[i] ^ (i < given.size() ? given[i] : 0));
  }
  return diff == 0;
}

void AddCommonHeaders(HttpResponse* response) {
  response->headers.emplace_back("X-Content-Type-Options", "nosniff");
  response->headers.emplace_back("Cache-Control", "no-store");
}

}  // namespace

Result<std::unique_ptr<Service>> Service::Open(const std::string& config_path) {
  VIGIL_ASSIGN_OR_RETURN(Config loaded, Config::Load(config_path));
  auto config = std::make_shared<const Config>(std::move(loaded));
  std::string token = config->server.token;
  if (token.starts_with("env:")) {
    std::string name = token.substr(4);
    const char* value = std::getenv(name.c_str());
    if (!value || !*value) {
      return ConfigError(config_path + ": key 'server.token': environment variable " + name +
                         " is not set");
    }
    token = value;
  }
  // The server writes the store (ingest, feedback) as its one writer while it runs.
  VIGIL_ASSIGN_OR_RETURN(
      auto store, Store::OpenForWriting(config->StorePath(), "vigil serve, config " + config_path));
  VIGIL_ASSIGN_OR_RETURN(Cube cube, store->cube().Load(config));
  return std::make_unique<Service>(std::move(config), std::move(store), std::move(cube),
                                   std::move(token));
}

Service::Service(std::shared_ptr<const Config> config, std::unique_ptr<Store> store, Cube cube,
                 std::string token)
    : config_(std::move(config)),
      token_(std::move(token)),
      cube_(std::move(cube)),
      store_(std::move(store)),
      cache_(std::make_unique<internal::ResponseCache>(kResponseCacheBytes)),
      histories_(std::make_unique<internal::SharedCache<Result<ExpectedSeries>>>(
          kHistoryCacheBytes,
          [](const Result<ExpectedSeries>& s) -> std::optional<size_t> {
            if (!s.ok()) return std::nullopt;
            return s->points.size() * (sizeof(SeriesPoint) + sizeof(Assessment)) + 256;
          })),
      compute_(std::make_unique<internal::ComputePool>(
          std::max(2u, std::thread::hardware_concurrency()))) {
  cube_events_ = cube_.event_count();
}

Service::~Service() = default;

uint64_t Service::event_count() { return cube_events_.load(); }

HttpResponse Service::Handle(const HttpRequest& request) {
  auto start = std::chrono::steady_clock::now();
  std::string route = RouteLabel(request.path);
  HttpResponse response;
  try {
    std::optional<internal::DataGeneration> generation;
    if ((request.method == "GET" || request.method == "HEAD") && IsCachedRoute(route)) {
      // Without a store version (a failing store), the answer is computed, and tells.
      if (auto g = Generation(); g.ok()) generation = internal::DataGeneration{g->first, g->second};
    }
    if (generation) {
      response = cache_->Get(*generation, CacheKey(request), [&] {
        return compute_->Run([&] {
          std::string unused;
          return Route(request, &unused);
        });
      });
    } else {
      response = Route(request, &route);
    }
  } catch (const std::exception& e) {
    response = ErrorResponse(500, std::string("internal error: ") + e.what());
  }
  AddCommonHeaders(&response);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Count(route, request.method, response.status, seconds);
  return response;
}

void Service::CountRefused(const HttpRequest& request, int status) {
  if (status == 413) ++rejected_bodies_;
  Count(RouteLabel(request.path), request.method, status, 0);
}

void Service::CountConnection(ConnectionEvent event) {
  switch (event) {
    case ConnectionEvent::kOpened:
      ++open_connections_;
      ++connections_;
      break;
    case ConnectionEvent::kClosed:
      --open_connections_;
      break;
    case ConnectionEvent::kRefusedOverLimit:
      ++refused_connections_;
      break;
    case ConnectionEvent::kHeadTooLarge:
      ++heads_too_large_;
      break;
    case ConnectionEvent::kHeadTimeout:
      ++head_timeouts_;
      break;
    case ConnectionEvent::kEvicted:
      ++evicted_connections_;
      break;
  }
}

std::optional<HttpResponse> Service::ScreenHead(const HttpRequest& head, int64_t body_bytes) {
  // The HTTP layer reads no body for these.
  if (head.method == "GET" || head.method == "HEAD") return std::nullopt;
  std::optional<HttpResponse> refusal;
  std::string route = RouteLabel(head.path);
  if (head.method != "POST" || !IsWriteRoute(head.path)) {
    // No route reads a body here: Route answers 404 or 405 without running any handler.
    refusal = Route(head, &route);
  } else if (auto denied = CheckToken(head)) {
    refusal = std::move(denied);
  } else if (head.content_type.starts_with("multipart/")) {
    refusal = ErrorResponse(415,
                            "multipart bodies are not read; send the file itself as the body, e.g. "
                            "curl --data-binary @events.jsonl");
  } else if (body_bytes > config_->server.max_body_bytes) {
    ++rejected_bodies_;
    refusal = ErrorResponse(
        413, fmt::format("the body has {} bytes; the limit is {} (server.max_body_bytes)",
                         body_bytes, config_->server.max_body_bytes));
  }
  if (!refusal) return std::nullopt;
  AddCommonHeaders(&*refusal);
  Count(route, head.method, refusal->status, 0);
  return refusal;
}

Result<std::pair<uint64_t, StoreVersion>> Service::Generation() {
  uint64_t cube = cube_version_.load();
  std::lock_guard lock(store_mutex_);
  VIGIL_ASSIGN_OR_RETURN(StoreVersion store, store_->Version());
  return std::make_pair(cube, store);
}

void Service::Count(const std::string& route, const std::string& method, int status,
                    double seconds) {
  std::lock_guard lock(counters_mutex_);
  RouteCounter& c = requests_[{route, method, status}];
  ++c.requests;
  c.seconds += seconds;
}

std::optional<HttpResponse> Service::CheckToken(const HttpRequest& r) const {
  if (token_.empty())
    return ErrorResponse(403, "writes are disabled: set server.token in the config to enable them");
  const std::string prefix = "Bearer ";
  if (!r.authorization.starts_with(prefix) ||
      !SameToken(r.authorization.substr(prefix.size()), token_)) {
    HttpResponse out = ErrorResponse(
        401, r.authorization.empty() ? "this endpoint needs 'Authorization: Bearer <server.token>'"
                                     : "the bearer token does not match server.token");
    out.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"vigil\"");
    return out;
  }
  return std::nullopt;
}

// Takes no lock: it answers at once even while an ingest holds the cube.
HttpResponse Service::Health() {
  return JsonResponse({{"status", "ok"}, {"events", event_count()}});
}

}  // namespace vigil::server
