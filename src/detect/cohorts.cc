// Cohorts: a new value (its own history too short to judge) against its siblings in the same
// buckets. A new build or model that is worse than the rest is a regression even without a
// baseline.
#include "detect/seasonal_detector.h"
#include "detect/series_job.h"

namespace vigil::internal {

// Only values that appeared after the data began (a new build, model or voice) are compared:
// values present from the start simply have no history yet. Counts and distinct counts are not
// compared (a new value's traffic is small by nature).
void CompareCohorts(const Config& c, std::vector<SeriesJob>* jobs) {
  std::map<size_t, std::vector<SeriesJob*>> groups;
  TimeMs data_start = INT64_MAX;
  for (SeriesJob& j : *jobs) {
    if (j.history_start != 0)
      data_start = std::min(data_start, j.history_start);
    else if (!j.series.points.empty())
      data_start = std::min(data_start, j.series.points.front().time);
  }
  for (SeriesJob& j : *jobs) {
    if (j.cohort_group) groups[j.group].push_back(&j);
  }
  for (auto& [id, members] : groups) {
    if (members.size() < 2) continue;
    const MetricSpec& spec = c.metrics[c.FindMetric(members[0]->monitor->metric)];
    if (spec.type == MetricType::kCount || spec.type == MetricType::kDistinct) continue;
    std::vector<bool> is_new;
    for (SeriesJob* j : members) {
      TimeMs first_seen = INT64_MAX;
      if (j->first_event != 0) {
        first_seen = j->first_event;
      } else {
        for (const SeriesPoint& p : j->series.points) {
          if (p.events > 0) {
            first_seen = p.time;
            break;
          }
        }
      }
      is_new.push_back(first_seen != INT64_MAX && first_seen - data_start >= c.detect.warmup_ms);
    }
    size_t n = members[0]->series.points.size();
    for (size_t i = 0; i < n; ++i) {
      // Support-weighted reference over all values, then leave-one-out per member.
      double sum_w = 0, sum_wv = 0, sum_w2se2 = 0;
      for (SeriesJob* j : members) {
        const SeriesPoint& p = j->series.points[i];
        if (std::isnan(p.value) || p.support == 0) continue;
        double w = static_cast<double>(p.support);
        sum_w += w;
        sum_wv += w * p.value;
        sum_w2se2 += w * w * p.sampling_error * p.sampling_error;
      }
      for (size_t mi = 0; mi < members.size(); ++mi) {
        SeriesJob* j = members[mi];
        const SeriesPoint& p = j->series.points[i];
        const MonitorSpec& m = *j->monitor;
        if (!is_new[mi] || j->assessments[i].warm || std::isnan(p.value) ||
            !EnoughSample(spec, m, p)) {
          continue;
        }
        double w = static_cast<double>(p.support);
        double rest_w = sum_w - w;
        if (rest_w < w) continue;  // the value is most of the traffic: no cohort to compare with
        double ref = (sum_wv - w * p.value) / rest_w;
        double ref_se2 = std::max(0.0, sum_w2se2 - w * w * p.sampling_error * p.sampling_error) /
                         (rest_w * rest_w);
        // Siblings differ naturally: allow the monitor's smallest relevant effect as spread.
        double spread = std::max(m.min_relative_effect, 0.05) * std::abs(ref);
        double sd = std::sqrt(p.sampling_error * p.sampling_error + ref_se2 + spread * spread);
        if (sd <= 0) continue;
        double z = (p.value - ref) / sd;
        j->p[i] = DirectionalPValue(z, m.direction);
        j->by_cohort[i] = true;
        Assessment& a = j->assessments[i];
        a.expected = ref;
        a.lower = ref - 3 * sd;
        a.upper = ref + 3 * sd;
        a.score = z;
        a.p_value = j->p[i];
        a.probability = 1 - j->p[i];
      }
    }
  }
}

}  // namespace vigil::internal
