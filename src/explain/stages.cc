// Stage attribution of a latency regression: each stage's share of the summed increase of its
// own statistic between the reference window and the anomaly's.
#include <algorithm>
#include <cmath>

#include "explain/evidence_steps.h"

namespace vigil::internal {
namespace {

// The metric's statistic for a measure: the same quantile, or the mean.
double Statistic(const MetricSpec& m, const QuantileSketch& s) {
  if (s.empty()) return std::nan("");
  return m.type == MetricType::kQuantile ? s.Quantile(m.q) : s.mean();
}

}  // namespace

std::vector<StageShare> LatencyStages(const Cube& cube, const MetricSpec& m, const Aggregate& now,
                                      const Aggregate& before) {
  const Config& c = cube.config();
  std::vector<StageShare> out;
  if ((m.type != MetricType::kQuantile && m.type != MetricType::kMean) || c.input.stages.empty()) {
    return out;
  }
  double total = 0;
  for (int s : c.input.stages) {
    StageShare st;
    st.stage = c.input.measures[s].name;
    st.baseline = Statistic(m, before.measures[s]);
    st.observed = Statistic(m, now.measures[s]);
    if (std::isnan(st.baseline) || std::isnan(st.observed)) continue;
    st.share = std::max(0.0, st.observed - st.baseline);
    total += st.share;
    out.push_back(st);
  }
  if (total <= 0) return {};
  for (StageShare& st : out) st.share /= total;
  std::stable_sort(out.begin(), out.end(),
                   [](const StageShare& x, const StageShare& y) { return x.share > y.share; });
  return out;
}

}  // namespace vigil::internal
