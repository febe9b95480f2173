// Evidence for an anomaly, read exactly from the cube: stage attribution, what changed at the
// onset, the mix-shift test and affected devices. Each compares the anomaly's window with a
// reference window of the same length and hours (a week earlier when the slice had traffic then,
// else a day earlier).
#include <algorithm>
#include <cmath>
#include <map>

#include "vigil/incident.h"

namespace vigil {
namespace {

struct Windows {
  TimeMs from, to;          // the anomaly
  TimeMs ref_from, ref_to;  // the reference
};

// The onset is what explains a regression (what changed, where it began, which stage moved):
// evidence reads at most the first six hours of an anomaly, which also bounds its cost.
Windows WindowsOf(const Cube& cube, const Anomaly& a) {
  TimeMs end = a.end ? a.end : cube.last_bucket() + cube.config().granularity_ms;
  TimeMs from = a.start;
  TimeMs to = std::min(std::max(end, from + cube.config().granularity_ms), from + 6 * kHourMs);
  TimeMs shift = from - 7 * kDayMs >= cube.first_bucket() ? 7 * kDayMs : kDayMs;
  return {from, to, from - shift, to - shift};
}

// The metric's statistic for a measure: the same quantile, or the mean.
double Statistic(const MetricSpec& m, const QuantileSketch& s) {
  if (s.empty()) return std::nan("");
  return m.type == MetricType::kQuantile ? s.Quantile(m.q) : s.mean();
}

std::vector<StageShare> Stages(const Cube& cube, const MetricSpec& m, const Aggregate& now,
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

bool Fixed(const Slice& slice, const std::string& dim) {
  return std::any_of(slice.begin(), slice.end(), [&](const auto& kv) { return kv.first == dim; });
}

// Root causes over the leaf cells of the anomaly's first hours against the reference window.
// A quantile regression is searched as the share of values beyond the baseline quantile (a
// ratio: which cells put more values above the old p95), which the cube answers exactly from
// each cell's sketch.
std::vector<RootCause> RootCauses(const Cube& cube, const Anomaly& a, int metric,
                                  const std::vector<LeafCell>& now_cells,
                                  const std::vector<LeafCell>& before_cells) {
  const Config& c = cube.config();
  const MetricSpec& m = c.metrics[metric];
  std::vector<int> free_dims;
  std::vector<std::string> names;
  for (size_t d = 0; d < c.input.dimensions.size(); ++d) {
    if (!Fixed(a.slice, c.input.dimensions[d].name)) {
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
        double past = ref && cube.MetricSupport(metric, *ref) > 0 ? cube.MetricValue(metric, *ref) : a.baseline;
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
        double past = ref && ref->measures[m.measure].count() > 0 ? ref->measures[m.measure].mean() : a.baseline;
        rc.actual = s.sum();
        rc.actual_den = n;
        rc.expected = past * n;
        rc.expected_den = n;
        break;
      }
      default: break;
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

}  // namespace

Result<Evidence> CollectEvidence(const Cube& cube, const Anomaly& a) {
  const Config& c = cube.config();
  Evidence e;
  int metric = c.FindMetric(a.metric);
  if (metric < 0) return NotFound("unknown metric '" + a.metric + "'");
  const MetricSpec& m = c.metrics[metric];
  Windows w = WindowsOf(cube, a);
  VIGIL_ASSIGN_OR_RETURN(Aggregate now, cube.Total(a.slice, w.from, w.to));
  VIGIL_ASSIGN_OR_RETURN(Aggregate before, cube.Total(a.slice, w.ref_from, w.ref_to));
  if (before.count == 0 && w.from - w.ref_from > kDayMs) {
    // The slice did not exist a week ago (a new build): compare with the day before.
    w.ref_from = w.from - kDayMs;
    w.ref_to = w.to - kDayMs;
    VIGIL_ASSIGN_OR_RETURN(before, cube.Total(a.slice, w.ref_from, w.ref_to));
  }
  e.window_from = w.from;
  e.window_to = w.to;
  e.reference_from = w.ref_from;
  e.reference_to = w.ref_to;
  {
    // Affected devices over the whole anomaly, not just its onset.
    TimeMs end = a.end ? a.end : cube.last_bucket() + c.granularity_ms;
    VIGIL_ASSIGN_OR_RETURN(Aggregate whole, cube.Total(a.slice, a.start, std::max(end, w.to)));
    e.affected_devices = static_cast<uint64_t>(std::llround(whole.devices.Estimate()));
  }
  e.stages = Stages(cube, m, now, before);
  if (e.stages.empty() && (m.type == MetricType::kQuantile || m.type == MetricType::kMean) &&
      std::find(c.input.stages.begin(), c.input.stages.end(), m.measure) != c.input.stages.end()) {
    // No stage comparison (a new model has no past): a stage's own metric is carried by it.
    e.stages.push_back({c.input.measures[m.measure].name, 1.0, a.baseline, a.observed});
  }
  e.affected_turns = now.count;
  e.reference_turns = before.count;
  if (!a.slice.empty()) {
    VIGIL_ASSIGN_OR_RETURN(Aggregate everything, cube.Total({}, w.from, w.to));
    e.traffic_share = everything.count > 0 ? static_cast<double>(now.count) / everything.count : 0;
  }

  // Leaf cells of both windows, to read shares and per-value metrics along every free dimension.
  VIGIL_ASSIGN_OR_RETURN(auto cells_now, cube.Cells(a.slice, w.from, w.to));
  VIGIL_ASSIGN_OR_RETURN(auto cells_before, cube.Cells(a.slice, w.ref_from, w.ref_to));
  double total_now = static_cast<double>(now.count), total_before = static_cast<double>(before.count);
  if (total_now > 0 && total_before > 0) {
    e.root_causes = RootCauses(cube, a, metric, cells_now, cells_before);
    // People read a root cause in the metric's own terms (ms, a rate), whatever the search
    // compared: the slice's value during the onset and in the reference window.
    for (RootCause& rc : e.root_causes) {
      Slice slice(rc.slice.begin(), rc.slice.end());
      auto during = cube.Total(slice, w.from, w.to);
      auto past = cube.Total(slice, w.ref_from, w.ref_to);
      rc.actual = during.ok() ? cube.MetricValue(metric, *during) : std::nan("");
      rc.expected = past.ok() ? cube.MetricValue(metric, *past) : std::nan("");
    }
  }
  if (e.root_causes.empty()) {
    // Nothing narrower stands out (or the slice is new): its own slice carries the deviation.
    RootCause whole;
    whole.slice.assign(a.slice.begin(), a.slice.end());
    whole.explained_fraction = 1.0;
    whole.actual = a.observed;
    whole.expected = a.baseline;
    e.root_causes.push_back(std::move(whole));
  }
  if (total_now == 0 || total_before == 0) return e;
  double aggregate_change = cube.MetricValue(metric, now) - cube.MetricValue(metric, before);
  double aggregate_base = cube.MetricValue(metric, before);
  for (size_t d = 0; d < c.input.dimensions.size(); ++d) {
    const std::string& dim = c.input.dimensions[d].name;
    if (Fixed(a.slice, dim)) continue;
    std::map<std::string, Aggregate> by_now, by_before;
    for (const LeafCell& cell : cells_now) {
      auto it = by_now.find(cell.values[d]);
      if (it == by_now.end()) by_now.emplace(cell.values[d], cell.aggregate);
      else it->second.Merge(cell.aggregate);
    }
    for (const LeafCell& cell : cells_before) {
      auto it = by_before.find(cell.values[d]);
      if (it == by_before.end()) by_before.emplace(cell.values[d], cell.aggregate);
      else it->second.Merge(cell.aggregate);
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
      auto rest = cube.TotalExcluding(a.slice, {{dim, value}}, w.from, w.to);
      cv.siblings_value = rest.ok() ? cube.MetricValue(metric, *rest) : std::nan("");
      auto first = cube.FirstBucketOf(with);
      cv.first_seen = first.ok() ? *first : 0;
      e.what_changed.push_back(cv);
    }
    // Mix shift along this dimension: the parts' own values held while their shares moved.
    if (std::isnan(aggregate_change) || aggregate_change == 0 || std::isnan(aggregate_base)) continue;
    double share_moved = 0, largest_own = 0;
    bool judged = false;
    for (const auto& [value, agg] : by_now) {
      auto b = by_before.find(value);
      double after = agg.count / total_now;
      double prior = b == by_before.end() ? 0 : b->second.count / total_before;
      share_moved += std::abs(after - prior);
      if (b == by_before.end() || after < 0.01 || prior < 0.01) continue;
      if (cube.MetricSupport(metric, agg) < 100 || cube.MetricSupport(metric, b->second) < 100) continue;
      double v_now = cube.MetricValue(metric, agg), v_before = cube.MetricValue(metric, b->second);
      if (std::isnan(v_now) || std::isnan(v_before)) continue;
      judged = true;
      largest_own = std::max(largest_own, std::abs(v_now - v_before) * after);
    }
    // Weighted own changes explain little of the aggregate's change, and traffic did move.
    if (judged && share_moved / 2 >= 0.1 && largest_own < 0.25 * std::abs(aggregate_change)) {
      e.mix_shift = true;
      e.mix_dimension = dim;
    }
  }
  std::stable_sort(e.what_changed.begin(), e.what_changed.end(), [](const ChangedValue& x, const ChangedValue& y) {
    return x.share_after - x.share_before > y.share_after - y.share_before;
  });
  if (e.what_changed.size() > 5) e.what_changed.resize(5);
  return e;
}

namespace {

// An incident whose primary is not a latency (a failure or good-turn rate) takes its stages
// from its largest latency anomaly, if it has one.
Status AttachLatencyStages(const Cube& cube, Incident* incident) {
  Incident& inc = *incident;
  const Config& c = cube.config();
  if (!inc.evidence.stages.empty()) return Status::Ok();
  const Anomaly* latency = nullptr;
  for (const Anomaly& a : inc.related) {
    int m = c.FindMetric(a.metric);
    if (m < 0) continue;
    MetricType t = c.metrics[m].type;
    if ((t == MetricType::kQuantile || t == MetricType::kMean) &&
        (!latency || std::abs(a.relative_change) > std::abs(latency->relative_change))) {
      latency = &a;
    }
  }
  if (!latency) return Status::Ok();
  VIGIL_ASSIGN_OR_RETURN(Evidence other, CollectEvidence(cube, *latency));
  inc.evidence.stages = std::move(other.stages);
  return Status::Ok();
}

bool InLineage(const Slice& a, const Slice& b) {
  auto contains = [](const Slice& big, const Slice& small) {
    return std::all_of(small.begin(), small.end(), [&](const auto& kv) {
      return std::find(big.begin(), big.end(), kv) != big.end();
    });
  };
  return contains(a, b) || contains(b, a);
}

// Incidents of one time that look like one cause seen from two sides: their slices (or top
// root causes) lie in one lineage, or one value appeared just before both onsets. All traffic is in every
// lineage, so it relates only to incidents that began within the hour.
void LinkRelatedIncidents(std::vector<Incident>* incidents) {
  auto& all = *incidents;
  for (size_t i = 0; i < all.size(); ++i) {
    for (size_t j = i + 1; j < all.size(); ++j) {
      const Incident& a = all[i];
      const Incident& b = all[j];
      TimeMs a_end = a.end ? a.end : INT64_MAX / 2, b_end = b.end ? b.end : INT64_MAX / 2;
      if (!(a.start < b_end + kHourMs && b.start < a_end + kHourMs)) continue;
      bool near_onsets = std::abs(a.start - b.start) <= kHourMs;
      bool lineage = InLineage(a.primary.slice, b.primary.slice) &&
                     (near_onsets || (!a.primary.slice.empty() && !b.primary.slice.empty()));
      if (!lineage && !a.evidence.root_causes.empty() && !b.evidence.root_causes.empty()) {
        Slice ra(a.evidence.root_causes[0].slice.begin(), a.evidence.root_causes[0].slice.end());
        Slice rb(b.evidence.root_causes[0].slice.begin(), b.evidence.root_causes[0].slice.end());
        lineage = !ra.empty() && !rb.empty() && InLineage(ra, rb);
      }
      bool same_change = false;
      for (const ChangedValue& x : a.evidence.what_changed) {
        for (const ChangedValue& y : b.evidence.what_changed) {
          // A value new at both onsets: first seen within six hours before them.
          same_change = same_change || (near_onsets && x.dimension == y.dimension && x.value == y.value &&
                                        x.first_seen && x.first_seen >= std::min(a.start, b.start) - 6 * kHourMs);
        }
      }
      if (!lineage && !same_change) continue;
      all[i].related_incidents.push_back(b.id);
      all[j].related_incidents.push_back(a.id);
    }
  }
}

}  // namespace

Status AttachEvidence(const Cube& cube, std::vector<Incident>* incidents) {
  const Config& c = cube.config();
  for (Incident& inc : *incidents) {
    VIGIL_ASSIGN_OR_RETURN(inc.evidence, CollectEvidence(cube, inc.primary));
    inc.paging = !inc.evidence.mix_shift;
    inc.severity = SeverityOf(inc.primary, inc.evidence.traffic_share);
    VIGIL_RETURN_IF_ERROR(AttachLatencyStages(cube, &inc));
    inc.summary = Summarize(inc, c);
  }
  LinkRelatedIncidents(incidents);
  return Status::Ok();
}

Result<IncidentSearch> FindIncidents(const Cube& cube, TimeMs from, TimeMs to) {
  IncidentSearch out;
  VIGIL_ASSIGN_OR_RETURN(out.detection, Detect(cube));
  std::vector<Anomaly> kept;
  for (const Anomaly& a : out.detection.anomalies) {
    if (from && a.start < from) continue;
    if (to && a.start >= to) continue;
    kept.push_back(a);
  }
  out.incidents = GroupIncidents(kept);
  VIGIL_RETURN_IF_ERROR(AttachEvidence(cube, &out.incidents));
  return out;
}

}  // namespace vigil
