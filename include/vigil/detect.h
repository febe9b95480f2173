// Detection: streaming, causal detectors over monitored series, with calibrated confidence,
// false-discovery control across series, and anomalies on the most specific slice. Detection
// only finds anomalies; explaining them (explain.h) and grouping them (incident.h) come after.
#pragma once

#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/config.h"
#include "vigil/cube.h"
#include "vigil/status.h"
#include "vigil/time.h"

namespace vigil {

namespace internal {
struct DetectionStateAccess;
}  // namespace internal

/// One point of a series as a detector sees it.
struct Observation {
  TimeMs time = 0;
  double value = std::nan("");  ///< NaN: missing
  /// Standard error of `value` due to its finite sample (a rate on 40 turns is uncertain);
  /// 0 when unknown or exact.
  double sampling_error = 0;
  uint64_t support = 0;  ///< sample size behind the value
  bool skip = false;     ///< inside a calendar period: judged, but kept out of baselines
};

/// What a detector says of one point.
struct Assessment {
  double expected = std::nan("");  ///< the baseline
  double lower = std::nan("");     ///< expected band, about 99 %
  double upper = std::nan("");
  double score = 0;        ///< signed standardized deviation (positive: above expected)
  double p_value = 1;      ///< for the monitored direction; small is anomalous
  double probability = 0;  ///< calibrated probability that the point is anomalous
  TimeMs onset = 0;        ///< when the current shift began (change points), else 0
  bool warm = false;       ///< enough history to judge
};

/// Options shared by all detectors of one series.
struct DetectorOptions {
  int64_t bucket_ms = 5 * kMinuteMs;
  Direction direction = Direction::kUp;
  int64_t warmup_ms = kDayMs;
  /// Local-time offset in ms at a UTC time (for daily and weekly cycles); null: UTC.
  std::function<int64_t(TimeMs)> utc_offset;
  /// Share of the series' traffic that lives in a weekend at a UTC time: 0 or 1 for a series in
  /// one zone, in between for one that mixes zones (all traffic of a fleet spread over the
  /// world); null: taken from utc_offset. Days are compared with days of the same mix.
  std::function<double(TimeMs)> weekend_share;
  /// Ensemble members (for "ensemble").
  std::vector<std::string> members = {"seasonal", "cusum"};
};

/// A streaming detector of one series: Update is called once per bucket, in time order, and
/// uses only the points seen so far (no look-ahead).
class Detector {
 public:
  virtual ~Detector() = default;
  virtual Assessment Update(const Observation& observation) = 0;
  virtual const char* name() const = 0;

  /// A detector by name: "seasonal", "cusum", "ensemble", or any registered one.
  static Result<std::unique_ptr<Detector>> Create(std::string_view name,
                                                  const DetectorOptions& options);
  /// Registered names.
  static std::vector<std::string> Names();
  using Factory = std::function<std::unique_ptr<Detector>(const DetectorOptions&)>;
  /// Registers a detector; used as `static bool kReg = Detector::Register("x", ...)`.
  static bool Register(std::string name, Factory factory);
};

/// One monitored metric's part in the multivariate score of a slice's bucket.
struct Attribution {
  std::string metric;
  /// Exact Shapley value in score units: positive made the bucket look more abnormal.
  double value = 0;
  /// The metric's deviation from its baseline in its own standard errors, counted the way its
  /// monitor watches (a rise for `up`, a fall for `down`); what the model saw.
  double residual = 0;
};

/// Why the multivariate model of a slice (the `multivariate` detector) found a bucket abnormal:
/// its score and each metric's share of it. Empty `features`: no model covers the slice.
struct Attributions {
  double score = 0;  ///< isolation-forest score of the bucket, in (0, 1]; ordinary is about 0.5
  double base = 0;   ///< the score of an ordinary bucket: the values sum to score - base
  std::vector<Attribution> features;  ///< largest value first
};

/// A regression found in one monitored series.
struct Anomaly {
  std::string metric;
  Slice slice;
  Direction direction = Direction::kUp;  ///< kUp or kDown: where the metric went
  TimeMs start = 0;                      ///< onset
  TimeMs end = 0;                        ///< first normal bucket after it; 0 while still open
  TimeMs detected = 0;                   ///< the bucket at which it became significant
  double baseline = 0;                   ///< mean expected value over the anomalous buckets
  double observed = 0;                   ///< mean observed value over them
  double relative_change = 0;
  double confidence = 0;  ///< max calibrated probability over the run
  uint64_t support = 0;   ///< sample size over the run
  int64_t granularity_ms = 0;
  std::string detector;  ///< "ensemble", "cohort" or "multivariate"
  bool cohort = false;   ///< found by comparing a value with its siblings
  /// The slice's metrics at the detected bucket as its multivariate model sees them. For an
  /// anomaly of the multivariate detector, `metric` is the one with the largest share.
  Attributions attributions;
};

/// One monitored series with its points and assessments (for plots and the API).
struct MonitoredSeries {
  std::string metric;
  Slice slice;
  int64_t granularity_ms = 0;
  std::vector<SeriesPoint> points;
  std::vector<Assessment> assessments;
};

struct DetectionReport {
  /// In the order of the monitors and their series, each series' anomalies by start (the
  /// pipeline, pipeline.h, orders them by start, metric and slice once they are explained).
  std::vector<Anomaly> anomalies;
  size_t series = 0;      ///< monitored series evaluated
  size_t points = 0;      ///< points judged (with a DetectionState: in this round)
  size_t candidates = 0;  ///< significant runs before hierarchy deduplication
};

/// What detection keeps from one round to the next over a cube that grows at its end (the
/// service's rounds): every monitored series read so far, its assessments and its detectors'
/// state, so a round reads and judges only the buckets that closed since the last one and costs
/// the series, not the history. The first round (or the first after Reset) reads the whole cube,
/// as Detect without a state does. Series keep their detectors across cube.retention, so a
/// baseline outlives the buckets it was learned on. Not thread-safe: one round at a time.
class DetectionState {
 public:
  DetectionState();
  ~DetectionState();
  DetectionState(DetectionState&&) noexcept;
  DetectionState& operator=(DetectionState&&) noexcept;

