// Root causes of an anomaly over the cube's leaf cells: the cells of the anomaly's first hours
// against the reference window, searched by LocalizeRootCauses in the metric's own terms.
#include <algorithm>
#include <cmath>
#include <map>

#include "explain/evidence_steps.h"

namespace vigil::internal {

bool FixesDimension(const Slice& slice, const std::string& dim) {
  return std::any_of(slice.begin(), slice.end(), [&](const auto& kv) { return kv.first == dim; });
}

// Root causes over the leaf cells of the anomaly's first hours against the reference window.
// A quantile regression is searched as the share of values beyond the baseline quantile (a
// ratio: which cells put more values above the old p95), which the cube answers exactly from
// each cell's sketch.
std::vector<RootCause> LeafRootCauses(const Cube& cube, const Anomaly& a, int metric,
                                      const std::vector<LeafCell>& now_cells,
                                      const std::vector<LeafCell>& before_cells) {
  const Config& c = cube.config();
  const MetricSpec& m = c.metrics[metric];
  std::vector<int> free_dims;
  std::vector<std::string> names;
  for (size_t d = 0; d < c.input.dimensions.size(); ++d) {
    if (!FixesDimension(a.slice, c.input.dimensions[d].name)) {
      free_dims.push_back(static_cast<int>(d));
      names.push_back(c.input.dimensions[d].name);
    }
  }
  if (names.empty() || (m.type != MetricType::kCount && m.type != MetricType::kRate &&
                        m.type != MetricType::kQuantile && m.type != MetricType::kMean)) {
    return {};
  }
  auto key_of = [&](const LeafCell& cell) {
    std::string k;
    for (int d : free_dims) k += cell.values[d] + '\x1f';
    return k;
  };
  // Every leaf of either window: a leaf that fell silent is evidence too.
  std::map<std::string, std::pair<const LeafCell*, const LeafCell*>> leaves;
  double now_total = 0, before_total = 0;
  for (const LeafCell& cell : now_cells) {
    leaves[key_of(cell)].first = &cell;
    now_total += cell.aggregate.count;
  }
  for (const LeafCell& cell : before_cells) {
    leaves[key_of(cell)].second = &cell;
    before_total += cell.aggregate.count;
  }
  double level = before_total > 0 ? now_total / before_total : 1;
  std::vector<RootCauseCell> cells;
  for (const auto& [key, pair] : leaves) {
    RootCauseCell rc;
    const LeafCell& any = pair.first ? *pair.first : *pair.second;
    for (int d : free_dims) rc.values.push_back(any.values[d]);
    const Aggregate* now = pair.first ? &pair.first->aggregate : nullptr;
    const Aggregate* ref = pair.second ? &pair.second->aggregate : nullptr;
    switch (m.type) {
      case MetricType::kCount:
        rc.actual = now ? static_cast<double>(now->count) : 0;
        rc.expected = ref ? level * static_cast<double>(ref->count) : 0;
        rc.reference = ref ? static_cast<double>(ref->count) : 0;
        break;
      case MetricType::kRate: {
        // Numerator and denominator as derived measures; the cell's own past rate, or the
        // anomaly's baseline rate for a cell that had no traffic then.
        double den = now ? static_cast<double>(cube.MetricSupport(metric, *now)) : 0;
        double rate = den > 0 ? cube.MetricValue(metric, *now) : 0;
        double ref_den = ref ? static_cast<double>(cube.MetricSupport(metric, *ref)) : 0;
        double past = ref_den > 0 ? cube.MetricValue(metric, *ref) : a.baseline;
        rc.actual = std::isnan(rate) ? 0 : rate * den;
        rc.actual_den = den;
        rc.expected = (std::isnan(past) ? a.baseline : past) * den;
        rc.expected_den = den;
        rc.reference = ref_den > 0 && !std::isnan(past) ? past * ref_den : 0;
        rc.reference_den = ref_den;
        break;
      }
      case MetricType::kQuantile: {
        if (now) {
          const QuantileSketch& s = now->measures[m.measure];
          double n = static_cast<double>(s.count());
          rc.actual = n - s.CountAtOrBelow(a.baseline);
          rc.actual_den = n;
          rc.expected = (1 - m.q) * n;
          rc.expected_den = n;
        }
        if (ref) {
          const QuantileSketch& r = ref->measures[m.measure];
          rc.reference_den = static_cast<double>(r.count());
          rc.reference = rc.reference_den - r.CountAtOrBelow(a.baseline);
        }
        break;
      }
      case MetricType::kMean: {
        if (!now) continue;
        const QuantileSketch& s = now->measures[m.measure];
        double n = static_cast<double>(s.count());
        double past = ref && ref->measures[m.measure].count() > 0 ? ref->measures[m.measure].mean()
                                                                  : a.baseline;
        rc.actual = s.sum();
        rc.actual_den = n;
        rc.expected = past * n;
        rc.expected_den = n;
        break;
      }
      default:
        break;
    }
    if (m.type == MetricType::kCount ? rc.actual == 0 && rc.reference == 0
                                     : rc.actual_den == 0 && rc.reference_den == 0)
      continue;
    cells.push_back(std::move(rc));
  }
  RootCauseOptions options;
  options.ratio = m.type != MetricType::kCount;
  // A leaf holds a handful of turns: each slice is judged on its own sums against the reference
  // window, not leaf by leaf (docs/root_cause.md). A mean has no proportion to test.
  options.against_reference = m.type != MetricType::kMean;
  options.direction = a.observed >= a.baseline ? 1 : -1;
  options.max_elements = 5;
  auto found = LocalizeRootCauses(names, cells, options);
  if (!found.ok()) return {};
  for (RootCause& r : *found) {
    std::vector<std::pair<std::string, std::string>> full(a.slice.begin(), a.slice.end());
    full.insert(full.end(), r.slice.begin(), r.slice.end());
    r.slice = std::move(full);
  }
  return std::move(*found);
}

}  // namespace vigil::internal
