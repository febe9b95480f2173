// Anomaly runs: consecutive significant buckets whose effect matters become one anomaly, with its
// onset, end, baseline and observed value, kept when it lasts and moves enough as a whole.
#include "detect/series_job.h"

namespace vigil {

bool EffectMatters(const MonitorSpec& m, double value, double expected) {
  if (std::isnan(value) || std::isnan(expected)) return false;
  double delta = value - expected;
  if (m.direction == Direction::kUp && delta <= 0) return false;
  if (m.direction == Direction::kDown && delta >= 0) return false;
  double need = internal::SmallestEffect(m, expected);
  return std::abs(delta) >= need && std::abs(delta) > 0;
}

namespace internal {

void FormAnomalies(const SeriesJob& job, std::vector<Anomaly>* out) {
  const MonitorSpec& m = *job.monitor;
  const auto& pts = job.series.points;
  int64_t g = job.granularity_ms;
  size_t n = pts.size();
  size_t i = 0;
  while (i < n) {
    if (!(job.significant[i] && EffectMatters(m, pts[i].value, job.assessments[i].expected))) {
      ++i;
      continue;
    }
    size_t first = i, last = i;
    int outs = 0;
    size_t k = i + 1;
    // The run goes on while the effect lasts; an hour of ordinary buckets (at least three) ends
    // it, so that a noisy regression stays one anomaly rather than a burst of short ones.
    const int recovery = static_cast<int>(std::max<int64_t>(3, kHourMs / g));
    for (; k < n; ++k) {
      if (EffectMatters(m, pts[k].value, job.assessments[k].expected)) {
        last = k;
        outs = 0;
      } else if (++outs >= recovery) {
        break;
      }
    }
    Anomaly a;
    a.metric = m.metric;
    a.slice = job.series.slice;
    a.granularity_ms = g;
    a.detected = pts[first].time;
    a.start = pts[first].time;
    // The onset: back from the first significant bucket, as far as the change-point onset allows,
    // while the deviation already had half the size that matters.
    TimeMs onset = job.assessments[first].onset;
    if (onset > 0 && onset < a.start && a.start - onset <= 24 * g) {
      size_t b = first;
      while (b > 0 && pts[b - 1].time >= onset) {
        const Assessment& prev = job.assessments[b - 1];
        const double need = 0.5 * SmallestEffect(m, prev.expected);
        const double delta = MonitoredDeviation(m, pts[b - 1].value, prev.expected);
        if (std::isnan(delta) || delta < need) break;
        --b;
      }
      a.start = pts[b].time;
    }
    bool open = k >= n;  // still anomalous at the end of the data
    a.end = open ? 0 : pts[last].time + g;
    double sum_e = 0, sum_o = 0, conf = 0;
    uint64_t support = 0;
    size_t count = 0;
    bool cohort = false;
    for (size_t t = first; t <= last; ++t) {
      const Assessment& as = job.assessments[t];
      if (!EffectMatters(m, pts[t].value, as.expected)) continue;
      sum_e += as.expected;
      sum_o += pts[t].value;
      conf = std::max(conf, as.probability);
      support += pts[t].support;
      cohort = cohort || job.by_cohort[t];
      ++count;
    }
    if (count > 0) {
      a.baseline = sum_e / count;
      a.observed = sum_o / count;
      a.relative_change = a.baseline != 0 ? (a.observed - a.baseline) / std::abs(a.baseline) : 0;
    }
    a.direction = a.observed >= a.baseline ? Direction::kUp : Direction::kDown;
    a.confidence = conf;
    a.support = support;
    a.cohort = cohort;
    a.detector = cohort ? "cohort" : "ensemble";
    TimeMs span = pts[last].time + g - pts[first].time;
    // The run as a whole must move by the smallest effect that matters, not just its peaks.
    double mean_expected = 0, mean_observed = 0;
    size_t all = 0;
    for (size_t t = first; t <= last; ++t) {
      if (std::isnan(pts[t].value) || std::isnan(job.assessments[t].expected)) continue;
      mean_expected += job.assessments[t].expected;
      mean_observed += pts[t].value;
      ++all;
    }
    bool sizeable = all > 0 && EffectMatters(m, mean_observed / all, mean_expected / all);
    if (span >= m.min_duration_ms && count > 0 && sizeable) out->push_back(std::move(a));
    i = k;
  }
}

}  // namespace internal
}  // namespace vigil
