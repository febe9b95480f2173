// The cube's own operations: slices, aggregates, adding events, merging cubes and comparing
// them. The cell table, metric evaluation, queries and serialization have files of their own.
#include "vigil/cube.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_set>

#include "common/hash.h"
#include "common/text.h"
#include "cube/cube_impl.h"

namespace vigil {

// ---------------------------------------------------------------------------------------------
// Slices

Result<Slice> ParseSlice(std::string_view text) {
  Slice slice;
  if (text.empty() || text == "all") return slice;
  for (std::string_view part : Split(text, ',')) {
    size_t eq = part.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return InvalidArgument("bad slice '" + std::string(text) +
                             "': expected dimension=value[,dimension=value...]");
    }
    std::string dim(part.substr(0, eq));
    for (const auto& [d, v] : slice) {
      if (d == dim)
        return InvalidArgument("bad slice '" + std::string(text) + "': '" + dim +
                               "' appears twice");
    }
    slice.emplace_back(dim, std::string(part.substr(eq + 1)));
  }
  return slice;
}

std::string FormatSlice(const Slice& slice) {
  if (slice.empty()) return "all";
  std::string s;
  for (const auto& [d, v] : slice) s += (s.empty() ? "" : ",") + d + "=" + v;
  return s;
}

// ---------------------------------------------------------------------------------------------
// Aggregates

void Aggregate::Merge(const Aggregate& other) {
  count += other.count;
  if (counters.size() < other.counters.size()) counters.resize(other.counters.size());
  for (size_t i = 0; i < other.counters.size(); ++i) counters[i] += other.counters[i];
  if (measures.size() < other.measures.size()) measures.resize(other.measures.size());
  for (size_t i = 0; i < other.measures.size(); ++i) measures[i].Merge(other.measures[i]);
  devices.Merge(other.devices);
}

bool Aggregate::operator==(const Aggregate& o) const {
  return count == o.count && counters == o.counters && measures == o.measures &&
         devices == o.devices;
}

// ---------------------------------------------------------------------------------------------
// Cube

Cube::Cube(std::shared_ptr<const Config> config)
    : impl_(std::make_unique<Impl>(std::move(config))) {}
Cube::~Cube() = default;
Cube::Cube(Cube&&) noexcept = default;
Cube& Cube::operator=(Cube&&) noexcept = default;

const Config& Cube::config() const { return *impl_->config; }
std::shared_ptr<const Config> Cube::shared_config() const { return impl_->config; }
uint64_t Cube::event_count() const { return impl_->events; }
size_t Cube::cell_count() const { return impl_->cell_bucket.size(); }
TimeMs Cube::first_bucket() const { return impl_->first; }

uint64_t Cube::DropBefore(TimeMs bucket) {
  if (impl_->cell_bucket.empty() || impl_->first >= bucket) return 0;
  return impl_->DropRange(std::numeric_limits<TimeMs>::min(), bucket);
}

uint64_t Cube::Impl::DropRange(TimeMs from, TimeMs before) {
  const size_t n = cell_bucket.size();
  uint64_t dropped = 0;
  size_t kept = 0;
  std::vector<Aggregate> full;
  TimeMs new_first = 0, new_last = 0;
  for (size_t i = 0; i < n; ++i) {
    if (cell_bucket[i] >= from && cell_bucket[i] < before) {
      dropped += CellEvents(i);
      continue;
    }
    new_first = kept == 0 ? cell_bucket[i] : std::min(new_first, cell_bucket[i]);
    new_last = kept == 0 ? cell_bucket[i] : std::max(new_last, cell_bucket[i]);
    cell_bucket[kept] = cell_bucket[i];
    std::copy_n(cell_codes.begin() + i * ndims, ndims, cell_codes.begin() + kept * ndims);
    std::copy_n(single_measures.begin() + i * nmeasures, nmeasures,
                single_measures.begin() + kept * nmeasures);
    single_bits[kept] = single_bits[i];
    single_device[kept] = single_device[i];
    if (cell_full[i] != 0) {
      full.push_back(std::move(full_cells[cell_full[i] - 1]));
      cell_full[kept] = static_cast<uint32_t>(full.size());
    } else {
      cell_full[kept] = 0;
    }
    ++kept;
  }
  cell_bucket.resize(kept);
  cell_codes.resize(kept * ndims);
  single_measures.resize(kept * nmeasures);
  single_bits.resize(kept);
  single_device.resize(kept);
  cell_full.resize(kept);
  full_cells = std::move(full);
  cell_bucket.shrink_to_fit();
  Reindex();
  events -= dropped;
  first = new_first;
  last = new_last;
  std::erase_if(dirty_buckets, [&](TimeMs b) { return b >= from && b < before; });
  last_dirty = INT64_MIN;
  return dropped;
}

