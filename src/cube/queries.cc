// Queries over the cells: a slice's series, a group of slices' series in one pass, totals and
// leaf cells over a time window.
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <unordered_map>

#include "common/text.h"
#include "cube/cube_impl.h"

namespace vigil {

namespace {

// The buckets of a series: [from, to) at width g, where 0 means "from the data". A range without
// a start covers at most limits.max_series_points of the latest buckets, so one stray event years
// away does not make every series years long; an explicit range longer than that is an error.
// `from`, moved past every range rolled up to a granularity that does not divide `g` (there the
// series would mix grains), and never past `to`.
TimeMs PastRolledUp(const Cube& cube, TimeMs from, TimeMs to, int64_t g) {
  const TimeMs exact = cube.ExactFrom(g);
  return from < exact ? std::min(BucketStart(exact + g - 1, g), std::max(to, from)) : from;
}

Status ResolveRange(const Cube& cube, int64_t g, TimeMs* from, TimeMs* to) {
  const Config& c = cube.config();
  int64_t max_points = c.limits.max_series_points;
  bool empty = cube.cell_count() == 0;
  bool explicit_from = *from != 0;
  if (*to == 0)
    *to = empty ? (explicit_from ? *from : cube.first_bucket())
                : cube.last_bucket() + c.granularity_ms;
  *from =
      explicit_from ? PastRolledUp(cube, BucketStart(*from, g), *to, g) : cube.SeriesStart(*to, g);
  if (*to < *from) return InvalidArgument("--to is before --from");
  int64_t n = (*to - *from) / g;
  if (n > max_points) {
    return InvalidArgument(fmt::format(
        "{} to {} at {} is {} buckets, more than limits.max_series_points ({}); ask for a "
        "shorter range or a coarser granularity",
        FormatTimestamp(*from), FormatTimestamp(*to), FormatDuration(g), n, max_points));
  }
  return Status::Ok();
}

// A query's bucket width: the cube's when 0, else a multiple of it.
Result<int64_t> ResolveGranularity(const Config& c, int64_t granularity_ms) {
  int64_t g = granularity_ms == 0 ? c.granularity_ms : granularity_ms;
  if (g % c.granularity_ms != 0) {
    return InvalidArgument("granularity " + FormatDuration(g) +
                           " is not a multiple of the cube's " + FormatDuration(c.granularity_ms));
  }
  return g;
}

Result<int> ResolveMetric(const Config& c, std::string_view name) {
  int idx = c.FindMetric(name);
  if (idx < 0) {
    std::vector<std::string> names;
    for (const auto& m : c.metrics) names.push_back(m.name);
    std::string near = Nearest(name, names);
    return NotFound("unknown metric '" + std::string(name) + "'" +
                    (near.empty() ? "" : "; did you mean '" + near + "'?"));
  }
  return idx;
}

}  // namespace

Result<std::vector<SeriesPoint>> Cube::Series(std::string_view metric, const Slice& slice,
                                              TimeMs from, TimeMs to,
                                              int64_t granularity_ms) const {
  const Impl& m = *impl_;
  const Config& c = config();
  VIGIL_ASSIGN_OR_RETURN(int idx, ResolveMetric(c, metric));
  VIGIL_ASSIGN_OR_RETURN(int64_t g, ResolveGranularity(c, granularity_ms));
  bool nothing = false;
  VIGIL_ASSIGN_OR_RETURN(auto required, m.ResolveSlice(slice, /*strict=*/true, &nothing));
  VIGIL_RETURN_IF_ERROR(ResolveRange(*this, g, &from, &to));
  int64_t n = (to - from + g - 1) / g;
  const Impl::Parts parts = m.PartsOf(idx);
  std::vector<Aggregate> buckets(n, m.EmptyAggregate());
  if (!nothing) {
    m.ForEachCellIn(from, to, [&](size_t i) {
      if (m.CellMatches(i, required))
        Impl::AccumulateCell(m, i, &parts, &buckets[(m.cell_bucket[i] - from) / g]);
    });
  }
  std::vector<SeriesPoint> out(n);
  for (int64_t k = 0; k < n; ++k) {
    out[k].time = from + k * g;
    out[k].value = MetricValue(idx, buckets[k]);
    out[k].events = buckets[k].count;
    out[k].support = MetricSupport(idx, buckets[k]);
    out[k].sampling_error = MetricSamplingError(idx, buckets[k]);
  }
  return out;
}

TimeMs Cube::SeriesStart(TimeMs to, int64_t granularity_ms) const {
  const int64_t g = granularity_ms;
  const int64_t max_points = config().limits.max_series_points;
  const int64_t span = max_points > kMaxDurationMs / g ? kMaxDurationMs : max_points * g;
  return PastRolledUp(
      *this, BucketStart(to - first_bucket() > span ? to - span : first_bucket(), g), to, g);
}

Result<SeriesPoint> Cube::EmptyPoint(std::string_view metric, TimeMs time) const {
  VIGIL_ASSIGN_OR_RETURN(int idx, ResolveMetric(config(), metric));
  const Aggregate empty = impl_->EmptyAggregate();
  SeriesPoint p;
  p.time = time;
  p.value = MetricValue(idx, empty);
  p.support = MetricSupport(idx, empty);
  p.sampling_error = MetricSamplingError(idx, empty);
  return p;
}

Result<std::vector<SliceSeries>> Cube::GroupSeries(std::string_view metric, const Slice& base,
                                                   const std::vector<std::string>& dimensions,
                                                   TimeMs from, TimeMs to,
                                                   int64_t granularity_ms) const {
  VIGIL_ASSIGN_OR_RETURN(
      auto per_metric,
      GroupSeriesOfMetrics({std::string(metric)}, base, dimensions, from, to, granularity_ms));
  return std::move(per_metric.front());
}

Result<std::vector<std::vector<SliceSeries>>> Cube::GroupSeriesOfMetrics(
    const std::vector<std::string>& metrics, const Slice& base,
    const std::vector<std::string>& dimensions, TimeMs from, TimeMs to,
    int64_t granularity_ms) const {
  const Impl& m = *impl_;
  const Config& c = config();
  std::vector<std::vector<SliceSeries>> out(metrics.size());
  if (metrics.empty()) return out;
  std::vector<int> indices;
  for (const std::string& metric : metrics) {
    VIGIL_ASSIGN_OR_RETURN(int idx, ResolveMetric(c, metric));
    indices.push_back(idx);
  }
  VIGIL_ASSIGN_OR_RETURN(int64_t g, ResolveGranularity(c, granularity_ms));
  std::vector<int> dims;
  for (const std::string& d : dimensions) {
    int di = c.FindDimension(d);
    if (di < 0) return NotFound("unknown dimension '" + d + "'");
    dims.push_back(di);
  }
  bool nothing = false;
  VIGIL_ASSIGN_OR_RETURN(auto required, m.ResolveSlice(base, /*strict=*/false, &nothing));
  if (nothing || m.cell_bucket.empty()) return out;
  VIGIL_RETURN_IF_ERROR(ResolveRange(*this, g, &from, &to));
  int64_t n = (to - from + g - 1) / g;
  if (n <= 0) return out;
  // What any of the metrics reads, merged once per cell and group.
  Impl::Parts parts = m.PartsOf(indices.front());
  for (int idx : indices) {
    const Impl::Parts more = m.PartsOf(idx);
    parts.counters = parts.counters || more.counters;
    parts.devices = parts.devices || more.devices;
    for (size_t k = 0; k < parts.measures.size(); ++k)
      parts.measures[k] = parts.measures[k] || more.measures[k];
  }
  // Group key: the codes of `dims`, packed. A group's buckets are accumulated in pages made on
  // first touch, so its memory follows the buckets that hold data, not the length of the range
  // (a stray event a year away costs one page, not a year of empty aggregates).
  // A page is never longer than the range: a round that reads one bucket makes one aggregate
  // per group, not 256 (an empty aggregate holds its sketches: ~1 KB).
  const int64_t kPage = std::min<int64_t>(256, n);
  std::unordered_map<std::string, size_t> groups;
  std::vector<std::vector<uint32_t>> group_codes;
  std::vector<std::vector<std::vector<Aggregate>>> buckets;  // group, page, bucket in page
  const int64_t pages = (n + kPage - 1) / kPage;
  std::string key;
  m.ForEachCellIn(from, to, [&](size_t i) {
    if (!m.CellMatches(i, required)) return;
    const TimeMs b = m.cell_bucket[i];
    key.clear();
    const uint32_t* codes = m.Codes(i);
    for (int d : dims) key.append(reinterpret_cast<const char*>(&codes[d]), sizeof(uint32_t));
    auto [it, added] = groups.emplace(key, buckets.size());
    if (added) {
      std::vector<uint32_t> gc;
      gc.reserve(dims.size());
      for (int d : dims) gc.push_back(codes[d]);
      group_codes.push_back(std::move(gc));
      buckets.emplace_back(pages);
    }
    int64_t k = (b - from) / g;
    std::vector<Aggregate>& page = buckets[it->second][k / kPage];
    if (page.empty()) page.assign(kPage, m.EmptyAggregate());
    Impl::AccumulateCell(m, i, &parts, &page[k % kPage]);
  });
  const Aggregate empty = m.EmptyAggregate();
  std::vector<size_t> order(buckets.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  auto value_of = [&](size_t grp, size_t j) -> const std::string& {
    return m.dictionaries[dims[j]].Value(group_codes[grp][j]);
  };
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    for (size_t j = 0; j < dims.size(); ++j) {
      if (value_of(a, j) != value_of(b, j)) return value_of(a, j) < value_of(b, j);
    }
    return false;
  });
  for (size_t grp : order) {
    SliceSeries s;
    s.slice = base;
    for (size_t j = 0; j < dims.size(); ++j) s.slice.emplace_back(dimensions[j], value_of(grp, j));
    s.points.resize(n);
    for (size_t mi = 0; mi < indices.size(); ++mi) {
      const int idx = indices[mi];
      for (int64_t k = 0; k < n; ++k) {
        const std::vector<Aggregate>& page = buckets[grp][k / kPage];
        const Aggregate& a = page.empty() ? empty : page[k % kPage];
        SeriesPoint& p = s.points[k];
        p.time = from + k * g;
        p.value = MetricValue(idx, a);
        p.events = a.count;
        p.support = MetricSupport(idx, a);
        p.sampling_error = MetricSamplingError(idx, a);
      }
      out[mi].push_back(s);
    }
    buckets[grp].clear();
    buckets[grp].shrink_to_fit();
  }
  return out;
}

