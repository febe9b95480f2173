// Monitors expanded into series: one job per (metric, slice, granularity) a monitor names.
#include <algorithm>
#include <map>
#include <set>

#include "detect/series_job.h"

namespace vigil::internal {
std::string SeriesKey(const std::string& metric, const Slice& slice, int64_t g) {
  Slice sorted = slice;
  std::sort(sorted.begin(), sorted.end());
  return metric + "|" + FormatSlice(sorted) + "|" + std::to_string(g);
}

// Zone mixes depend on the slices, not the metric: one pass per set of dimensions. The mix is
// read over the whole cube, as a plot of the series reads it.
Result<ZoneMix> ZoneMixReader::Of(const SliceSelector& sel, const Slice& slice) {
  if (sel.kind == SliceSelector::Kind::kExplicit) return ZoneMixOf(*cube_, slice, 0, 0);
  auto it = mixes_.find(sel.dimensions);
  if (it == mixes_.end()) {
    VIGIL_ASSIGN_OR_RETURN(auto found, ZoneMixes(*cube_, sel.dimensions, 0, 0));
    it = mixes_.emplace(sel.dimensions, std::move(found)).first;
  }
  auto mix = it->second.find(WithoutDimension(slice, cube_->config().detect.zone_dimension));
  return mix != it->second.end() ? mix->second : ZoneMix{};
}

Result<std::vector<SliceSeries>> SelectorSeries(const Cube& cube, const MonitorSpec& m,
                                                const SliceSelector& sel, TimeMs from, TimeMs to,
                                                int64_t g) {
  std::vector<SliceSeries> found;
  if (sel.kind != SliceSelector::Kind::kExplicit)
    return cube.GroupSeries(m.metric, {}, sel.dimensions, from, to, g);
  Slice slice(sel.slice.begin(), sel.slice.end());
  auto s = cube.Series(m.metric, slice, from, to, g);
  if (s.status().code() == StatusCode::kNotFound) return found;  // no such value (yet)
  if (!s.ok()) return s.status();
  found.push_back({slice, std::move(*s)});
  return found;
}

Result<std::vector<SeriesJob>> BuildSeriesJobs(const Cube& cube, const DetectOptions& options) {
  const Config& c = cube.config();
  std::vector<SeriesJob> jobs;
  std::set<std::string> seen;
  size_t group = 0;
  ZoneMixReader mixes(cube);
  // Selectors over the same dimensions and granularity share one pass over the cube for all
  // their metrics (each cell merged once per group).
  using PassKey = std::pair<std::vector<std::string>, int64_t>;
  std::map<PassKey, std::vector<std::string>> pass_metrics;
  for (const MonitorSpec& m : c.monitors) {
    const int64_t g = m.granularity_ms ? m.granularity_ms : c.granularity_ms;
    for (const SliceSelector& sel : m.slices) {
      if (sel.kind == SliceSelector::Kind::kExplicit) continue;
      std::vector<std::string>& names = pass_metrics[{sel.dimensions, g}];
      if (std::find(names.begin(), names.end(), m.metric) == names.end()) names.push_back(m.metric);
    }
  }
  std::map<PassKey, std::map<std::string, std::vector<SliceSeries>>> passes;
  for (const auto& [key, names] : pass_metrics) {
    const int64_t g = key.second;
    const TimeMs to = options.to ? BucketStart(options.to, g) : 0;
    VIGIL_ASSIGN_OR_RETURN(auto per_metric,
                           cube.GroupSeriesOfMetrics(names, {}, key.first, options.from, to, g));
    for (size_t k = 0; k < names.size(); ++k) passes[key][names[k]] = std::move(per_metric[k]);
  }
  for (const MonitorSpec& m : c.monitors) {
    int64_t g = m.granularity_ms ? m.granularity_ms : c.granularity_ms;
    // Whole buckets of the monitor only: a half-filled hour is not a drop in volume.
    const TimeMs to = options.to ? BucketStart(options.to, g) : 0;
    for (const SliceSelector& sel : m.slices) {
      std::vector<SliceSeries> found;
      if (sel.kind == SliceSelector::Kind::kExplicit) {
        VIGIL_ASSIGN_OR_RETURN(found, SelectorSeries(cube, m, sel, options.from, to, g));
      } else {
        // Taken, not copied: a second selector of the same metric, dimensions and granularity
        // names only series already taken (they are skipped below all the same).
        auto taken = passes[{sel.dimensions, g}].extract(m.metric);
        if (!taken.empty()) found = std::move(taken.mapped());
      }
      ++group;
      for (SliceSeries& s : found) {
        if (!seen.insert(SeriesKey(m.metric, s.slice, g)).second) continue;
        SeriesJob job;
        job.monitor = &m;
        job.series = std::move(s);
        job.granularity_ms = g;
        job.cohort_group = sel.kind == SliceSelector::Kind::kEachValue;
        job.group = group;
        VIGIL_ASSIGN_OR_RETURN(job.zone_mix, mixes.Of(sel, job.series.slice));
        jobs.push_back(std::move(job));
      }
    }
  }
  return jobs;
}

}  // namespace vigil::internal
