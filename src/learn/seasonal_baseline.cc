#include <cmath>
#include <string>

#include "learn/robust_scale.h"
#include "vigil/learn.h"

namespace vigil {

size_t SeasonalBaseline::SlotOf(int64_t t_ms) const {
  int64_t phase = t_ms % season_ms_;
  if (phase < 0) phase += season_ms_;  // times before 1970 fall in the same slots
  return static_cast<size_t>(phase / slot_ms_);
}

Result<SeasonalBaseline> SeasonalBaseline::Fit(const std::vector<int64_t>& times_ms, RowsView x,
                                               int64_t season_ms, int64_t slot_ms) {
  if (slot_ms <= 0 || season_ms <= 0 || season_ms % slot_ms != 0) {
    return InvalidArgument("seasonal baseline: the season must be a positive multiple of the slot");
  }
  if (season_ms / slot_ms > (int64_t{1} << 20)) {
    return InvalidArgument("seasonal baseline: more than 2^20 slots in a season");
  }
  if (times_ms.size() != x.rows) {
    return InvalidArgument("seasonal baseline: " + std::to_string(times_ms.size()) + " times for " +
                           std::to_string(x.rows) + " rows");
  }
  if (x.rows == 0 || x.cols == 0) return InvalidArgument("seasonal baseline: no rows");
  SeasonalBaseline b;
  b.season_ms_ = season_ms;
  b.slot_ms_ = slot_ms;
  const auto slots = static_cast<size_t>(season_ms / slot_ms);
  const size_t d = x.cols;
  std::vector<std::vector<size_t>> rows_of(slots);
  for (size_t i = 0; i < x.rows; ++i) rows_of[b.SlotOf(times_ms[i])].push_back(i);

  b.medians_.assign(slots * d, 0.0);
  b.scales_.assign(d, 1.0);
  std::vector<double> values, residuals;
  for (size_t j = 0; j < d; ++j) {
    values.clear();
    for (size_t i = 0; i < x.rows; ++i) values.push_back(x.row(i)[j]);
    const double overall = internal::MedianOf(&values);
    for (size_t s = 0; s < slots; ++s) {
      values.clear();
      for (size_t i : rows_of[s]) values.push_back(x.row(i)[j]);
      const double m = internal::MedianOf(&values);
      b.medians_[s * d + j] = std::isnan(m) ? (std::isnan(overall) ? 0.0 : overall) : m;
    }
    // One scale per feature from the residuals of every slot: a slot holds a few points (one
    // per day of history), too few for a scale of its own.
    residuals.clear();
    for (size_t i = 0; i < x.rows; ++i) {
      residuals.push_back(x.row(i)[j] - b.medians_[b.SlotOf(times_ms[i]) * d + j]);
    }
    b.scales_[j] = internal::RobustScaleOf(&residuals, 0.0);
  }
  return b;
}

Result<std::vector<double>> SeasonalBaseline::Residuals(const std::vector<int64_t>& times_ms,
                                                        RowsView x) const {
  if (x.cols != features()) {
    return InvalidArgument("seasonal baseline: rows have " + std::to_string(x.cols) +
                           " features, the baseline " + std::to_string(features()));
  }
  if (times_ms.size() != x.rows) {
    return InvalidArgument("seasonal baseline: " + std::to_string(times_ms.size()) + " times for " +
                           std::to_string(x.rows) + " rows");
  }
  const size_t d = x.cols;
  std::vector<double> out(x.rows * d);
  for (size_t i = 0; i < x.rows; ++i) {
    const double* median = medians_.data() + SlotOf(times_ms[i]) * d;
    for (size_t j = 0; j < d; ++j) out[i * d + j] = (x.row(i)[j] - median[j]) / scales_[j];
  }
  return out;
}

double SeasonalBaseline::Median(int64_t t_ms, size_t feature) const {
  return medians_[SlotOf(t_ms) * features() + feature];
}

}  // namespace vigil
