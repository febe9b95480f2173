// The configuration: how input fields map to time, dimensions, measures, flags and ids; the
// metrics computed per time bucket; the monitors that detection watches; store and limits.
// Every key is declared once in the parameter table (ParameterTable()), which drives validation,
// `vigil config docs` and docs/config.md; every default is written once, as an initializer here.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/event.h"
#include "vigil/status.h"

namespace vigil {

/// A named input field and where it is found (a dotted path such as `latency_ms.e2e`).
struct FieldSpec {
  std::string name;
  std::string path;
};

/// How raw records map to events.
struct InputMapping {
  std::string time_field = "ts";
  std::string request_id_field = "request_id";  ///< empty: none
  /// Failure message of a turn (clustered into error templates); empty: none.
  std::string message_field = "error_message";
  std::string device_id_field = "device_id";  ///< empty: none
  std::vector<FieldSpec> dimensions;          ///< slicing dimensions, in cube order
  std::vector<FieldSpec> measures;            ///< numeric values (e.g. latencies in ms)
  std::vector<FieldSpec> flags;               ///< booleans (e.g. rephrased)
  std::vector<FieldSpec> attributes;          ///< strings used only by predicates (e.g. outcome)
  /// Measures that are pipeline stages, in pipeline order (indices into `measures`); a latency
  /// regression is attributed to them.
  std::vector<int> stages;
  /// Error-code prefixes and the stage (index into `measures`) whose failures they are, read
  /// from the attribute named `error_code`; failure regressions are attributed through them.
  std::vector<std::pair<std::string, int>> error_stages;
  int error_code_attribute = -1;  ///< index of the `error_code` attribute, -1 when none
};

/// A boolean condition over one event's fields, compiled from text such as
/// `outcome == 'ok' and e2e < 1500 and not rephrased`.
class Predicate {
 public:
  /// Compiles `text` against the mapping's field names; errors name the position and the field.
  static Result<Predicate> Compile(std::string_view text, const InputMapping& mapping);
  /// True when the event satisfies the condition. A comparison on a missing value is false.
  bool Matches(const Event& event) const;
  /// The source text, normalized (used to share counters between metrics).
  const std::string& text() const { return text_; }
  /// Opaque compiled form.
  struct Node;

 private:
  std::string text_;
  std::shared_ptr<const Node> root_;
};

/// An arithmetic expression over other metrics of the same slice, e.g. `1 - failure_rate`.
class MetricExpression {
 public:
  static Result<MetricExpression> Parse(std::string_view text);
  /// Metric names the expression reads, in order of first use.
  const std::vector<std::string>& inputs() const { return inputs_; }
  /// Evaluates with `values[i]` the value of inputs()[i]; NaN propagates, x/0 is NaN.
  double Evaluate(const std::vector<double>& values) const;
  const std::string& text() const { return text_; }
  struct Node;

