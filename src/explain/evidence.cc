// Evidence for an anomaly, read exactly from the cube: stage attribution, root causes, what
// changed at the onset, the mix-shift test and affected devices. Each compares the anomaly's
// window with a reference window of the same length and hours (a week earlier when the slice had
// traffic then, else a day earlier).
#include <algorithm>
#include <cmath>

#include "explain/evidence_steps.h"

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
  e.stages = internal::LatencyStages(cube, m, now, before);
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
  double total_now = static_cast<double>(now.count),
         total_before = static_cast<double>(before.count);
  if (total_now > 0 && total_before > 0) {
    e.root_causes = internal::LeafRootCauses(cube, a, metric, cells_now, cells_before);
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
  internal::FindChanges(cube, a, metric, w.from, w.to, now, before, cells_now, cells_before, &e);
  return e;
}

// A regression whose primary is not a latency (a failure or good-turn rate) takes its stages
// from its largest latency anomaly, if it has one.
Result<Evidence> CollectEvidence(const Cube& cube, const Anomaly& primary,
                                 const std::vector<Anomaly>& related) {
  VIGIL_ASSIGN_OR_RETURN(Evidence evidence, CollectEvidence(cube, primary));
  const Config& c = cube.config();
  if (!evidence.stages.empty()) return evidence;
  const Anomaly* latency = nullptr;
  for (const Anomaly& a : related) {
    int m = c.FindMetric(a.metric);
    if (m < 0) continue;
    MetricType t = c.metrics[m].type;
    if ((t == MetricType::kQuantile || t == MetricType::kMean) &&
        (!latency || std::abs(a.relative_change) > std::abs(latency->relative_change))) {
      latency = &a;
    }
  }
  if (!latency) return evidence;
  VIGIL_ASSIGN_OR_RETURN(Evidence other, CollectEvidence(cube, *latency));
  evidence.stages = std::move(other.stages);
  return evidence;
}

}  // namespace vigil
