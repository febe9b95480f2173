// The cube: exact, mergeable aggregates at the finest grain, one cell per (time bucket, full
// combination of dimension values that occurred). Any slice's series is a merge of cells.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vigil/config.h"
#include "vigil/event.h"
#include "vigil/sketch.h"
#include "vigil/status.h"
#include "vigil/time.h"

namespace vigil {

/// A set of dimension=value pairs; empty means all traffic.
using Slice = std::vector<std::pair<std::string, std::string>>;

/// Parses `platform=watchOS,asr_model=asr-42` ("" or "all" is the empty slice).
Result<Slice> ParseSlice(std::string_view text);
/// `platform=watchOS,asr_model=asr-42`, or `all` for the empty slice.
std::string FormatSlice(const Slice& slice);

/// The value a dimension folds into once its cardinality limit is reached.
inline constexpr std::string_view kOtherValue = "__other__";

/// Mergeable state of a set of events: what a cell keeps and what a merge of cells gives.
struct Aggregate {
  uint64_t count = 0;                    ///< events
  std::vector<uint64_t> counters;        ///< events matching each Config::CountedPredicates()
  std::vector<QuantileSketch> measures;  ///< one per measure; count and sum give means
  DistinctSketch devices;                ///< distinct device ids

  void Merge(const Aggregate& other);
  bool operator==(const Aggregate& other) const;
};

/// One point of a metric's series.
struct SeriesPoint {
  TimeMs time = 0;      ///< bucket start
  double value = 0;     ///< NaN when undefined (no events, or an empty denominator)
  uint64_t events = 0;  ///< events in the bucket and slice
  /// The sample size behind `value`: the denominator of a rate, the number of measured values
  /// of a quantile or mean, the events of a count or distinct metric.
  uint64_t support = 0;
  /// Standard error of `value` from its finite sample: binomial for rates, order statistics
  /// read from the sketch for quantiles, Poisson for counts; 0 when unknown.
  double sampling_error = 0;
};

/// The series of one slice of a group (see Cube::GroupSeries).
struct SliceSeries {
  Slice slice;
  std::vector<SeriesPoint> points;
};

/// The aggregate of one full combination of dimension values over a time window.
struct LeafCell {
  std::vector<std::string> values;  ///< one per dimension, in config order
  Aggregate aggregate;
};

/// What was folded because of a cardinality limit.
struct FoldReport {
  std::string dimension;
  int64_t limit = 0;
  uint64_t events = 0;  ///< events whose value was folded into __other__
};

/// Dimension values a cube holds beyond those a store has saved: what the store adds to its
/// copy of the dictionaries, and the form in which it reads them back.
struct DictionaryDelta {
  struct Dimension {
    size_t first_code = 0;            ///< the code of values[0]
    std::vector<std::string> values;  ///< values from first_code on, by code
    uint64_t folded_events = 0;       ///< all events folded into __other__ so far (not a delta)
  };
  std::vector<Dimension> dimensions;  ///< in config order
};

/// One bucket's cells in their versioned binary form (Cube::LoadBucket reads it back).
struct BucketBytes {
  TimeMs bucket = 0;    ///< bucket start
  uint64_t events = 0;  ///< events in the bucket's cells
  std::string cells;
};

/// The cube. Not thread-safe for writes: give each ingest thread its own and Merge them.
class Cube {
 public:
  explicit Cube(std::shared_ptr<const Config> config);
  ~Cube();
  Cube(Cube&&) noexcept;
  Cube& operator=(Cube&&) noexcept;

  const Config& config() const;
  std::shared_ptr<const Config> shared_config() const;

  /// Prepares room for about `cells` cells (an ingest estimates it from the input size).
  void Reserve(size_t cells);
  /// Adds one mapped event. Fails only when limits.max_cells would be exceeded.
  Status Add(const Event& event);
  /// Adds every cell of `other` (same CubeFingerprint required). Exact and associative while no
  /// cardinality limit is reached; then values beyond the limit fold into __other__. All or
  /// nothing: a merge that would pass limits.max_cells changes nothing (kLimitExceeded).
  Status Merge(const Cube& other);
  /// What Merge(other) would answer about the configurations and limits.max_cells, without
  /// changing anything.
  Status CheckMerge(const Cube& other) const;