Result<Aggregate> Cube::Total(const Slice& slice, TimeMs from, TimeMs to, int metric) const {
  return TotalExcluding(slice, {}, from, to, metric);
}

Result<Aggregate> Cube::TotalExcluding(const Slice& slice, const Slice& exclude, TimeMs from,
                                       TimeMs to, int metric) const {
  const Impl& m = *impl_;
  bool nothing = false, excludes_nothing = false;
  VIGIL_ASSIGN_OR_RETURN(auto required, m.ResolveSlice(slice, /*strict=*/false, &nothing));
  VIGIL_ASSIGN_OR_RETURN(auto excluded,
                         m.ResolveSlice(exclude, /*strict=*/false, &excludes_nothing));
  Aggregate total = m.EmptyAggregate();
  if (nothing) return total;
  if (to == 0) to = std::numeric_limits<TimeMs>::max();
  if (from == 0) from = std::numeric_limits<TimeMs>::min();
  if (metric >= static_cast<int>(config().metrics.size()))
    return InvalidArgument("no metric #" + std::to_string(metric));
  std::optional<Impl::Parts> parts;
  if (metric >= 0) parts = m.PartsOf(metric);
  m.ForEachCellIn(from, to, [&](size_t i) {
    if (!m.CellMatches(i, required)) return;
    if (!excludes_nothing && !exclude.empty() && m.CellMatches(i, excluded)) return;
    Impl::AccumulateCell(m, i, parts ? &*parts : nullptr, &total);
  });
  return total;
}

