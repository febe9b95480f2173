// The expected band of any series: the detection ensemble replayed over the slice's history with
// the settings detection uses for the metric, so a plot shows what detection saw.
#include <cmath>

#include "vigil/report.h"

namespace vigil {

Result<ExpectedSeries> SeriesWithBand(const Cube& cube, std::string_view metric, const Slice& slice,
                                      TimeMs from, TimeMs to, int64_t granularity_ms) {
  const Config& c = cube.config();
  int index = c.FindMetric(metric);
  MonitorSpec fallback;
  fallback.metric = std::string(metric);
  const MonitorSpec* monitor = index >= 0 ? MonitorFor(c, metric, slice) : nullptr;
  if (!monitor) monitor = &fallback;
  int64_t g = granularity_ms;
  if (g == 0) g = monitor->granularity_ms ? monitor->granularity_ms : c.granularity_ms;
  // All history up to `to` feeds the detectors; only [from, to) is returned.
  VIGIL_ASSIGN_OR_RETURN(std::vector<SeriesPoint> points, cube.Series(metric, slice, 0, to, g));
  const MetricSpec& spec = c.metrics[index];
  SliceSeries series{slice, std::move(points)};
  VIGIL_ASSIGN_OR_RETURN(std::vector<Assessment> assessments,
                         ReplayDetection(cube, *monitor, series, g));

  ExpectedSeries out;
  out.metric = std::string(metric);
  out.slice = slice;
  out.unit = spec.unit;
  out.granularity_ms = g;
  for (size_t i = 0; i < series.points.size(); ++i) {
    if (series.points[i].time < from) continue;
    Assessment a = assessments[i];
    if (!a.warm) a.expected = a.lower = a.upper = std::nan("");
    out.points.push_back(series.points[i]);
    out.assessments.push_back(a);
  }
  return out;
}

}  // namespace vigil
