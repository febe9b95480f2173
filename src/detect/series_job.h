// The steps of Detect over one cube, each in its own file: series jobs (monitors expanded into
// series), judging a series, cohorts, false-discovery control, anomaly runs and keeping the most
// specific slice. Private to src/detect.
#pragma once

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "vigil/detect.h"

namespace vigil::internal {

/// One time zone of a series' traffic: the series' events at each UTC hour of day.
struct ZoneShare {
  std::string zone;
  std::array<double, 24> events{};
};
/// The zones a series lives in; empty when it fixes the zone dimension (or none is configured).
using ZoneMix = std::vector<ZoneShare>;

/// One monitored series and what detection says of each of its points.
struct SeriesJob {
  const MonitorSpec* monitor = nullptr;
  SliceSeries series;
  int64_t granularity_ms = 0;
  bool cohort_group = false;  ///< a value of a one-dimension selector: compared with its siblings
  size_t group = 0;           ///< jobs of the same selector share a group id
  ZoneMix zone_mix;
  std::vector<Assessment> assessments;
  std::vector<bool> judged;     ///< the detectors judged the point (SetPValues)
  std::vector<double> p;        ///< final p-value per point (1: not judged)
  std::vector<bool> by_cohort;  ///< the p-value came from the cohort comparison
  std::vector<bool> significant;
  /// With a horizon (DetectionState::set_horizon) the points start late: when the series'
  /// history began and its first bucket with events (INT64_MAX: none), kept from before. 0: read
  /// both from the points.
  TimeMs history_start = 0;
  TimeMs first_event = 0;
};

/// Loaded time zones by name, shared by the series of one run.
using TimeZoneCache = std::map<std::string, TimeZone>;

/// The key of a monitored series: metric, slice (sorted) and granularity (series_jobs.cc).
std::string SeriesKey(const std::string& metric, const Slice& slice, int64_t granularity_ms);

/// The series a selector of a monitor names over [from, to) (series_jobs.cc): one per value or
/// pair seen in the range, or the explicit slice (none when its value is unknown).
Result<std::vector<SliceSeries>> SelectorSeries(const Cube& cube, const MonitorSpec& monitor,
                                                const SliceSelector& selector, TimeMs from,
                                                TimeMs to, int64_t granularity_ms);

/// The zone mixes of the slices selectors name, each set of dimensions read over the whole cube
/// once (series_jobs.cc).
class ZoneMixReader {
 public:
  explicit ZoneMixReader(const Cube& cube) : cube_(&cube) {}
  Result<ZoneMix> Of(const SliceSelector& selector, const Slice& slice);

 private:
  const Cube* cube_;
  std::map<std::vector<std::string>, std::map<Slice, ZoneMix>> mixes_;
};

/// Every (metric, slice, granularity) the config's monitors name, once each, in the order of the
/// monitors and their selectors (series_jobs.cc).
Result<std::vector<SeriesJob>> BuildSeriesJobs(const Cube& cube, const DetectOptions& options);

/// The zone a value of the zone dimension lives in: the config's timezones, else its country's
/// zone from tzdata (a locale such as th-TH), else the default zone (zone_names.cc).
const std::string& ZoneOfValue(const Config& config, const std::string& value);

/// The slice fixes a value of the config's zone dimension (zone_mix.cc).
bool FixesZone(const Config& config, const Slice& slice);

/// `slice` without `dimension`, sorted (zone_mix.cc).
Slice WithoutDimension(const Slice& slice, const std::string& dimension);

/// The zone mix of every slice over `dims` (keyed by the sorted slice), from one pass over the
/// cube; empty when `dims` holds the zone dimension or no zones are configured (zone_mix.cc).
Result<std::map<Slice, ZoneMix>> ZoneMixes(const Cube& cube, const std::vector<std::string>& dims,
                                           TimeMs from, TimeMs to);

/// The zone mix of one slice (zone_mix.cc).
Result<ZoneMix> ZoneMixOf(const Cube& cube, const Slice& slice, TimeMs from, TimeMs to);

/// Enough sample to judge a point: min_volume on the sample behind the value, and for a quantile
/// at least 5 values beyond it (judging.cc).
bool EnoughSample(const MetricSpec& spec, const MonitorSpec& monitor, const SeriesPoint& point);

/// The ensemble over one series with a monitor's settings, in the series' zone or mix of zones;
/// `judged` (when given) says which points were judged (judging.cc).
Result<std::vector<Assessment>> ReplaySeries(const Config& config, const MonitorSpec& monitor,
                                             const SliceSeries& series, const ZoneMix& mix,
                                             int64_t granularity_ms, TimeZoneCache* zones,
                                             std::vector<bool>* judged);

/// The ensemble of one series with a monitor's settings, fed a point at a time and kept between
/// rounds (judging.cc).
class SeriesJudge {
 public:
  static Result<std::unique_ptr<SeriesJudge>> Create(const Config& config,
                                                     const MonitorSpec& monitor, const Slice& slice,
                                                     const ZoneMix& mix, int64_t granularity_ms,
                                                     TimeZoneCache* zones);
  /// Judges points[from...] (each once, in order), filling the same entries of `out` and of
  /// `judged` (whether the point was judged); both are resized to the points.
  void Judge(const std::vector<SeriesPoint>& points, size_t from, std::vector<Assessment>* out,
             std::vector<bool>* judged);