  /// Forgets everything: the next round reads the whole cube again. Needed after events were
  /// added to buckets already read (late events), or when the cube was replaced.
  void Reset();
  /// Monitored series held.
  size_t series() const;
  /// The end of the buckets read (the earliest over the monitors); 0 before the first round.
  TimeMs read_to() const;
  /// Hold only the last `ms` of every series (0, the default: all of it, and each round finds
  /// exactly what a batch finds). After each round the points before it are dropped, except
  /// those of a run still open or ending within it (and the hour and 24 buckets before, which
  /// its onset and end are read from); a round then reports the anomalies open or ending within
  /// it. A round's cost and the memory held follow the horizon, not the history the cube keeps.
  /// The price: false-discovery control on the buckets just past the horizon counts only the
  /// series still held there, so a run that began there may start a bucket earlier than a batch
  /// would say. Kept across Reset.
  void set_horizon(int64_t ms);
  int64_t horizon() const;
  /// Points held over every series (what the horizon bounds).
  size_t points_held() const;

  struct Impl;

 private:
  friend struct internal::DetectionStateAccess;
  std::unique_ptr<Impl> impl_;
};

struct DetectOptions {
  TimeMs from = 0;  ///< 0: the cube's first bucket
  TimeMs to = 0;    ///< 0: after its last
  /// Also return every monitored series with its assessments (memory heavy).
  bool keep_series = false;
  std::vector<MonitoredSeries>* series_out = nullptr;
  /// Carried from the previous round (see DetectionState); null: judge the whole range. With a
  /// state, `to` must be set and `from` 0.
  DetectionState* state = nullptr;
};

/// Runs every monitor of the config over the cube: builds the monitored series, judges each
/// point, compares new values with their siblings, controls the false-discovery rate per round
/// across series, forms anomalies (effect and duration at least the monitor's minimums) and
/// keeps each on the most specific slice that carries it. Deterministic: the same cube and
/// config give the same anomalies. Anomalies that others explain are moved or dropped after
/// this (ExplainAway, explain.h); FindAnomalies (pipeline.h) does both.
Result<DetectionReport> Detect(const Cube& cube, const DetectOptions& options = {});

/// Orders anomalies by start, then metric and slice (the order of every report).
void SortAnomalies(std::vector<Anomaly>* anomalies);

/// True when `value` departs from `expected` in the monitor's direction by at least its smallest
/// effect that matters (the larger of its absolute and relative minimums). False when either is
/// NaN.
bool EffectMatters(const MonitorSpec& monitor, double value, double expected);

/// True when the two anomalies' spans overlap (an open anomaly lasts to the end of the data).
bool Overlap(const Anomaly& a, const Anomaly& b);

/// Judges a set of series of one monitor (same metric and granularity) outside a cube: each point
/// through the ensemble, false-discovery control per round across the set, anomalies with the
/// monitor's minimum effect and duration. No hierarchy or cohort steps (they need the cube).
Result<std::vector<Anomaly>> DetectSeries(const std::vector<SliceSeries>& series,
                                          const MonitorSpec& monitor, const Config& config,
                                          int64_t granularity_ms);

/// The monitor whose settings judge `metric` on `slice`: one that watches the slice's dimensions
/// when there is one, else the metric's first monitor; null when no monitor watches the metric.
const MonitorSpec* MonitorFor(const Config& config, std::string_view metric, const Slice& slice);

/// Replays the detection ensemble over one series with the settings `Detect` judges it with
/// under `monitor` (the slice's time zone or the cube's mix of zones under it, calendar periods,
/// the sample-size rule): one
/// assessment per point, and in `judged` (when given) whether the point was judged. A plot's
/// band drawn from it is the band detection used.
Result<std::vector<Assessment>> ReplayDetection(const Cube& cube, const MonitorSpec& monitor,
                                                const SliceSeries& series, int64_t granularity_ms,
                                                std::vector<bool>* judged = nullptr);

/// Standard normal upper tail P(Z > z).
double NormalUpperTail(double z);

}  // namespace vigil
