// The HTTP front end (`vigil serve`): a JSON API over the stored cube and incidents, a Prometheus
// endpoint of vigil's own counters, and the web dashboard. `Service` holds the state and answers
// requests without knowing the HTTP library (so tests call it directly); `HttpServer` puts it on
// a socket. API reference: docs/openapi.yaml; guide: docs/server.md.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
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

#include "vigil/alert.h"
#include "vigil/config.h"
#include "vigil/cube.h"
#include "vigil/detect.h"
#include "vigil/ingest.h"
#include "vigil/pipeline.h"
#include "vigil/report.h"
#include "vigil/status.h"
#include "vigil/store.h"

namespace vigil::server {
namespace internal {
class ComputePool;
class ResponseCache;
template <typename Value>
class SharedCache;
}  // namespace internal

/// A request as the service sees it.
struct HttpRequest {
  std::string method;                              ///< GET, POST, ...
  std::string path;                                ///< decoded, without the query
  std::multimap<std::string, std::string> params;  ///< decoded query parameters
  std::string authorization;                       ///< the Authorization header ("" when absent)
  std::string body;
  std::string content_type;  ///< the Content-Type header ("" when absent)
  /// The Idempotency-Key header ("" when absent): a retried ingest body is counted once.
  std::string idempotency_key;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  /// The body when it is shared with the service's cache (then `body` is empty), so a large
  /// answer is not copied per request. text() reads either.
  std::shared_ptr<const std::string> shared_body;
  std::vector<std::pair<std::string, std::string>> headers;

  const std::string& text() const { return shared_body ? *shared_body : body; }
};

/// What one client may hold of the server (`server.*` config keys; docs/server.md). Every wait
/// on a client is bounded, and every byte of a request head is counted, so slow or greedy
/// clients hold only their own connection, and never for long.
struct ConnectionLimits {
  /// Open connections. A new one past it takes the place of the connection that has waited
  /// longest for a request or its head; when all are busy answering, it is answered 503.
  int64_t max_connections = 256;
  int64_t max_header_bytes = 64 << 10;  ///< request line and headers together; past it 431
  int64_t max_headers = 100;            ///< header lines; past it 431
  int64_t header_timeout_ms = 10000;    ///< the whole head, from its first byte; past it 408
  int64_t request_timeout_ms = 60000;   ///< the body and the answer, after the head
  int64_t read_timeout_ms = 10000;      ///< silence while a head or body is read
  int64_t write_timeout_ms = 10000;     ///< a client that does not read its answer
  int64_t idle_timeout_ms = 5000;       ///< keep-alive: an idle connection closes after this
  int64_t max_body_bytes = 16 << 20;    ///< server.max_body_bytes
  int64_t spare_threads = 8;            ///< threads kept ready (more start per connection)

  /// The limits a config's `server` section sets.
  static ConnectionLimits FromConfig(const ServerSpec& server);
};

/// What the HTTP layer did with connections, for GET /metrics.
enum class ConnectionEvent {
  kOpened,
  kClosed,
  kRefusedOverLimit,  ///< answered 503: max_connections were open
  kHeadTooLarge,      ///< answered 431
  kHeadTimeout,       ///< answered 408 or closed: the head was not complete in time
  kEvicted,           ///< closed to make room: the server was full and it waited longest
};

/// One round of the service's detection (Service::JudgeClosedBuckets).
struct JudgeRound {
  TimeMs closed = 0;     ///< every bucket before it was judged
  size_t incidents = 0;  ///< incidents found over the judged buckets
  AlertReport alerts;    ///< what the lifecycle and the sinks did
  double seconds = 0;    ///< detection, explanation and alerting
  /// From the ingest that closed the newest judged bucket (the watermark passing its end plus
  /// server.lateness) to the end of the round: how late its notifications are.
  double lag_seconds = 0;
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

