#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <string>

#include "common/bytes.h"
#include "vigil/sketch.h"

namespace vigil {
namespace {

constexpr uint8_t kQuantileTag = 0x51;  // 'Q'
constexpr uint8_t kQuantileVersion = 1;
constexpr uint64_t kNarrowMax = std::numeric_limits<uint32_t>::max();
constexpr size_t kInitialBins = 64;

// Bin i holds the magnitudes in (gamma^(i-1), gamma^i].
constexpr double kGamma =
    (1 + QuantileSketch::kRelativeAccuracy) / (1 - QuantileSketch::kRelativeAccuracy);
// ln(kGamma), written out so that no static initializer runs before first use.
constexpr double kLogGamma = 0.020000666706669524;
constexpr double kInvLogGamma = 1 / kLogGamma;
// Value of bin i is 2 * gamma^i / (gamma + 1): the point of (gamma^(i-1), gamma^i] whose
// relative distance to both ends is (gamma - 1) / (gamma + 1), the relative accuracy.
constexpr double kValueFactor = 2 / (kGamma + 1);

// -0.0 becomes +0.0, so that min, max and their bytes do not depend on the order of additions.
double PositiveZero(double v) { return v + 0.0; }

// Knuth's TwoSum: s + err == a + b exactly.
void TwoSum(double a, double b, double* s, double* err) {
  *s = a + b;
  double bb = *s - a;
  *err = (a - (*s - bb)) + (b - bb);
}

}  // namespace

int32_t QuantileSketch::IndexOf(double magnitude) {
  return static_cast<int32_t>(std::ceil(std::log(magnitude) * kInvLogGamma));
}

double QuantileSketch::ValueOf(int32_t index) { return std::exp(index * kLogGamma) * kValueFactor; }

// ---- Store -------------------------------------------------------------------------------

size_t QuantileSketch::Store::FirstOccupied() const {
  size_t pos = 0;
  while (At(pos) == 0) ++pos;
  return pos;
}

size_t QuantileSketch::Store::LastOccupied() const {
  size_t pos = Size() - 1;
  while (At(pos) == 0) --pos;
  return pos;
}

void QuantileSketch::Store::Widen() {
  wide_counts.assign(counts.begin(), counts.end());
  if (wide_counts.empty()) wide_counts.push_back(0);  // non-empty marks the wide form
  counts.clear();
  counts.shrink_to_fit();
}

void QuantileSketch::Store::Add(int32_t index, uint64_t weight) {
  if (wide_counts.empty()) {
    if (weight <= kNarrowMax - total) {
      size_t pos = static_cast<size_t>(static_cast<int64_t>(index) - offset);
      total += weight;
      if (pos < counts.size()) {
        counts[pos] += static_cast<uint32_t>(weight);
      } else {
        Place(&counts, index, weight);
      }
      return;
    }
    // Past 2^32 values no single bin can be proven to fit 32 bits any more.
    Widen();
  }
  total += weight;
  Place(&wide_counts, index, weight);
}

// Adds `weight` at `index` (already counted in total), moving or growing the window as needed.
template <typename Count>
void QuantileSketch::Store::Place(std::vector<Count>* bins, int32_t index, uint64_t weight) {
  std::vector<Count>& v = *bins;
  const int64_t n = static_cast<int64_t>(v.size());
  if (total == weight) {  // the store was empty
    const int64_t size = std::max<int64_t>(n, static_cast<int64_t>(kInitialBins));
    v.assign(size, 0);
    offset = index - static_cast<int32_t>(size / 2);
    v[index - offset] = static_cast<Count>(weight);
    return;
  }
  const int64_t top = offset + n - 1;
  if (index >= offset && index <= top) {
    v[index - offset] += static_cast<Count>(weight);
    return;
  }
  if (n == static_cast<int64_t>(kMaxBins) && index < offset) {
    v[0] += static_cast<Count>(weight);  // collapse into the lowest kept bin
    return;
  }
  const int64_t lo = offset + static_cast<int64_t>(FirstOccupied());
  const int64_t hi = offset + static_cast<int64_t>(LastOccupied());
  const int64_t new_lo = std::min<int64_t>(lo, index);
  const int64_t new_hi = std::max<int64_t>(hi, index);
  const int64_t size =
      std::min<int64_t>(std::max(new_hi - new_lo + 1, 2 * n), static_cast<int64_t>(kMaxBins));
  // A full window ends at the highest occupied bin; otherwise the slack goes where values are
  // arriving: above when the new value is above, below when it is below.
  const bool slack_above = size < static_cast<int64_t>(kMaxBins) && index > hi;
  const int64_t new_offset = slack_above ? new_lo : new_hi - size + 1;
  std::vector<Count> grown(size, 0);
  for (int64_t i = lo; i <= hi; ++i) {
    grown[std::max(i, new_offset) - new_offset] += v[i - offset];
  }
  grown[std::max<int64_t>(index, new_offset) - new_offset] += static_cast<Count>(weight);
  v.swap(grown);
  offset = static_cast<int32_t>(new_offset);
}

void QuantileSketch::Store::Merge(const Store& other) {
  if (other.total == 0) return;
  const size_t first = other.FirstOccupied();
  const size_t last = other.LastOccupied();
  // The highest bin first fixes the top of the window, so the rest lands without regrowth.
  Add(other.offset + static_cast<int32_t>(last), other.At(last));
  for (size_t pos = first; pos < last; ++pos) {
    uint64_t c = other.At(pos);
    if (c != 0) Add(other.offset + static_cast<int32_t>(pos), c);
  }
}

bool QuantileSketch::Store::operator==(const Store& o) const {
  if (total != o.total) return false;
  if (total == 0) return true;
  const size_t a0 = FirstOccupied(), a1 = LastOccupied();
  const size_t b0 = o.FirstOccupied(), b1 = o.LastOccupied();
  if (a1 - a0 != b1 - b0) return false;
  if (offset + static_cast<int64_t>(a0) != o.offset + static_cast<int64_t>(b0)) return false;
  for (size_t i = 0; i <= a1 - a0; ++i) {
    if (At(a0 + i) != o.At(b0 + i)) return false;
  }
  return true;
}

// ---- QuantileSketch ------------------------------------------------------------------------

void QuantileSketch::Add(double value, uint64_t weight) {
  if (weight == 0 || !std::isfinite(value)) return;
  value = PositiveZero(value);
  count_ += weight;
  double err;
  TwoSum(sum_, value * static_cast<double>(weight), &sum_, &err);
  sum_error_ += err;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  if (value >= kMinIndexable) {
    positive_.Add(IndexOf(value), weight);
  } else if (value <= -kMinIndexable) {
    negative_.Add(-IndexOf(-value), weight);
  } else {
    zero_count_ += weight;
  }
}

void QuantileSketch::Merge(const QuantileSketch& other) {
  if (other.count_ == 0) return;
  count_ += other.count_;
  zero_count_ += other.zero_count_;
  double err;
  TwoSum(sum_, other.sum_, &sum_, &err);
  sum_error_ += err + other.sum_error_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  positive_.Merge(other.positive_);
  negative_.Merge(other.negative_);
}

double QuantileSketch::min() const {
  return count_ == 0 ? std::numeric_limits<double>::quiet_NaN() : min_;
}

double QuantileSketch::max() const {
  return count_ == 0 ? std::numeric_limits<double>::quiet_NaN() : max_;
}

double QuantileSketch::mean() const {
  return count_ == 0 ? std::numeric_limits<double>::quiet_NaN()
                     : sum() / static_cast<double>(count_);
}

double QuantileSketch::Quantile(double q) const {
  if (count_ == 0 || std::isnan(q)) return std::numeric_limits<double>::quiet_NaN();
  q = std::clamp(q, 0.0, 1.0);
  const uint64_t last = count_ - 1;
  const double scaled = std::floor(q * static_cast<double>(last));
  const uint64_t rank = scaled >= static_cast<double>(last) ? last : static_cast<uint64_t>(scaled);
  if (rank == 0) return min_;
  if (rank == last) return max_;
  // Walk the bins in ascending value order until more than `rank` values are passed.
  uint64_t seen = 0;
  double value = 0;
  bool found = false;
  auto walk = [&](const Store& s, bool negative) {
    if (found || s.total == 0) return;
    const size_t n = s.Size();
    for (size_t pos = 0; pos < n; ++pos) {
      seen += s.At(pos);
      if (seen > rank) {
        const int32_t key = s.offset + static_cast<int32_t>(pos);
        value = negative ? -ValueOf(-key) : ValueOf(key);
        found = true;
        return;
      }
    }
  };
  walk(negative_, true);
  if (!found) {
    seen += zero_count_;
    if (seen > rank) {
      value = 0;
      found = true;
    }
  }
  walk(positive_, false);
  return std::clamp(value, min_, max_);
}

double QuantileSketch::CountAtOrBelow(double value) const {
  if (count_ == 0 || std::isnan(value) || value < min_) return 0;
  if (value >= max_) return static_cast<double>(count_);
  // Bins whose key is at or below `key` in `s`; the bin holding `value` counts in full.
  auto upto = [](const Store& s, int64_t key) -> uint64_t {
    if (s.total == 0) return 0;
    uint64_t c = 0;
    const int64_t n = static_cast<int64_t>(s.Size());
    const int64_t end = std::min<int64_t>(n - 1, key - s.offset);
    for (int64_t pos = 0; pos <= end; ++pos) c += s.At(pos);
    return c;
  };
  uint64_t c;
  if (value <= -kMinIndexable) {
    c = upto(negative_, -IndexOf(-value));
  } else {
    c = negative_.total + zero_count_;
    if (value >= kMinIndexable) c += upto(positive_, IndexOf(value));
  }
  return static_cast<double>(c);
}

bool QuantileSketch::operator==(const QuantileSketch& other) const {
  if (count_ != other.count_ || zero_count_ != other.zero_count_) return false;
  if (count_ == 0) return true;
  if (min_ != other.min_ || max_ != other.max_) return false;
  if (!(positive_ == other.positive_) || !(negative_ == other.negative_)) return false;
  const double a = sum(), b = other.sum();
  if (a == b) return true;
  const double scale = static_cast<double>(count_) * std::max(std::abs(min_), std::abs(max_));
  return std::abs(a - b) <= 1e-12 * scale;
}

// ---- Serialization --------------------------------------------------------------------------
//
// Version 1:
//   u8 tag 'Q', u8 version,
//   varint count; when count > 0: f64 sum, f64 min, f64 max;
//   varint zero count;
//   positive then negative store: varint bins (0..kMaxBins); when > 0: signed varint key of
//   the first bin, then one varint count per bin, the first and the last non-zero.

void QuantileSketch::Serialize(std::string* out) const {
  internal::ByteWriter w(out);
  w.U8(kQuantileTag);
  w.U8(kQuantileVersion);
  w.Varint(count_);
  if (count_ > 0) {
    w.F64(sum());
    w.F64(min_);
    w.F64(max_);
  }
  w.Varint(zero_count_);
  for (const Store* s : {&positive_, &negative_}) {
    if (s->total == 0) {
      w.Varint(0);
      continue;
    }
    const size_t first = s->FirstOccupied(), last = s->LastOccupied();
    w.Varint(last - first + 1);
    w.SignedVarint(s->offset + static_cast<int64_t>(first));
    for (size_t pos = first; pos <= last; ++pos) w.Varint(s->At(pos));
  }
}

namespace {

// Reads one store whose keys must lie in [min_key, max_key].
Status ReadStore(internal::ByteReader* r, const char* sign, int64_t min_key, int64_t max_key,
                 int32_t* offset, std::vector<uint64_t>* bins, uint64_t* total) {
  uint64_t n;
  VIGIL_RETURN_IF_ERROR(r->Varint(&n));
  bins->clear();
  *total = 0;
  *offset = 0;
  if (n == 0) return Status::Ok();
  if (n > static_cast<uint64_t>(QuantileSketch::kMaxBins)) {
    return r->Error(std::string(sign) + " bin count " + std::to_string(n) + " exceeds " +
                    std::to_string(QuantileSketch::kMaxBins));
  }
  int64_t first;
  VIGIL_RETURN_IF_ERROR(r->SignedVarint(&first));
  if (first < min_key || first > max_key - static_cast<int64_t>(n) + 1) {
    return r->Error(std::string(sign) + " bin index range out of bounds");
  }
  if (r->remaining() < n) return r->Error(std::string(sign) + " bins truncated");
  bins->resize(n);
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t c;
    VIGIL_RETURN_IF_ERROR(r->Varint(&c));
    if ((i == 0 || i == n - 1) && c == 0) {
      return r->Error(std::string(sign) + " store has an empty end bin");
    }
    if (c > std::numeric_limits<uint64_t>::max() - *total) {
      return r->Error(std::string(sign) + " bin counts overflow");
    }
    *total += c;
    (*bins)[i] = c;
  }
  *offset = static_cast<int32_t>(first);
  return Status::Ok();
}

}  // namespace