Result<Cube::SliceCells> Cube::CellsUnder(const Slice& slice, TimeMs from, TimeMs to) const {
  const Impl& m = *impl_;
  bool nothing = false;
  VIGIL_ASSIGN_OR_RETURN(auto required, m.ResolveSlice(slice, /*strict=*/false, &nothing));
  SliceCells out;
  if (nothing) return out;
  if (to == 0) to = std::numeric_limits<TimeMs>::max();
  if (from == 0) from = std::numeric_limits<TimeMs>::min();
  m.ForEachCellIn(from, to, [&](size_t i) {
    if (m.CellMatches(i, required)) out.cells.push_back(static_cast<uint32_t>(i));
  });
  return out;
}

Result<Aggregate> Cube::TotalExcluding(const SliceCells& cells, const Slice& exclude,
                                       int metric) const {
  const Impl& m = *impl_;
  bool excludes_nothing = false;
  VIGIL_ASSIGN_OR_RETURN(auto excluded,
                         m.ResolveSlice(exclude, /*strict=*/false, &excludes_nothing));
  if (metric >= static_cast<int>(config().metrics.size()))
    return InvalidArgument("no metric #" + std::to_string(metric));
  std::optional<Impl::Parts> parts;
  if (metric >= 0) parts = m.PartsOf(metric);
  Aggregate total = m.EmptyAggregate();
  for (uint32_t i : cells.cells) {
    if (i >= m.cell_full.size()) return InvalidArgument("cells of another cube");
    if (!excludes_nothing && !exclude.empty() && m.CellMatches(i, excluded)) continue;
    Impl::AccumulateCell(m, i, parts ? &*parts : nullptr, &total);
  }
  return total;
}

