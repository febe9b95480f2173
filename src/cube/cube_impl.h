// The cube's internals, shared with the store (which persists cells bucket by bucket).
#pragma once

#include <unordered_set>
#include <vector>

#include "common/bytes.h"
#include "cube/dictionary.h"
#include "vigil/cube.h"

namespace vigil {

struct Cube::Impl {
  explicit Impl(std::shared_ptr<const Config> c);

  std::shared_ptr<const Config> config;
  std::vector<const Predicate*> predicates;
  size_t ndims = 0;
  size_t nmeasures = 0;
  std::vector<internal::Dictionary> dictionaries;

  // Cells, struct-of-arrays: bucket start, ndims codes, aggregate.
  std::vector<TimeMs> cell_bucket;
  std::vector<uint32_t> cell_codes;
  std::vector<Aggregate> cells;
  std::vector<uint32_t> slots;  // open addressing: cell index + 1, 0 empty
  uint64_t events = 0;
  TimeMs first = 0;
  TimeMs last = 0;
  /// Buckets changed since the cube was created or loaded (the store writes only these).
  std::unordered_set<TimeMs> dirty_buckets;

  Aggregate EmptyAggregate() const;
  /// The cell of (bucket, codes), created when new; -1 when limits.max_cells is reached.
  int64_t FindOrAddCell(TimeMs bucket, const uint32_t* codes);
  const uint32_t* Codes(size_t cell) const { return &cell_codes[cell * ndims]; }

  /// Per-dimension required code (-1: any) for a slice; kNotFound for an unknown dimension, and
  /// for an unknown value when `strict` (else the slice simply matches nothing: *matches_nothing).
  Result<std::vector<int64_t>> ResolveSlice(const Slice& slice, bool strict,
                                            bool* matches_nothing) const;
  bool CellMatches(size_t cell, const std::vector<int64_t>& required) const;

  /// Serializes the given cells (codes and aggregates, not the dictionaries).
  void SerializeCells(const std::vector<size_t>& ids, std::string* out) const;
  /// Adds serialized cells into this cube (codes must be valid for its dictionaries).
  Status DeserializeCells(std::string_view bytes);
  void SerializeAggregate(const Aggregate& a, std::string* out) const;
  Status DeserializeAggregate(internal::ByteReader* in, Aggregate* a) const;

 private:
  void Grow();
  uint64_t HashKey(TimeMs bucket, const uint32_t* codes) const;
};

}  // namespace vigil
