// "nab": a univariate streaming detector for series without sample sizes, in arbitrary units,
// sampled every few minutes to hourly, with gaps (the kind of series of the NAB corpus).
//
// Three predictors judge each point: a daily one (median of the same time of day on recent days
// of the same kind, and of the same time on recent weeks), a weekly one (median of the same time
// on the same weekday of recent weeks) and a local one (median of the last few points). Each
// keeps a robust scale of its residuals; the point's surprise is its standardized residual under
// the predictor whose recent absolute residuals, each clipped at a few scales, are smallest (the
// one that explains the series better; the clip keeps an anomaly from handing the choice to the
// predictor that follows it). Surprises are turned into a probability the way anomaly
// likelihoods are: the mean surprise of the last few points against the distribution of past
// surprises (mean and spread over a long window), through the normal tail.
//
// The detector decides itself: a probability at or above a fixed level is a report, and an
// episode is reported once (quiet for a day, then until the evidence has been calm for a few
// hours). Its `probability` is that decision (1 on the row of a report, 0 elsewhere), so that
// whoever sets a threshold on it gets the same reports whatever the threshold; the evidence
// itself is in `p_value` (1 - the probability of the likelihood) and `score` (the surprise).
//
// Assumptions: values are finite; time may repeat or step back (rows are taken as they come).
// Cost: O(1) amortized per point (the robust scales are refreshed every few dozen points over a
// window of at most 2,000 residuals), O(days of history) memory.
#include "detect/nab_detector.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <unordered_map>

#include "detect/stats.h"
#include "vigil/detect.h"

namespace vigil::internal {
namespace {

// A rolling robust scale of residuals, refreshed every few updates.
class RollingScale {
 public:
  explicit RollingScale(size_t window) : window_(window) {}
  void Add(double r) {
    values_.push_back(r);
    if (values_.size() > window_) values_.pop_front();
    if (++since_ >= std::max<size_t>(1, values_.size() / 32) || std::isnan(sigma_)) Refresh();
  }
  double sigma() const { return sigma_; }
  size_t size() const { return values_.size(); }

 private:
  void Refresh() {
    since_ = 0;
    if (values_.size() < 8) return;
    sigma_ = RobustSigma(std::vector<double>(values_.begin(), values_.end()));
  }
  size_t window_;
  std::deque<double> values_;
  double sigma_ = std::nan("");
  size_t since_ = 0;
};

// How unusual the mean surprise of the last `span` points is: 1 - Q(t) of it standardized by the
// mean and spread, over a long window, of past single surprises (`raw`) or of past such means.
class SurpriseLikelihood {
 public:
  SurpriseLikelihood(size_t span, size_t window, bool raw)
      : span_(std::max<size_t>(1, span)), window_(window), raw_(raw) {}
  double Update(double s, bool* warm) {
    recent_.push_back(s);
    recent_sum_ += s;
    if (recent_.size() > span_) {
      recent_sum_ -= recent_.front();
      recent_.pop_front();
    }
    double m = recent_sum_ / static_cast<double>(recent_.size());
    double prob = 0;
    if (history_.size() >= std::max<size_t>(50, 2 * span_)) {
      double n = static_cast<double>(history_.size());
      double mean = sum_ / n;
      double var = sum_sq_ / n - mean * mean;
      double sd = std::sqrt(std::max(var, 1e-4));
      t_ = (m - mean) / sd;
      prob = 1 - NormalUpperTail(t_);
      *warm = true;
    }
    if (recent_.size() == span_ || raw_) {
      double h = raw_ ? s : m;
      history_.push_back(h);
      sum_ += h;
      sum_sq_ += h * h;
      if (history_.size() > window_) {
        sum_ -= history_.front();
        sum_sq_ -= history_.front() * history_.front();
        history_.pop_front();
      }
    }
    return prob;
  }
  double t() const { return t_; }

