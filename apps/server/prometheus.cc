// GET /metrics: vigil's own counters and gauges in the Prometheus text exposition format 0.0.4.
#include <fmt/format.h>

#include <map>
#include <mutex>
#include <shared_mutex>

#include "server/server.h"

namespace vigil::server {

HttpResponse Service::Prometheus() {
  std::string out;
  auto family = [&](const char* name, const char* type, const char* help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  // A family with one unlabelled sample.
  auto single = [&](const char* name, const char* type, const char* help, uint64_t value) {
    family(name, type, help);
    out += fmt::format("{} {}\n", name, value);
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
    family("vigil_http_requests_total", "counter",
           "HTTP requests answered, by route, method and status code.");
    for (const auto& [key, c] : requests_) {
      const auto& [route, method, status] = key;
      out += fmt::format("vigil_http_requests_total{{route=\"{}\",method=\"{}\",code=\"{}\"}} {}\n",
                         escape(route), escape(method), status, c.requests);
    }
    family("vigil_http_request_seconds_total", "counter",
           "Time spent answering requests, by route.");
    std::map<std::string, double> by_route;
    for (const auto& [key, c] : requests_) by_route[std::get<0>(key)] += c.seconds;
    for (const auto& [route, seconds] : by_route) {
      out += fmt::format("vigil_http_request_seconds_total{{route=\"{}\"}} {:.6f}\n", escape(route),
                         seconds);
    }
  }
  single("vigil_ingested_events_total", "counter",
         "Events added to the cube through POST /api/ingest, standard input and followed files.",
         ingested_events_.load());
  single("vigil_ingested_lines_total", "counter",
         "Input lines accepted through POST /api/ingest, standard input and followed files.",
         ingested_lines_.load());
  single("vigil_ingest_bad_lines_total", "counter",
         "Bad input lines seen by POST /api/ingest, standard input and followed files.",
         bad_lines_.load());
  single("vigil_ingest_rejected_bodies_total", "counter",
         "Ingest bodies refused (bad lines, empty, too large).", rejected_bodies_.load());
  single("vigil_ingest_repeated_bodies_total", "counter",
         "Ingest bodies whose Idempotency-Key the store already held (answered, not counted).",
         repeated_bodies_.load());
  single("vigil_late_events_total", "counter",
         "Events that arrived for buckets already judged (after server.lateness); kept, and judged "
         "again by the next round.",
         late_events_.load());
  single("vigil_expired_events_total", "counter",
         "Events dropped with their buckets past cube.retention.", expired_events_.load());
  single("vigil_judge_rounds_total", "counter", "Rounds of detection run as buckets closed.",
         judge_rounds_.load());
  single("vigil_judge_failures_total", "counter", "Rounds of detection that failed.",
         judge_failures_.load());
  family("vigil_judged_before_seconds", "gauge",
         "Every bucket before this time (Unix seconds) has been judged.");
  out += fmt::format("vigil_judged_before_seconds {}\n", judged_before_.load() / 1000);
  family("vigil_judge_round_seconds", "gauge", "Duration of the last round of detection.");
  out += fmt::format("vigil_judge_round_seconds {:.3f}\n", last_round_seconds_.load());
  family("vigil_notification_lag_seconds", "gauge",
         "From the ingest that closed a bucket to the end of the round that judged it: the last "
         "round's, and the largest since the start.");
  out += fmt::format("vigil_notification_lag_seconds{{round=\"last\"}} {:.3f}\n",
                     last_lag_seconds_.load());
  out += fmt::format("vigil_notification_lag_seconds{{round=\"max\"}} {:.3f}\n",
                     max_lag_seconds_.load());
  family("vigil_notifications_total", "counter", "Notifications sent by the service's rounds.");
  out +=
      fmt::format("vigil_notifications_total{{result=\"sent\"}} {}\n", notifications_sent_.load());
  out += fmt::format("vigil_notifications_total{{result=\"failed\"}} {}\n",
                     notifications_failed_.load());
  single("vigil_feedback_total", "counter", "Verdicts stored through the API.", feedback_.load());
  {
    std::shared_lock lock(cube_mutex_);
    family("vigil_cube_events", "gauge", "Events held in the cube.");
    out += fmt::format("vigil_cube_events {}\n", cube_.event_count());
    family("vigil_cube_cells", "gauge", "Cells held in the cube.");
    out += fmt::format("vigil_cube_cells {}\n", cube_.cell_count());
    // Cardinality guards: how close each dimension is to its limit, and what was folded.
    const auto& dims = config_->input.dimensions;
    family("vigil_dimension_values", "gauge", "Distinct values a dimension holds.");
    for (size_t d = 0; d < dims.size(); ++d)
      out += fmt::format("vigil_dimension_values{{dimension=\"{}\"}} {}\n", dims[d].name,
                         cube_.DimensionValues(static_cast<int>(d)).size());
    family("vigil_dimension_value_limit", "gauge",
           "The cardinality limit of a dimension (limits.dimension_values).");
    for (size_t d = 0; d < dims.size(); ++d)
      out += fmt::format("vigil_dimension_value_limit{{dimension=\"{}\"}} {}\n", dims[d].name,
                         config_->DimensionLimit(static_cast<int>(d)));
    family("vigil_dimension_folded_events_total", "counter",
           "Events whose value of a dimension was folded into __other__ at its limit.");
    std::vector<uint64_t> folded(dims.size(), 0);
    for (const FoldReport& f : cube_.Folds())
      for (size_t d = 0; d < dims.size(); ++d)
        if (dims[d].name == f.dimension) folded[d] += f.events;
    for (size_t d = 0; d < dims.size(); ++d)
      out += fmt::format("vigil_dimension_folded_events_total{{dimension=\"{}\"}} {}\n",
                         dims[d].name, folded[d]);
  }
  single("vigil_http_open_connections", "gauge", "Connections open now.", open_connections_.load());
  single("vigil_http_connections_total", "counter", "Connections accepted.", connections_.load());
  single("vigil_http_refused_connections_total", "counter",
         "Connections answered 503 because server.max_connections were open and busy.",
         refused_connections_.load());
  single("vigil_http_evicted_connections_total", "counter",
         "Connections closed to make room, when server.max_connections were open, because they had "
         "waited longest for a request or its head.",
         evicted_connections_.load());
  family("vigil_http_refused_heads_total", "counter",
         "Request heads cut short: too large (server.max_header_bytes, server.max_headers) or too "
         "slow "
         "(server.header_timeout).");
  out += fmt::format("vigil_http_refused_heads_total{{reason=\"too_large\"}} {}\n",
                     heads_too_large_.load());
  out += fmt::format("vigil_http_refused_heads_total{{reason=\"timeout\"}} {}\n",
                     head_timeouts_.load());
  {
    std::lock_guard lock(store_mutex_);
    // Counted by the store's membership index: no document is decoded for a scrape.
    auto counts = store_->incidents().Counts();
    std::map<std::string, int64_t> by_status;
    for (IncidentStatus s :
         {IncidentStatus::kOpen, IncidentStatus::kAcknowledged, IncidentStatus::kResolved}) {
      by_status[std::string(ToString(s))] = 0;
    }
    std::map<std::pair<std::string, std::string>, int64_t> open_by;
    if (counts.ok()) {
      for (const IncidentCount& c : *counts) {
        by_status[c.status] += c.incidents;
        Result<IncidentStatus> status = ParseIncidentStatus(c.status);
        if (!status.ok() || *status != IncidentStatus::kResolved)
          open_by[{c.severity, c.owner}] += c.incidents;
      }
    }
    family("vigil_incidents", "gauge", "Stored incidents, by status.");
    for (const auto& [status, n] : by_status) {
      out += fmt::format("vigil_incidents{{status=\"{}\"}} {}\n", escape(status), n);
    }
    family("vigil_unresolved_incidents", "gauge",
           "Open or acknowledged incidents, by severity and owner.");
    for (const auto& [key, n] : open_by) {
      out += fmt::format("vigil_unresolved_incidents{{severity=\"{}\",owner=\"{}\"}} {}\n",
                         escape(key.first), escape(key.second), n);
    }
  }
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = std::move(out);
  return r;
}

}  // namespace vigil::server