bool Cube::Impl::AddCellOf(const Impl& src, size_t i, TimeMs bucket, const uint32_t* codes) {
  bool created;
  const int64_t cell = FindOrAddCell(bucket, codes, &created);
  if (cell < 0) return false;
  if (src.IsFull(i)) {
    AbsorbFull(cell, created, src.full_cells[src.cell_full[i] - 1]);
  } else {
    AbsorbSingle(cell, created, src.single_measures.data() + i * src.nmeasures, src.single_bits[i],
                 src.single_device[i]);
  }
  MarkDirty(bucket);
  events += src.CellEvents(i);
  return true;
}

Result<Cube> Cube::RolledBuckets(TimeMs from, TimeMs before, int64_t granularity_ms) const {
  const Impl& m = *impl_;
  Cube rolled(m.config);
  Impl& p = *rolled.impl_;
  p.dictionaries = m.dictionaries;
  // Fewer cells than the range held: the limit cannot be reached.
  m.ForEachCellIn(from, before, [&](size_t i) {
    p.AddCellOf(m, i, BucketStart(m.cell_bucket[i], granularity_ms), m.Codes(i));
  });
  return rolled;
}

Status Cube::ReplaceWithRolled(TimeMs from, TimeMs before, int64_t granularity_ms,
                               const Cube& rolled) {
  Impl& m = *impl_;
  m.DropRange(from, before);
  VIGIL_RETURN_IF_ERROR(Merge(rolled));
  TimeMs& bound = m.rolled_up[granularity_ms];
  bound = std::max(bound, before);
  return Status::Ok();
}

void Cube::SetRolledUp(int64_t granularity_ms, TimeMs before) {
  TimeMs& bound = impl_->rolled_up[granularity_ms];
  bound = std::max(bound, before);
}

const std::map<int64_t, TimeMs>& Cube::RolledUp() const { return impl_->rolled_up; }

TimeMs Cube::ExactFrom(int64_t granularity_ms) const {
  TimeMs from = 0;
  for (const auto& [g, before] : impl_->rolled_up) {
    if (granularity_ms % g != 0) from = std::max(from, before);
  }
  return from;
}

uint64_t Cube::EventsBefore(TimeMs bucket) const {
  const Impl& m = *impl_;
  if (m.events == 0 || m.first >= bucket) return 0;
  if (m.last < bucket) return m.events;
  uint64_t events = 0;
  m.ForEachCellIn(std::numeric_limits<TimeMs>::min(), bucket,
                  [&](size_t i) { events += m.CellEvents(i); });
  return events;
}
TimeMs Cube::last_bucket() const { return impl_->last; }

const std::vector<std::string>& Cube::DimensionValues(int dimension) const {
  return impl_->dictionaries[dimension].values();
}

std::vector<FoldReport> Cube::Folds() const {
  std::vector<FoldReport> out;
  for (size_t d = 0; d < impl_->ndims; ++d) {
    const auto& dict = impl_->dictionaries[d];
    if (dict.folded_events() > 0) {
      out.push_back({config().input.dimensions[d].name, dict.limit(), dict.folded_events()});
    }
  }
  return out;
}

void Cube::Reserve(size_t cells) {
  Impl& m = *impl_;
  cells = std::min<size_t>(cells, static_cast<size_t>(m.config->limits.max_cells));
  if (cells <= m.cell_bucket.size()) return;
  m.cell_bucket.reserve(cells);
  m.cell_codes.reserve(cells * m.ndims);
  m.cell_full.reserve(cells);
  m.single_measures.reserve(cells * m.nmeasures);
  m.single_bits.reserve(cells);
  m.single_device.reserve(cells);
  while (m.slots.size() < cells * 2) m.Grow();
}

