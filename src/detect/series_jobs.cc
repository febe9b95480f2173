// Monitors expanded into series: one job per (metric, slice, granularity) a monitor names.
#include <set>

#include "detect/series_job.h"

namespace vigil::internal {
namespace {

std::string SliceKey(const std::string& metric, const Slice& slice, int64_t g) {
  Slice sorted = slice;
  std::sort(sorted.begin(), sorted.end());
  return metric + "|" + FormatSlice(sorted) + "|" + std::to_string(g);
}

}  // namespace

Result<std::vector<SeriesJob>> BuildSeriesJobs(const Cube& cube, const DetectOptions& options) {
  const Config& c = cube.config();
  std::vector<SeriesJob> jobs;
  std::set<std::string> seen;
  size_t group = 0;
  // Zone mixes depend on the slices, not the metric: one pass per set of dimensions. The mix is
  // read over the whole cube, as a plot of the series reads it.
  std::map<std::vector<std::string>, std::map<Slice, ZoneMix>> mixes;
  auto mix_of = [&](const SliceSelector& sel, const Slice& slice) -> Result<ZoneMix> {
    if (sel.kind == SliceSelector::Kind::kExplicit) return ZoneMixOf(cube, slice, 0, 0);
    auto it = mixes.find(sel.dimensions);
    if (it == mixes.end()) {
      VIGIL_ASSIGN_OR_RETURN(auto found, ZoneMixes(cube, sel.dimensions, 0, 0));
      it = mixes.emplace(sel.dimensions, std::move(found)).first;
    }
    auto mix = it->second.find(WithoutDimension(slice, c.detect.zone_dimension));
    return mix != it->second.end() ? mix->second : ZoneMix{};
  };
  for (const MonitorSpec& m : c.monitors) {
    int64_t g = m.granularity_ms ? m.granularity_ms : c.granularity_ms;
    // Whole buckets of the monitor only: a half-filled hour is not a drop in volume.
    const TimeMs to = options.to ? BucketStart(options.to, g) : 0;
    for (const SliceSelector& sel : m.slices) {
      std::vector<SliceSeries> found;
      switch (sel.kind) {
        case SliceSelector::Kind::kAll:
        case SliceSelector::Kind::kEachValue:
        case SliceSelector::Kind::kEachPair: {
          VIGIL_ASSIGN_OR_RETURN(
              found, cube.GroupSeries(m.metric, {}, sel.dimensions, options.from, to, g));
          break;
        }
        case SliceSelector::Kind::kExplicit: {
          Slice slice(sel.slice.begin(), sel.slice.end());
          auto s = cube.Series(m.metric, slice, options.from, to, g);
          if (s.status().code() == StatusCode::kNotFound) continue;  // no such value (yet)
          if (!s.ok()) return s.status();
          found.push_back({slice, std::move(*s)});
          break;
        }
      }
      ++group;
      for (SliceSeries& s : found) {
        if (!seen.insert(SliceKey(m.metric, s.slice, g)).second) continue;
        SeriesJob job;
        job.monitor = &m;
        job.series = std::move(s);
        job.granularity_ms = g;
        job.cohort_group = sel.kind == SliceSelector::Kind::kEachValue;
        job.group = group;
        VIGIL_ASSIGN_OR_RETURN(job.zone_mix, mix_of(sel, job.series.slice));
        jobs.push_back(std::move(job));
      }
    }
  }
  return jobs;
}

}  // namespace vigil::internal
