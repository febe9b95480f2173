// The multivariate detector (kMultivariateDetector): each monitored slice's metrics judged
// together, so that a regression modest in each metric but abnormal in all of them at once is
// found, and any anomaly can say which of the slice's metrics made it abnormal. Private to
// src/detect.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "detect/series_job.h"
#include "vigil/learn.h"

namespace vigil::internal {

/// What the multivariate detector keeps between a service's rounds: each slice's forest of each
/// day (fitting is the costly step) and the score of every bucket judged, so a round scores
/// only the buckets that closed since the last one. A batch run starts from an empty cache and
/// a carried run with no horizon gives the same scores.
struct JointCache {
  struct Model {
    std::optional<IsolationForest> forest;
    std::vector<double> calibration;  ///< the training buckets' scores, ascending
    /// The long-run variance of the training buckets' z-scores, (1 + r) / (1 - r) with r their
    /// lag-1 autocorrelation (at least 1): consecutive buckets of a slice are not independent,
    /// and a sum of them spreads that much wider than a sum of independent ones.
    double spread = 1;
  };
  /// By slice key, then by UTC day.
  std::map<std::string, std::map<int64_t, std::shared_ptr<const Model>>> models;
  /// A bucket's score and its p-value against its day's training rows.
  struct Scored {
    double score = 0;
    double p = 1;
    double base = 0;    ///< the score of an ordinary bucket of its forest
    double spread = 1;  ///< of its forest (Model::spread)
  };
  /// By slice key, then by bucket start.
  std::map<std::string, std::map<TimeMs, Scored>> scores;
  /// The Shapley values of the buckets attributed so far (an anomaly's, again each round), by
  /// slice key and bucket start.
  std::map<std::string, std::map<TimeMs, std::vector<double>>> attributions;
  /// Drops what lies before `from` for the slice `key` (a horizon's trimming).
  void Trim(const std::string& key, TimeMs from);
};

/// The cache a state carries (detection_state.cc).
JointCache* JointCacheOf(DetectionState* state);

/// One monitored slice's metrics at the multivariate granularity, one row per bucket.
struct JointSeries {
  std::string key;  ///< slice and granularity
  Slice slice;
  int64_t granularity_ms = 0;
  std::vector<std::string> metrics;  ///< by name
  std::vector<const MonitorSpec*> monitors;
  std::vector<TimeMs> times;
  /// rows × metrics: each metric's deviation from its baseline in its own standard errors, the
  /// way its monitor watches (NaN: not judged in the bucket), its mean value and baseline.
  std::vector<double> residual, value, expected;
  std::vector<uint64_t> support;  ///< per row: the largest sample behind any metric
  std::vector<double> score;      ///< the forest's score (NaN: no model yet)
  std::vector<TimeMs> onset;      ///< when the joint shift began (0: none)
  SeriesJob job;                  ///< the rows as a series for false-discovery control

  size_t rows() const { return times.size(); }
  size_t cols() const { return metrics.size(); }
  /// The features the forest sees for a row: residuals clipped to [0, 10], missing as 0.
  std::vector<double> Features(size_t row) const;
};

/// The joint series of every monitored slice with at least two metrics whose granularity divides
/// the multivariate one, each row scored causally (a forest per UTC day, fitted on the week
/// before) with its p-value; `cache` may be null (batch).
Result<std::vector<JointSeries>> JudgeJointly(const Config& config,
                                              const std::vector<SeriesJob>& jobs,
                                              JointCache* cache);

/// The runs of significant rows of a joint series whose metrics together move by their smallest
/// effects that matter, as anomalies of the metric with the largest attribution.
void FormJointAnomalies(const JointSeries& series, JointCache* cache, std::vector<Anomaly>* out);

/// Gives every anomaly on a slice with a joint series the attributions of the bucket it was
/// detected in, and drops a multivariate anomaly that an ensemble anomaly of its metric and slice
/// starting within the hour already reports (that anomaly takes its attributions).
void AttributeAnomalies(const std::vector<JointSeries>& series, JointCache* cache,
                        std::vector<Anomaly>* anomalies);

}  // namespace vigil::internal