 private:
  std::string text_;
  std::vector<std::string> inputs_;
  std::shared_ptr<const Node> root_;
};

enum class MetricType { kCount, kRate, kQuantile, kMean, kDistinct, kExpression };

/// "count", "rate", ...
const char* MetricTypeName(MetricType type);

/// One metric, computed per time bucket for any slice.
struct MetricSpec {
  std::string name;
  MetricType type = MetricType::kCount;
  std::string description;
  std::string unit;  ///< for people: "ms", "turns", "ratio", "devices"
  // kRate: share of events matching `where` among events matching `of` (all when unset).
  std::optional<Predicate> where;
  std::optional<Predicate> of;
  // kQuantile and kMean: the measure (index into InputMapping::measures) and q.
  int measure = -1;
  double q = 0.5;
  // kExpression
  std::optional<MetricExpression> expression;
  std::vector<int> expression_inputs;  ///< metric indices of expression->inputs()
  int line = 0;                        ///< where it is declared
};

enum class Direction { kUp, kDown, kBoth };

/// Which slices of a metric a monitor watches.
struct SliceSelector {
  enum class Kind { kAll, kEachValue, kEachPair, kExplicit };
  Kind kind = Kind::kAll;
  std::vector<std::string> dimensions;                     ///< kEachValue: 1, kEachPair: 2
  std::vector<std::pair<std::string, std::string>> slice;  ///< kExplicit
};

/// A metric watched over slices at a granularity (used by detection).
struct MonitorSpec {
  std::string metric;
  std::vector<SliceSelector> slices = {SliceSelector{}};  ///< all traffic unless told otherwise
  int64_t granularity_ms = 0;                             ///< 0: the cube's granularity
  Direction direction = Direction::kUp;
  double min_relative_effect = 0.05;
  double min_absolute_effect = 0;
  int64_t min_duration_ms = 0;
  int64_t min_volume = 30;  ///< buckets with fewer events are not judged
  int line = 0;
};

/// A period that baselines skip (a holiday, a planned event), for all traffic or one slice.
struct CalendarEntry {
  std::string name;
  int64_t start = 0;                                       ///< UTC ms, inclusive
  int64_t end = 0;                                         ///< UTC ms, exclusive
  std::vector<std::pair<std::string, std::string>> slice;  ///< empty: everything
};

/// How detection judges the monitored series.
struct DetectSpec {
  std::string timezone = "UTC";  ///< zone of the daily and weekly cycles (IANA name)
  /// Slices that fix this dimension take the zone of its value from `timezones`.
  std::string zone_dimension;
  std::map<std::string, std::string> timezones;
  std::vector<CalendarEntry> calendar;
  double fdr = 0.01;           ///< Benjamini–Hochberg level per evaluation round
  int64_t warmup_ms = kDayMs;  ///< history needed before a series is judged
  /// Ensemble members of each series, and `multivariate` (kMultivariateDetector) for a model of
  /// each monitored slice's metrics together.
  std::vector<std::string> detectors = {"seasonal", "cusum"};
  /// The buckets the multivariate detector judges a slice's metrics in: finer metrics are
  /// combined into them, coarser ones are left out. A multiple of cube.granularity.
  int64_t multivariate_granularity_ms = 15 * kMinuteMs;
  /// `detectors` lists kMultivariateDetector.
  bool multivariate() const;
};

/// The name of the multivariate detector in `detect.detectors` (detect.h, Attributions): not a
/// member of one series' ensemble but an isolation forest over each monitored slice's metrics.
inline constexpr const char* kMultivariateDetector = "multivariate";

/// The detectors `detect.detectors` may name, in the order `vigil config check` lists them. The
/// detect module registers each under the same name (its registry test ties the two lists), so a
/// name outside this list is a config error rather than a detector silently left out.
inline const std::vector<std::string>& EnsembleMemberNames() {
  static const std::vector<std::string> names = {"seasonal", "cusum", "nab"};
  return names;
}

/// Every name `detect.detectors` accepts: the ensemble members, then kMultivariateDetector.
inline const std::vector<std::string>& DetectorNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> all = EnsembleMemberNames();
    all.emplace_back(kMultivariateDetector);
    return all;
  }();
  return names;
}

/// A node of the routing tree (Alertmanager semantics): an incident whose labels satisfy every
/// matcher goes down into the first child that matches (and into later siblings after a child
/// with `continue_matching`); where no child matches, this node routes it. Owner and sinks are
/// inherited from the parent when not set.
struct RouteSpec {
  std::vector<std::pair<std::string, std::string>> match;     ///< label equals value
  std::vector<std::pair<std::string, std::string>> match_re;  ///< label fully matches regex
  std::string owner;
  std::vector<std::string> sinks;
  bool continue_matching = false;
  std::vector<RouteSpec> routes;
  int line = 0;
};

/// Where notifications go.
struct SinkSpec {
  enum class Kind { kStdout, kJsonLines, kWebhook, kAlertmanager };
  std::string name;
  Kind kind = Kind::kStdout;
  std::string path;  ///< kJsonLines: the file (relative to the config's folder)
  std::string url;   ///< kWebhook: the endpoint; kAlertmanager: the base URL
  int64_t timeout_ms = 5000;
  int retries = 3;           ///< after the first attempt
  int64_t backoff_ms = 500;  ///< doubled after every failed attempt
  int line = 0;
};

/// How incidents become notifications.
struct AlertSpec {
  /// An incident resolves once its slice has been normal this long (hysteresis: a brief dip
  /// back to normal does not resolve and re-open it).
  int64_t resolve_after_ms = 30 * kMinuteMs;
  /// Also notify incidents that page nobody by default (pure traffic-mix shifts).
  bool notify_non_paging = false;
  /// A sink that was told an incident fires is told again after this long while it still does
  /// (Alertmanager's repeat_interval).
  int64_t repeat_interval_ms = 4 * kHourMs;
  /// The root of the routing tree; it keeps this owner and these sinks when the file leaves
  /// them out.
  RouteSpec route = [] {
    RouteSpec root;
    root.owner = "unowned";
    root.sinks = {"stdout"};
    return root;
  }();
  /// By name. The sinks here by default (`stdout`) exist unless the file redefines them.
  std::vector<SinkSpec> sinks = [] {
    SinkSpec out;
    out.name = "stdout";
    return std::vector<SinkSpec>{out};
  }();
};

