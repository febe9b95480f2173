// What changed at the onset and the mix-shift test: along every dimension the anomaly's slice
// leaves free, the values whose share of the slice's traffic rose, and whether the aggregate
// moved only because traffic moved between parts that each held their own value.
#include <algorithm>
#include <cmath>
#include <map>

#include "explain/evidence_steps.h"

namespace vigil::internal {

void FindChanges(const Cube& cube, const Anomaly& a, int metric, TimeMs from, TimeMs to,
                 const Aggregate& now, const Aggregate& before,
                 const std::vector<LeafCell>& cells_now, const std::vector<LeafCell>& cells_before,
                 Evidence* e) {
  const Config& c = cube.config();
  double total_now = static_cast<double>(now.count),
         total_before = static_cast<double>(before.count);
  double aggregate_change = cube.MetricValue(metric, now) - cube.MetricValue(metric, before);
  double aggregate_base = cube.MetricValue(metric, before);
  for (size_t d = 0; d < c.input.dimensions.size(); ++d) {
    const std::string& dim = c.input.dimensions[d].name;
    if (FixesDimension(a.slice, dim)) continue;
    std::map<std::string, Aggregate> by_now, by_before;
    for (const LeafCell& cell : cells_now) {
      auto it = by_now.find(cell.values[d]);
      if (it == by_now.end())
        by_now.emplace(cell.values[d], cell.aggregate);
      else
        it->second.Merge(cell.aggregate);
    }
    for (const LeafCell& cell : cells_before) {
      auto it = by_before.find(cell.values[d]);
      if (it == by_before.end())
        by_before.emplace(cell.values[d], cell.aggregate);
      else
        it->second.Merge(cell.aggregate);
    }
    // What changed: values whose share rose by 5 points or more (or that are new).
    for (const auto& [value, agg] : by_now) {
      double after = agg.count / total_now;
      auto b = by_before.find(value);
      double prior = b == by_before.end() ? 0 : b->second.count / total_before;
      if (after - prior < 0.05 && !(prior < 0.005 && after >= 0.02)) continue;
      ChangedValue cv;
      cv.dimension = dim;
      cv.value = value;
      cv.share_before = prior;
      cv.share_after = after;
      cv.metric_value = cube.MetricValue(metric, agg);
      Slice with = a.slice;
      with.emplace_back(dim, value);
      auto rest = cube.TotalExcluding(a.slice, {{dim, value}}, from, to, metric);
      cv.siblings_value = rest.ok() ? cube.MetricValue(metric, *rest) : std::nan("");
      auto first = cube.FirstBucketOf(with);
      cv.first_seen = first.ok() ? *first : 0;
      e->what_changed.push_back(cv);
    }
    // Mix shift along this dimension: the parts' own values held while their shares moved.
    if (std::isnan(aggregate_change) || aggregate_change == 0 || std::isnan(aggregate_base))
      continue;
    double share_moved = 0, largest_own = 0;
    bool judged = false;
    for (const auto& [value, agg] : by_now) {
      auto b = by_before.find(value);
      double after = agg.count / total_now;
      double prior = b == by_before.end() ? 0 : b->second.count / total_before;
      share_moved += std::abs(after - prior);
      if (b == by_before.end() || after < 0.01 || prior < 0.01) continue;
      if (cube.MetricSupport(metric, agg) < 100 || cube.MetricSupport(metric, b->second) < 100)
        continue;
      double v_now = cube.MetricValue(metric, agg), v_before = cube.MetricValue(metric, b->second);
      if (std::isnan(v_now) || std::isnan(v_before)) continue;
      judged = true;
      largest_own = std::max(largest_own, std::abs(v_now - v_before) * after);
    }
    // Weighted own changes explain little of the aggregate's change, and traffic did move.
    if (judged && share_moved / 2 >= 0.1 && largest_own < 0.25 * std::abs(aggregate_change)) {
      e->mix_shift = true;
      e->mix_dimension = dim;
    }
  }
  std::stable_sort(e->what_changed.begin(), e->what_changed.end(),
                   [](const ChangedValue& x, const ChangedValue& y) {
                     return x.share_after - x.share_before > y.share_after - y.share_before;
                   });
  if (e->what_changed.size() > 5) e->what_changed.resize(5);
}

}  // namespace vigil::internal
