// Mergeable sketches kept in every cube cell: a relative-error quantile sketch for each measure
// and a distinct-count sketch for devices.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/status.h"

namespace vigil {

/// DDSketch-style quantile sketch with relative accuracy.
///
/// Guarantee: for any q in [0, 1], Quantile(q) is within 1 % relative error of the exact
/// q-quantile (the value of rank floor(q * (count - 1)) in sorted order) of the values added,
/// as long as no more than kMaxBins bins are needed on either sign (values spanning fewer than
/// ~e^40 : 1, e.g. 1e-6 ms to 1e11 ms). Past that, the lowest bins collapse and only the low
/// quantiles lose accuracy. Zero and |values| below kMinIndexable are counted exactly as zero.
/// Quantile(0) is exactly min() and Quantile(1) exactly max(). count, min and max are exact;
/// sum is accumulated with compensation (error about one rounding of the total). NaN and
/// infinities are ignored.
///
/// Merge is exact: merging sketches gives the same sketch as adding all values to one (equal
/// under operator==, with the same quantiles and the same serialized bins).
/// Cost: Add is O(1) amortized; memory is 4 bytes per bin between the lowest and the highest
/// occupied bin of each sign (8 bytes once one sign holds 2^32 values or more).
class QuantileSketch {
 public:
  static constexpr double kRelativeAccuracy = 0.01;
  static constexpr int kMaxBins = 2048;
  static constexpr double kMinIndexable = 1e-9;

  QuantileSketch() = default;

  /// Adds `value` `weight` times (weight 0 adds nothing).
  void Add(double value, uint64_t weight = 1);
  /// Adds every value of `other`.
  void Merge(const QuantileSketch& other);

  uint64_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  /// Sum of the values added (times their weights); 0 when empty.
  double sum() const { return sum_ + sum_error_; }
  /// Exact minimum and maximum; NaN when empty.
  double min() const;
  double max() const;
  /// Mean of the values added; NaN when empty.
  double mean() const;
  /// The q-quantile within the relative accuracy; NaN when empty; q is clamped to [0, 1].
  double Quantile(double q) const;
  /// Estimated number of values <= `value` (within the bin resolution).
  double CountAtOrBelow(double value) const;

  /// Appends the versioned binary form to `out`.
  void Serialize(std::string* out) const;
  /// Reads one sketch from the front of `*in` and advances it. Corrupted or truncated bytes
  /// give a kCorruption status, never a crash; `*in` is then left unchanged.
  static Result<QuantileSketch> Deserialize(std::string_view* in);

  /// Same values added: bins, count, zero count, min and max equal; sum equal up to the
  /// rounding that the order of additions causes (relative 1e-12 of count * max |value|).
  bool operator==(const QuantileSketch& other) const;

 private:
  // One sign's bins. The window [offset, offset + size) holds every occupied bin (with zero
  // slack at the ends for amortized growth) and never exceeds kMaxBins; a window of exactly
  // kMaxBins always ends at the highest occupied bin, and its first bin also holds every
  // value whose own bin lies below it (the collapse).
  struct Store {
    int32_t offset = 0;                 // bin index of the window's first element
    std::vector<uint32_t> counts;       // the window while total < 2^32
    std::vector<uint64_t> wide_counts;  // the window once total >= 2^32 (counts then empty)
    uint64_t total = 0;                 // values held

    void Add(int32_t index, uint64_t weight);
    void Merge(const Store& other);
    size_t Size() const { return wide_counts.empty() ? counts.size() : wide_counts.size(); }
    uint64_t At(size_t pos) const { return wide_counts.empty() ? counts[pos] : wide_counts[pos]; }
    // Window positions of the lowest and highest occupied bins; total must be > 0.
    size_t FirstOccupied() const;
    size_t LastOccupied() const;
    void Widen();
    template <typename Count>
    void Place(std::vector<Count>* bins, int32_t index, uint64_t weight);
    bool operator==(const Store& o) const;
  };
  static int32_t IndexOf(double magnitude);
  static double ValueOf(int32_t index);
  // Bin key of a value in its store: ascending keys are ascending values on both signs.
  static int32_t KeyOf(double value) { return value > 0 ? IndexOf(value) : -IndexOf(-value); }

  Store positive_;
  Store negative_;  // keyed by -IndexOf(|value|), so collapsing its lowest keys drops the
                    // most negative values, i.e. again the low quantiles
  uint64_t zero_count_ = 0;
  uint64_t count_ = 0;
  double sum_ = 0;
  double sum_error_ = 0;  // compensation term of sum_
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
};

/// HyperLogLog distinct-count sketch (precision 14: 16,384 registers).
///
/// Guarantee: the estimate's relative standard error is about 0.8 %; below ~1,000 distinct
/// values a sparse exact-register mode with linear counting makes it nearly exact.
/// Merge is exact: merging gives the same sketch as adding every value to one. The sparse form
/// turns dense exactly when more than kMaxSparseRegisters registers are set, whatever the order
/// of additions and merges.
/// Memory: 4 bytes per distinct register while sparse, 16 KiB once dense.
class DistinctSketch {
 public:
  static constexpr int kPrecision = 14;
  /// Number of registers, 2^kPrecision.
  static constexpr int kRegisters = 1 << kPrecision;
  /// Registers set beyond which the sketch is dense.
  static constexpr int kMaxSparseRegisters = 2048;

  DistinctSketch() = default;

  /// Adds a value by its bytes (hashed with a stable 64-bit hash).
  void Add(std::string_view value);
  /// Adds a value by a 64-bit hash the caller already computed.
  void AddHash(uint64_t hash);
  /// Adds every value of `other` (register-wise maximum).
  void Merge(const DistinctSketch& other);
  /// The estimated number of distinct values added.
  double Estimate() const;
  /// True when nothing was added.
  bool empty() const;

  /// Appends the versioned binary form to `out`.
  void Serialize(std::string* out) const;
  /// Reads one sketch from the front of `*in` and advances it; corrupted bytes give a
  /// kCorruption status and leave `*in` unchanged.
  static Result<DistinctSketch> Deserialize(std::string_view* in);

  /// Same registers, hence the same estimate and the same bytes.
  bool operator==(const DistinctSketch& other) const;

 private:
  void Promote();

  std::vector<uint32_t> sparse_;  // sorted (register << 8 | rank), one entry per register
  std::vector<uint8_t> dense_;    // 2^kPrecision registers once promoted
};

}  // namespace vigil