  /// Adds a batch of a stream's JSON Lines (whole lines; `origin` names it in messages) to the
  /// cube and the store, both or neither. Unlike a POST body, a stream's bad lines cannot be
  /// sent again: they are counted and reported, and its good lines kept. For `serve --stdin`.
  /// `ledger` entries enter the ingest ledger in the same transaction as the lines' events
  /// (even when there are none), each with its `events` increased by theirs: a followed file's
  /// read offset and its events so far.
  Result<IngestStats> IngestStream(std::string_view lines, const std::string& origin,
                                   const std::vector<IngestedInput>& ledger = {});

  /// The start of the first bucket that is not closed: buckets before it ended at least
  /// server.lateness before the newest event held (the watermark). 0 while nothing is held.
  TimeMs ClosedBefore();
  /// When a bucket closed since the last round: judges every closed bucket (Investigate over
  /// the cube up to ClosedBefore), then updates the stored incidents and notifies their sinks
  /// (UpdateIncidents; `alert` gives the wall clock, overriding sinks and where stdout sinks
  /// write). Nothing when no bucket closed since. One round at a time; detection is carried
  /// from round to round (DetectionState), so a round reads and judges only the buckets closed
  /// since the last; the cube is shared with readers meanwhile, and ingests wait for the
  /// detection step.
  Result<std::optional<JudgeRound>> JudgeClosedBuckets(const AlertOptions& alert = {});
  /// Runs JudgeClosedBuckets whenever an ingest closes a bucket (and once at the start), until
  /// `stopping`; failures and rounds are logged to stderr. For `vigil serve`.
  void RunJudging(const std::atomic<bool>& stopping, std::ostream* out);
  /// Wakes RunJudging (to notice `stopping`).
  void WakeJudging();
  /// For a prompt stop: no round alerts after this call. True when a round is in its detection
  /// step, which writes nothing, so the process may end without waiting for it (a round that is
  /// alerting must be waited for: it stores deliveries as it sends).
  bool AbandonRounds();

  /// The ingest ledger's entry under `key` (a followed file's stored offset), if any.
  Result<std::optional<IngestedInput>> LedgerEntry(const std::string& key);
  /// Counts a followed file's line that was too long to read (a bad line).
  void CountBadLine() { ++bad_lines_; }

  /// Answers a request from its head alone when its body must not be read: a body for a route
  /// that takes none (404, 405), a write without the right token (401, 403), a declared body
  /// over server.max_body_bytes (413), a multipart form (415). Nothing when the body may be
  /// read. `body_bytes` is the declared length (-1: unknown, as for a chunked body). Counted
  /// like Handle's answers.
  std::optional<HttpResponse> ScreenHead(const HttpRequest& head, int64_t body_bytes);

  /// Counts a request the HTTP layer refused before it reached Handle (a body over the limit, a
  /// malformed or slow head).
  void CountRefused(const HttpRequest& request, int status);
  /// Counts what the HTTP layer did with a connection.
  void CountConnection(ConnectionEvent event);

  const Config& config() const { return *config_; }
  bool writes_enabled() const { return !token_.empty(); }
  uint64_t event_count();

 private:
  HttpResponse Route(const HttpRequest& request, std::string* route);
  Status CommitLocked(const Cube& addition, const IngestStats& stats,
                      const std::vector<IngestedInput>& ledger);
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
  /// A member anomaly of a stored incident, on one metric and slice.
  struct StoredAnomaly {
    std::string incident, status;
    Anomaly member;  ///< as the incident's document states it (its `anomalies` entry)
  };
  /// Every stored anomaly on exactly `metric` and `slice`.
  Result<std::vector<StoredAnomaly>> StoredAnomaliesOn(const std::string& metric,
                                                       const Slice& slice);
  /// Parses the query and computes its series with the expected band; on a bad request or a
  /// failure, the answer to send instead.
  std::optional<HttpResponse> AnswerSeriesQuery(const HttpRequest& request, SeriesQuery* query,
                                                ExpectedSeries* series);
  /// SeriesWithBand over the query. The band needs the slice's whole history before the range,
  /// so the whole-history series of (metric, slice, granularity) is computed once per cube
  /// version, and a range ending on a bucket boundary is cut from it (detection is causal: a
  /// point's band depends only on what came before it). cube_mutex_ must be held.
  Result<ExpectedSeries> BandedSeriesLocked(const SeriesQuery& query);
  /// Nothing when the request may write; else the 401 or 403 answer.
  std::optional<HttpResponse> CheckToken(const HttpRequest& request) const;
  void Count(const std::string& route, const std::string& method, int status, double seconds);

