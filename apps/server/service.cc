// The routes of `vigil serve`: JSON API, Prometheus counters, dashboard fragments and assets.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <functional>
#include <optional>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "server/compute_pool.h"
#include "server/response_cache.h"
#include "server/server.h"
#include "vigil/incident_json.h"
#include "vigil/ingest.h"
#include "vigil/report.h"

namespace vigil::internal {
std::string_view UiAsset(std::string_view file);  // generated from apps/server/ui
}  // namespace vigil::internal

namespace vigil::server {
namespace {

using Json = nlohmann::json;

// Series longer than this are refused: the caller should ask for a coarser granularity.
constexpr int64_t kMaxSeriesPoints = 100000;

// Bytes of read answers, and of whole-history series, kept for as long as the cube and the store
// are unchanged.
constexpr size_t kResponseCacheBytes = 64 << 20;
constexpr size_t kHistoryCacheBytes = 64 << 20;

// Text from the data (slice values, notes) may hold any bytes; bad UTF-8 must not fail a reply.
std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

HttpResponse JsonResponse(const Json& j, int status = 200) {
  HttpResponse r;
  r.status = status;
  r.body = Dump(j) + "\n";
  return r;
}

const char* CodeName(int status) {
  switch (status) {
    case 400: return "bad_request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 409: return "conflict";
    case 408: return "request_timeout";
    case 413: return "payload_too_large";
    case 415: return "unsupported_media_type";
    case 431: return "header_fields_too_large";
    case 422: return "unprocessable";
    case 503: return "unavailable";
    default: return status >= 500 ? "internal" : "error";
  }
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string Param(const HttpRequest& r, const std::string& name) {
  auto it = r.params.find(name);
  return it == r.params.end() ? "" : it->second;
}

// Every value of a filter parameter, repeated (`?status=open&status=resolved`) or comma-separated.
std::set<std::string> ParamSet(const HttpRequest& r, const std::string& name) {
  std::set<std::string> out;
  auto [a, b] = r.params.equal_range(name);
  for (auto it = a; it != b; ++it) {
    size_t start = 0;
    const std::string& v = it->second;
    while (start <= v.size()) {
      size_t comma = v.find(',', start);
      if (comma == std::string::npos) comma = v.size();
      if (comma > start) out.insert(v.substr(start, comma - start));
      start = comma + 1;
    }
  }
  return out;
}

Result<TimeMs> TimeParam(const HttpRequest& r, const char* name) {
  std::string text = Param(r, name);
  if (text.empty()) return TimeMs{0};
  auto t = ParseTimestamp(text);
  if (!t.ok()) return InvalidArgument(std::string("parameter '") + name + "': " + t.status().message());
  return *t;
}

Json NumberOrNull(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

Json TimeOrNull(TimeMs t) { return t ? Json(FormatTimestamp(t)) : Json(nullptr); }

Json OwnerOrNull(const std::string& owner) { return owner.empty() ? Json(nullptr) : Json(owner); }

// The incident as the list shows it.
Json IncidentSummary(const StoredIncident& i) {
  const Json& d = i.document;
  return {{"id", i.record.id},
          {"status", i.record.status},
          {"severity", i.record.severity},
          {"owner", OwnerOrNull(i.record.owner)},
          {"metric", i.record.metric},
          {"slice", d.value("slice", Json::object())},
          {"start", TimeOrNull(i.record.start)},
          {"end", TimeOrNull(i.record.end)},
          {"paging", i.record.paging},
          {"baseline", d.value("baseline", Json(nullptr))},
          {"observed", d.value("observed", Json(nullptr))},
          {"relative_change", d.value("relative_change", Json(nullptr))},
          {"confidence", d.value("confidence", Json(nullptr))},
          {"summary", d.value("summary", std::string())},
          {"updated", TimeOrNull(i.record.updated)}};
}

Json FeedbackJson(const FeedbackRecord& f) {
  return {{"incident", f.incident}, {"verdict", f.verdict}, {"note", f.note}, {"at", TimeOrNull(f.at)}};
}

// Constant time in the token's length, so response timing does not reveal a matching prefix.
bool SameToken(const std::string& given, const std::string& expected) {
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i) {
    diff |= static_cast<unsigned char>(expected[i] ^ (i < given.size() ? given[i] : 0));
  }
  return diff == 0;
}

// Route labels for the request counters: patterns, not raw paths, so ids do not multiply series.
std::string RouteLabel(const std::string& path) {
  static const char* kFixed[] = {"/healthz", "/metrics", "/api/metrics", "/api/series",
                                 "/api/incidents", "/api/ingest", "/ui/plot", "/"};
  for (const char* f : kFixed) {
    if (path == f) return f;
  }
  if (path.starts_with("/api/incidents/")) {
    return path.ends_with("/feedback") ? "/api/incidents/{id}/feedback" : "/api/incidents/{id}";
  }
  if (path.starts_with("/ui/incidents/")) return "/ui/incidents/{id}";
  if (path.starts_with("/assets/")) return "/assets/{name}";
  return "other";
}

// The routes that take a body, all with POST.
bool IsWriteRoute(const std::string& path) {
  const std::string incidents = "/api/incidents/", feedback = "/feedback";
  return path == "/api/ingest" || (path.starts_with(incidents) && path.ends_with(feedback) &&
                                   path.size() > incidents.size() + feedback.size());
}

// Answers of these GET routes depend only on the request, the cube and the store: they are
// cached until either changes.
bool IsCachedRoute(const std::string& route) {
  return route == "/api/metrics" || route == "/api/series" || route == "/api/incidents" ||
         route == "/api/incidents/{id}" || route == "/ui/incidents/{id}" || route == "/ui/plot";
}

// The path and every parameter, each length-prefixed so no two requests share a key.
std::string CacheKey(const HttpRequest& r) {
  std::string key = r.path;
  for (const auto& [k, v] : r.params) key += fmt::format("|{}:{}{}:{}", k.size(), k, v.size(), v);
  return key;
}

void AddCommonHeaders(HttpResponse* response) {
  response->headers.emplace_back("X-Content-Type-Options", "nosniff");
  response->headers.emplace_back("Cache-Control", "no-store");
}

}  // namespace

HttpResponse ErrorResponse(int status, const std::string& message, int64_t line) {
  Json error = {{"status", status}, {"code", CodeName(status)}, {"message", message}};
  if (line > 0) error["line"] = line;
  return JsonResponse({{"error", error}}, status);
}

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kDataError:
    case StatusCode::kLimitExceeded: return 422;
    default: return 500;
  }
}

