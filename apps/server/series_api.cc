// The metrics and series resources: GET /api/metrics (the catalog of metrics and dimension
// values) and GET /api/series (a series with its expected band and the stored anomalies on it).
#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <shared_mutex>

#include "incident/incident_codec.h"
#include "server/api_common.h"
#include "server/response_cache.h"
#include "server/server.h"

namespace vigil::server {
namespace {

using internal::Dump;
using internal::Json;
using internal::JsonResponse;
using internal::NumberOrNull;
using internal::Param;
using internal::TimeOrNull;
using internal::TimeParam;

// Series longer than this are refused: the caller should ask for a coarser granularity.
constexpr int64_t kMaxSeriesPoints = 100000;

// A slice's pairs by dimension name: slices from a query and from a document compare equal
// whatever order each lists its dimensions in.
Slice InNameOrder(Slice slice) {
  std::sort(slice.begin(), slice.end());
  return slice;
}

}  // namespace

HttpResponse Service::Metrics() {
  std::shared_lock lock(cube_mutex_);
  const Config& c = *config_;
  std::set<std::string> monitored;
  for (const MonitorSpec& m : c.monitors) monitored.insert(m.metric);
  Json metrics = Json::array();
  for (const MetricSpec& m : c.metrics) {
    Json granularities = Json::array();
    for (const MonitorSpec& mon : c.monitors) {
      if (mon.metric == m.name)
        granularities.push_back(
            FormatDuration(mon.granularity_ms ? mon.granularity_ms : c.granularity_ms));
    }
    metrics.push_back({{"name", m.name},
                       {"type", MetricTypeName(m.type)},
                       {"unit", m.unit},
                       {"description", m.description},
                       {"monitored", monitored.count(m.name) > 0},
                       {"monitor_granularities", granularities}});
  }
  bool empty = cube_.event_count() == 0;
  Json rest = {
      {"metrics", metrics},
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
    std::sort(sorted.begin(), sorted.end(),
              [](const std::string* a, const std::string* b) { return *a < *b; });
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
  if (*from && *to && *to <= *from)
    return ErrorResponse(400, "parameter 'to' must be after 'from'");
  q->from = *from;
  q->to = *to;
  if (std::string g = Param(r, "granularity"); !g.empty() && g != "0") {
    auto parsed = ParseDuration(g);
    if (!parsed.ok())
      return ErrorResponse(400, "parameter 'granularity': " + parsed.status().message());
    q->granularity = *parsed;
  }
  std::shared_lock lock(cube_mutex_);
  if (cube_.event_count() == 0)
    return ErrorResponse(404, "the store holds no events yet; POST /api/ingest first");
  int64_t g = q->granularity ? q->granularity : config_->granularity_ms;
  TimeMs a = q->from ? q->from : cube_.first_bucket();
  TimeMs b = q->to ? q->to : cube_.last_bucket() + config_->granularity_ms;
  if (g > 0 && (b - a) / g > kMaxSeriesPoints) {
    return ErrorResponse(
        400, fmt::format("more than {} points; ask for a coarser granularity", kMaxSeriesPoints));
  }
  auto computed = BandedSeriesLocked(*q);
  if (!computed.ok())
    return ErrorResponse(HttpStatusFor(computed.status().code()), computed.status().message());
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
  if (h.points.empty() || g <= 0)
    return SeriesWithBand(cube_, q.metric, q.slice, q.from, q.to, q.granularity);
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

Result<std::vector<Service::StoredAnomaly>> Service::StoredAnomaliesOn(const std::string& metric,
                                                                       const Slice& slice) {
  std::shared_ptr<const IncidentList> list;
  {
    std::lock_guard store_lock(store_mutex_);
    VIGIL_ASSIGN_OR_RETURN(list, IncidentsLocked());
  }
  const Slice wanted = InNameOrder(slice);
  std::vector<StoredAnomaly> out;
  for (const StoredIncident& inc : list->incidents) {
    for (const Anomaly* an : inc.incident.members()) {
      if (an->metric != metric || InNameOrder(an->slice) != wanted) continue;
      out.push_back({inc.record.id, inc.record.status, *an});
    }
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
    const Anomaly& m = an.member;
    if (m.start >= range_to || (m.end && m.end <= range_from)) continue;
    // The figures as the document states them (a NaN baseline is written as null).
    anomalies.push_back({{"incident", an.incident},
                         {"status", an.status},
                         {"start", FormatTimestamp(m.start)},
                         {"end", TimeOrNull(m.end)},
                         {"baseline", Json(m.baseline)},
                         {"observed", Json(m.observed)},
                         {"confidence", Json(m.confidence)}});
  }
  return JsonResponse({{"metric", series.metric},
                       {"slice", SliceToJson(series.slice)},
                       {"unit", series.unit},
                       {"granularity", FormatDuration(series.granularity_ms)},
                       {"timezone", config_->detect.timezone},
                       {"points", points},
                       {"anomalies", anomalies}});
}

}  // namespace vigil::server
