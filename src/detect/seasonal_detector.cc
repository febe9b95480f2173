#include "detect/seasonal_detector.h"

#include "detect/stats.h"

namespace vigil::internal {

double DirectionalPValue(double z, Direction direction) {
  if (std::isnan(z)) return 1;
  switch (direction) {
    case Direction::kUp:
      return NormalUpperTail(z);
    case Direction::kDown:
      return NormalUpperTail(-z);
    case Direction::kBoth:
      return std::min(1.0, 2 * NormalUpperTail(std::abs(z)));
  }
  return 1;
}

SeasonalDetector::SeasonalDetector(const DetectorOptions& options) : options_(options) {
  day_buckets_ = std::max<int64_t>(1, kDayMs / options_.bucket_ms);
  // Two days of residuals, between 48 and 2,000 points.
  scale_window_ = static_cast<size_t>(std::clamp<int64_t>(2 * day_buckets_, 48, 2000));
}

double SeasonalDetector::WeekendShare(TimeMs time) const {
  if (options_.weekend_share) return options_.weekend_share(time);
  int64_t local = time + (options_.utc_offset ? options_.utc_offset(time) : 0);
  int64_t day = local >= 0 ? local / kDayMs : (local - kDayMs + 1) / kDayMs;
  return ((day + 3) % 7 + 7) % 7 >= 5 ? 1 : 0;  // Monday = 0
}

double SeasonalDetector::Expected(int64_t lb, TimeMs time, double weekend_share, bool* seasonal) {
  scratch_.clear();
  auto take = [&](int64_t key) {
    const int64_t at = key - first_local_bucket_;
    if (at < 0 || at >= static_cast<int64_t>(by_local_bucket_.size())) return false;
    const double v = by_local_bucket_[static_cast<size_t>(at)];
    if (std::isnan(v)) return false;
    scratch_.push_back(v);
    return true;
  };
  // Same local time on the last 7 days of the same kind, with the neighbouring buckets. In a mix
  // of zones, Friday evening in UTC is Saturday morning in Asia: it is like no weekday.
  int days = 0;
  for (int64_t k = 1; k <= 7; ++k) {
    int64_t key = lb - k * day_buckets_;
    if (std::abs(WeekendShare(time - k * kDayMs) - weekend_share) > 0.2) continue;
    bool any = false;
    for (int64_t d = -1; d <= 1; ++d) any = take(key + d) || any;
    days += any;
  }
  // Same local time and weekday of the last 3 weeks, weighted twice.
  int weeks = 0;
  for (int64_t k = 1; k <= 3; ++k) {
    int64_t key = lb - 7 * k * day_buckets_;
    if (take(key)) {
      take(key);
      ++weeks;
    }
  }
  // A seasonal baseline needs two days of the same kind, or the same day a week before.
  if ((days >= 2 || weeks >= 1) && scratch_.size() >= 3) {
    *seasonal = true;
    return MedianInPlace(scratch_);
  }
  *seasonal = false;
  if (recent_.size() < 6) return std::nan("");
  scratch_.assign(recent_.begin(), recent_.end());
  return MedianInPlace(scratch_);
}

Assessment SeasonalDetector::Update(const Observation& o) {
  Assessment a;
  if (first_time_ == INT64_MIN) first_time_ = o.time;
  int64_t offset = options_.utc_offset ? options_.utc_offset(o.time) : 0;
  int64_t local = o.time + offset;
  int64_t lb = local >= 0 ? local / options_.bucket_ms
                          : (local - options_.bucket_ms + 1) / options_.bucket_ms;
  bool seasonal = false;
  a.expected = Expected(lb, o.time, WeekendShare(o.time), &seasonal);
  bool has_value = !std::isnan(o.value);
  double sigma = std::nan("");
  if (!std::isnan(a.expected) && residuals_.size() >= 12) {
    if (++since_scale_ >= std::max<size_t>(1, residuals_.size() / 24) || std::isnan(model_sigma_)) {
      model_sigma_ = RobustSigma(std::vector<double>(residuals_.begin(), residuals_.end()));
      bool any_sampling =
          std::any_of(sampling_var_.begin(), sampling_var_.end(), [](double v) { return v > 0; });
      if (any_sampling) {
        scratch_.assign(sampling_var_.begin(), sampling_var_.end());
        typical_sampling_ = MedianInPlace(scratch_);
      } else {
        typical_sampling_ = 0;
      }
      since_scale_ = 0;
    }
    double model = model_sigma_;
    double typical_sampling = typical_sampling_;
    // What the spread holds beyond sampling noise, plus this point's own sampling noise.
    double excess = std::max(0.0, model * model - typical_sampling);
    double own = o.sampling_error * o.sampling_error;
    sigma = std::sqrt(excess + own);
    double floor = 1e-3 * std::abs(a.expected) + 1e-12;  // a flat series is not infinitely sure
    sigma = std::max(sigma, floor);
  }
  // Judged only against a seasonal baseline: the first Saturday has no Saturday to compare with.
  a.warm = seasonal && !std::isnan(sigma) && o.time - first_time_ >= options_.warmup_ms;
  if (!std::isnan(sigma)) {
    a.lower = a.expected - 3 * sigma;
    a.upper = a.expected + 3 * sigma;
  }
  if (has_value && !std::isnan(sigma)) {
    a.score = (o.value - a.expected) / sigma;
    if (a.warm) {
      a.p_value = DirectionalPValue(a.score, options_.direction);
      a.probability = 1 - a.p_value;
    }
  }
  if (has_value && !o.skip) {
    Remember(lb, o.value);
    recent_.push_back(o.value);
    if (recent_.size() > 12) recent_.pop_front();
    // Clear outliers stay out of the scale so that an incident does not hide the next one.
    if (!std::isnan(a.expected) && !(std::abs(a.score) > 5 && a.warm)) {
      residuals_.push_back(o.value - a.expected);
      sampling_var_.push_back(o.sampling_error * o.sampling_error);
      if (residuals_.size() > scale_window_) {
        residuals_.pop_front();
        sampling_var_.pop_front();
      }
    }
  }
  return a;
}

void SeasonalDetector::Remember(int64_t lb, double value) {
  // What no lookup can reach any more (older than 3 weeks and a day) is forgotten.
  const int64_t horizon = lb - 22 * day_buckets_;
  const auto end = first_local_bucket_ + static_cast<int64_t>(by_local_bucket_.size());
  if (by_local_bucket_.empty() || end <= horizon || lb < first_local_bucket_ - 22 * day_buckets_) {
    by_local_bucket_.clear();
    first_local_bucket_ = lb;
  }
  while (lb < first_local_bucket_) {  // a clock turned back (the end of summer time)
    by_local_bucket_.push_front(std::nan(""));
    --first_local_bucket_;
  }
  while (first_local_bucket_ + static_cast<int64_t>(by_local_bucket_.size()) <= lb)
    by_local_bucket_.push_back(std::nan(""));
  by_local_bucket_[static_cast<size_t>(lb - first_local_bucket_)] = value;
  while (first_local_bucket_ < horizon && !by_local_bucket_.empty()) {
    by_local_bucket_.pop_front();
    ++first_local_bucket_;
  }
}

namespace {
const bool kRegistered = Detector::Register("seasonal", [](const DetectorOptions& o) {
  return std::unique_ptr<Detector>(new SeasonalDetector(o));
});
}  // namespace

void LinkSeasonalDetector() {}

}  // namespace vigil::internal
