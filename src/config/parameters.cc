// The parameter table: every configuration key, declared once. Validation, `vigil config docs`
// and docs/config.md all read it.
#include <sstream>

#include "vigil/config.h"

namespace vigil {

const std::vector<ParameterSpec>& ParameterTable() {
  static const std::vector<ParameterSpec> kTable = {
      {"input", "map", "", "How input records map to events."},
      {"input.time", "field path", "ts",
       "Field holding when the turn started: RFC 3339 (UTC or with an offset) or epoch ms."},
      {"input.message", "field path", "error_message",
       "Field with a failed turn's message, clustered into error templates; empty for none."},
      {"input.request_id", "field path", "request_id",
       "Field with the unique id of a turn (kept as examples); empty for none."},
      {"input.device_id", "field path", "device_id",
       "Field with the hashed device id (counted by `distinct` metrics); empty for none."},
      {"input.dimensions", "list", "",
       "Slicing dimensions in cube order. Each item is a field path (its name is the last path "
       "part) or a map with `name` and `field`."},
      {"input.dimensions[].name", "string", "", "Dimension name used in slices and predicates."},
      {"input.dimensions[].field", "field path", "", "Where the dimension is in the input."},
      {"input.measures", "map", "", "Numeric fields: `name: field path` (e.g. `e2e: latency_ms.e2e`)."},
      {"input.measures.<name>", "field path", "", "A measure; missing or null values are normal."},
      {"input.flags", "map", "", "Boolean fields: `name: field path`."},
      {"input.flags.<name>", "field path", "", "A flag (JSON true/false; CSV true/false/1/0)."},
      {"input.stages", "list", "",
       "Measures that are pipeline stages, in order (e.g. endpoint, asr_final, nlu, dialog, "
       "tts_first_audio): latency regressions are attributed to them."},
      {"input.error_stages", "map", "",
       "`code prefix: stage`: failures whose `error_code` attribute starts with the prefix belong to "
       "that stage (e.g. `ASR_: asr_final`); failure regressions are attributed to stages by them."},
      {"input.error_stages.<name>", "string", "", "The stage of one error-code prefix."},
      {"input.attributes", "map", "",
       "String fields used only in predicates, not as dimensions: `name: field path`."},
      {"input.attributes.<name>", "field path", "", "An attribute (e.g. `outcome`)."},
      {"cube", "map", "", "The aggregate cube."},
      {"cube.granularity", "duration", "5m",
       "Width of the finest time bucket (e.g. 1m, 5m, 1h); queries may ask for coarser."},
      {"metrics", "map", "", "Metrics by name, computed per time bucket for any slice."},
      {"metrics.<name>.type", "enum", "",
       "count | rate | quantile | mean | distinct | expression."},
      {"metrics.<name>.where", "predicate", "",
       "rate: the events counted in the numerator (among those matching `of`), e.g. `outcome == 'timeout'`."},
      {"metrics.<name>.of", "predicate", "all events",
       "rate: the denominator, e.g. `conversation_mode == 'full_duplex'`."},
      {"metrics.<name>.measure", "string", "", "quantile, mean: the measure's name."},
      {"metrics.<name>.q", "number", "", "quantile: q in [0, 1], e.g. 0.95."},
      {"metrics.<name>.expr", "expression", "",
       "expression: arithmetic (+ - * / parentheses) over other metrics of the same slice."},
      {"metrics.<name>.unit", "string", "", "For people: ms, turns, ratio, devices..."},
      {"metrics.<name>.description", "string", "", "One line saying what the metric means."},
      {"monitors", "list", "", "What detection watches: one item per metric."},
      {"monitors[].metric", "string", "", "The metric's name."},
      {"monitors[].slices", "list", "[all]",
       "Slices to watch: `all` (all traffic), a dimension name (each of its values), a list of "
       "two dimension names (each pair of values), or a map `{dim: value, ...}` (one slice)."},
      {"monitors[].granularity", "duration", "cube.granularity", "Bucket width judged."},
      {"monitors[].direction", "enum", "up", "up | down | both: which movement is a regression."},
      {"monitors[].min_relative_effect", "number", "0.05",
       "Smallest relative change that matters (0.05 = 5 %)."},
      {"monitors[].min_absolute_effect", "number", "0",
       "Smallest absolute change that matters, in the metric's unit."},
      {"monitors[].min_duration", "duration", "0",
       "How long a change must last before it is an anomaly."},
      {"monitors[].min_volume", "integer", "30", "Buckets with fewer events are not judged."},
      {"store", "map", "", "Where results are kept."},
      {"store.path", "path", "vigil.db",
       "SQLite database; a relative path is relative to the config file's folder."},
      {"limits", "map", "", "Explicit limits; reaching one is reported."},
      {"limits.max_line_bytes", "integer", "1048576", "Longer input lines are rejected as bad."},
      {"limits.max_dimension_values", "integer", "10000",
       "Distinct values kept per dimension; later new values fold into `__other__`."},
      {"limits.dimension_values", "map", "", "Per-dimension overrides: `name: limit`."},
      {"limits.dimension_values.<name>", "integer", "", "Limit for one dimension."},
      {"limits.max_bad_lines_shown", "integer", "10",
       "Bad lines printed with their reason; all are counted."},
      {"limits.max_cells", "integer", "50000000",
       "Cube cells (bucket x combination) kept; ingest stops with an error past it."},
      {"limits.max_series_points", "integer", "100000",
       "Buckets in one series (a query, a plot, a monitored series). A range without a start "
       "covers the latest ones; a longer explicit range is an error."},
      {"detect", "map", "", "How detection judges the monitored series."},
      {"detect.timezone", "string", "UTC",
       "IANA time zone of the daily and weekly cycles (e.g. America/New_York)."},
      {"detect.zone_dimension", "string", "",
       "A dimension (e.g. locale) whose value picks the zone of a slice that fixes it."},
      {"detect.timezones", "map", "", "`value: zone` for zone_dimension (e.g. `de-DE: Europe/Berlin`)."},
      {"detect.timezones.<name>", "string", "", "The IANA zone of one value."},
      {"detect.calendar", "list", "",
       "Periods baselines skip: holidays, planned events. Each: name, start, end, slice."},
      {"detect.calendar[].name", "string", "", "What the period is (e.g. Holi)."},
      {"detect.calendar[].start", "time", "", "Start, RFC 3339 or a date (UTC)."},
      {"detect.calendar[].end", "time", "", "End (exclusive), RFC 3339 or a date (UTC)."},
      {"detect.calendar[].slice", "map", "{}", "Only this slice (e.g. `{locale: hi-IN}`); empty: all."},
      {"detect.calendar[].slice.<name>", "string", "", "The value of one dimension."},
      {"detect.fdr", "number", "0.01",
       "False-discovery rate controlled per evaluation round across all monitored series."},
      {"detect.warmup", "duration", "1d", "History a series needs before it is judged."},
      {"detect.detectors", "list", "[seasonal, cusum]", "Detectors combined by the ensemble."},
      {"alert", "map", "", "How incidents become notifications: lifecycle, routing, sinks."},
      {"alert.resolve_after", "duration", "30m",
       "An incident resolves once its slice has been normal this long (no flapping)."},
      {"alert.notify_non_paging", "boolean", "false",
       "Also notify incidents that page nobody by default (pure traffic-mix shifts)."},
      {"alert.route", "map", "{owner: unowned, sinks: [stdout]}",
       "The routing tree's root. Labels: metric, severity, stage (the top stage), status, "
       "paging, owner and every dimension of the incident's slice."},
      {"alert.route.owner", "string", "unowned", "The owning team of what this node routes."},
      {"alert.route.sinks", "list", "[stdout]", "Sink names that receive what this node routes."},
      {"alert.route.routes", "list", "", "Child nodes, tried in order."},
      {"alert.route.routes[].match", "map", "{}", "`label: value`: every label must equal its value."},
      {"alert.route.routes[].match.<name>", "string", "", "One equality matcher."},
      {"alert.route.routes[].match_re", "map", "{}",
       "`label: regex`: every label must fully match its regular expression."},
      {"alert.route.routes[].match_re.<name>", "string", "", "One regex matcher."},
      {"alert.route.routes[].owner", "string", "parent's", "Owner for what this node routes."},
      {"alert.route.routes[].sinks", "list", "parent's", "Sinks for what this node routes."},
      {"alert.route.routes[].continue", "boolean", "false",
       "After this node matches, keep trying its later siblings (notify several owners)."},
      {"alert.route.routes[].routes", "list", "", "Nested child nodes (same keys)."},
      {"alert.sinks", "list", "[{name: stdout, type: stdout}]", "Notification targets."},
      {"alert.sinks[].name", "string", "", "The name routes refer to."},
      {"alert.sinks[].type", "enum", "", "stdout | jsonl | webhook | alertmanager."},
      {"alert.sinks[].path", "path", "", "jsonl: the file appended to (relative to the config)."},
      {"alert.sinks[].url", "url", "",
       "webhook: the endpoint (POST JSON); alertmanager: the base URL (POST /api/v2/alerts)."},
      {"alert.sinks[].timeout", "duration", "5s", "webhook, alertmanager: per attempt."},
      {"alert.sinks[].retries", "integer", "3", "webhook, alertmanager: attempts after the first."},
      {"alert.sinks[].backoff", "duration", "500ms", "Wait before the first retry, doubled after each."},
      {"server", "map", "", "The HTTP server and dashboard (`vigil serve`)."},
      {"server.token", "string", "",
       "Bearer token that writes (POST /api/ingest, feedback) must present; empty refuses writes. "
       "`env:NAME` reads it from environment variable NAME when the server starts."},
      {"server.max_body_bytes", "integer", "16777216",
       "Largest request body accepted; a larger one is answered 413."},
      {"server.max_connections", "integer", "256",
       "Connections open at once, each with its own thread. A new one past it takes the place of the "
       "one waiting longest for a request or its head; when all are busy, it is answered 503."},
      {"server.max_header_bytes", "integer", "65536",
       "Largest request line and headers together; a larger head is answered 431."},
      {"server.max_headers", "integer", "100", "Most header lines in one request; more are answered 431."},
      {"server.header_timeout", "duration", "10s",
       "Time a client has to send a request's whole head, from its first byte; then 408 and close."},
      {"server.request_timeout", "duration", "60s",
       "Time a request's body and answer may take after its head; then the connection closes."},
      {"ingest", "map", "", "Ingestion."},
      {"ingest.threads", "integer", "0", "Parser threads; 0 uses one per core."},
  };
  return kTable;
}

std::string ConfigReferenceMarkdown() {
  std::ostringstream out;
  out << "# Configuration reference\n\n"
      << "Generated by `vigil config docs` from the parameter table in "
         "`src/config/parameters.cc`; do not edit by hand.\n\n"
      << "`<name>` stands for a name you choose; `[]` for each item of a list.\n\n"
      << "| key | type | default | meaning |\n|---|---|---|---|\n";
  for (const ParameterSpec& p : ParameterTable()) {
    std::string def = p.default_value;
    out << "| `" << p.path << "` | " << p.type << " | " << (def.empty() ? "" : "`" + def + "`")
        << " | " << p.doc << " |\n";
  }
  return out.str();
}

}  // namespace vigil
