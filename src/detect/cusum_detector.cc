// Change points: a two-sided CUSUM on the standardized residuals of a seasonal baseline. It
// accumulates small persistent shifts (drifts, +1 sigma steps) that no single point shows, and
// dates the onset to when the sum last left zero.
//
// Assumptions: residual scores are about N(0, 1) under no change; reference k = 0.5 sigma.
// Its p-value is the stationary tail of the sum: the reflected walk with drift -k and unit
// variance has tail exp(-2k S / var). We take var = 2 (exp(-S / 2)) because residual scores of
// real series are heavier-tailed and their scale is estimated; scores are clipped at 4 so that
// one outlier cannot open a change by itself.
// Cost: the baseline's, plus O(1).
#include <algorithm>
#include <string_view>

#include "detect/seasonal_detector.h"
#include "detect/stats.h"

namespace vigil::internal {
namespace {

class CusumDetector : public Detector {
 public:
  explicit CusumDetector(const DetectorOptions& options) : options_(options), base_(options) {}
  const char* name() const override { return "cusum"; }

  Assessment Update(const Observation& o) override {
    Assessment a = base_.Update(o);
    base_assessment_ = a;
    if (!a.warm || std::isnan(o.value)) {
      a.p_value = 1;
      a.probability = 0;
      return a;
    }
    double z = std::clamp(a.score, -4.0, 4.0);
    up_.Step(z, kReference, o.time);
    down_.Step(-z, kReference, o.time);
    double s = 0;
    TimeMs onset = 0;
    switch (options_.direction) {
      case Direction::kUp:
        s = up_.sum;
        onset = up_.onset;
        break;
      case Direction::kDown:
        s = down_.sum;
        onset = down_.onset;
        break;
      case Direction::kBoth:
        s = std::max(up_.sum, down_.sum);
        onset = up_.sum >= down_.sum ? up_.onset : down_.onset;
        break;
    }
    a.score = s;
    a.p_value = std::min(1.0, std::exp(-s / 2) * (options_.direction == Direction::kBoth ? 2 : 1));
    // The sum decays slowly after a shift ends; a point that does not itself lean the shift's
    // way adds no evidence, so it is not judged significant on the sum's afterglow.
    double lean = options_.direction == Direction::kDown ? -z
                  : options_.direction == Direction::kUp ? z
                                                         : (up_.sum >= down_.sum ? z : -z);
    if (lean <= 0.5) a.p_value = 1;
    a.probability = 1 - a.p_value;
    a.onset = s > 0 ? onset : 0;
    return a;
  }
  /// What the underlying seasonal baseline said of the last point.
  const Assessment& base_assessment() const { return base_assessment_; }

 private:
  static constexpr double kReference = 0.5;  // sigma

  DetectorOptions options_;
  SeasonalDetector base_;
  Assessment base_assessment_;
  OneSidedCusum up_, down_;
};

// The ensemble: every member judges the point; the combined p-value is the smallest member
// p-value times the number of members (Bonferroni, valid whatever their dependence), so its
// confidence stays calibrated. Expected value and band come from the first member.
class EnsembleDetector : public Detector {
 public:
  explicit EnsembleDetector(const DetectorOptions& options) {
    bool has_cusum =
        std::find(options.members.begin(), options.members.end(), "cusum") != options.members.end();
    for (const std::string& name : options.members) {
      // The multivariate detector judges slices, not series (joint.cc).
      if (name == "ensemble" || name == kMultivariateDetector) continue;
      // CUSUM runs on a seasonal baseline already: reuse its verdict instead of a second one.
      if (name == "seasonal" && has_cusum) {
        seasonal_from_cusum_ = true;
        continue;
      }
      auto d = Detector::Create(name, options);
      if (d.ok()) members_.push_back(std::move(*d));
    }
    if (members_.empty()) members_.push_back(std::make_unique<SeasonalDetector>(options));
    for (auto& m : members_) {
      if (std::string_view(m->name()) == "cusum") cusum_ = static_cast<CusumDetector*>(m.get());
    }
    if (!cusum_) seasonal_from_cusum_ = false;
  }
  const char* name() const override { return "ensemble"; }

  Assessment Update(const Observation& o) override {
    Assessment best;
    bool first = true;
    double min_p = 1;
    const char* winner = "";
    auto consider = [&](const Assessment& a, const char* name) {
      if (first) {
        best = a;
        first = false;
      }
      if (a.p_value < min_p) {
        min_p = a.p_value;
        winner = name;
        if (a.onset) best.onset = a.onset;
      }
      best.warm = best.warm || a.warm;
    };
    std::vector<Assessment> results;
    for (auto& m : members_) results.push_back(m->Update(o));
    if (seasonal_from_cusum_) consider(cusum_->base_assessment(), "seasonal");
    for (size_t i = 0; i < members_.size(); ++i) consider(results[i], members_[i]->name());
    size_t count = members_.size() + (seasonal_from_cusum_ ? 1 : 0);
    best.p_value = std::min(1.0, min_p * static_cast<double>(count));
    best.probability = 1 - best.p_value;
    last_winner_ = winner;
    return best;
  }
  const char* last_winner() const { return last_winner_; }

 private:
  std::vector<std::unique_ptr<Detector>> members_;
  CusumDetector* cusum_ = nullptr;
  bool seasonal_from_cusum_ = false;
  const char* last_winner_ = "";
};

const bool kCusum = Detector::Register("cusum", [](const DetectorOptions& o) {
  return std::unique_ptr<Detector>(new CusumDetector(o));
});
const bool kEnsemble = Detector::Register("ensemble", [](const DetectorOptions& o) {
  return std::unique_ptr<Detector>(new EnsembleDetector(o));
});

}  // namespace

void LinkCusumDetectors() {}

}  // namespace vigil::internal
