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
  std::map<std::string, const Aggregate*> before;
  for (const LeafCell& cell : before_cells) before[key_of(cell)] = &cell.aggregate;
  double now_total = 0, before_total = 0;
  for (const LeafCell& cell : now_cells) now_total += cell.aggregate.count;
  for (const LeafCell& cell : before_cells) before_total += cell.aggregate.count;
  double level = before_total > 0 ? now_total / before_total : 1;
  std::vector<RootCauseCell> cells;
  for (const LeafCell& cell : now_cells) {
    RootCauseCell rc;
    for (int d : free_dims) rc.values.push_back(cell.values[d]);
    auto it = before.find(key_of(cell));
    const Aggregate* ref = it == before.end() ? nullptr : it->second;
    const Aggregate& now = cell.aggregate;
    switch (m.type) {
      case MetricType::kCount:
        rc.actual = static_cast<double>(now.count);
        rc.expected = ref ? level * static_cast<double>(ref->count) : 0;
        break;
      case MetricType::kRate: {
        // Numerator and denominator as derived measures; the cell's own past rate, or the
        // anomaly's baseline rate for a cell that had no traffic then.
        double den = static_cast<double>(cube.MetricSupport(metric, now));
        double rate = cube.MetricValue(metric, now);
        double past = ref && cube.MetricSupport(metric, *ref) > 0 ? cube.MetricValue(metric, *ref)
                                                                  : a.baseline;
        rc.actual = std::isnan(rate) ? 0 : rate * den;
        rc.actual_den = den;
        rc.expected = (std::isnan(past) ? a.baseline : past) * den;
        rc.expected_den = den;
        break;
      }
      case MetricType::kQuantile: {
        const QuantileSketch& s = now.measures[m.measure];
        double n = static_cast<double>(s.count());
        rc.actual = n - s.CountAtOrBelow(a.baseline);
        rc.actual_den = n;
        rc.expected = (1 - m.q) * n;
        rc.expected_den = n;
        break;
      }
      case MetricType::kMean: {
        const QuantileSketch& s = now.measures[m.measure];
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
    if (rc.actual_den == 0 && m.type != MetricType::kCount) continue;
    cells.push_back(std::move(rc));
  }
  RootCauseOptions options;
  options.ratio = m.type != MetricType::kCount;
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