  /// Stored incidents, decoded once per store version.
  struct IncidentList {
    StoreVersion version;
    std::vector<StoredIncident> incidents;  ///< by start, then id
  };
  /// The stored incidents as of now; re-read only when the store changed. The lock of
  /// store_mutex_ must be held.
  Result<std::shared_ptr<const IncidentList>> IncidentsLocked();
  /// The cache key's data generation: the cube's and the store's versions.
  Result<std::pair<uint64_t, StoreVersion>> Generation();

  std::shared_ptr<const Config> config_;
  std::string token_;
  std::shared_mutex cube_mutex_;  // guards cube_
  Cube cube_;
  std::atomic<uint64_t> cube_version_{0};  // moves after each merge into cube_
  std::atomic<uint64_t> cube_events_{0};   // cube_.event_count(), read without the lock
  std::mutex store_mutex_;  // guards store_ and incidents_ (after cube_mutex_ when both are taken)
  std::unique_ptr<Store> store_;
  std::shared_ptr<const IncidentList> incidents_;
  std::unique_ptr<internal::ResponseCache> cache_;
  std::unique_ptr<internal::SharedCache<Result<ExpectedSeries>>> histories_;
  // Computes the answers the cache misses, a few at a time: every connection has a thread, and
  // N clients asking for N different series must not hold N computations' memory at once.
  std::unique_ptr<internal::ComputePool> compute_;

  // Counters for GET /metrics.
  std::mutex counters_mutex_;
  struct RouteCounter {
    uint64_t requests = 0;
    double seconds = 0;
  };
  std::map<std::tuple<std::string, std::string, int>, RouteCounter>
      requests_;  // route, method, status
  std::atomic<uint64_t> ingested_events_{0}, ingested_lines_{0}, bad_lines_{0}, rejected_bodies_{0},
      repeated_bodies_{0}, feedback_{0};
  std::atomic<int64_t> open_connections_{0};
  // The service's detection: the closed-bucket boundary judged last and the newest one seen,
  // when it was first seen (steady clock, for the lag), and what the rounds did.
  TimeMs ClosedBeforeLocked(std::chrono::steady_clock::time_point now);  // cube_mutex_ held
  std::mutex round_mutex_;                                               // one round at a time
  std::mutex judge_mutex_;  // guards the fields below it
  std::condition_variable judge_wake_;
  TimeMs newest_closed_ = 0;
  std::chrono::steady_clock::time_point newest_closed_seen_,
      last_ingest_ = std::chrono::steady_clock::now();
  bool wake_ = false;
  bool detecting_ = false, abandoned_ = false;
  std::atomic<TimeMs> judged_before_{0};
  // What detection carried from the last round (guarded by round_mutex_), the buckets the
  // running round reads, and whether events arrived for buckets it already read (then it reads
  // everything again).
  DetectionState detection_;
  EvidenceCache evidence_;  ///< cleared with detection_ (late events)
  std::atomic<TimeMs> reading_before_{0};
  std::atomic<bool> detection_stale_{false};
  std::atomic<uint64_t> expired_events_{0}, late_events_{0}, judge_rounds_{0}, judge_failures_{0},
      notifications_sent_{0}, notifications_failed_{0};
  std::atomic<double> last_round_seconds_{0}, last_lag_seconds_{0}, max_lag_seconds_{0};
  std::atomic<uint64_t> connections_{0}, refused_connections_{0}, evicted_connections_{0},
      heads_too_large_{0}, head_timeouts_{0};
};

/// Serves a Service over HTTP/1.1, a thread per connection up to `limits.max_connections`.
/// Request heads are bounded in size, lines and time; a write's token and declared size are
/// checked before its body is read; bodies are JSON Lines whatever their content type.
class HttpServer {
 public:
  HttpServer(Service* service, const ConnectionLimits& limits);
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