Result<TimeMs> Cube::FirstBucketOf(const Slice& slice) const {
  const Impl& m = *impl_;
  bool nothing = false;
  VIGIL_ASSIGN_OR_RETURN(auto required, m.ResolveSlice(slice, /*strict=*/false, &nothing));
  if (nothing) return TimeMs{0};
  // Buckets in time order: the first with a matching cell is the answer.
  for (const auto& [bucket, cells] : m.bucket_cells) {
    for (uint32_t i : cells) {
      if (m.CellMatches(i, required)) return bucket;
    }
  }
  return TimeMs{0};
}

Result<std::vector<LeafCell>> Cube::Cells(const Slice& slice, TimeMs from, TimeMs to) const {
  const Impl& m = *impl_;
  bool nothing = false;
  VIGIL_ASSIGN_OR_RETURN(auto required, m.ResolveSlice(slice, /*strict=*/false, &nothing));
  std::vector<LeafCell> out;
  if (nothing) return out;
  if (to == 0) to = std::numeric_limits<TimeMs>::max();
  if (from == 0) from = std::numeric_limits<TimeMs>::min();
  std::unordered_map<std::string, size_t> index;
  m.ForEachCellIn(from, to, [&](size_t i) {
    if (!m.CellMatches(i, required)) return;
    std::string key(reinterpret_cast<const char*>(m.Codes(i)), m.ndims * sizeof(uint32_t));
    auto [it, added] = index.emplace(std::move(key), out.size());
    if (added) {
      LeafCell leaf;
      for (size_t d = 0; d < m.ndims; ++d)
        leaf.values.push_back(m.dictionaries[d].Value(m.Codes(i)[d]));
      leaf.aggregate = m.EmptyAggregate();
      out.push_back(std::move(leaf));
    }
    Impl::AccumulateCell(m, i, nullptr, &out[it->second].aggregate);
  });
  return out;
}

}  // namespace vigil