Result<std::unique_ptr<Service>> Service::Open(const std::string& config_path) {
  VIGIL_ASSIGN_OR_RETURN(Config loaded, Config::Load(config_path));
  auto config = std::make_shared<const Config>(std::move(loaded));
  std::string token = config->server.token;
  if (token.starts_with("env:")) {
    std::string name = token.substr(4);
    const char* value = std::getenv(name.c_str());
    if (!value || !*value) {
      return ConfigError(config_path + ": key 'server.token': environment variable " + name + " is not set");
    }
    token = value;
  }
  VIGIL_ASSIGN_OR_RETURN(auto store, Store::Open(config->StorePath()));
  VIGIL_ASSIGN_OR_RETURN(Cube cube, store->cube().Load(config));
  return std::make_unique<Service>(std::move(config), std::move(store), std::move(cube), std::move(token));
}

Service::Service(std::shared_ptr<const Config> config, std::unique_ptr<Store> store, Cube cube,
                 std::string token)
    : config_(std::move(config)),
      token_(std::move(token)),
      cube_(std::move(cube)),
      store_(std::move(store)),
      cache_(std::make_unique<internal::ResponseCache>(kResponseCacheBytes)),
      histories_(std::make_unique<internal::SharedCache<Result<ExpectedSeries>>>(
          kHistoryCacheBytes, [](const Result<ExpectedSeries>& s) -> std::optional<size_t> {
            if (!s.ok()) return std::nullopt;
            return s->points.size() * (sizeof(SeriesPoint) + sizeof(Assessment)) + 256;
          })),
      compute_(std::make_unique<internal::ComputePool>(std::max(2u, std::thread::hardware_concurrency()))) {
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
    case ConnectionEvent::kClosed: --open_connections_; break;
    case ConnectionEvent::kRefusedOverLimit: ++refused_connections_; break;
    case ConnectionEvent::kHeadTooLarge: ++heads_too_large_; break;
    case ConnectionEvent::kHeadTimeout: ++head_timeouts_; break;
    case ConnectionEvent::kEvicted: ++evicted_connections_; break;
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
    refusal = ErrorResponse(415, "multipart bodies are not read; send the file itself as the body, e.g. "
                                 "curl --data-binary @events.jsonl");
  } else if (body_bytes > config_->server.max_body_bytes) {
    ++rejected_bodies_;
    refusal = ErrorResponse(413, fmt::format("the body has {} bytes; the limit is {} (server.max_body_bytes)",
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

Result<std::shared_ptr<const Service::IncidentList>> Service::IncidentsLocked() {
  VIGIL_ASSIGN_OR_RETURN(StoreVersion version, store_->Version());
  if (incidents_ && incidents_->version == version) return incidents_;
  auto list = std::make_shared<IncidentList>();
  list->version = version;
  VIGIL_ASSIGN_OR_RETURN(list->incidents, LoadStoredIncidents(store_.get()));
  incidents_ = std::move(list);
  return incidents_;
}

void Service::Count(const std::string& route, const std::string& method, int status, double seconds) {
  std::lock_guard lock(counters_mutex_);
  RouteCounter& c = requests_[{route, method, status}];
  ++c.requests;
  c.seconds += seconds;
}

HttpResponse Service::Route(const HttpRequest& r, std::string* route) {
  const std::string& p = r.path;
  // The method a path takes and what answers it.
  std::string method = "GET";
  std::function<HttpResponse()> answer;
  const std::string incidents = "/api/incidents/", feedback = "/feedback", fragments = "/ui/incidents/";
  if (p == "/healthz") {
    answer = [&] { return Health(); };
  } else if (p == "/metrics") {
    answer = [&] { return Prometheus(); };
  } else if (p == "/api/metrics") {
    answer = [&] { return Metrics(); };
  } else if (p == "/api/series") {
    answer = [&] { return Series(r); };
  } else if (p == "/api/incidents") {
    answer = [&] { return ListIncidents(r); };
  } else if (p == "/api/ingest") {
    method = "POST";
    answer = [&] { return Ingest(r); };
  } else if (p.starts_with(incidents) && p.ends_with(feedback) &&
             p.size() > incidents.size() + feedback.size()) {
    method = "POST";
    answer = [&] { return PostFeedback(r, p.substr(incidents.size(), p.size() - incidents.size() - feedback.size())); };
  } else if (p.starts_with(incidents) && p.size() > incidents.size() &&
             p.find('/', incidents.size()) == std::string::npos) {
    answer = [&] { return GetIncident(p.substr(incidents.size())); };
  } else if (p.starts_with(fragments) && p.size() > fragments.size()) {
    answer = [&] { return IncidentHtml(p.substr(fragments.size())); };
  } else if (p == "/ui/plot") {
    answer = [&] { return PlotHtml(r); };
  } else if (p == "/" || p == "/index.html") {
    answer = [&] { return Asset("index.html"); };
  } else if (p.starts_with("/assets/")) {
    answer = [&] { return Asset(p.substr(8)); };
  } else {
    *route = "other";
    return ErrorResponse(404, "no route " + p + "; the API is described in docs/openapi.yaml");
  }
  if (r.method != method && !(r.method == "HEAD" && method == "GET")) {
    HttpResponse out = ErrorResponse(405, "method " + r.method + " not allowed on " + p + "; use " + method);
    out.headers.emplace_back("Allow", method);
    return out;
  }
  return answer();
}

// Takes no lock: it answers at once even while an ingest holds the cube.
HttpResponse Service::Health() {
  return JsonResponse({{"status", "ok"}, {"events", event_count()}});
}

HttpResponse Service::Metrics() {
  std::shared_lock lock(cube_mutex_);
  const Config& c = *config_;
  std::set<std::string> monitored;
  for (const MonitorSpec& m : c.monitors) monitored.insert(m.metric);
  Json metrics = Json::array();
  for (const MetricSpec& m : c.metrics) {
    Json granularities = Json::array();
    for (const MonitorSpec& mon : c.monitors) {
      if (mon.metric == m.name) granularities.push_back(FormatDuration(mon.granularity_ms ? mon.granularity_ms : c.granularity_ms));
    }
    metrics.push_back({{"name", m.name},
                       {"type", MetricTypeName(m.type)},
                       {"unit", m.unit},
                       {"description", m.description},
                       {"monitored", monitored.count(m.name) > 0},
                       {"monitor_granularities", granularities}});
  }
  bool empty = cube_.event_count() == 0;
  Json rest = {{"metrics", metrics},
               {"granularity", FormatDuration(c.granularity_ms)},
               {"timezone", c.detect.timezone},
               {"from", empty ? Json(nullptr) : Json(FormatTimestamp(cube_.first_bucket()))},
               {"to", empty ? Json(nullptr) : Json(FormatTimestamp(cube_.last_bucket() + c.granularity_ms))},
               {"events", cube_.event_count()}};
  // The dimension values are written straight into the answer, sorted by reference: they are
  // copied once, into the body the cache shares (dimension values may be long, and many).
  std::string body = Dump(rest);
  body.pop_back();  // the closing brace
  body += ",\"dimensions\":[";
  for (size_t d = 0; d < c.input.dimensions.size(); ++d) {
    const auto& values = cube_.DimensionValues(static_cast<int>(d));
    std::vector<const std::string*> sorted;
    sorted.reserve(values.size());
    for (const std::string& v : values) sorted.push_back(&v);
    std::sort(sorted.begin(), sorted.end(), [](const std::string* a, const std::string* b) { return *a < *b; });
    body += (d ? ",{\"name\":" : "{\"name\":") + Dump(c.input.dimensions[d].name) + ",\"values\":[";
    for (size_t i = 0; i < sorted.size(); ++i) {
      if (i) body += ',';
      body += Dump(*sorted[i]);
    }
    body += "]}";
  }
  body += "]}\n";
  HttpResponse out;
  out.body = std::move(body);
  return out;
}

std::optional<HttpResponse> Service::AnswerSeriesQuery(const HttpRequest& r, SeriesQuery* q,
                                                       ExpectedSeries* series) {
  q->metric = Param(r, "metric");
  if (q->metric.empty()) return ErrorResponse(400, "parameter 'metric' is required");
  auto slice = ParseSlice(Param(r, "slice"));
  if (!slice.ok()) return ErrorResponse(400, "parameter 'slice': " + slice.status().message());
  q->slice = std::move(*slice);
  auto from = TimeParam(r, "from");
  if (!from.ok()) return ErrorResponse(400, from.status().message());
  auto to = TimeParam(r, "to");
  if (!to.ok()) return ErrorResponse(400, to.status().message());
  if (*from && *to && *to <= *from) return ErrorResponse(400, "parameter 'to' must be after 'from'");
  q->from = *from;
  q->to = *to;
  if (std::string g = Param(r, "granularity"); !g.empty() && g != "0") {
    auto parsed = ParseDuration(g);
    if (!parsed.ok()) return ErrorResponse(400, "parameter 'granularity': " + parsed.status().message());
    q->granularity = *parsed;
  }
  std::shared_lock lock(cube_mutex_);
  if (cube_.event_count() == 0) return ErrorResponse(404, "the store holds no events yet; POST /api/ingest first");
  int64_t g = q->granularity ? q->granularity : config_->granularity_ms;
  TimeMs a = q->from ? q->from : cube_.first_bucket();
  TimeMs b = q->to ? q->to : cube_.last_bucket() + config_->granularity_ms;
  if (g > 0 && (b - a) / g > kMaxSeriesPoints) {
    return ErrorResponse(400, fmt::format("more than {} points; ask for a coarser granularity", kMaxSeriesPoints));
  }
  auto computed = BandedSeriesLocked(*q);
  if (!computed.ok()) return ErrorResponse(HttpStatusFor(computed.status().code()), computed.status().message());
  *series = std::move(*computed);
  return std::nullopt;
}

Result<ExpectedSeries> Service::BandedSeriesLocked(const SeriesQuery& q) {
  std::string key = q.metric + "\n" + FormatSlice(q.slice) + "\n" + std::to_string(q.granularity);
  auto history = histories_->Get({cube_version_.load(), {}}, key, [&] {
    return SeriesWithBand(cube_, q.metric, q.slice, 0, 0, q.granularity);
  });
  if (!history->ok()) return history->status();
  const ExpectedSeries& h = **history;
  const int64_t g = h.granularity_ms;
  if (h.points.empty() || g <= 0) return SeriesWithBand(cube_, q.metric, q.slice, q.from, q.to, q.granularity);
  const TimeMs first = h.points.front().time, end = h.points.back().time + g;
  // A range ending inside a bucket, or past the data, has points of its own: computed whole.
  if (q.to != 0 && (q.to < first || q.to > end || (q.to - first) % g != 0)) {
    return SeriesWithBand(cube_, q.metric, q.slice, q.from, q.to, q.granularity);
  }
  ExpectedSeries out;
  out.metric = h.metric;
  out.slice = h.slice;
  out.unit = h.unit;
  out.granularity_ms = g;
  for (size_t i = 0; i < h.points.size(); ++i) {
    TimeMs t = h.points[i].time;
    if (t < q.from || (q.to != 0 && t >= q.to)) continue;
    out.points.push_back(h.points[i]);
    out.assessments.push_back(h.assessments[i]);
  }
  return out;
}

Result<std::vector<Service::StoredAnomaly>> Service::StoredAnomaliesOn(const std::string& metric, const Slice& slice) {
  std::vector<IncidentMemberRecord> members;
  {
    std::lock_guard store_lock(store_mutex_);
    VIGIL_ASSIGN_OR_RETURN(members, store_->incidents().MembersOn(metric, slice));
  }
  std::vector<StoredAnomaly> out;
  for (IncidentMemberRecord& m : members) {
    out.push_back({std::move(m.incident), std::move(m.status), m.start, m.end,
                   Json::parse(m.member, nullptr, /*allow_exceptions=*/false)});
  }
  return out;
}

HttpResponse Service::Series(const HttpRequest& r) {
  SeriesQuery q;
  ExpectedSeries series;
  if (auto refused = AnswerSeriesQuery(r, &q, &series)) return *refused;
  Json points = Json::array();
  for (size_t i = 0; i < series.points.size(); ++i) {
    const SeriesPoint& p = series.points[i];
    const Assessment& e = series.assessments[i];
    points.push_back({{"time", FormatTimestamp(p.time)},
                      {"value", NumberOrNull(p.value)},
                      {"expected", NumberOrNull(e.expected)},
                      {"lower", NumberOrNull(e.lower)},
                      {"upper", NumberOrNull(e.upper)},
                      {"events", p.events},
                      {"support", p.support}});
  }
  // Anomalies stored on exactly this metric and slice, overlapping the range.
  auto stored = StoredAnomaliesOn(q.metric, q.slice);
  if (!stored.ok()) return ErrorResponse(500, stored.status().message());
  TimeMs range_from = series.points.empty() ? 0 : series.points.front().time;
  TimeMs range_to = series.points.empty() ? 0 : series.points.back().time + series.granularity_ms;
  Json anomalies = Json::array();
  for (const StoredAnomaly& an : *stored) {
    if (an.start >= range_to || (an.end && an.end <= range_from)) continue;
    const Json& m = an.member;
    anomalies.push_back({{"incident", an.incident},
                         {"status", an.status},
                         {"start", m["start"]},
                         {"end", m.value("end", Json(nullptr))},
                         {"baseline", m.value("baseline", Json(nullptr))},
                         {"observed", m.value("observed", Json(nullptr))},
                         {"confidence", m.value("confidence", Json(nullptr))}});
  }
  return JsonResponse({{"metric", series.metric},
                       {"slice", SliceToJson(series.slice)},
                       {"unit", series.unit},
                       {"granularity", FormatDuration(series.granularity_ms)},
                       {"timezone", config_->detect.timezone},
                       {"points", points},
                       {"anomalies", anomalies}});
}

HttpResponse Service::ListIncidents(const HttpRequest& r) {
  std::set<std::string> status = ParamSet(r, "status"), owner = ParamSet(r, "owner"),
                        severity = ParamSet(r, "severity"), metric = ParamSet(r, "metric");
  static const std::set<std::string> kStatuses = {"open", "acknowledged", "resolved"};
  static const std::set<std::string> kSeverities = {"minor", "major", "critical"};
  for (const std::string& s : status) {
    if (!kStatuses.count(s)) return ErrorResponse(400, "parameter 'status': '" + s + "' is not open, acknowledged or resolved");
  }
  for (const std::string& s : severity) {
    if (!kSeverities.count(s)) return ErrorResponse(400, "parameter 'severity': '" + s + "' is not minor, major or critical");
  }
  std::shared_ptr<const IncidentList> stored;
  {
    std::lock_guard lock(store_mutex_);
    auto loaded = IncidentsLocked();
    if (!loaded.ok()) return ErrorResponse(500, loaded.status().message());
    stored = std::move(*loaded);
  }
  const std::vector<StoredIncident>* incidents = &stored->incidents;
  Json list = Json::array();
  std::set<std::string> owners;
  // Newest first: the dashboard's list starts with what is happening now.
  for (auto it = incidents->rbegin(); it != incidents->rend(); ++it) {
    const IncidentRecord& rec = it->record;
    owners.insert(rec.owner);
    if (!status.empty() && !status.count(rec.status)) continue;
    if (!owner.empty() && !owner.count(rec.owner)) continue;
    if (!severity.empty() && !severity.count(rec.severity)) continue;
    if (!metric.empty() && !metric.count(rec.metric)) continue;
    list.push_back(IncidentSummary(*it));
  }
  return JsonResponse({{"incidents", list}, {"count", list.size()}, {"total", incidents->size()},
                       {"owners", owners}});
}

HttpResponse Service::GetIncident(const std::string& id) {
  std::lock_guard lock(store_mutex_);
  auto incidents = IncidentsLocked();
  if (!incidents.ok()) return ErrorResponse(500, incidents.status().message());
  for (const StoredIncident& i : (*incidents)->incidents) {
    if (i.record.id != id) continue;
    Json doc = i.document;
    doc["status"] = i.record.status;
    doc["owner"] = OwnerOrNull(i.record.owner);
    doc["updated"] = TimeOrNull(i.record.updated);
    auto feedback = store_->incidents().Feedback(id);
    if (!feedback.ok()) return ErrorResponse(500, feedback.status().message());
    Json list = Json::array();
    for (const FeedbackRecord& f : *feedback) list.push_back(FeedbackJson(f));
    doc["feedback"] = list;
    return JsonResponse(doc);
  }
  return ErrorResponse(404, "no incident '" + id + "'");
}

std::optional<HttpResponse> Service::CheckToken(const HttpRequest& r) const {
  if (token_.empty()) return ErrorResponse(403, "writes are disabled: set server.token in the config to enable them");
  const std::string prefix = "Bearer ";
  if (!r.authorization.starts_with(prefix) || !SameToken(r.authorization.substr(prefix.size()), token_)) {
    HttpResponse out = ErrorResponse(
        401, r.authorization.empty() ? "this endpoint needs 'Authorization: Bearer <server.token>'"
                                     : "the bearer token does not match server.token");
    out.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"vigil\"");
    return out;
  }
  return std::nullopt;
}

HttpResponse Service::PostFeedback(const HttpRequest& r, const std::string& id) {
  if (auto refused = CheckToken(r)) return *refused;
  Json body = Json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return ErrorResponse(400, "the body must be a JSON object: {\"verdict\": ..., \"note\": ...}");
  if (!body.contains("verdict") || !body["verdict"].is_string()) {
    return ErrorResponse(400, "'verdict' is required: true_positive, false_positive or duplicate");
  }
  if (body.contains("note") && !body["note"].is_string()) return ErrorResponse(400, "'note' must be a string");
  FeedbackRecord f{id, body["verdict"].get<std::string>(), body.value("note", std::string()), NowMs()};
  std::lock_guard lock(store_mutex_);
  Status added = store_->incidents().AddFeedback(f);
  if (added.code() == StatusCode::kNotFound) {
    // Incidents that `vigil detect` stored have no lifecycle yet: feedback needs one.
    auto docs = store_->incidents().Documents("incident");
    if (docs.ok()) {
      for (const auto& [doc_id, body_text] : *docs) {
        if (doc_id == id) {
          return ErrorResponse(409, "incident '" + id + "' was found by `vigil detect` but has no lifecycle yet; "
                                    "run `vigil run` to track it, then give feedback");
        }
      }
    }
    return ErrorResponse(404, "no incident '" + id + "'");
  }
  if (!added.ok()) return ErrorResponse(HttpStatusFor(added.code()), added.message());
  ++feedback_;
  return JsonResponse(FeedbackJson(f), 201);
}

HttpResponse Service::Ingest(const HttpRequest& r) {
  if (auto refused = CheckToken(r)) return *refused;
  if (static_cast<int64_t>(r.body.size()) > config_->server.max_body_bytes) {
    ++rejected_bodies_;
    return ErrorResponse(413, fmt::format("the body has {} bytes; the limit is {} (server.max_body_bytes)",
                                          r.body.size(), config_->server.max_body_bytes));
  }
  if (r.body.find_first_not_of(" \t\r\n") == std::string::npos) {
    ++rejected_bodies_;
    return ErrorResponse(400, "the body is empty; send JSON Lines, one event per line");
  }
  // Parse into a scratch cube first: a body with any bad line is refused whole, so a client can
  // fix and resend it without counting the good lines twice.
  Cube scratch(config_);
  IngestOptions options;
  options.threads = 1;
  auto stats = IngestBuffer(r.body, "body", &scratch, options);
  if (!stats.ok()) {
    ++rejected_bodies_;
    return ErrorResponse(HttpStatusFor(stats.status().code()), stats.status().message());
  }
  bad_lines_ += stats->bad_lines;
  if (stats->bad_lines > 0) {
    ++rejected_bodies_;
    const BadLine& first = stats->first_bad_lines.front();
    HttpResponse out = ErrorResponse(
        400, fmt::format("line {}: {} ({} bad line{} of {}; nothing was ingested)", first.line, first.reason,
                         stats->bad_lines, stats->bad_lines == 1 ? "" : "s", stats->lines),
        static_cast<int64_t>(first.line));
    Json body = Json::parse(out.body);
    Json lines = Json::array();
    for (const BadLine& b : stats->first_bad_lines) lines.push_back({{"line", b.line}, {"reason", b.reason}});
    body["error"]["bad_lines"] = lines;
    out.body = Dump(body) + "\n";
    return out;
  }
  if (stats->events == 0) {
    ++rejected_bodies_;
    return ErrorResponse(400, "the body holds no events");
  }
  std::unique_lock cube_lock(cube_mutex_);
  {
    // All or nothing, in memory and in the store alike: a body past limits.max_cells, or one
    // whose save fails, leaves both as they were.
    std::lock_guard store_lock(store_mutex_);
    Status saved = store_->cube().SaveMerged(&cube_, scratch);
    if (!saved.ok()) {
      ++rejected_bodies_;
      std::string message = saved.message();
      if (saved.code() != StatusCode::kLimitExceeded) message += "; nothing was ingested";
      return ErrorResponse(HttpStatusFor(saved.code()), message);
    }
  }
  ++cube_version_;
  cube_events_ = cube_.event_count();
  ingested_events_ += stats->events;
  ingested_lines_ += stats->lines;
  return JsonResponse({{"events", stats->events},
                       {"lines", stats->lines},
                       {"cube_events", cube_.event_count()},
                       {"from", FormatTimestamp(scratch.first_bucket())},
                       {"to", FormatTimestamp(scratch.last_bucket() + config_->granularity_ms)}});
}

HttpResponse Service::Prometheus() {
  std::string out;
  auto family = [&](const char* name, const char* type, const char* help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  auto escape = [](const std::string& v) {  // label values: backslash, quote and newline
    std::string e;
    for (char c : v) {
      if (c == '\\' || c == '"') e += '\\';
      e += c == '\n' ? 'n' : c;
    }
    return e;
  };
  family("vigil_build_info", "gauge", "Version of the running vigil.");
  out += "vigil_build_info{version=\"" VIGIL_VERSION "\"} 1\n";
  {
    std::lock_guard lock(counters_mutex_);
    family("vigil_http_requests_total", "counter", "HTTP requests answered, by route, method and status code.");
    for (const auto& [key, c] : requests_) {
      const auto& [route, method, status] = key;
      out += fmt::format("vigil_http_requests_total{{route=\"{}\",method=\"{}\",code=\"{}\"}} {}\n", escape(route),
                         escape(method), status, c.requests);
    }
    family("vigil_http_request_seconds_total", "counter", "Time spent answering requests, by route.");
    std::map<std::string, double> by_route;
    for (const auto& [key, c] : requests_) by_route[std::get<0>(key)] += c.seconds;
    for (const auto& [route, seconds] : by_route) {
      out += fmt::format("vigil_http_request_seconds_total{{route=\"{}\"}} {:.6f}\n", escape(route), seconds);
    }
  }
  family("vigil_ingested_events_total", "counter", "Events added to the cube through POST /api/ingest.");
  out += fmt::format("vigil_ingested_events_total {}\n", ingested_events_.load());
  family("vigil_ingested_lines_total", "counter", "Input lines accepted through POST /api/ingest.");
  out += fmt::format("vigil_ingested_lines_total {}\n", ingested_lines_.load());
  family("vigil_ingest_bad_lines_total", "counter", "Bad input lines seen by POST /api/ingest.");
  out += fmt::format("vigil_ingest_bad_lines_total {}\n", bad_lines_.load());
  family("vigil_ingest_rejected_bodies_total", "counter", "Ingest bodies refused (bad lines, empty, too large).");
  out += fmt::format("vigil_ingest_rejected_bodies_total {}\n", rejected_bodies_.load());
  family("vigil_feedback_total", "counter", "Verdicts stored through the API.");
  out += fmt::format("vigil_feedback_total {}\n", feedback_.load());
  {
    std::shared_lock lock(cube_mutex_);
    family("vigil_cube_events", "gauge", "Events held in the cube.");
    out += fmt::format("vigil_cube_events {}\n", cube_.event_count());
    family("vigil_cube_cells", "gauge", "Cells held in the cube.");
    out += fmt::format("vigil_cube_cells {}\n", cube_.cell_count());
  }
  family("vigil_http_open_connections", "gauge", "Connections open now.");
  out += fmt::format("vigil_http_open_connections {}\n", open_connections_.load());
  family("vigil_http_connections_total", "counter", "Connections accepted.");
  out += fmt::format("vigil_http_connections_total {}\n", connections_.load());
  family("vigil_http_refused_connections_total", "counter",
         "Connections answered 503 because server.max_connections were open and busy.");
  out += fmt::format("vigil_http_refused_connections_total {}\n", refused_connections_.load());
  family("vigil_http_evicted_connections_total", "counter",
         "Connections closed to make room, when server.max_connections were open, because they had "
         "waited longest for a request or its head.");
  out += fmt::format("vigil_http_evicted_connections_total {}\n", evicted_connections_.load());
  family("vigil_http_refused_heads_total", "counter",
         "Request heads cut short: too large (server.max_header_bytes, server.max_headers) or too slow "
         "(server.header_timeout).");
  out += fmt::format("vigil_http_refused_heads_total{{reason=\"too_large\"}} {}\n", heads_too_large_.load());
  out += fmt::format("vigil_http_refused_heads_total{{reason=\"timeout\"}} {}\n", head_timeouts_.load());
  {
    std::lock_guard lock(store_mutex_);
    auto counts = store_->incidents().Counts();
    std::map<std::string, int64_t> by_status = {{"open", 0}, {"acknowledged", 0}, {"resolved", 0}};
    std::map<std::pair<std::string, std::string>, int64_t> open_by;
    if (counts.ok()) {
      for (const IncidentCount& c : *counts) {
        by_status[c.status] += c.incidents;
        if (c.status != "resolved") open_by[{c.severity, c.owner}] += c.incidents;
      }
    }
    family("vigil_incidents", "gauge", "Stored incidents, by status.");
    for (const auto& [status, n] : by_status) {
      out += fmt::format("vigil_incidents{{status=\"{}\"}} {}\n", escape(status), n);
    }
    family("vigil_unresolved_incidents", "gauge", "Open or acknowledged incidents, by severity and owner.");
    for (const auto& [key, n] : open_by) {
      out += fmt::format("vigil_unresolved_incidents{{severity=\"{}\",owner=\"{}\"}} {}\n", escape(key.first),
                         escape(key.second), n);
    }
  }
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = std::move(out);
  return r;
}

HttpResponse Service::IncidentHtml(const std::string& id) {
  std::shared_lock cube_lock(cube_mutex_);
  std::lock_guard store_lock(store_mutex_);
  auto incidents = IncidentsLocked();
  if (!incidents.ok()) return ErrorResponse(500, incidents.status().message());
  for (const StoredIncident& i : (*incidents)->incidents) {
    if (i.record.id != id) continue;
    IncidentRenderOptions options;
    options.drill_down = true;
    auto feedback = store_->incidents().Feedback(id);
    if (feedback.ok()) options.feedback = *feedback;
    auto html = RenderIncident(cube_, i, options);
    if (!html.ok()) return ErrorResponse(HttpStatusFor(html.status().code()), html.status().message());
    HttpResponse r;
    r.content_type = "text/html; charset=utf-8";
    r.body = std::move(*html);
    return r;
  }
  return ErrorResponse(404, "no incident '" + id + "'");
}

HttpResponse Service::PlotHtml(const HttpRequest& r) {
  auto onset = TimeParam(r, "onset");
  if (!onset.ok()) return ErrorResponse(400, onset.status().message());
  SeriesQuery q;
  ExpectedSeries series;
  if (auto refused = AnswerSeriesQuery(r, &q, &series)) return *refused;
  PlotOptions options;
  options.time_zone = config_->detect.timezone;
  options.onset = *onset;
  options.title = q.metric + " on " + (q.slice.empty() ? std::string("all traffic") : FormatSlice(q.slice));
  if (auto stored = StoredAnomaliesOn(q.metric, q.slice); stored.ok()) {
    for (const StoredAnomaly& an : *stored) options.shades.push_back({an.start, an.end, "anomaly of " + an.incident});
  }
  HttpResponse out;
  out.content_type = "text/html; charset=utf-8";
  out.body = RenderPlot(series, options);
  return out;
}

HttpResponse Service::Asset(const std::string& name) {
  std::string_view bytes;
  if (name == "report.css") bytes = ReportStylesheet();
  else if (name == "plot.js") bytes = PlotScript();
  else bytes = vigil::internal::UiAsset(name);
  if (bytes.empty()) return ErrorResponse(404, "no asset '" + name + "'");
  HttpResponse r;
  if (name.ends_with(".css")) r.content_type = "text/css; charset=utf-8";
  else if (name.ends_with(".js")) r.content_type = "text/javascript; charset=utf-8";
  else if (name.ends_with(".svg")) r.content_type = "image/svg+xml";
  else r.content_type = "text/html; charset=utf-8";
  r.body = std::string(bytes);
  if (name == "index.html") {
    // The dashboard runs only its own scripts; styles may be inline (bar widths).
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:");
  }
  return r;
}

}  // namespace vigil::server