 private:
  double t_ = 0;
  size_t span_, window_;
  bool raw_;
  std::deque<double> recent_;
  double recent_sum_ = 0;
  std::deque<double> history_;
  double sum_ = 0, sum_sq_ = 0;
};

class NabDetector : public Detector {
 public:
  NabDetector(const DetectorOptions& options, const NabParams& params)
      : options_(options),
        p_(params),
        step_(std::max<int64_t>(1, options.bucket_ms)),
        day_slots_(std::max<int64_t>(1, kDayMs / step_)),
        predictors_{Predictor(Points(p_.scale_days, 100, 2000)),
                    Predictor(Points(p_.scale_days, 100, 2000)),
                    Predictor(Points(p_.scale_days, 100, 2000))},
        range_cap_(Points(p_.scale_days, 100, 2000)),
        fast_(static_cast<size_t>(p_.short_points), Points(p_.long_days, 200, 8000), true),
        slow_(static_cast<size_t>(p_.slow_points), Points(p_.long_days, 200, 8000), false),
        refractory_(Points(p_.refractory_days, 1, 100000)),
        rearm_(Points(p_.rearm_days, 0, 100000)),
        eligible_(Points(p_.eligible_days, 0, 100000)) {}

  const char* name() const override { return "nab"; }

  Assessment Update(const Observation& o) override {
    Assessment a;
    if (std::isnan(o.value)) return a;
    double x = o.value;
    int64_t slot = o.time >= 0 ? o.time / step_ : (o.time - step_ + 1) / step_;

    double floor = ScaleFloor();
    double expected[kPredictors] = {DailyExpected(slot, o.time), WeeklyExpected(slot),
                                    LocalExpected()};

    // The surprise under the predictor with the smallest recent error (the first among ties).
    int best = -1;
    for (int k = 0; k < kPredictors; ++k) {
      if (std::isnan(expected[k]) || std::isnan(predictors_[k].scale.sigma())) continue;
      // A predictor that has just started (the weekly one after a week) has a scale and an
      // error of a few points only: it speaks once it has been judged for a while.
      if (k != kLocal && predictors_[k].scale.size() < eligible_) continue;
      if (best < 0 || predictors_[k].err < predictors_[best].err) best = k;
    }
    double z = std::nan("");
    if (best >= 0) {
      double sigma = std::max(predictors_[best].scale.sigma(), floor);
      z = (x - expected[best]) / sigma;
      a.expected = expected[best];
      a.lower = a.expected - 3 * sigma;
      a.upper = a.expected + 3 * sigma;
      a.score = z;
    }

    // Learn.
    double alpha = 1.0 / std::max(1.0, p_.select_days * static_cast<double>(day_slots_));
    for (int k = 0; k < kPredictors; ++k) {
      if (std::isnan(expected[k])) continue;
      Predictor& pr = predictors_[k];
      double r = x - expected[k];
      double e = std::abs(r);
      if (!std::isnan(pr.scale.sigma())) {
        e = std::min(e, p_.select_clip * std::max(pr.scale.sigma(), floor));
      }
      pr.scale.Add(r);
      pr.err = std::isnan(pr.err) ? e : pr.err + alpha * (e - pr.err);
    }
    by_slot_[slot] = x;
    last_.push_back(x);
    if (last_.size() > static_cast<size_t>(std::max(1.0, p_.local_points))) last_.pop_front();
    range_window_.push_back(x);
    if (range_window_.size() > range_cap_) range_window_.pop_front();
    if (by_slot_.size() > static_cast<size_t>(30 * day_slots_)) Forget(slot);

    if (std::isnan(z)) return a;

    // Likelihood of the recent surprise against past surprises, at two time scales.
    double s = std::min(std::abs(z), p_.clip);
    double prob = std::max(fast_.Update(s, &a.warm), slow_.Update(s, &a.warm));
    a.p_value = 1 - prob;
    // One report per episode: quiet for the refractory period, then until the probability has
    // stayed below the re-arm level for a while (a lasting disturbance is one report, not one
    // a day).
    bool report = false;
    if (quiet_ > 0 || episode_) {
      if (quiet_ > 0) --quiet_;
      calm_ = prob < p_.rearm_level ? calm_ + 1 : 0;
      if (quiet_ == 0 && calm_ >= rearm_) episode_ = false;
    } else if (prob >= p_.fire) {
      report = true;
      quiet_ = refractory_;
      episode_ = true;
      calm_ = 0;
    }
    a.probability = report ? 1.0 : 0.0;
    return a;
  }

 private:
  size_t Points(double days, size_t lo, size_t hi) const {
    // Whole buckets per day, as the seasonal slots count them.
    int64_t per_day = kDayMs / std::max<int64_t>(1, options_.bucket_ms);
    double n = days * static_cast<double>(per_day);
    return static_cast<size_t>(std::clamp(n, static_cast<double>(lo), static_cast<double>(hi)));
  }

