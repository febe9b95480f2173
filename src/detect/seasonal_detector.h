// Robust seasonal baseline: the expected value of a bucket is the median of the same local time
// on recent days of the same kind (weekday or weekend) and on the same weekday of recent weeks,
// with neighbouring buckets; the scale is a robust spread of recent residuals beyond what the
// sample size explains, plus the point's own sampling error.
//
// Assumptions: daily and weekly cycles in one time zone (DST followed through the zone's
// offsets), or in a known mix of zones (a day is then compared with days whose share of traffic
// in a weekend is alike); calendar periods (skip) stay out of the baseline; missing buckets are
// gaps. Before a day of history (or three seasonal neighbours) it falls back to a rolling median.
// Cost: 8 bytes per bucket of the last 22 days, O(W) every W/24 updates for a W-bucket scale
// window.
#pragma once

#include <deque>

#include "vigil/detect.h"

namespace vigil::internal {

class SeasonalDetector : public Detector {
 public:
  explicit SeasonalDetector(const DetectorOptions& options);
  Assessment Update(const Observation& o) override;
  const char* name() const override { return "seasonal"; }

 private:
  double Expected(int64_t local_bucket, TimeMs time, double weekend_share, bool* seasonal);
  double WeekendShare(TimeMs time) const;
  void Remember(int64_t local_bucket, double value);

  DetectorOptions options_;
  int64_t day_buckets_;
  // The value of every local bucket of the last 22 days (NaN: none), from first_local_bucket_
  // on: the lookups reach 21 days back, and a flat run of doubles is a sixth of a hash map's
  // size per bucket (the state held for each of many series).
  std::deque<double> by_local_bucket_;
  int64_t first_local_bucket_ = 0;
  std::deque<double> recent_;        // last values, for the fallback
  std::deque<double> residuals_;     // recent residuals of ordinary points
  std::deque<double> sampling_var_;  // their sampling variances
  size_t scale_window_;
  TimeMs first_time_ = INT64_MIN;
  // The residual spread moves slowly: it is recomputed every few updates, not every one.
  double model_sigma_ = std::nan("");
  double typical_sampling_ = 0;
  size_t since_scale_ = 1 << 30;
  std::vector<double> scratch_;
};

/// One-sided or two-sided p-value of a standardized score for a direction.
double DirectionalPValue(double z, Direction direction);

}  // namespace vigil::internal
