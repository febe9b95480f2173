#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <string>

#include "common/bytes.h"
#include "common/hash.h"
#include "vigil/sketch.h"

namespace vigil {
namespace {

constexpr uint8_t kDistinctTag = 0x48;  // 'H'
constexpr uint8_t kDistinctVersion = 1;
constexpr uint8_t kSparseForm = 0;
constexpr uint8_t kDenseForm = 1;
constexpr int kP = DistinctSketch::kPrecision;
constexpr uint32_t kM = DistinctSketch::kRegisters;
constexpr size_t kMaxSparse = DistinctSketch::kMaxSparseRegisters;
// Hash bits left after the register index; a rank is 1 + their leading zeros, at most kQ + 1.
constexpr int kQ = 64 - kP;
constexpr uint8_t kMaxRank = kQ + 1;
// Below this linear-counting estimate, linear counting is the more accurate estimator at
// p = 14 (the empirical crossover reported for HyperLogLog++).
constexpr double kLinearCountingMax = 11500;

constexpr uint32_t RegisterOf(uint32_t entry) { return entry >> 8; }
constexpr uint8_t RankOf(uint32_t entry) { return static_cast<uint8_t>(entry & 0xff); }

// Ertl, "New cardinality estimation algorithms for HyperLogLog sketches" (2017): the
// corrections for empty (sigma) and saturated (tau) registers of the improved raw estimator.
double Sigma(double x) {
  if (x == 1) return std::numeric_limits<double>::infinity();
  double y = 1, z = x, previous;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (z != previous);
  return z;
}

double Tau(double x) {
  if (x == 0 || x == 1) return 0;
  double y = 1, z = 1 - x, previous;
  do {
    x = std::sqrt(x);
    previous = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
  } while (z != previous);
  return z / 3;
}

}  // namespace

void DistinctSketch::Add(std::string_view value) { AddHash(internal::Hash64(value)); }

void DistinctSketch::AddHash(uint64_t hash) {
  const uint32_t reg = static_cast<uint32_t>(hash >> kQ);
  // The sentinel bit caps the rank at kQ + 1 when the remaining bits are all zero.
  const uint8_t rank =
      static_cast<uint8_t>(std::countl_zero((hash << kP) | (uint64_t{1} << (kP - 1))) + 1);
  if (!dense_.empty()) {
    if (dense_[reg] < rank) dense_[reg] = rank;
    return;
  }
  const uint32_t entry = reg << 8 | rank;
  auto it = std::lower_bound(sparse_.begin(), sparse_.end(), reg << 8);
  if (it != sparse_.end() && RegisterOf(*it) == reg) {
    if (RankOf(*it) < rank) *it = entry;
    return;
  }
  sparse_.insert(it, entry);
  if (sparse_.size() > kMaxSparse) Promote();
}

void DistinctSketch::Promote() {
  dense_.assign(kM, 0);
  for (uint32_t e : sparse_) dense_[RegisterOf(e)] = RankOf(e);
  sparse_.clear();
  sparse_.shrink_to_fit();
}

void DistinctSketch::Merge(const DistinctSketch& other) {
  if (!other.dense_.empty()) {
    if (dense_.empty()) Promote();
    for (uint32_t i = 0; i < kM; ++i) dense_[i] = std::max(dense_[i], other.dense_[i]);
    return;
  }
  if (!dense_.empty()) {
    for (uint32_t e : other.sparse_) {
      dense_[RegisterOf(e)] = std::max(dense_[RegisterOf(e)], RankOf(e));
    }
    return;
  }
  std::vector<uint32_t> merged;
  merged.reserve(sparse_.size() + other.sparse_.size());
  auto a = sparse_.cbegin();
  auto b = other.sparse_.cbegin();
  while (a != sparse_.cend() || b != other.sparse_.cend()) {
    if (b == other.sparse_.cend() || (a != sparse_.cend() && RegisterOf(*a) < RegisterOf(*b))) {
      merged.push_back(*a++);
    } else if (a == sparse_.cend() || RegisterOf(*b) < RegisterOf(*a)) {
      merged.push_back(*b++);
    } else {
      merged.push_back(std::max(*a++, *b++));  // same register: the larger rank
    }
  }
  sparse_.swap(merged);
  if (sparse_.size() > kMaxSparse) Promote();
}

bool DistinctSketch::empty() const { return sparse_.empty() && dense_.empty(); }

double DistinctSketch::Estimate() const {
  // Histogram of register values; the estimate depends on nothing else, so the sparse and
  // the dense forms of the same registers estimate the same.
  std::array<double, kMaxRank + 1> histogram{};
  if (dense_.empty()) {
    histogram[0] = kM - static_cast<double>(sparse_.size());
    for (uint32_t e : sparse_) histogram[RankOf(e)] += 1;
  } else {
    std::array<uint32_t, kMaxRank + 1> c{};
    for (uint8_t r : dense_) ++c[r];
    for (size_t i = 0; i <= kMaxRank; ++i) histogram[i] = c[i];
  }
  const double m = kM;
  if (histogram[0] == m) return 0;
  if (histogram[0] > 0) {
    const double linear = m * std::log(m / histogram[0]);
    if (linear <= kLinearCountingMax) return linear;
  }
  double z = m * Tau(1 - histogram[kQ + 1] / m);
  for (int k = kQ; k >= 1; --k) z = 0.5 * (z + histogram[k]);
  z += m * Sigma(histogram[0] / m);
  const double alpha_infinity = 0.5 / std::log(2.0);
  return alpha_infinity * m * m / z;
}

bool DistinctSketch::operator==(const DistinctSketch& other) const {
  return sparse_ == other.sparse_ && dense_ == other.dense_;
}

// Version 1:
//   u8 tag 'H', u8 version, u8 form;
//   sparse: varint entries (0..kMaxSparseRegisters), then per entry in register order a
//           varint register delta (the first: the register itself; then >= 1) and a u8 rank;
//   dense:  2^kPrecision u8 registers, more than kMaxSparseRegisters of them non-zero.
void DistinctSketch::Serialize(std::string* out) const {
  internal::ByteWriter w(out);
  w.U8(kDistinctTag);
  w.U8(kDistinctVersion);
  if (!dense_.empty()) {
    w.U8(kDenseForm);
    out->append(reinterpret_cast<const char*>(dense_.data()), dense_.size());
    return;
  }
  w.U8(kSparseForm);
  w.Varint(sparse_.size());
  uint32_t previous = 0;
  for (uint32_t e : sparse_) {
    w.Varint(RegisterOf(e) - previous);
    w.U8(RankOf(e));
    previous = RegisterOf(e);
  }
}

Result<DistinctSketch> DistinctSketch::Deserialize(std::string_view* in) {
  internal::ByteReader r(*in, "distinct sketch");
  uint8_t tag = 0, version = 0, form = 0;
  VIGIL_RETURN_IF_ERROR(r.U8(&tag));
  if (tag != kDistinctTag) return r.Error("wrong type tag " + std::to_string(tag));
  VIGIL_RETURN_IF_ERROR(r.U8(&version));
  if (version != kDistinctVersion) {
    return r.Error("unsupported version " + std::to_string(version));
  }
  VIGIL_RETURN_IF_ERROR(r.U8(&form));
  DistinctSketch s;
  if (form == kDenseForm) {
    if (r.remaining() < kM) return r.Error("dense registers truncated");
    s.dense_.resize(kM);
    size_t set = 0;
    for (uint32_t i = 0; i < kM; ++i) {
      VIGIL_RETURN_IF_ERROR(r.U8(&s.dense_[i]));
      if (s.dense_[i] > kMaxRank) {
        return r.Error("register " + std::to_string(i) + " value " + std::to_string(s.dense_[i]) +
                       " exceeds " + std::to_string(kMaxRank));
      }
      set += s.dense_[i] != 0;
    }
    if (set <= kMaxSparse) {
      return r.Error("dense form with only " + std::to_string(set) + " registers set");
    }
  } else if (form == kSparseForm) {
    uint64_t n;
    VIGIL_RETURN_IF_ERROR(r.Varint(&n));
    if (n > kMaxSparse) return r.Error("sparse entry count " + std::to_string(n) + " too large");
    if (r.remaining() < 2 * n) return r.Error("sparse entries truncated");
    s.sparse_.reserve(n);
    uint64_t reg = 0;
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t delta;
      uint8_t rank = 0;
      VIGIL_RETURN_IF_ERROR(r.Varint(&delta));
      VIGIL_RETURN_IF_ERROR(r.U8(&rank));
      if (i > 0 && delta == 0) return r.Error("sparse registers not strictly increasing");
      if (delta >= kM || reg + delta >= kM) return r.Error("sparse register out of range");
      reg += delta;
      if (rank == 0 || rank > kMaxRank) {
        return r.Error("sparse rank " + std::to_string(rank) + " out of range");
      }
      s.sparse_.push_back(static_cast<uint32_t>(reg) << 8 | rank);
    }
  } else {
    return r.Error("unknown form " + std::to_string(form));
  }
  in->remove_prefix(r.position());
  return s;
}

}  // namespace vigil
