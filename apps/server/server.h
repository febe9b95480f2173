// The HTTP front end (`vigil serve`): a JSON API over the stored cube and incidents, a Prometheus
// endpoint of vigil's own counters, and the web dashboard. `Service` holds the state and answers
// requests without knowing the HTTP library (so tests call it directly); `HttpServer` puts it on
// a socket. API reference: docs/openapi.yaml; guide: docs/server.md.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "vigil/config.h"
#include "vigil/cube.h"
#include "vigil/status.h"
#include "vigil/report.h"
#include "vigil/store.h"

namespace vigil::server {

/// A request as the service sees it.
struct HttpRequest {
  std::string method;  ///< GET, POST, ...
  std::string path;    ///< decoded, without the query
  std::multimap<std::string, std::string> params;  ///< decoded query parameters
  std::string authorization;  ///< the Authorization header ("" when absent)
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

/// The JSON error body every failure is answered with:
/// `{"error": {"status": 400, "code": "bad_request", "message": "...", "line": 3}}`
/// (`line` only for a bad ingest line).
HttpResponse ErrorResponse(int status, const std::string& message, int64_t line = 0);

/// The HTTP status for an engine status code (kInvalidArgument 400, kNotFound 404, ...).
int HttpStatusFor(StatusCode code);

/// The dashboard's state (config, store, cube) and every route. Thread-safe: reads share the
/// cube, an ingest takes it alone; the store is used by one request at a time.
class Service {
 public:
  /// Loads the config, opens its store and loads the stored cube (which may be empty). A token
  /// of the form `env:NAME` is read from the environment; an unset variable is a kConfig error.
  static Result<std::unique_ptr<Service>> Open(const std::string& config_path);
  /// The same over an already loaded config, store and cube (tests).
  Service(std::shared_ptr<const Config> config, std::unique_ptr<Store> store, Cube cube,
          std::string token);
  ~Service();

  /// Answers one request. Never throws; unexpected failures are 500 with a JSON error.
  HttpResponse Handle(const HttpRequest& request);

  /// Counts a request the HTTP layer refused before it reached Handle (a body over the limit).
  void CountRefused(const HttpRequest& request, int status);

  const Config& config() const { return *config_; }
  bool writes_enabled() const { return !token_.empty(); }
  uint64_t event_count();

 private:
  HttpResponse Route(const HttpRequest& request, std::string* route);
  HttpResponse Health();
  HttpResponse Metrics();
  HttpResponse Series(const HttpRequest& request);
  HttpResponse ListIncidents(const HttpRequest& request);
  HttpResponse GetIncident(const std::string& id);
  HttpResponse PostFeedback(const HttpRequest& request, const std::string& id);
  HttpResponse Ingest(const HttpRequest& request);
  HttpResponse Prometheus();
  HttpResponse IncidentHtml(const std::string& id);
  HttpResponse PlotHtml(const HttpRequest& request);
  HttpResponse Asset(const std::string& name);
  /// The query of the series API and the plot fragment (metric, slice, from, to, granularity).
  struct SeriesQuery {
    std::string metric;
    Slice slice;
    TimeMs from = 0, to = 0;
    int64_t granularity = 0;  ///< 0: the cube's
  };
  /// Parses the query and computes its series with the expected band; on a bad request or a
  /// failure, the answer to send instead.
  /// A member anomaly of a stored incident, on one metric and slice.
  struct StoredAnomaly {
    std::string incident, status;
    TimeMs start = 0, end = 0;  ///< end 0: still open
    nlohmann::json member;      ///< its entry in the incident's `anomalies`
  };
  /// Every stored anomaly on exactly `metric` and `slice`.
  Result<std::vector<StoredAnomaly>> StoredAnomaliesOn(const std::string& metric, const Slice& slice);
  std::optional<HttpResponse> AnswerSeriesQuery(const HttpRequest& request, SeriesQuery* query,
                                                ExpectedSeries* series);
  /// Nothing when the request may write; else the 401 or 403 answer.
  std::optional<HttpResponse> CheckToken(const HttpRequest& request) const;
  void Count(const std::string& route, const std::string& method, int status, double seconds);

  std::shared_ptr<const Config> config_;
  std::string token_;
  std::shared_mutex cube_mutex_;  // guards cube_
  Cube cube_;
  std::mutex store_mutex_;        // guards store_ (after cube_mutex_ when both are taken)
  std::unique_ptr<Store> store_;

  // Counters for GET /metrics.
  std::mutex counters_mutex_;
  struct RouteCounter {
    uint64_t requests = 0;
    double seconds = 0;
  };
  std::map<std::tuple<std::string, std::string, int>, RouteCounter> requests_;  // route, method, status
  std::atomic<uint64_t> ingested_events_{0}, ingested_lines_{0}, bad_lines_{0}, rejected_bodies_{0},
      feedback_{0};
};

/// Serves a Service over HTTP/1.1 with a pool of worker threads.
class HttpServer {
 public:
  HttpServer(Service* service, int64_t max_body_bytes, int threads = 8);
  ~HttpServer();
  /// Binds to host:port (port 0 picks a free one) and returns the bound port.
  Result<int> Bind(const std::string& host, int port);
  /// Serves until Stop() is called (from any thread).
  Status Run();
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Query parameters of a raw query string (`a=1&b=x%3Dy`): split at '&', then at the first '='
/// (so `slice=platform=watchOS` keeps its '='), '+' and %XX decoded.
std::multimap<std::string, std::string> ParseQuery(std::string_view query);

/// Splits `host:port` (`[::1]:8080` for IPv6); errors name the text.
Result<std::pair<std::string, int>> ParseListen(const std::string& text);

}  // namespace vigil::server