 private:
  SeriesJudge() = default;
  const Config* config_ = nullptr;
  const MonitorSpec* monitor_ = nullptr;
  Slice slice_;
  int64_t granularity_ms_ = 0;
  int metric_ = -1;
  bool countable_ = false;
  std::unique_ptr<Detector> detector_;
};

/// Fills the job's assessments and the p-value of every judged point (judging.cc).
Status JudgeSeries(const Config& config, SeriesJob* job, TimeZoneCache* zones);

/// The p-value of every point `judged` from the job's assessments; 1 for the others (judging.cc).
void SetPValues(const std::vector<bool>& judged, SeriesJob* job);

/// Continues the series jobs of the previous round (detection_state.cc): reads the buckets
/// closed since, judges them with the kept detectors, and returns every job judged, in the order
/// BuildSeriesJobs gives. Most jobs hold the state's series themselves (lent, not copied): hand
/// them back with ReturnSeriesJobs before the next round.
Result<std::vector<SeriesJob>> ContinueSeriesJobs(const Cube& cube, const DetectOptions& options,
                                                  DetectionState* state, size_t* points_judged);

/// Gives the state back the series its jobs were lent (`copy`: the jobs keep theirs too).
void ReturnSeriesJobs(std::vector<SeriesJob>* jobs, DetectionState* state, bool copy);

/// With a horizon: drops the held points each job's selector no longer needs, given the
/// anomalies formed this round (`formed[k]`: those of jobs[k]), and returns the time before
/// which anomalies are past the horizon (0: no horizon).
TimeMs TrimToHorizon(const std::vector<SeriesJob>& jobs,
                     const std::vector<std::vector<const Anomaly*>>& formed, TimeMs to,
                     DetectionState* state);

/// New values of a one-dimension selector judged against their siblings (cohorts.cc).
void CompareCohorts(const Config& config, std::vector<SeriesJob>* jobs);

/// Benjamini–Hochberg at level `q` per evaluation round across all jobs (fdr.cc).
void ControlFalseDiscoveries(std::vector<SeriesJob>* jobs, double q);

/// The runs of significant buckets of one job as anomalies (anomaly_runs.cc).
void FormAnomalies(const SeriesJob& job, std::vector<Anomaly>* out);

/// One anomaly per regression seen in a slice and its ancestors (dedupe.cc).
std::vector<Anomaly> KeepMostSpecific(std::vector<Anomaly> all);

/// The smallest move from `expected` that matters to the monitor: the larger of its minimums.
inline double SmallestEffect(const MonitorSpec& m, double expected) {
  return std::max(m.min_absolute_effect, m.min_relative_effect * std::abs(expected));
}

/// `value - expected` counted the way the monitor watches: a fall is positive for `down`, either
/// way for `both`. NaN when either is.
inline double MonitoredDeviation(const MonitorSpec& m, double value, double expected) {
  const double delta = value - expected;
  if (m.direction == Direction::kDown) return -delta;
  if (m.direction == Direction::kBoth) return std::abs(delta);
  return delta;
}

/// Every (dimension, value) of `ancestor` is in `slice`.
inline bool IsAncestorOrSame(const Slice& ancestor, const Slice& slice) {
  for (const auto& kv : ancestor) {
    if (std::find(slice.begin(), slice.end(), kv) == slice.end()) return false;
  }
  return true;
}

}  // namespace vigil::internal
