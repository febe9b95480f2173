// Serialization: aggregates and cells in their versioned binary form, the whole cube
// (Serialize/Deserialize), and what a store needs to keep the cube bucket by bucket.
#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "cube/cube_impl.h"

namespace vigil {

using internal::ByteReader;
using internal::ByteWriter;

// ---------------------------------------------------------------------------------------------
// Aggregates and cells

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
    uint8_t kind = 0;
    VIGIL_RETURN_IF_ERROR(in.U8(&kind));
    if (kind != kSingleCell && kind != kFullCell) return in.Error("unknown cell kind");
    // Beyond 64 predicates every cell is stored in full (a single cell's bit set is too small).
    if (kind == kSingleCell && !compact)
      return in.Error("single cell with more than 64 predicates");
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
    if (kind == kFullCell)
      AbsorbFull(cell, created, a);
    else
      AbsorbSingle(cell, created, values.data(), bits, device);
    events += count;
  }
  if (!in.done()) return in.Error("trailing bytes");
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// The whole cube: magic, version, fingerprint, dictionaries, cells.

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
    return InvalidArgument(
        "the cube was built with a different configuration (dimensions, "
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

// ---------------------------------------------------------------------------------------------
// Persistence: changed buckets, a bucket's bytes, and the dictionaries' growth.

std::vector<std::pair<TimeMs, std::vector<size_t>>> Cube::Impl::ChangedCells() const {
  std::vector<std::pair<TimeMs, std::vector<size_t>>> out;
  std::unordered_map<TimeMs, size_t> index;
  for (size_t i = 0; i < cell_bucket.size(); ++i) {
    if (!dirty_buckets.count(cell_bucket[i])) continue;
    auto [it, added] = index.emplace(cell_bucket[i], out.size());
    if (added) out.emplace_back(cell_bucket[i], std::vector<size_t>());
    out[it->second].second.push_back(i);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

std::vector<TimeMs> Cube::ChangedBuckets() const {
  std::vector<TimeMs> out(impl_->dirty_buckets.begin(), impl_->dirty_buckets.end());
  std::sort(out.begin(), out.end());
  return out;
}

Status Cube::ForEachChangedBucket(const std::function<Status(const BucketBytes&)>& write) const {
  const Impl& m = *impl_;
  BucketBytes bytes;
  for (const auto& [bucket, ids] : m.ChangedCells()) {
    bytes.bucket = bucket;
    bytes.events = 0;
    bytes.cells.clear();
    m.SerializeCells(ids, &bytes.cells);
    for (size_t id : ids) bytes.events += m.CellEvents(id);
    VIGIL_RETURN_IF_ERROR(write(bytes));
  }
  return Status::Ok();
}

Status Cube::LoadBucket(std::string_view cells) { return impl_->DeserializeCells(cells); }

void Cube::MarkSaved() { impl_->ClearDirty(); }

DictionaryDelta Cube::DictionarySince(const std::vector<size_t>& known) const {
  const Impl& m = *impl_;
  DictionaryDelta delta;
  delta.dimensions.reserve(m.ndims);
  for (size_t d = 0; d < m.ndims; ++d) {
    const auto& values = m.dictionaries[d].values();
    size_t from = std::min(d < known.size() ? known[d] : 0, values.size());
    DictionaryDelta::Dimension dim;
    dim.first_code = from;
    dim.values.assign(values.begin() + static_cast<std::ptrdiff_t>(from), values.end());
    dim.folded_events = m.dictionaries[d].folded_events();
    delta.dimensions.push_back(std::move(dim));
  }
  return delta;
}

Status Cube::LoadDictionary(const DictionaryDelta& delta) {
  Impl& m = *impl_;
  if (delta.dimensions.size() > m.ndims) {
    return InvalidArgument("values for " + std::to_string(delta.dimensions.size()) +
                           " dimensions; the configuration has " + std::to_string(m.ndims));
  }
  for (size_t d = 0; d < delta.dimensions.size(); ++d) {
    const DictionaryDelta::Dimension& dim = delta.dimensions[d];
    internal::Dictionary& dict = m.dictionaries[d];
    if (dim.first_code != dict.size()) {
      return InvalidArgument("dimension " + std::to_string(d) + ": values start at code " +
                             std::to_string(dim.first_code) + " but " +
                             std::to_string(dict.size()) + " are known");
    }
    for (size_t i = 0; i < dim.values.size(); ++i) {
      if (!dict.Append(dim.values[i])) {
        return InvalidArgument("dimension " + std::to_string(d) + ": duplicate value at code " +
                               std::to_string(dim.first_code + i));
      }
    }
    dict.set_folded_events(dim.folded_events);
  }
  return Status::Ok();
}

}  // namespace vigil
