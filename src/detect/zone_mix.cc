// The time zones a series' traffic lives in. A slice that fixes one locale follows that locale's
// clock; all traffic, or one platform used around the world, follows several at once, and its
// weekend starts on Friday afternoon in UTC and ends on Monday morning. The mix is read from the
// cube: per zone, the slice's events at each UTC hour of day (the zones awake at 21:00 UTC are
// not those awake at 09:00).
#include "detect/series_job.h"

namespace vigil::internal {
namespace {

// Hourly series when the cube's buckets divide an hour; else the cube's own buckets.
int64_t MixGranularity(const Config& c) {
  if (c.granularity_ms > 0 && kHourMs % c.granularity_ms == 0) return kHourMs;
  return c.granularity_ms;
}

}  // namespace

Slice WithoutDimension(const Slice& slice, const std::string& dimension) {
  Slice out;
  for (const auto& kv : slice)
    if (kv.first != dimension) out.push_back(kv);
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

void AddSeries(const Config& c, const std::string& zone_value, const std::vector<SeriesPoint>& pts,
               ZoneMix* mix) {
  const std::string& zone = ZoneOfValue(c, zone_value);
  auto it =
      std::find_if(mix->begin(), mix->end(), [&](const ZoneShare& z) { return z.zone == zone; });
  if (it == mix->end()) it = mix->insert(mix->end(), ZoneShare{zone, {}});
  for (const SeriesPoint& p : pts) {
    int64_t hour = ((p.time % kDayMs + kDayMs) % kDayMs) / kHourMs;
    it->events[static_cast<size_t>(hour)] += static_cast<double>(p.events);
  }
}

bool ZonesKnown(const Config& c) { return !c.detect.zone_dimension.empty() && !c.metrics.empty(); }

}  // namespace

bool FixesZone(const Config& c, const Slice& slice) {
  return std::any_of(slice.begin(), slice.end(),
                     [&](const auto& kv) { return kv.first == c.detect.zone_dimension; });
}

Result<std::map<Slice, ZoneMix>> ZoneMixes(const Cube& cube, const std::vector<std::string>& dims,
                                           TimeMs from, TimeMs to) {
  const Config& c = cube.config();
  std::map<Slice, ZoneMix> out;
  if (!ZonesKnown(c) || std::count(dims.begin(), dims.end(), c.detect.zone_dimension) > 0)
    return out;
  if (c.FindDimension(c.detect.zone_dimension) < 0) return out;
  std::vector<std::string> with_zone = dims;
  with_zone.push_back(c.detect.zone_dimension);
  VIGIL_ASSIGN_OR_RETURN(
      std::vector<SliceSeries> parts,
      cube.GroupSeries(c.metrics[0].name, {}, with_zone, from, to, MixGranularity(c)));
  for (const SliceSeries& part : parts) {
    ZoneMix& mix = out[WithoutDimension(part.slice, c.detect.zone_dimension)];
    for (const auto& [d, v] : part.slice)
      if (d == c.detect.zone_dimension) AddSeries(c, v, part.points, &mix);
  }
  return out;
}

Result<ZoneMix> ZoneMixOf(const Cube& cube, const Slice& slice, TimeMs from, TimeMs to) {
  const Config& c = cube.config();
  ZoneMix mix;
  if (!ZonesKnown(c) || FixesZone(c, slice) || c.FindDimension(c.detect.zone_dimension) < 0)
    return mix;
  VIGIL_ASSIGN_OR_RETURN(std::vector<SliceSeries> parts,
                         cube.GroupSeries(c.metrics[0].name, slice, {c.detect.zone_dimension}, from,
                                          to, MixGranularity(c)));
  for (const SliceSeries& part : parts) {
    for (const auto& [d, v] : part.slice)
      if (d == c.detect.zone_dimension) AddSeries(c, v, part.points, &mix);
  }
  return mix;
}

}  // namespace vigil::internal