Result<QuantileSketch> QuantileSketch::Deserialize(std::string_view* in) {
  internal::ByteReader r(*in, "quantile sketch");
  uint8_t tag = 0, version = 0;
  VIGIL_RETURN_IF_ERROR(r.U8(&tag));
  if (tag != kQuantileTag) return r.Error("wrong type tag " + std::to_string(tag));
  VIGIL_RETURN_IF_ERROR(r.U8(&version));
  if (version != kQuantileVersion) {
    return r.Error("unsupported version " + std::to_string(version));
  }
  QuantileSketch s;
  double sum = 0;
  VIGIL_RETURN_IF_ERROR(r.Varint(&s.count_));
  if (s.count_ > 0) {
    VIGIL_RETURN_IF_ERROR(r.F64(&sum));
    VIGIL_RETURN_IF_ERROR(r.F64(&s.min_));
    VIGIL_RETURN_IF_ERROR(r.F64(&s.max_));
    if (!std::isfinite(s.min_) || !std::isfinite(s.max_) || !(s.min_ <= s.max_)) {
      return r.Error("min/max invalid");
    }
    // One value is both the minimum and the maximum (else Quantile(1) would not be max()).
    if (s.count_ == 1 && s.min_ != s.max_) return r.Error("one value but min differs from max");
  }
  VIGIL_RETURN_IF_ERROR(r.Varint(&s.zero_count_));

  const int64_t min_index = IndexOf(kMinIndexable);
  const int64_t max_index = IndexOf(DBL_MAX);
  Store* stores[2] = {&s.positive_, &s.negative_};
  for (int k = 0; k < 2; ++k) {
    std::vector<uint64_t> bins;
    Store& st = *stores[k];
    VIGIL_RETURN_IF_ERROR(ReadStore(&r, k == 0 ? "positive" : "negative",
                                    k == 0 ? min_index : -max_index,
                                    k == 0 ? max_index : -min_index, &st.offset, &bins, &st.total));
    if (st.total <= kNarrowMax) {
      st.counts.assign(bins.begin(), bins.end());
    } else {
      st.wide_counts = std::move(bins);
    }
  }

  const uint64_t pos = s.positive_.total, neg = s.negative_.total;
  if (neg > std::numeric_limits<uint64_t>::max() - pos ||
      s.zero_count_ > std::numeric_limits<uint64_t>::max() - pos - neg ||
      pos + neg + s.zero_count_ != s.count_) {
    return r.Error("bin totals do not add up to count " + std::to_string(s.count_));
  }
  if (s.count_ > 0) {
    s.min_ = PositiveZero(s.min_);
    s.max_ = PositiveZero(s.max_);
    // min and max must fall in the lowest and the highest occupied bins (min may lie below a
    // collapsed full window).
    auto key_range = [](const Store& st, int64_t* lo, int64_t* hi) {
      *lo = st.offset;
      *hi = st.offset + static_cast<int64_t>(st.Size()) - 1;
    };
    auto kind = [](double v) { return v >= kMinIndexable ? 1 : v <= -kMinIndexable ? -1 : 0; };
    int lowest = neg > 0 ? -1 : s.zero_count_ > 0 ? 0 : 1;
    int highest = pos > 0 ? 1 : s.zero_count_ > 0 ? 0 : -1;
    if (kind(s.min_) != lowest || kind(s.max_) != highest) {
      return r.Error("min/max inconsistent with bins");
    }
    const Store* low_store = lowest == 1 ? &s.positive_ : lowest == -1 ? &s.negative_ : nullptr;
    const Store* high_store = highest == 1 ? &s.positive_ : highest == -1 ? &s.negative_ : nullptr;
    if (low_store) {
      int64_t lo, hi;
      key_range(*low_store, &lo, &hi);
      const int64_t key = KeyOf(s.min_);
      const bool full = hi - lo + 1 == QuantileSketch::kMaxBins;
      if (key > lo || (key < lo && !full)) return r.Error("min inconsistent with bins");
    }
    if (high_store) {
      int64_t lo, hi;
      key_range(*high_store, &lo, &hi);
      if (KeyOf(s.max_) != hi) return r.Error("max inconsistent with bins");
    }
    const double c = static_cast<double>(s.count_);
    const double lo_sum = s.min_ * c, hi_sum = s.max_ * c;
    const double slack = 1e-9 * std::max(std::abs(lo_sum), std::abs(hi_sum));
    const bool overflowed = std::isinf(lo_sum) || std::isinf(hi_sum);
    if (!(sum >= lo_sum - slack && sum <= hi_sum + slack) && !(overflowed && std::isnan(sum))) {
      return r.Error("sum inconsistent with min, max and count");
    }
    s.sum_ = sum;
  }
  in->remove_prefix(r.position());
  return s;
}

}  // namespace vigil