Status Cube::Add(const Event& e) {
  Impl& m = *impl_;
  uint32_t codes[64];
  std::vector<uint32_t> big;
  uint32_t* c = codes;
  if (m.ndims > 64) {
    big.resize(m.ndims);
    c = big.data();
  }
  for (size_t d = 0; d < m.ndims; ++d) c[d] = m.dictionaries[d].Encode(e.dimensions[d]);
  bool created;
  int64_t cell = m.FindOrAddCell(BucketStart(e.time, m.config->granularity_ms), c, &created);
  if (cell < 0) {
    return LimitExceeded("the cube reached limits.max_cells (" +
                         std::to_string(m.config->limits.max_cells) +
                         " cells); raise it or use a coarser cube.granularity");
  }
  if (!m.compact) {
    // More than 64 predicates do not fit a single cell's bit set: count them directly.
    if (created) m.AbsorbFull(cell, created, m.EmptyAggregate());
    Aggregate& a = m.FullOf(cell);
    ++a.count;
    for (size_t p = 0; p < m.predicates.size(); ++p) a.counters[p] += m.predicates[p]->Matches(e);
    for (size_t i = 0; i < m.nmeasures; ++i)
      if (!std::isnan(e.measures[i])) a.measures[i].Add(e.measures[i]);
    if (!e.device_id.empty()) a.devices.Add(e.device_id);
  } else {
    uint64_t bits = 0;
    for (size_t p = 0; p < m.predicates.size(); ++p) {
      bits |= static_cast<uint64_t>(m.predicates[p]->Matches(e)) << p;
    }
    uint64_t device = e.device_id.empty() ? 0 : internal::Hash64(e.device_id);
    m.AbsorbSingle(cell, created, e.measures.data(), bits, device);
  }
  ++m.events;
  return Status::Ok();
}

namespace {

// The codes Dictionary::Encode would give `values` in turn, without adding them: known values
// keep theirs, new ones take the next codes, or __other__'s once the limit is reached.
std::vector<int64_t> PlannedCodes(const internal::Dictionary& dict,
                                  const std::vector<std::string>& values) {
  int64_t other = dict.Find(kOtherValue);
  int64_t next = static_cast<int64_t>(dict.size());
  int64_t real_values = next - (other >= 0 ? 1 : 0);
  std::vector<int64_t> codes;
  codes.reserve(values.size());
  for (const std::string& v : values) {
    int64_t code = dict.Find(v);
    if (code < 0 && v == kOtherValue) {
      code = other = next++;
    } else if (code < 0 && real_values >= dict.limit()) {
      if (other < 0) other = next++;
      code = other;
    } else if (code < 0) {
      code = next++;
      ++real_values;
    }
    codes.push_back(code);
  }
  return codes;
}

}  // namespace

Status Cube::CheckMerge(const Cube& other) const {
  const Impl& m = *impl_;
  const Impl& o = *other.impl_;
  if (m.config->CubeFingerprint() != o.config->CubeFingerprint()) {
    return InvalidArgument("cannot merge cubes built with different configurations");
  }
  const auto limit = static_cast<size_t>(std::max<int64_t>(m.config->limits.max_cells, 0));
  if (m.cell_bucket.size() + o.cell_bucket.size() <= limit) return Status::Ok();
  // Count the cells the merge would create: cells of `other` not in this cube (two of them may
  // become one when their values fold into __other__).
  std::vector<std::vector<int64_t>> remap(m.ndims);
  for (size_t d = 0; d < m.ndims; ++d)
    remap[d] = PlannedCodes(m.dictionaries[d], o.dictionaries[d].values());
  std::unordered_set<std::string> created;
  std::vector<uint32_t> codes(m.ndims);
  for (size_t i = 0; i < o.cell_bucket.size(); ++i) {
    const uint32_t* oc = o.Codes(i);
    bool new_value = false;
    for (size_t d = 0; d < m.ndims; ++d) {
      codes[d] = static_cast<uint32_t>(remap[d][oc[d]]);
      new_value |= codes[d] >= m.dictionaries[d].size();
    }
    if (!new_value && m.FindCell(o.cell_bucket[i], codes.data()) >= 0) continue;
    std::string key(reinterpret_cast<const char*>(&o.cell_bucket[i]), sizeof(TimeMs));
    key.append(reinterpret_cast<const char*>(codes.data()), codes.size() * sizeof(uint32_t));
    if (created.insert(std::move(key)).second && m.cell_bucket.size() + created.size() > limit) {
      return LimitExceeded("the cube would pass limits.max_cells (" + std::to_string(limit) +
                           " cells; it holds " + std::to_string(m.cell_bucket.size()) +
                           "); nothing was added; raise it or use a coarser cube.granularity");
    }
  }
  return Status::Ok();
}

