// The parameter table: every configuration key, declared once. Validation, `vigil config docs`
// and docs/config.md all read it. Defaults are not written here: they are formatted from
// default-constructed specs, whose initializers (vigil/config.h) are the one place they are set.
#include <charconv>
#include <sstream>

#include "config/names.h"
#include "config/yaml_reader.h"
#include "vigil/config.h"
#include "vigil/time.h"

namespace vigil {
namespace {

// Defaults as they would be written in the file.
std::string Integer(int64_t v) { return std::to_string(v); }

std::string Number(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest form: 0.05, not 0.050000
  return std::string(buf, ec == std::errc() ? end : buf);
}

std::string Boolean(bool v) { return v ? "true" : "false"; }

// A duration in its largest whole unit (5m, 1d); no minimum is written 0.
std::string Duration(int64_t ms) { return ms == 0 ? "0" : FormatDuration(ms); }

// The server's timeouts read best in seconds (60s rather than 1m).
std::string Seconds(int64_t ms) { return std::to_string(ms / kSecondMs) + "s"; }

std::string List(const std::vector<std::string>& items) {
  return "[" + internal::JoinNames(items) + "]";
}

std::string Map(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::vector<std::string> items;
  items.reserve(entries.size());
  for (const auto& [key, value] : entries) items.push_back(key + ": " + value);
  return "{" + internal::JoinNames(items) + "}";
}

std::string Slices(const std::vector<SliceSelector>& selectors) {
  std::vector<std::string> items;
  for (const SliceSelector& s : selectors) {
    switch (s.kind) {
      case SliceSelector::Kind::kAll:
        items.push_back("all");
        break;
      case SliceSelector::Kind::kEachValue:
        items.push_back(s.dimensions.at(0));
        break;
      case SliceSelector::Kind::kEachPair:
        items.push_back(List(s.dimensions));
        break;
      case SliceSelector::Kind::kExplicit:
        items.push_back(Map(s.slice));
        break;
    }
  }
  return List(items);
}

std::string Sinks(const std::vector<SinkSpec>& sinks) {
  std::vector<std::string> items;
  items.reserve(sinks.size());
  for (const SinkSpec& s : sinks) {
    items.push_back(
        Map({{"name", s.name}, {"type", internal::NameOf(internal::kSinkKindNames, s.kind)}}));
  }
  return List(items);
}

std::string Route(const RouteSpec& route) {
  return Map({{"owner", route.owner}, {"sinks", List(route.sinks)}});
}

std::vector<ParameterSpec> BuildTable() {
  const Config c;
  const MonitorSpec monitor;
  const CalendarEntry calendar;
  const RouteSpec child_route;
  const SinkSpec sink;
  return {
      {"input", "map", "", "How input records map to events."},
      {"input.time", "field path", c.input.time_field,
       "Field holding when the turn started: RFC 3339 (UTC or with an offset) or epoch ms."},
      {"input.message", "field path", c.input.message_field,
       "Field with a failed turn's message, clustered into error templates; empty for none."},
      {"input.request_id", "field path", c.input.request_id_field,
       "Field with the unique id of a turn (kept as examples); empty for none."},
      {"input.device_id", "field path", c.input.device_id_field,
       "Field with the hashed device id (counted by `distinct` metrics); empty for none."},
      {"input.dimensions", "list", "",
       "Slicing dimensions in cube order. Each item is a field path (its name is the last path "
       "part) or a map with `name` and `field`."},
      {"input.dimensions[].name", "string", "", "Dimension name used in slices and predicates."},
      {"input.dimensions[].field", "field path", "", "Where the dimension is in the input."},
      {"input.measures", "map", "",
       "Numeric fields: `name: field path` (e.g. `e2e: latency_ms.e2e`)."},
      {"input.measures.<name>", "field path", "", "A measure; missing or null values are normal."},
      {"input.flags", "map", "", "Boolean fields: `name: field path`."},
      {"input.flags.<name>", "field path", "", "A flag (JSON true/false; CSV true/false/1/0)."},
      {"input.stages", "list", "",
       "Measures that are pipeline stages, in order (e.g. endpoint, asr_final, nlu, dialog, "
       "tts_first_audio): latency regressions are attributed to them."},
      {"input.error_stages", "map", "",
       "`code prefix: stage`: failures whose `error_code` attribute starts with the prefix belong "
       "to "
       "that stage (e.g. `ASR_: asr_final`); failure regressions are attributed to stages by "
       "them."},
      {"input.error_stages.<name>", "string", "", "The stage of one error-code prefix."},
      {"input.attributes", "map", "",
       "String fields used only in predicates, not as dimensions: `name: field path`."},
      {"input.attributes.<name>", "field path", "", "An attribute (e.g. `outcome`)."},
      {"cube", "map", "", "The aggregate cube."},
      {"cube.granularity", "duration", Duration(c.granularity_ms),
       "Width of the finest time bucket (e.g. 1m, 5m, 1h); queries may ask for coarser."},
      {"cube.retention", "duration", "",
       "Buckets that start more than this before the newest one are dropped from the cube and the "
       "store (by `vigil serve` after each ingest, by `vigil ingest` and `vigil run` after "
       "theirs), in steps of a 24th of it; unset keeps everything. Keep it longer than the "
       "longest baseline (weeks)."},
      {"cube.tiers", "list", "",
       "Coarser tiers kept longer, e.g. [{granularity: 1h, retention: 35d}, {granularity: 1d, "
       "retention: 400d}]: what passed the finer tier's retention is rolled up (same cells by "
       "dimension values, sketches merged) instead of dropped, in steps of a 24th of that "
       "retention. Monitors and queries read a tier whose granularity divides theirs, so an "
       "hourly baseline reaches weeks back while 5-minute series cover cube.retention."},
      {"cube.tiers[].granularity", "duration", "", "Bucket width of the tier."},
      {"cube.tiers[].retention", "duration", "",
       "How long the tier is kept, counted from the newest bucket."},
      {"metrics", "map", "", "Metrics by name, computed per time bucket for any slice."},
      {"metrics.<name>.type", "enum", "",
       "count | rate | quantile | mean | distinct | expression."},
      {"metrics.<name>.where", "predicate", "",
       "rate: the events counted in the numerator (among those matching `of`), e.g. `outcome == "
       "'timeout'`."},
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
      {"monitors[].slices", "list", Slices(monitor.slices),
       "Slices to watch: `all` (all traffic), a dimension name (each of its values), a list of "
       "two dimension names (each pair of values), or a map `{dim: value, ...}` (one slice)."},
      {"monitors[].each", "list", "",
       "Dimensions whose every value is watched (added to slices), e.g. [platform, os_version, "
       "device_model]; with depth: 2, every pair of them too."},
      {"monitors[].depth", "integer", "1",
       "With each: 1 watches every value of each dimension, 2 also every pair of them."},
      {"monitors[].granularity", "duration", "cube.granularity", "Bucket width judged."},
      {"monitors[].direction", "enum",
       internal::NameOf(internal::kDirectionNames, monitor.direction),
       "up | down | both: which movement is a regression."},
      {"monitors[].min_relative_effect", "number", Number(monitor.min_relative_effect),
       "Smallest relative change that matters (0.05 = 5 %)."},
      {"monitors[].min_absolute_effect", "number", Number(monitor.min_absolute_effect),
       "Smallest absolute change that matters, in the metric's unit."},
      {"monitors[].min_duration", "duration", Duration(monitor.min_duration_ms),
       "How long a change must last before it is an anomaly."},
      {"monitors[].min_volume", "integer", Integer(monitor.min_volume),
       "Buckets with fewer events are not judged."},
      {"store", "map", "", "Where results are kept."},
      {"store.path", "path", c.store_path,
       "SQLite database; a relative path is relative to the config file's folder."},
      {"limits", "map", "", "Explicit limits; reaching one is reported."},
      {"limits.max_line_bytes", "integer", Integer(c.limits.max_line_bytes),
       "Longer input lines are rejected as bad."},
      {"limits.max_dimension_values", "integer", Integer(c.limits.max_dimension_values),
       "Distinct values kept per dimension; later new values fold into `__other__`."},
      {"limits.dimension_values", "map", "", "Per-dimension overrides: `name: limit`."},
      {"limits.dimension_values.<name>", "integer", "", "Limit for one dimension."},
      {"limits.max_bad_lines_shown", "integer", Integer(c.limits.max_bad_lines_shown),
       "Bad lines printed with their reason; all are counted."},
      {"limits.max_cells", "integer", Integer(c.limits.max_cells),
       "Cube cells (bucket x combination) kept; ingest stops with an error past it."},
      {"limits.max_series_points", "integer", Integer(c.limits.max_series_points),
       "Buckets in one series (a query, a plot, a monitored series). A range without a start "
       "covers the latest ones; a longer explicit range is an error."},
      {"detect", "map", "", "How detection judges the monitored series."},
      {"detect.timezone", "string", c.detect.timezone,
       "IANA time zone of the daily and weekly cycles (e.g. America/New_York)."},
      {"detect.zone_dimension", "string", "",
       "A dimension (e.g. locale) whose value picks the zone of a slice that fixes it; a slice "
       "that does not (all traffic, a platform) follows the zones its traffic lives in."},
      {"detect.timezones", "map", "",
       "`value: zone` for zone_dimension (e.g. `de-DE: Europe/Berlin`). A locale not listed "
       "takes its country's zone from tzdata (th-TH: Asia/Bangkok), else `detect.timezone`."},
      {"detect.timezones.<name>", "string", "", "The IANA zone of one value."},
      {"detect.calendar", "list", "",
       "Periods baselines skip: holidays, planned events. Each: name, start, end, slice."},
      {"detect.calendar[].name", "string", "", "What the period is (e.g. Holi)."},
      {"detect.calendar[].start", "time", "", "Start, RFC 3339 or a date (UTC)."},
      {"detect.calendar[].end", "time", "", "End (exclusive), RFC 3339 or a date (UTC)."},
      {"detect.calendar[].slice", "map", Map(calendar.slice),
       "Only this slice (e.g. `{locale: hi-IN}`); empty: all."},
      {"detect.calendar[].slice.<name>", "string", "", "The value of one dimension."},
      {"detect.fdr", "number", Number(c.detect.fdr),
       "False-discovery rate controlled per evaluation round across all monitored series."},
      {"detect.warmup", "duration", Duration(c.detect.warmup_ms),
       "History a series needs before it is judged."},
      {"detect.detectors", "list", List(c.detect.detectors),
       "Detectors combined by the ensemble (seasonal, cusum, nab), and `multivariate`: an "
       "isolation forest over each monitored slice's metric residuals, with attributions."},
      {"detect.multivariate_granularity", "duration",
       Duration(c.detect.multivariate_granularity_ms),
       "Buckets the multivariate detector judges a slice's metrics in (finer metrics combined, "
       "coarser ones left out)."},
      {"alert", "map", "", "How incidents become notifications: lifecycle, routing, sinks."},
      {"alert.resolve_after", "duration", Duration(c.alert.resolve_after_ms),
       "An incident resolves once its slice has been normal this long (no flapping)."},
      {"alert.notify_non_paging", "boolean", Boolean(c.alert.notify_non_paging),
       "Also notify incidents that page nobody by default (pure traffic-mix shifts)."},
      {"alert.repeat_interval", "duration", Duration(c.alert.repeat_interval_ms),
       "A sink told that an incident fires is told again after this long while it still does."},
      {"alert.route", "map", Route(c.alert.route),
       "The routing tree's root. Labels: metric, severity, stage (the top stage), status, "
       "paging, owner and every dimension of the incident's slice."},
      {"alert.route.owner", "string", c.alert.route.owner,
       "The owning team of what this node routes."},
      {"alert.route.sinks", "list", List(c.alert.route.sinks),
       "Sink names that receive what this node routes."},
      {"alert.route.routes", "list", "", "Child nodes, tried in order."},
      {"alert.route.routes[].match", "map", Map(child_route.match),
       "`label: value`: every label must equal its value."},
      {"alert.route.routes[].match.<name>", "string", "", "One equality matcher."},
      {"alert.route.routes[].match_re", "map", Map(child_route.match_re),
       "`label: regex`: every label must fully match its regular expression."},
      {"alert.route.routes[].match_re.<name>", "string", "", "One regex matcher."},
      {"alert.route.routes[].owner", "string", "parent's", "Owner for what this node routes."},
      {"alert.route.routes[].sinks", "list", "parent's", "Sinks for what this node routes."},
      {"alert.route.routes[].continue", "boolean", Boolean(child_route.continue_matching),
       "After this node matches, keep trying its later siblings (notify several owners)."},
      {"alert.route.routes[].routes", "list", "", "Nested child nodes (same keys)."},
      {"alert.sinks", "list", Sinks(c.alert.sinks), "Notification targets."},
      {"alert.sinks[].name", "string", "", "The name routes refer to."},
      {"alert.sinks[].type", "enum", "", "stdout | jsonl | webhook | alertmanager."},
      {"alert.sinks[].path", "path", "", "jsonl: the file appended to (relative to the config)."},
      {"alert.sinks[].url", "url", "",
       "webhook: the endpoint (POST JSON); alertmanager: the base URL (POST /api/v2/alerts)."},
      {"alert.sinks[].timeout", "duration", Duration(sink.timeout_ms),
       "webhook, alertmanager: per attempt."},
      {"alert.sinks[].retries", "integer", Integer(sink.retries),
       "webhook, alertmanager: attempts after the first."},
      {"alert.sinks[].backoff", "duration", Duration(sink.backoff_ms),
       "Wait before the first retry, doubled after each."},
      {"server", "map", "", "The HTTP server and dashboard (`vigil serve`)."},
      {"server.token", "string", "",
       "Bearer token that writes (POST /api/ingest, feedback) must present; empty refuses writes. "
       "`env:NAME` reads it from environment variable NAME when the server starts."},
      {"server.max_body_bytes", "integer", Integer(c.server.max_body_bytes),
       "Largest request body accepted; a larger one is answered 413."},
      {"server.max_connections", "integer", Integer(c.server.max_connections),
       "Connections open at once, each with its own thread. A new one past it takes the place of "
       "the "
       "one waiting longest for a request or its head; when all are busy, it is answered 503."},
      {"server.max_header_bytes", "integer", Integer(c.server.max_header_bytes),
       "Largest request line and headers together; a larger head is answered 431."},
      {"server.max_headers", "integer", Integer(c.server.max_headers),
       "Most header lines in one request; more are answered 431."},
      {"server.header_timeout", "duration", Seconds(c.server.header_timeout_ms),
       "Time a client has to send a request's whole head, from its first byte; then 408 and "
       "close."},
      {"server.request_timeout", "duration", Seconds(c.server.request_timeout_ms),
       "Time a request's body and answer may take after its head; then the connection closes."},
      {"server.detect", "boolean", Boolean(c.server.detect),
       "Judge each bucket as it closes, update incidents and notify their sinks; false: ingest "
       "and answer queries only."},
      {"server.lateness", "duration", Duration(c.server.lateness_ms),
       "How long after a bucket ends its events may still arrive: it is judged once the newest "
       "event is this far past its end. Later events are kept and counted as late (/metrics)."},
      {"server.follow", "list", "",
       "JSON Lines files, or directories of them (`*.jsonl`, `*.json`), followed like `tail -F`: "
       "new files and appended lines are ingested, and the read offset is stored with the cube, "
       "so a restart resumes exactly. Relative to the config."},
      {"ingest", "map", "", "Ingestion."},
      {"ingest.threads", "integer", Integer(c.threads), "Parser threads; 0 uses one per core."},
  };
}

}  // namespace

const std::vector<ParameterSpec>& ParameterTable() {
  static const std::vector<ParameterSpec> kTable = BuildTable();
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