  uint64_t event_count() const;
  size_t cell_count() const;
  /// Drops every cell of the buckets that start before `bucket` (retention); returns the events
  /// dropped. Dictionaries keep their values (codes stay stable for the store).
  uint64_t DropBefore(TimeMs bucket);
  /// Retention tiers (cube.tiers). A cube whose cells in [from, before) are rolled up to
  /// `granularity_ms` (same dimension values, merged), with this cube's dictionaries, every
  /// bucket changed: what a store writes before ReplaceWithRolled.
  Result<Cube> RolledBuckets(TimeMs from, TimeMs before, int64_t granularity_ms) const;
  /// Replaces the cells in [from, before) with `rolled` (from RolledBuckets) and records that
  /// data before `before` is held at `granularity_ms`.
  Status ReplaceWithRolled(TimeMs from, TimeMs before, int64_t granularity_ms, const Cube& rolled);
  /// Records a rolled-up range (as read back from a store).
  void SetRolledUp(int64_t granularity_ms, TimeMs before);
  /// By granularity, the bucket before which data is held at that granularity or coarser.
  const std::map<int64_t, TimeMs>& RolledUp() const;
  /// The first bucket from which a series at `granularity_ms` reads true values: past every range
  /// rolled up to a granularity that does not divide it (0: all of it). Series and GroupSeries
  /// start no earlier.
  TimeMs ExactFrom(int64_t granularity_ms) const;
  /// Events in buckets that start before `bucket`.
  uint64_t EventsBefore(TimeMs bucket) const;
  /// Earliest and latest bucket start; 0 when empty.
  TimeMs first_bucket() const;
  TimeMs last_bucket() const;
  /// The known values of a dimension, by code.
  const std::vector<std::string>& DimensionValues(int dimension) const;
  /// Dimensions that reached their cardinality limit.
  std::vector<FoldReport> Folds() const;

  /// The series of `metric` for `slice` over [from, to) at `granularity_ms` (a multiple of the
  /// cube's granularity), one point per bucket including empty ones. from/to of 0 mean the
  /// cube's first and last bucket. Errors: unknown metric, dimension or value (kNotFound, with
  /// the nearest name), bad granularity (kInvalidArgument).
  Result<std::vector<SeriesPoint>> Series(std::string_view metric, const Slice& slice,
                                          TimeMs from = 0, TimeMs to = 0,
                                          int64_t granularity_ms = 0) const;
  /// Where a series at `granularity_ms` ending at `to` starts when no start is given: the first
  /// bucket, or limits.max_series_points before `to`, and never in a range rolled up coarser
  /// (ExactFrom).
  TimeMs SeriesStart(TimeMs to, int64_t granularity_ms) const;
  /// The point Series gives `metric` for a bucket at `time` without events.
  Result<SeriesPoint> EmptyPoint(std::string_view metric, TimeMs time) const;
  /// The series of `metric` for every slice that adds one value of each of `dimensions` to
  /// `base` (values that occur under `base` in the range), in one pass over the cells. Slices
  /// are ordered by their values. Same range and granularity rules as Series.
  Result<std::vector<SliceSeries>> GroupSeries(std::string_view metric, const Slice& base,
                                               const std::vector<std::string>& dimensions,
                                               TimeMs from = 0, TimeMs to = 0,
                                               int64_t granularity_ms = 0) const;
  /// GroupSeries for several metrics at once: one pass over the cells, each cell merged once per
  /// group (what any of the metrics reads), each metric's series read from the same aggregates.
  /// The result for metrics[k] equals GroupSeries(metrics[k], ...).
  Result<std::vector<std::vector<SliceSeries>>> GroupSeriesOfMetrics(
      const std::vector<std::string>& metrics, const Slice& base,
      const std::vector<std::string>& dimensions, TimeMs from = 0, TimeMs to = 0,
      int64_t granularity_ms = 0) const;
  /// The merged aggregate of the cells under `slice` but not under `exclude` over [from, to):
  /// what a slice looks like without one of its parts (used to tell which slice explains which).
  /// With `metric` (an index of config().metrics), only what that metric reads is merged, which
  /// is several times faster; the rest of the aggregate stays empty.
  Result<Aggregate> TotalExcluding(const Slice& slice, const Slice& exclude, TimeMs from = 0,
                                   TimeMs to = 0, int metric = -1) const;
  /// The cells under `slice` over [from, to), found once: many "this slice without that one"
  /// totals then read only them instead of every cell of the window (explain-away compares one
  /// slice with many others). Valid while the cube is not changed.
  struct SliceCells {
    std::vector<uint32_t> cells;  ///< in the order TotalExcluding visits them
  };
  Result<SliceCells> CellsUnder(const Slice& slice, TimeMs from = 0, TimeMs to = 0) const;
  /// TotalExcluding over the cells of CellsUnder: the same aggregate, bit for bit.
  Result<Aggregate> TotalExcluding(const SliceCells& cells, const Slice& exclude,
                                   int metric = -1) const;
  /// The first bucket with events under `slice`; 0 when none.
  Result<TimeMs> FirstBucketOf(const Slice& slice) const;
  /// The merged aggregate of `slice` over [from, to) (`metric` as for TotalExcluding).
  Result<Aggregate> Total(const Slice& slice, TimeMs from = 0, TimeMs to = 0,
                          int metric = -1) const;
  /// The leaf cells under `slice` over [from, to), each merged across time.
  Result<std::vector<LeafCell>> Cells(const Slice& slice, TimeMs from = 0, TimeMs to = 0) const;
  /// The value of metric `index` for an aggregate (NaN when undefined).
  double MetricValue(int index, const Aggregate& aggregate) const;
  /// The sample size behind MetricValue (see SeriesPoint::support).
  uint64_t MetricSupport(int index, const Aggregate& aggregate) const;
  /// The standard error of MetricValue from its sample (see SeriesPoint::sampling_error).
  double MetricSamplingError(int index, const Aggregate& aggregate) const;