  double DailyExpected(int64_t slot, TimeMs t) {
    scratch_.clear();
    auto take = [&](int64_t key) {
      auto it = by_slot_.find(key);
      if (it != by_slot_.end()) scratch_.push_back(it->second);
    };
    auto weekend = [&](TimeMs time) {
      int64_t day = time >= 0 ? time / kDayMs : (time - kDayMs + 1) / kDayMs;
      return ((day + 3) % 7 + 7) % 7 >= 5;
    };
    bool we = weekend(t);
    for (int64_t k = 1; k <= 7; ++k) {
      int64_t key = slot - k * day_slots_;
      if (weekend(key * step_) != we) continue;
      for (int64_t d = -1; d <= 1; ++d) take(key + d);
    }
    if (scratch_.size() < 3) {
      // The first days of a kind (the first weekend): any recent day is a better guess than none.
      for (int64_t k = 1; k <= 7; ++k) {
        for (int64_t d = -1; d <= 1; ++d) take(slot - k * day_slots_ + d);
      }
    }
    for (int64_t k = 1; k <= 3; ++k) {
      take(slot - 7 * k * day_slots_);
      take(slot - 7 * k * day_slots_);
    }
    if (scratch_.size() < 3) return std::nan("");
    return MedianInPlace(scratch_);
  }

  // Days of the week differ (a Friday night is not a Tuesday night): the same weekday only.
  double WeeklyExpected(int64_t slot) {
    scratch_.clear();
    for (int64_t k = 1; k <= static_cast<int64_t>(p_.weekly_weeks); ++k) {
      for (int64_t d = -1; d <= 1; ++d) {
        auto it = by_slot_.find(slot - 7 * k * day_slots_ + d);
        if (it != by_slot_.end()) scratch_.push_back(it->second);
      }
    }
    if (scratch_.size() < 3) return std::nan("");
    return MedianInPlace(scratch_);
  }

  double LocalExpected() {
    if (last_.empty()) return std::nan("");
    scratch_.assign(last_.begin(), last_.end());
    return MedianInPlace(scratch_);
  }

  // A flat series is not infinitely sure: the scale is at least a small part of the value range.
  double ScaleFloor() {
    if (range_window_.size() < 2) return 1e-9;
    if (++since_range_ >= 64 || std::isnan(range_)) {
      since_range_ = 0;
      auto [lo, hi] = std::minmax_element(range_window_.begin(), range_window_.end());
      range_ = *hi - *lo;
    }
    return std::max(1e-9, p_.floor_rel * range_);
  }

  void Forget(int64_t slot) {
    int64_t horizon = slot - 22 * day_slots_;
    for (auto it = by_slot_.begin(); it != by_slot_.end();) {
      it = it->first < horizon ? by_slot_.erase(it) : std::next(it);
    }
  }

  DetectorOptions options_;
  NabParams p_;
  int64_t step_;
  int64_t day_slots_;
  std::unordered_map<int64_t, double> by_slot_;
  std::deque<double> last_;
  // A predictor's residual scale and its recent mean absolute residual (for the choice).
  struct Predictor {
    explicit Predictor(size_t window) : scale(window) {}
    RollingScale scale;
    double err = std::nan("");
  };
  static constexpr int kPredictors = 3;  // daily, weekly, local
  static constexpr int kLocal = 2;
  Predictor predictors_[kPredictors];
  size_t range_cap_;
  std::deque<double> range_window_;
  double range_ = std::nan("");
  size_t since_range_ = 0;
  SurpriseLikelihood fast_;
  SurpriseLikelihood slow_;
  size_t refractory_;
  size_t rearm_;
  size_t eligible_;
  size_t quiet_ = 0;
  size_t calm_ = 0;
  bool episode_ = false;
  std::vector<double> scratch_;
};

const bool kRegistered = Detector::Register(
    "nab", [](const DetectorOptions& o) { return MakeNabDetector(o, NabParams()); });

}  // namespace

std::unique_ptr<Detector> MakeNabDetector(const DetectorOptions& options, const NabParams& params) {
  return std::make_unique<NabDetector>(options, params);
}

void LinkNabDetector() {}

}  // namespace vigil::internal
