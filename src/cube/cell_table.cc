// The cell table: one cell per (bucket, full combination of dimension codes), kept as
// struct-of-arrays with an open-addressing index, and the ways a cell takes in events.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/hash.h"
#include "common/text.h"
#include "cube/cube_impl.h"

namespace vigil {

Cube::Impl::Impl(std::shared_ptr<const Config> c) : config(std::move(c)) {
  predicates = config->CountedPredicates();
  ndims = config->input.dimensions.size();
  nmeasures = config->input.measures.size();
  for (size_t d = 0; d < ndims; ++d) dictionaries.emplace_back(config->DimensionLimit(d));
  compact = predicates.size() <= 64;
  slots.assign(1024, 0);
}

Aggregate Cube::Impl::EmptyAggregate() const {
  Aggregate a;
  a.counters.assign(predicates.size(), 0);
  a.measures.resize(nmeasures);
  return a;
}

uint64_t Cube::Impl::HashKey(TimeMs bucket, const uint32_t* codes) const {
  uint64_t h = internal::Mix64(static_cast<uint64_t>(bucket));
  for (size_t d = 0; d < ndims; ++d) h = internal::Mix64(h ^ (codes[d] + 0x9e3779b97f4a7c15ULL));
  return h;
}

void Cube::Impl::Grow() {
  std::vector<uint64_t> bigger(slots.size() * 2, 0);
  size_t mask = bigger.size() - 1;
  for (uint64_t slot : slots) {
    if (!slot) continue;
    size_t cell = (slot & 0xffffffffu) - 1;
    uint64_t h = HashKey(cell_bucket[cell], Codes(cell));
    size_t s = h & mask;
    while (bigger[s] != 0) s = (s + 1) & mask;
    bigger[s] = Slot(cell, h >> 32);
  }
  slots.swap(bigger);
}

void Cube::Impl::Reindex() {
  size_t size = 1024;
  while (size < cell_bucket.size() * 2) size *= 2;
  slots.assign(size, 0);
  const size_t mask = size - 1;
  bucket_cells.clear();
  last_bucket_cells = bucket_cells.end();
  for (size_t cell = 0; cell < cell_bucket.size(); ++cell) {
    uint64_t h = HashKey(cell_bucket[cell], Codes(cell));
    size_t s = h & mask;
    while (slots[s] != 0) s = (s + 1) & mask;
    slots[s] = Slot(cell, h >> 32);
    IndexCell(cell);
  }
}

void Cube::Impl::IndexCell(size_t cell) {
  const TimeMs bucket = cell_bucket[cell];
  // Cells mostly come in time order: the bucket of the last one is tried first.
  if (last_bucket_cells == bucket_cells.end() || last_bucket_cells->first != bucket)
    last_bucket_cells = bucket_cells.try_emplace(bucket).first;
  last_bucket_cells->second.push_back(static_cast<uint32_t>(cell));
}

int64_t Cube::Impl::FindCell(TimeMs bucket, const uint32_t* codes) const {
  uint64_t h = HashKey(bucket, codes);
  size_t mask = slots.size() - 1;
  for (size_t s = h & mask; slots[s] != 0; s = (s + 1) & mask) {
    if ((slots[s] >> 32) != (h >> 32)) continue;
    size_t cell = (slots[s] & 0xffffffffu) - 1;
    if (cell_bucket[cell] == bucket &&
        (ndims == 0 || std::memcmp(Codes(cell), codes, ndims * sizeof(uint32_t)) == 0)) {
      return static_cast<int64_t>(cell);
    }
  }
  return -1;
}

int64_t Cube::Impl::FindOrAddCell(TimeMs bucket, const uint32_t* codes, bool* created) {
  uint64_t h = HashKey(bucket, codes);
  size_t mask = slots.size() - 1;
  size_t s = h & mask;
  *created = false;
  for (; slots[s] != 0; s = (s + 1) & mask) {
    if ((slots[s] >> 32) != (h >> 32)) continue;
    size_t cell = (slots[s] & 0xffffffffu) - 1;
    if (cell_bucket[cell] == bucket &&
        (ndims == 0 || std::memcmp(Codes(cell), codes, ndims * sizeof(uint32_t)) == 0)) {
      return static_cast<int64_t>(cell);
    }
  }
  if (static_cast<int64_t>(cell_bucket.size()) >= config->limits.max_cells) return -1;
  size_t cell = cell_bucket.size();
  *created = true;
  slots[s] = Slot(cell, h >> 32);
  cell_bucket.push_back(bucket);
  cell_codes.insert(cell_codes.end(), codes, codes + ndims);
  cell_full.push_back(0);
  single_measures.resize(single_measures.size() + nmeasures, std::nan(""));
  single_bits.push_back(0);
  single_device.push_back(0);
  IndexCell(cell);
  if (cell == 0) {
    first = last = bucket;
  } else {
    first = std::min(first, bucket);
    last = std::max(last, bucket);
  }
  MarkDirty(bucket);
  if (cell_bucket.size() * 2 > slots.size()) Grow();
  return static_cast<int64_t>(cell);
}

void Cube::Impl::AccumulateCell(const Impl& src, size_t cell, const Parts* parts, Aggregate* dst) {
  if (src.IsFull(cell)) {
    const Aggregate& a = src.full_cells[src.cell_full[cell] - 1];
    if (!parts) {
      dst->Merge(a);
      return;
    }
    dst->count += a.count;
    if (parts->counters) {
      for (size_t i = 0; i < a.counters.size(); ++i) dst->counters[i] += a.counters[i];
    }
    for (size_t i = 0; i < parts->measures.size(); ++i) {
      if (parts->measures[i]) dst->measures[i].Merge(a.measures[i]);
    }
    if (parts->devices) dst->devices.Merge(a.devices);
    return;
  }
  dst->count += 1;
  if (!parts || parts->counters) {
    uint64_t bits = src.single_bits[cell];
    size_t n = std::min<size_t>(dst->counters.size(), 64);  // a single cell holds 64 bits
    for (size_t p = 0; p < n; ++p) dst->counters[p] += (bits >> p) & 1;
  }
  const double* values = src.single_measures.data() + cell * src.nmeasures;
  for (size_t i = 0; i < src.nmeasures; ++i) {
    if ((!parts || parts->measures[i]) && !std::isnan(values[i])) dst->measures[i].Add(values[i]);
  }
  if ((!parts || parts->devices) && src.single_device[cell] != 0) {
    dst->devices.AddHash(src.single_device[cell]);
  }
}

Aggregate Cube::Impl::CellAggregate(size_t cell) const {
  if (IsFull(cell)) return full_cells[cell_full[cell] - 1];
  Aggregate a = EmptyAggregate();
  AccumulateCell(*this, cell, nullptr, &a);
  return a;
}

Aggregate& Cube::Impl::FullOf(size_t cell) {
  if (!IsFull(cell)) {
    full_cells.push_back(CellAggregate(cell));
    cell_full[cell] = static_cast<uint32_t>(full_cells.size());
  }
  return full_cells[cell_full[cell] - 1];
}

void Cube::Impl::AbsorbSingle(size_t cell, bool created, const double* measures, uint64_t bits,
                              uint64_t device) {
  if (created && compact) {
    std::copy(measures, measures + nmeasures, single_measures.data() + cell * nmeasures);
    single_bits[cell] = bits;
    single_device[cell] = device;
    return;
  }
  if (created) {
    full_cells.push_back(EmptyAggregate());
    cell_full[cell] = static_cast<uint32_t>(full_cells.size());
  }
  Aggregate& a = FullOf(cell);
  ++a.count;
  size_t n = std::min<size_t>(a.counters.size(), 64);  // `bits` holds the first 64 predicates
  for (size_t p = 0; p < n; ++p) a.counters[p] += (bits >> p) & 1;
  for (size_t i = 0; i < nmeasures; ++i) {
    if (!std::isnan(measures[i])) a.measures[i].Add(measures[i]);
  }
  if (device != 0) a.devices.AddHash(device);
}

void Cube::Impl::AbsorbFull(size_t cell, bool created, const Aggregate& aggregate) {
  if (created) {
    full_cells.push_back(aggregate);
    cell_full[cell] = static_cast<uint32_t>(full_cells.size());
    return;
  }
  FullOf(cell).Merge(aggregate);
}

Result<std::vector<int64_t>> Cube::Impl::ResolveSlice(const Slice& slice, bool strict,
                                                      bool* matches_nothing) const {
  std::vector<int64_t> required(ndims, -1);
  *matches_nothing = false;
  for (const auto& [dim, value] : slice) {
    int d = config->FindDimension(dim);
    if (d < 0) {
      std::vector<std::string> names;
      for (const auto& f : config->input.dimensions) names.push_back(f.name);
      std::string near = Nearest(dim, names);
      return NotFound("unknown dimension '" + dim + "'" +
                      (near.empty() ? "" : "; did you mean '" + near + "'?"));
    }
    int64_t code = dictionaries[d].Find(value);
    if (code < 0) {
      if (strict) {
        std::string near = Nearest(value, dictionaries[d].values());
        return NotFound("no events have " + dim + "=" + value +
                        (near.empty() ? "" : "; did you mean '" + near + "'?"));
      }
      *matches_nothing = true;
    }
    required[d] = code;
  }
  return required;
}

bool Cube::Impl::CellMatches(size_t cell, const std::vector<int64_t>& required) const {
  const uint32_t* codes = Codes(cell);
  for (size_t d = 0; d < ndims; ++d) {
    if (required[d] >= 0 && codes[d] != static_cast<uint32_t>(required[d])) return false;
  }
  return true;
}
}  // namespace vigil
