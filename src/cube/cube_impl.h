// The cube's internals: the cell table (cell_table.cc) that metric evaluation (metrics.cc),
// queries (queries.cc) and serialization (serialization.cc) read. Private to src/cube: the store
// persists a cube through Cube's public persistence methods.
#pragma once

#include <map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "cube/dictionary.h"
#include "vigil/cube.h"

namespace vigil {
namespace internal {

/// Which parts of an aggregate a metric reads: merging only those makes queries cheaper.
struct AggregateParts {
  bool counters = false;
  bool devices = false;
  std::vector<bool> measures;  ///< one per measure
};

}  // namespace internal

struct Cube::Impl {
  explicit Impl(std::shared_ptr<const Config> c);

  std::shared_ptr<const Config> config;
  std::vector<const Predicate*> predicates;
  size_t ndims = 0;
  size_t nmeasures = 0;
  std::vector<internal::Dictionary> dictionaries;

  // Cells, struct-of-arrays. At the finest grain most cells see a single event, so a cell keeps
  // that event's values inline (measures, predicate bits, device hash: ~130 bytes) and becomes a
  // full Aggregate of sketches only when a second event arrives. Both forms are exact.
  std::vector<TimeMs> cell_bucket;
  std::vector<uint32_t> cell_codes;     // ndims per cell
  std::vector<uint32_t> cell_full;      // index + 1 into full_cells; 0: a single event
  std::vector<double> single_measures;  // nmeasures per cell; NaN: missing
  std::vector<uint64_t> single_bits;    // predicates the single event matched
  std::vector<uint64_t> single_device;  // its device hash; 0: none
  std::vector<Aggregate> full_cells;
  bool compact = true;  // false when there are too many predicates or measures
  // Open addressing: per slot the cell index + 1 (0: empty) and 32 bits of the key's hash, so a
  // probe touches a cell's key only when the hash bits agree (keys are cache misses at scale).
  std::vector<uint64_t> slots;
  TimeMs last_dirty = INT64_MIN;  // the bucket marked dirty last (cells come in time order)
  void MarkDirty(TimeMs bucket) {
    if (bucket != last_dirty) {
      dirty_buckets.insert(bucket);
      last_dirty = bucket;
    }
  }
  void ClearDirty() {
    dirty_buckets.clear();
    last_dirty = INT64_MIN;
  }
  /// Rebuilds the index over the cells as they are (after cells were removed).
  void Reindex();
  /// Adds cell `i` of `src` at `bucket` under `codes` (this cube's codes for its values), and its
  /// events; false (nothing added) past limits.max_cells.
  bool AddCellOf(const Impl& src, size_t i, TimeMs bucket, const uint32_t* codes);
  /// Drops the cells of the buckets in [from, before); returns their events.
  uint64_t DropRange(TimeMs from, TimeMs before);
  // Rolled-up ranges: by granularity, the bucket before which data is held at that granularity
  // (or a coarser one).
  std::map<int64_t, TimeMs> rolled_up;
  // The cells of each bucket, ascending: a query over a few buckets visits their cells only,
  // in the same order as a pass over all cells would (so sums come out bit for bit the same).
  std::map<TimeMs, std::vector<uint32_t>> bucket_cells;
  std::map<TimeMs, std::vector<uint32_t>>::iterator last_bucket_cells = bucket_cells.end();
  void IndexCell(size_t cell);
  /// Calls `visit(cell)` for every cell of the buckets in [from, to), by bucket then cell.
  template <typename Visit>
  void ForEachCellIn(TimeMs from, TimeMs to, Visit visit) const {
    for (auto it = bucket_cells.lower_bound(from); it != bucket_cells.end() && it->first < to;
         ++it) {
      for (uint32_t cell : it->second) visit(static_cast<size_t>(cell));
    }
  }
  /// The cell of (bucket, codes), or -1; never inserts.
  int64_t FindCell(TimeMs bucket, const uint32_t* codes) const;
  uint64_t events = 0;
  TimeMs first = 0;
  TimeMs last = 0;
  /// Buckets changed since the cube was created or loaded (the store writes only these).
  std::unordered_set<TimeMs> dirty_buckets;

  Aggregate EmptyAggregate() const;
  /// The cell of (bucket, codes), created when new (*created); -1 when limits.max_cells is reached.
  int64_t FindOrAddCell(TimeMs bucket, const uint32_t* codes, bool* created);
  /// The dimension codes of a cell (ndims of them; with no dimensions, nothing to read).
  const uint32_t* Codes(size_t cell) const { return cell_codes.data() + cell * ndims; }
  bool IsFull(size_t cell) const { return cell_full[cell] != 0; }
  uint64_t CellEvents(size_t cell) const {
    return IsFull(cell) ? full_cells[cell_full[cell] - 1].count : 1;
  }
  /// The cell's state as an Aggregate (a copy).
  Aggregate CellAggregate(size_t cell) const;
  /// The cell's full Aggregate, promoting a single-event cell first.
  Aggregate& FullOf(size_t cell);
  /// Adds one event's values to `cell` (new or not).
  void AbsorbSingle(size_t cell, bool created, const double* measures, uint64_t bits,
                    uint64_t device);
  /// Adds an aggregate to `cell` (new or not).
  void AbsorbFull(size_t cell, bool created, const Aggregate& aggregate);
  using Parts = internal::AggregateParts;
  /// The parts metric `index` reads (an expression: those of its inputs).
  Parts PartsOf(int metric) const;
  /// Adds cell `cell` of `src` (any cube of the same schema) into `dst`; `parts` limits what is
  /// merged (null: everything).
  static void AccumulateCell(const Impl& src, size_t cell, const Parts* parts, Aggregate* dst);

  /// Per-dimension required code (-1: any) for a slice; kNotFound for an unknown dimension, and
  /// for an unknown value when `strict` (else the slice simply matches nothing: *matches_nothing).
  Result<std::vector<int64_t>> ResolveSlice(const Slice& slice, bool strict,
                                            bool* matches_nothing) const;
  bool CellMatches(size_t cell, const std::vector<int64_t>& required) const;

  /// The cells of every changed bucket, by bucket, ascending.
  std::vector<std::pair<TimeMs, std::vector<size_t>>> ChangedCells() const;
  /// Serializes the given cells (codes and aggregates, not the dictionaries).
  void SerializeCells(const std::vector<size_t>& ids, std::string* out) const;
  /// Adds serialized cells into this cube (codes must be valid for its dictionaries).
  Status DeserializeCells(std::string_view bytes);
  void SerializeAggregate(const Aggregate& a, std::string* out) const;
  Status DeserializeAggregate(internal::ByteReader* in, Aggregate* a) const;

  /// Doubles the slot table.
  void Grow();

 private:
  static uint64_t Slot(size_t cell, uint64_t hash) { return (hash << 32) | (cell + 1); }
  uint64_t HashKey(TimeMs bucket, const uint32_t* codes) const;
};

}  // namespace vigil