/// The HTTP server (`vigil serve`).
struct ServerSpec {
  /// Bearer token that writes (ingest, feedback) must present; empty: writes are refused. The
  /// form `env:NAME` names an environment variable holding it (read by the server at start).
  std::string token;
  int64_t max_body_bytes = 16 << 20;    ///< larger request bodies are refused
  int64_t max_connections = 256;        ///< open connections; a new one past it is answered 503
  int64_t max_header_bytes = 64 << 10;  ///< a request's line and headers together
  int64_t max_headers = 100;            ///< header lines of one request
  int64_t header_timeout_ms = 10000;    ///< a request's whole head, from its first byte
  int64_t request_timeout_ms = 60000;   ///< a request's body and answer, after its head
  /// Judge each bucket as it closes, update incidents and notify their sinks (the service's
  /// detection); false: the server ingests and answers queries only.
  bool detect = true;
  /// How long after a bucket ends its events may still arrive: a bucket is judged once the
  /// newest event time is this far past its end (the watermark). Later events are still kept,
  /// and counted as late.
  int64_t lateness_ms = 5 * kMinuteMs;
  /// JSON Lines files, or directories of them, followed like `tail -F` (relative to the config).
  std::vector<std::string> follow;
};

/// Explicit limits; reaching one is reported, never silent.
struct Limits {
  int64_t max_line_bytes = 1 << 20;
  int64_t max_dimension_values = 10000;             ///< default cardinality per dimension
  std::map<std::string, int64_t> dimension_values;  ///< per-dimension overrides
  int64_t max_bad_lines_shown = 10;
  int64_t max_cells = 50'000'000;
  int64_t max_series_points = 100'000;  ///< buckets in one series; see ResolveRange in the cube
};

/// A loaded, validated configuration.
struct Config {
  std::string path;      ///< the file it came from ("" for text)
  std::string base_dir;  ///< relative paths resolve against this
  InputMapping input;
  int64_t granularity_ms = 5 * kMinuteMs;
  /// Buckets that start more than this before the newest one are dropped from the cube and the
  /// store (0: kept for good), so memory and disk stay flat as history grows; with `tiers`, they
  /// are rolled up into the first tier instead.
  int64_t retention_ms = 0;
  /// A coarser tier of the cube (`cube.tiers`): what passed the previous tier's retention is
  /// rolled up to this granularity (the same cells by dimension values, sketches merged) and
  /// kept for this retention, counted from the newest bucket.
  struct RetentionTier {
    int64_t granularity_ms = 0;
    int64_t retention_ms = 0;
  };
  std::vector<RetentionTier> tiers;  ///< coarser and longer each
  std::vector<MetricSpec> metrics;
  std::vector<MonitorSpec> monitors;
  std::string store_path = "vigil.db";  ///< absolute or relative to base_dir; see StorePath()
  Limits limits;
  DetectSpec detect;
  AlertSpec alert;
  ServerSpec server;
  int threads = 0;  ///< ingest threads; 0 = one per core

  /// Loads and validates a YAML file. Errors are kConfig and read `FILE:LINE: key 'k': why`,
  /// with the nearest valid key suggested for unknown keys.
  static Result<Config> Load(const std::string& path);
  /// Parses YAML text; `origin` names it in messages.
  static Result<Config> Parse(std::string_view yaml, const std::string& origin = "<config>",
                              const std::string& base_dir = ".");

  /// Index of a metric by name, or -1.
  int FindMetric(std::string_view name) const;
  /// Index of a dimension by name, or -1.
  int FindDimension(std::string_view name) const;
  /// The store path with relative paths resolved against the config file's folder.
  std::string StorePath() const;
  /// A path from the config (a sink's file) resolved against the config file's folder.
  std::string ResolvePath(const std::string& relative) const;
  /// The cardinality limit of dimension `index`.
  int64_t DimensionLimit(int index) const;
  /// Predicates the cube counts per cell (distinct texts over all rate metrics), in order.
  std::vector<const Predicate*> CountedPredicates() const;
  /// A stable fingerprint of everything that shapes the cube's cells (mapping, granularity,
  /// predicates); cubes merge and stores reopen only with the same fingerprint.
  std::string CubeFingerprint() const;
};

/// One key of the configuration file, declared once.
struct ParameterSpec {
  const char* path;  ///< e.g. "cube.granularity", "metrics.<name>.type", "monitors[].metric"
  const char* type;  ///< "string", "integer", "number", "duration", "list", "map", ...
  /// The value an absent key takes, as it would be written in the file; formatted from the
  /// initializers above (a default-constructed Config), so the two cannot disagree. A few say
  /// what an absent key means instead ("parent's"); "" when required or not applicable.
  std::string default_value;
  const char* doc;
};

/// Every configuration key with its type, default and meaning.
const std::vector<ParameterSpec>& ParameterTable();

/// The Markdown reference of every key (docs/config.md is this text).
std::string ConfigReferenceMarkdown();

}  // namespace vigil