  /// Versioned binary form of the whole cube.
  void Serialize(std::string* out) const;
  /// Reads a cube written by Serialize; the fingerprint must match `config`'s.
  static Result<Cube> Deserialize(std::string_view bytes, std::shared_ptr<const Config> config);

  /// True when both cubes hold the same events: same cells (by dimension values, not codes)
  /// and equal aggregates. Sums of measures compare within 1e-9 relative.
  bool Equivalent(const Cube& other) const;

  // Persistence: what a store needs to keep the cube bucket by bucket (see vigil/store.h). A
  // bucket is changed from the moment one of its cells is added to or merged into until
  // MarkSaved.

  /// The changed buckets, ascending.
  std::vector<TimeMs> ChangedBuckets() const;
  /// Serializes each changed bucket in turn, ascending, and hands it to `write`; stops at the
  /// first error `write` returns and returns it.
  Status ForEachChangedBucket(const std::function<Status(const BucketBytes&)>& write) const;
  /// Adds cells written by ForEachChangedBucket (their codes must be known: load the
  /// dictionaries first). kCorruption naming what is wrong with malformed bytes;
  /// kLimitExceeded past limits.max_cells.
  Status LoadBucket(std::string_view cells);
  /// Marks every bucket as saved (not changed).
  void MarkSaved();
  /// The dictionaries beyond the first `known[d]` values of each dimension d (0 where `known`
  /// has no entry), with every dimension's folded events.
  DictionaryDelta DictionarySince(const std::vector<size_t>& known) const;
  /// Extends the dictionaries with `delta` (as read back from a store): each dimension's values
  /// must start at the code that follows its known values; its folded events are replaced.
  /// kInvalidArgument for a gap, a duplicate value or too many dimensions, after which the
  /// cube is partly loaded and should be dropped.
  Status LoadDictionary(const DictionaryDelta& delta);
  /// What the buckets `addition` touches hold once it is merged into this cube: a cube with this
  /// cube's dictionaries (same codes) holding only those buckets, all changed, so that a store
  /// can write them before the merge happens. Errors as CheckMerge.
  Result<Cube> MergedBuckets(const Cube& addition) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil
