#include "vigil/cube.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "common/hash.h"
#include "common/text.h"
#include "cube/cube_impl.h"

namespace vigil {

using internal::ByteReader;
using internal::ByteWriter;

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
      if (d == dim) return InvalidArgument("bad slice '" + std::string(text) + "': '" + dim +
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

namespace {

void AddParts(const Config& c, int metric, Cube::Impl::Parts* p);

}  // namespace

// Which parts of an aggregate a metric reads: merging only those makes queries cheaper.
struct Cube::Impl::Parts {
  bool counters = false;
  bool devices = false;
  std::vector<bool> measures;
};

namespace {

void AddParts(const Config& c, int metric, Cube::Impl::Parts* p) {
  const MetricSpec& m = c.metrics[metric];
  switch (m.type) {
    case MetricType::kCount: break;
    case MetricType::kRate: p->counters = true; break;
    case MetricType::kQuantile:
    case MetricType::kMean: p->measures[m.measure] = true; break;
    case MetricType::kDistinct: p->devices = true; break;
    case MetricType::kExpression:
      for (int in : m.expression_inputs) AddParts(c, in, p);
      break;
  }
}

int PredicateIndex(const std::vector<const Predicate*>& preds, const Predicate& p) {
  for (size_t i = 0; i < preds.size(); ++i)
    if (preds[i]->text() == p.text()) return static_cast<int>(i);
  return -1;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Impl

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

void Cube::Impl::SerializeAggregate(const Aggregate& a, std::string* out) const {
  ByteWriter w(out);
  w.Varint(a.count);
  for (uint64_t c : a.counters) w.Varint(c);
  for (const QuantileSketch& s : a.measures) s.Serialize(out);
  a.devices.Serialize(out);
}

Status Cube::Impl::DeserializeAggregate(ByteReader* in, Aggregate* a) const {
  *a = EmptyAggregate();
  VIGIL_RETURN_IF_ERROR(in->Varint(&a->count));
  for (uint64_t& c : a->counters) {
    VIGIL_RETURN_IF_ERROR(in->Varint(&c));
    if (c > a->count) return in->Error("a predicate counter exceeds the event count");
  }
  // The sketches read from the reader's current position.
  for (QuantileSketch& s : a->measures) {
    std::string_view view = in->Rest();
    size_t before = view.size();
    VIGIL_ASSIGN_OR_RETURN(s, QuantileSketch::Deserialize(&view));
    if (s.count() > a->count) return in->Error("a measure has more values than events");
    in->Skip(before - view.size());
  }
  std::string_view view = in->Rest();
  size_t before = view.size();
  VIGIL_ASSIGN_OR_RETURN(a->devices, DistinctSketch::Deserialize(&view));
  in->Skip(before - view.size());
  return Status::Ok();
}

namespace {
constexpr uint8_t kSingleCell = 0;
constexpr uint8_t kFullCell = 1;
}  // namespace

void Cube::Impl::SerializeCells(const std::vector<size_t>& ids, std::string* out) const {
  ByteWriter w(out);
  w.Varint(ids.size());
  for (size_t id : ids) {
    w.SignedVarint(cell_bucket[id]);
    const uint32_t* codes = Codes(id);
    for (size_t d = 0; d < ndims; ++d) w.Varint(codes[d]);
    if (IsFull(id)) {
      w.U8(kFullCell);
      SerializeAggregate(full_cells[cell_full[id] - 1], out);
      continue;
    }
    w.U8(kSingleCell);
    const double* values = single_measures.data() + id * nmeasures;
    for (size_t i = 0; i < nmeasures; ++i) {
      if (std::isnan(values[i])) {
        w.U8(0);
      } else {
        w.U8(1);
        w.F64(values[i]);
      }
    }
    w.Varint(single_bits[id]);
    w.U64(single_device[id]);
  }
}

Status Cube::Impl::DeserializeCells(std::string_view bytes) {
  ByteReader in(bytes, "cube cells");
  uint64_t n;
  VIGIL_RETURN_IF_ERROR(in.Varint(&n));
  if (n > bytes.size()) return in.Error("cell count larger than the data");
  std::vector<uint32_t> codes(ndims);
  std::vector<double> values(nmeasures);
  Aggregate a;
  for (uint64_t i = 0; i < n; ++i) {
    int64_t bucket = 0;
    VIGIL_RETURN_IF_ERROR(in.SignedVarint(&bucket));
    if (bucket % config->granularity_ms != 0) return in.Error("bucket not on the granularity");
    for (size_t d = 0; d < ndims; ++d) {
      uint64_t c;
      VIGIL_RETURN_IF_ERROR(in.Varint(&c));
      if (c >= dictionaries[d].size()) return in.Error("dimension code out of range");
      codes[d] = static_cast<uint32_t>(c);
    }
    uint8_t kind;
    VIGIL_RETURN_IF_ERROR(in.U8(&kind));
    if (kind != kSingleCell && kind != kFullCell) return in.Error("unknown cell kind");
    // Beyond 64 predicates every cell is stored in full (a single cell's bit set is too small).
    if (kind == kSingleCell && !compact) return in.Error("single cell with more than 64 predicates");
    uint64_t bits = 0, device = 0, count = 1;
    if (kind == kFullCell) {
      VIGIL_RETURN_IF_ERROR(DeserializeAggregate(&in, &a));
      if (a.count == 0) return in.Error("empty cell");
      count = a.count;
    } else {
      for (double& v : values) {
        uint8_t present = 0;
        VIGIL_RETURN_IF_ERROR(in.U8(&present));
        if (present > 1) return in.Error("bad measure flag");
        v = std::nan("");
        if (present) VIGIL_RETURN_IF_ERROR(in.F64(&v));
        if (present && !std::isfinite(v)) return in.Error("measure not finite");
      }
      VIGIL_RETURN_IF_ERROR(in.Varint(&bits));
      if (predicates.size() < 64 && (bits >> predicates.size()) != 0) {
        return in.Error("predicate bits out of range");
      }
      VIGIL_RETURN_IF_ERROR(in.U64(&device));
    }
    bool created;
    int64_t cell = FindOrAddCell(bucket, codes.data(), &created);
    if (cell < 0) return LimitExceeded("limits.max_cells reached while loading the cube");
    if (kind == kFullCell) AbsorbFull(cell, created, a);
    else AbsorbSingle(cell, created, values.data(), bits, device);
    events += count;
  }
  if (!in.done()) return in.Error("trailing bytes");
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Cube

Cube::Cube(std::shared_ptr<const Config> config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Cube::~Cube() = default;
Cube::Cube(Cube&&) noexcept = default;
Cube& Cube::operator=(Cube&&) noexcept = default;

const Config& Cube::config() const { return *impl_->config; }
std::shared_ptr<const Config> Cube::shared_config() const { return impl_->config; }
uint64_t Cube::event_count() const { return impl_->events; }
size_t Cube::cell_count() const { return impl_->cell_bucket.size(); }
TimeMs Cube::first_bucket() const { return impl_->first; }
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
std::vector<int64_t> PlannedCodes(const internal::Dictionary& dict, const std::vector<std::string>& values) {
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
  for (size_t d = 0; d < m.ndims; ++d) remap[d] = PlannedCodes(m.dictionaries[d], o.dictionaries[d].values());
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
  Reserve(m.cell_bucket.size() + o.cell_bucket.size());
  std::vector<uint32_t> codes(m.ndims);
  for (size_t i = 0; i < o.cell_bucket.size(); ++i) {
    const uint32_t* oc = o.Codes(i);
    for (size_t d = 0; d < m.ndims; ++d) codes[d] = remap[d][oc[d]];
    bool created;
    int64_t cell = m.FindOrAddCell(o.cell_bucket[i], codes.data(), &created);
    if (cell < 0) return LimitExceeded("the cube reached limits.max_cells while merging");
    if (o.IsFull(i)) {
      m.AbsorbFull(cell, created, o.full_cells[o.cell_full[i] - 1]);
    } else {
      m.AbsorbSingle(cell, created, o.single_measures.data() + i * o.nmeasures, o.single_bits[i],
                     o.single_device[i]);
    }
    m.MarkDirty(o.cell_bucket[i]);
  }
  m.events += o.events;
  return Status::Ok();
}

double Cube::MetricValue(int index, const Aggregate& a) const {
  const Config& c = config();
  const MetricSpec& m = c.metrics[index];
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  switch (m.type) {
    case MetricType::kCount: return static_cast<double>(a.count);
    case MetricType::kRate: {
      uint64_t num = a.counters[PredicateIndex(impl_->predicates, *m.where)];
      uint64_t den = m.of ? a.counters[PredicateIndex(impl_->predicates, *m.of)] : a.count;
      return den == 0 ? kNaN : static_cast<double>(num) / static_cast<double>(den);
    }
    case MetricType::kQuantile: return a.measures[m.measure].Quantile(m.q);
    case MetricType::kMean: return a.measures[m.measure].mean();
    case MetricType::kDistinct: return a.count == 0 ? 0.0 : std::round(a.devices.Estimate());
    case MetricType::kExpression: {
      std::vector<double> inputs;
      for (int in : m.expression_inputs) inputs.push_back(MetricValue(in, a));
      return m.expression->Evaluate(inputs);
    }
  }
  return kNaN;
}

uint64_t Cube::MetricSupport(int index, const Aggregate& a) const {
  const MetricSpec& m = config().metrics[index];
  switch (m.type) {
    case MetricType::kRate:
      return m.of ? a.counters[PredicateIndex(impl_->predicates, *m.of)] : a.count;
    case MetricType::kQuantile:
    case MetricType::kMean: return a.measures[m.measure].count();
    case MetricType::kExpression: {
      uint64_t s = a.count;
      for (int in : m.expression_inputs) s = std::min(s, MetricSupport(in, a));
      return s;
    }
    default: return a.count;
  }
}

double Cube::MetricSamplingError(int index, const Aggregate& a) const {
  const MetricSpec& m = config().metrics[index];
  switch (m.type) {
    case MetricType::kCount: return std::sqrt(static_cast<double>(a.count));
    case MetricType::kDistinct: return std::sqrt(std::max(0.0, MetricValue(index, a)));
    case MetricType::kRate: {
      double n = static_cast<double>(MetricSupport(index, a));
      if (n == 0) return 0;
      double x = MetricValue(index, a) * n;
      double p = (x + 0.5) / (n + 1);  // keeps the error above zero at 0 % and 100 %
      return std::sqrt(p * (1 - p) / n);
    }
    case MetricType::kQuantile: {
      // Order statistics: the q-quantile of n values has a rank error of sqrt(q(1-q)/n); the
      // sketch's spread around q turns rank into value.
      const QuantileSketch& s = a.measures[m.measure];
      double n = static_cast<double>(s.count());
      if (n < 2) return 0;
      double d = std::clamp(1.0 / std::sqrt(n), 0.005, 0.1);
      double lo = std::max(0.0, m.q - d), hi = std::min(1.0, m.q + d);
      double slope = (s.Quantile(hi) - s.Quantile(lo)) / (hi - lo);
      double se = slope * std::sqrt(std::max(m.q * (1 - m.q), 1.0 / n) / n);
      // Never finer than the sketch itself resolves values.
      return std::max(se, QuantileSketch::kRelativeAccuracy * std::abs(s.Quantile(m.q)));
    }
    case MetricType::kMean: {
      const QuantileSketch& s = a.measures[m.measure];
      double n = static_cast<double>(s.count());
      if (n < 2) return 0;
      double sd = (s.Quantile(0.75) - s.Quantile(0.25)) / 1.349;  // robust spread
      return sd / std::sqrt(n);
    }
    case MetricType::kExpression: return 0;
  }
  return 0;
}

namespace {

// The buckets of a series: [from, to) at width g, where 0 means "from the data". A range without
// a start covers at most limits.max_series_points of the latest buckets, so one stray event years
// away does not make every series years long; an explicit range longer than that is an error.
Status ResolveRange(const Cube& cube, int64_t g, TimeMs* from, TimeMs* to) {
  const Config& c = cube.config();
  int64_t max_points = c.limits.max_series_points;
  bool empty = cube.cell_count() == 0;
  bool explicit_from = *from != 0;
  if (*to == 0) *to = empty ? (explicit_from ? *from : cube.first_bucket()) : cube.last_bucket() + c.granularity_ms;
  if (!explicit_from) {
    int64_t span = max_points > kMaxDurationMs / g ? kMaxDurationMs : max_points * g;
    *from = *to - cube.first_bucket() > span ? *to - span : cube.first_bucket();
  }
  *from = BucketStart(*from, g);
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
    return InvalidArgument("granularity " + FormatDuration(g) + " is not a multiple of the cube's " +
                           FormatDuration(c.granularity_ms));
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
  Impl::Parts parts;
  parts.measures.assign(m.nmeasures, false);
  AddParts(c, idx, &parts);
  std::vector<Aggregate> buckets(n, m.EmptyAggregate());
  if (!nothing) {
    for (size_t i = 0; i < m.cell_bucket.size(); ++i) {
      TimeMs b = m.cell_bucket[i];
      if (b < from || b >= to || !m.CellMatches(i, required)) continue;
      Impl::AccumulateCell(m, i, &parts, &buckets[(b - from) / g]);
    }
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

Result<std::vector<SliceSeries>> Cube::GroupSeries(std::string_view metric, const Slice& base,
                                                   const std::vector<std::string>& dimensions,
                                                   TimeMs from, TimeMs to,
                                                   int64_t granularity_ms) const {
  const Impl& m = *impl_;
  const Config& c = config();
  VIGIL_ASSIGN_OR_RETURN(int idx, ResolveMetric(c, metric));
  VIGIL_ASSIGN_OR_RETURN(int64_t g, ResolveGranularity(c, granularity_ms));
  std::vector<int> dims;
  for (const std::string& d : dimensions) {
    int di = c.FindDimension(d);
    if (di < 0) return NotFound("unknown dimension '" + d + "'");
    dims.push_back(di);
  }
  bool nothing = false;
  VIGIL_ASSIGN_OR_RETURN(auto required, m.ResolveSlice(base, /*strict=*/false, &nothing));
  std::vector<SliceSeries> out;
  if (nothing || m.cell_bucket.empty()) return out;
  VIGIL_RETURN_IF_ERROR(ResolveRange(*this, g, &from, &to));
  int64_t n = (to - from + g - 1) / g;
  if (n <= 0) return out;
  Impl::Parts parts;
  parts.measures.assign(m.nmeasures, false);
  AddParts(c, idx, &parts);
  // Group key: the codes of `dims`, packed. A group's buckets are accumulated in pages made on
  // first touch, so its memory follows the buckets that hold data, not the length of the range
  // (a stray event a year away costs one page, not a year of empty aggregates).
  constexpr int64_t kPage = 256;
  std::unordered_map<std::string, size_t> groups;
  std::vector<std::vector<uint32_t>> group_codes;
  std::vector<std::vector<std::vector<Aggregate>>> buckets;  // group, page, bucket in page
  const int64_t pages = (n + kPage - 1) / kPage;
  std::string key;
  for (size_t i = 0; i < m.cell_bucket.size(); ++i) {
    TimeMs b = m.cell_bucket[i];
    if (b < from || b >= to || !m.CellMatches(i, required)) continue;
    key.clear();
    const uint32_t* codes = m.Codes(i);
    for (int d : dims) key.append(reinterpret_cast<const char*>(&codes[d]), sizeof(uint32_t));
    auto [it, added] = groups.emplace(key, buckets.size());
    if (added) {
      std::vector<uint32_t> gc;
      for (int d : dims) gc.push_back(codes[d]);
      group_codes.push_back(std::move(gc));
      buckets.emplace_back(pages);
    }
    int64_t k = (b - from) / g;
    std::vector<Aggregate>& page = buckets[it->second][k / kPage];
    if (page.empty()) page.assign(kPage, m.EmptyAggregate());
    Impl::AccumulateCell(m, i, &parts, &page[k % kPage]);
  }
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
    buckets[grp].clear();
    buckets[grp].shrink_to_fit();
    out.push_back(std::move(s));
  }
  return out;
}

Result<Aggregate> Cube::Total(const Slice& slice, TimeMs from, TimeMs to) const {
  return TotalExcluding(slice, {}, from, to);
}

Result<Aggregate> Cube::TotalExcluding(const Slice& slice, const Slice& exclude, TimeMs from,
                                       TimeMs to) const {
  const Impl& m = *impl_;
  bool nothing = false, excludes_nothing = false;
  VIGIL_ASSIGN_OR_RETURN(auto required, m.ResolveSlice(slice, /*strict=*/false, &nothing));
  VIGIL_ASSIGN_OR_RETURN(auto excluded, m.ResolveSlice(exclude, /*strict=*/false, &excludes_nothing));
  Aggregate total = m.EmptyAggregate();
  if (nothing) return total;
  if (to == 0) to = std::numeric_limits<TimeMs>::max();
  if (from == 0) from = std::numeric_limits<TimeMs>::min();
  for (size_t i = 0; i < m.cell_bucket.size(); ++i) {
    TimeMs b = m.cell_bucket[i];
    if (b < from || b >= to || !m.CellMatches(i, required)) continue;
    if (!excludes_nothing && !exclude.empty() && m.CellMatches(i, excluded)) continue;
    Impl::AccumulateCell(m, i, nullptr, &total);
  }
  return total;
}

Result<TimeMs> Cube::FirstBucketOf(const Slice& slice) const {
  const Impl& m = *impl_;
  bool nothing = false;
  VIGIL_ASSIGN_OR_RETURN(auto required, m.ResolveSlice(slice, /*strict=*/false, &nothing));
  TimeMs first = std::numeric_limits<TimeMs>::max();
  if (nothing) return TimeMs{0};
  for (size_t i = 0; i < m.cell_bucket.size(); ++i) {
    if (m.cell_bucket[i] < first && m.CellMatches(i, required)) first = m.cell_bucket[i];
  }
  return first == std::numeric_limits<TimeMs>::max() ? TimeMs{0} : first;
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
  for (size_t i = 0; i < m.cell_bucket.size(); ++i) {
    TimeMs b = m.cell_bucket[i];
    if (b < from || b >= to || !m.CellMatches(i, required)) continue;
    std::string key(reinterpret_cast<const char*>(m.Codes(i)), m.ndims * sizeof(uint32_t));
    auto [it, added] = index.emplace(std::move(key), out.size());
    if (added) {
      LeafCell leaf;
      for (size_t d = 0; d < m.ndims; ++d) leaf.values.push_back(m.dictionaries[d].Value(m.Codes(i)[d]));
      leaf.aggregate = m.EmptyAggregate();
      out.push_back(std::move(leaf));
    }
    Impl::AccumulateCell(m, i, nullptr, &out[it->second].aggregate);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Serialization: magic, version, fingerprint, dictionaries, cells.

namespace {
constexpr uint32_t kCubeMagic = 0x42434756;  // "VGCB"
constexpr uint8_t kCubeVersion = 1;
}  // namespace

void Cube::Serialize(std::string* out) const {
  const Impl& m = *impl_;
  ByteWriter w(out);
  w.U32(kCubeMagic);
  w.U8(kCubeVersion);
  w.String(m.config->CubeFingerprint());
  w.Varint(m.ndims);
  for (const auto& dict : m.dictionaries) {
    w.Varint(dict.size());
    for (const std::string& v : dict.values()) w.String(v);
    w.Varint(dict.folded_events());
  }
  std::vector<size_t> ids(m.cell_bucket.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = i;
  m.SerializeCells(ids, out);
}

Result<Cube> Cube::Deserialize(std::string_view bytes, std::shared_ptr<const Config> config) {
  Cube cube(std::move(config));
  Impl& m = *cube.impl_;
  ByteReader in(bytes, "cube");
  uint32_t magic = 0;
  uint8_t version = 0;
  VIGIL_RETURN_IF_ERROR(in.U32(&magic));
  if (magic != kCubeMagic) return in.Error("not a vigil cube (bad magic)");
  VIGIL_RETURN_IF_ERROR(in.U8(&version));
  if (version != kCubeVersion) {
    return in.Error("unsupported cube version " + std::to_string(version) + " (this build reads " +
                    std::to_string(kCubeVersion) + ")");
  }
  std::string fingerprint;
  VIGIL_RETURN_IF_ERROR(in.String(&fingerprint));
  if (fingerprint != m.config->CubeFingerprint()) {
    return InvalidArgument("the cube was built with a different configuration (dimensions, "
                           "measures, predicates or granularity differ)");
  }
  uint64_t ndims;
  VIGIL_RETURN_IF_ERROR(in.Varint(&ndims));
  if (ndims != m.ndims) return in.Error("dimension count differs from the configuration");
  for (auto& dict : m.dictionaries) {
    uint64_t n;
    VIGIL_RETURN_IF_ERROR(in.Varint(&n));
    if (n > in.remaining()) return in.Error("dictionary larger than the data");
    for (uint64_t i = 0; i < n; ++i) {
      std::string v;
      VIGIL_RETURN_IF_ERROR(in.String(&v));
      if (!dict.Append(std::move(v))) return in.Error("duplicate dictionary value");
    }
    uint64_t folded;
    VIGIL_RETURN_IF_ERROR(in.Varint(&folded));
    dict.add_folded_events(folded);
  }
  VIGIL_RETURN_IF_ERROR(m.DeserializeCells(in.Rest()));
  m.ClearDirty();
  return cube;
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