Status Cube::Merge(const Cube& other) {
  Impl& m = *impl_;
  const Impl& o = *other.impl_;
  // Checked first so that a merge past the cell limit changes nothing, not even dictionaries.
  VIGIL_RETURN_IF_ERROR(CheckMerge(other));
  std::vector<std::vector<uint32_t>> remap(m.ndims);
  for (size_t d = 0; d < m.ndims; ++d) {
    const auto& od = o.dictionaries[d];
    for (const std::string& v : od.values()) remap[d].push_back(m.dictionaries[d].Encode(v));
    m.dictionaries[d].add_folded_events(od.folded_events());
  }
  // Room grows geometrically: a service merges many small additions into one large cube, and an
  // exact reservation each time would copy every cell per merge.
  const size_t needed = m.cell_bucket.size() + o.cell_bucket.size();
  if (needed > m.cell_bucket.capacity())
    Reserve(std::max(needed, m.cell_bucket.capacity() + m.cell_bucket.capacity() / 2));
  std::vector<uint32_t> codes(m.ndims);
  for (size_t i = 0; i < o.cell_bucket.size(); ++i) {
    const uint32_t* oc = o.Codes(i);
    for (size_t d = 0; d < m.ndims; ++d) codes[d] = remap[d][oc[d]];
    if (!m.AddCellOf(o, i, o.cell_bucket[i], codes.data()))
      return LimitExceeded("the cube reached limits.max_cells while merging");
  }
  return Status::Ok();
}

Result<Cube> Cube::MergedBuckets(const Cube& addition) const {
  VIGIL_RETURN_IF_ERROR(CheckMerge(addition));
  const Impl& m = *impl_;
  const Impl& a = *addition.impl_;
  // A copy of this cube's cells in the buckets the addition touches, under the same codes, plus
  // the addition.
  Cube merged(m.config);
  Impl& p = *merged.impl_;
  p.dictionaries = m.dictionaries;
  // Only the touched buckets' cells are visited (the time index), not the whole cube.
  for (const auto& [bucket, added] : a.bucket_cells) {
    auto held = m.bucket_cells.find(bucket);
    if (held == m.bucket_cells.end()) continue;
    for (uint32_t i : held->second) {
      if (!p.AddCellOf(m, i, bucket, m.Codes(i)))
        return LimitExceeded("limits.max_cells reached while saving the cube");
    }
  }
  VIGIL_RETURN_IF_ERROR(merged.Merge(addition));
  return merged;
}

bool Cube::Equivalent(const Cube& other) const {
  if (event_count() != other.event_count() || cell_count() != other.cell_count()) return false;
  const Impl& a = *impl_;
  const Impl& b = *other.impl_;
  if (a.ndims != b.ndims) return false;
  std::vector<uint32_t> codes(b.ndims);
  auto close = [](double x, double y) {
    return x == y || std::abs(x - y) <= 1e-9 * std::max(std::abs(x), std::abs(y));
  };
  for (size_t i = 0; i < a.cell_bucket.size(); ++i) {
    for (size_t d = 0; d < a.ndims; ++d) {
      int64_t code = b.dictionaries[d].Find(a.dictionaries[d].Value(a.Codes(i)[d]));
      if (code < 0) return false;
      codes[d] = static_cast<uint32_t>(code);
    }
    int64_t found = b.FindCell(a.cell_bucket[i], codes.data());
    if (found < 0) return false;
    const Aggregate x = a.CellAggregate(i);
    const Aggregate y = b.CellAggregate(found);
    if (x.count != y.count || x.counters != y.counters || !(x.devices == y.devices)) return false;
    for (size_t k = 0; k < x.measures.size(); ++k) {
      const QuantileSketch& p = x.measures[k];
      const QuantileSketch& q = y.measures[k];
      if (p.count() != q.count() || !close(p.sum(), q.sum())) return false;
      for (double qq : {0.0, 0.1, 0.5, 0.9, 0.95, 0.99, 1.0}) {
        double u = p.Quantile(qq), v = q.Quantile(qq);
        if (!(u == v || (std::isnan(u) && std::isnan(v)))) return false;
      }
    }
  }
  return true;
}

}  // namespace vigil
