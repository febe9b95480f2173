// Mergeable sketches kept in every cube cell: a relative-error quantile sketch for each measure
// and a distinct-count sketch for devices.
#pragma once

#include <cstdint>
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
/// count, sum, min and max are exact. NaN is ignored.
///
/// Merge is exact: merging sketches gives the same sketch as adding all values to one.
/// Cost: Add is O(1) amortized; memory is 4 bytes per occupied bin range.
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
  double sum() const { return sum_; }
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
  /// give a kCorruption status, never a crash.
  static Result<QuantileSketch> Deserialize(std::string_view* in);

  bool operator==(const QuantileSketch& other) const;

 private:
  struct Store {
    int32_t offset = 0;             // bin index of counts[0]
    std::vector<uint32_t> counts;   // contiguous bins
    uint64_t collapsed = 0;         // values folded into the lowest kept bin
    void Add(int32_t index, uint64_t weight);
    void Merge(const Store& other);
    uint64_t Total() const;
    bool operator==(const Store& o) const;
  };
  static int32_t IndexOf(double magnitude);
  static double ValueOf(int32_t index);

  Store positive_;
  Store negative_;
  uint64_t zero_count_ = 0;
  uint64_t count_ = 0;
  double sum_ = 0;
  double min_ = 0;
  double max_ = 0;
};

/// HyperLogLog distinct-count sketch (precision 14: 16,384 registers).
///
/// Guarantee: the estimate's relative standard error is about 0.8 %; below ~1,000 distinct
/// values a sparse exact-register mode with linear counting makes it nearly exact.
/// Merge is exact: merging gives the same sketch as adding every value to one.
/// Memory: 4 bytes per distinct register while sparse, 16 KiB once dense.
class DistinctSketch {
 public:
  static constexpr int kPrecision = 14;

  DistinctSketch() = default;

  /// Adds a value by its bytes (hashed with a stable 64-bit hash).
  void Add(std::string_view value);
  /// Adds a value by a 64-bit hash the caller already computed.
  void AddHash(uint64_t hash);
  void Merge(const DistinctSketch& other);
  /// The estimated number of distinct values added.
  double Estimate() const;
  bool empty() const;

  void Serialize(std::string* out) const;
  static Result<DistinctSketch> Deserialize(std::string_view* in);

  bool operator==(const DistinctSketch& other) const;

 private:
  std::vector<uint32_t> sparse_;  // sorted (register << 8 | rank), one entry per register
  std::vector<uint8_t> dense_;    // 2^kPrecision registers once promoted
};

}  // namespace vigil
