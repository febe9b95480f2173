// Detect and DetectSeries: the steps of detection in order (series_job.h lists them).
#include "detect/joint.h"
#include "detect/series_job.h"

namespace vigil {

Result<std::vector<Anomaly>> DetectSeries(const std::vector<SliceSeries>& series,
                                          const MonitorSpec& monitor, const Config& config,
                                          int64_t granularity_ms) {
  std::vector<internal::SeriesJob> jobs;
  for (const SliceSeries& s : series) {
    internal::SeriesJob job;
    job.monitor = &monitor;
    job.series = s;
    job.granularity_ms = granularity_ms;
    jobs.push_back(std::move(job));
  }
  internal::TimeZoneCache zones;
  for (internal::SeriesJob& job : jobs)
    VIGIL_RETURN_IF_ERROR(internal::JudgeSeries(config, &job, &zones));
  internal::ControlFalseDiscoveries(&jobs, config.detect.fdr);
  std::vector<Anomaly> out;
  for (const internal::SeriesJob& job : jobs) internal::FormAnomalies(job, &out);
  return out;
}

Result<DetectionReport> Detect(const Cube& cube, const DetectOptions& options) {
  const Config& c = cube.config();
  DetectionReport report;
  if (cube.cell_count() == 0) return report;
  std::vector<internal::SeriesJob> jobs;
  if (options.state) {
    VIGIL_ASSIGN_OR_RETURN(
        jobs, internal::ContinueSeriesJobs(cube, options, options.state, &report.points));
  } else {
    VIGIL_ASSIGN_OR_RETURN(jobs, internal::BuildSeriesJobs(cube, options));
    internal::TimeZoneCache zones;
    for (internal::SeriesJob& job : jobs) {
      VIGIL_RETURN_IF_ERROR(internal::JudgeSeries(c, &job, &zones));
      report.points += job.series.points.size();
    }
  }
  internal::CompareCohorts(c, &jobs);
  // The slices' joint series share the false-discovery control of the rounds they fall in.
  std::vector<internal::JointSeries> joint;
  internal::JointCache batch_cache;
  internal::JointCache* joint_cache =
      options.state ? internal::JointCacheOf(options.state) : &batch_cache;
  const size_t univariate = jobs.size();
  if (c.detect.multivariate()) {
    VIGIL_ASSIGN_OR_RETURN(joint, internal::JudgeJointly(c, jobs, joint_cache));
    for (internal::JointSeries& s : joint) jobs.push_back(std::move(s.job));
  }
  internal::ControlFalseDiscoveries(&jobs, c.detect.fdr);
  for (size_t k = 0; k < joint.size(); ++k) joint[k].job = std::move(jobs[univariate + k]);
  jobs.resize(univariate);
  std::vector<Anomaly> candidates;
  std::vector<size_t> formed_by;  // the job of each candidate (none: a joint series')
  for (size_t k = 0; k < jobs.size(); ++k) {
    internal::FormAnomalies(jobs[k], &candidates);
    formed_by.resize(candidates.size(), k);
  }
  for (const internal::JointSeries& s : joint) {
    internal::FormJointAnomalies(s, joint_cache, &candidates);
    formed_by.resize(candidates.size(), SIZE_MAX);
  }
  report.series = jobs.size();
  report.candidates = candidates.size();
  TimeMs past_horizon = 0;
  if (options.state) {
    internal::ReturnSeriesJobs(&jobs, options.state, /*copy=*/options.series_out != nullptr);
    std::vector<std::vector<const Anomaly*>> formed(jobs.size());
    for (size_t i = 0; i < candidates.size(); ++i)
      if (formed_by[i] != SIZE_MAX) formed[formed_by[i]].push_back(&candidates[i]);
    past_horizon = internal::TrimToHorizon(jobs, formed, options.to, options.state);
  }
  report.anomalies = internal::KeepMostSpecific(std::move(candidates));
  if (!joint.empty()) internal::AttributeAnomalies(joint, joint_cache, &report.anomalies);
  if (past_horizon != 0) {
    // What ended before the horizon is no longer held whole.
    std::erase_if(report.anomalies,
                  [&](const Anomaly& a) { return a.end != 0 && a.end <= past_horizon; });
  }
  if (options.series_out) {
    for (internal::SeriesJob& job : jobs) {
      options.series_out->push_back({job.monitor->metric, job.series.slice, job.granularity_ms,
                                     std::move(job.series.points), std::move(job.assessments)});
    }
  }
  return report;
}

void SortAnomalies(std::vector<Anomaly>* anomalies) {
  std::sort(anomalies->begin(), anomalies->end(), [](const Anomaly& a, const Anomaly& b) {
    if (a.start != b.start) return a.start < b.start;
    if (a.metric != b.metric) return a.metric < b.metric;
    return FormatSlice(a.slice) < FormatSlice(b.slice);
  });
}

}  // namespace vigil
