// Explanations of an anomaly. Root-cause localization: given the leaf cells of a cube (one per
// full combination of dimension values) with their actual and expected values over the anomalous
// window, find the smallest set of slices, at any depth and over any dimensions, that explains
// the deviation. Additive measures use one actual/expected pair per cell; ratio measures (rates)
// add the denominator pair, and the search runs on the cells' rates. Method: docs/root_cause.md.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "vigil/status.h"

namespace vigil {

/// One leaf cell: its value of every dimension (in the order of the dimension names) and the
/// actual and expected values of the measure. For a ratio measure (numerator / denominator),
/// `actual`/`expected` are the numerators and `actual_den`/`expected_den` the denominators.
struct RootCauseCell {
  std::vector<std::string> values;
  double actual = 0;
  double expected = 0;
  double actual_den = 0;    ///< used when RootCauseOptions::ratio
  double expected_den = 0;  ///< used when RootCauseOptions::ratio
};

/// The same cells, dictionary-encoded and columnar (what the cube holds): cell i has value
/// `values[d][codes[i * dimensions.size() + d]]` of dimension d. `actual_den`/`expected_den`
/// are empty unless the measure is a ratio.
struct RootCauseTable {
  std::vector<std::string> dimensions;
  std::vector<std::vector<std::string>> values;
  std::vector<uint32_t> codes;
  std::vector<double> actual, expected, actual_den, expected_den;

  size_t size() const { return actual.size(); }
};

/// Knobs of the search. The defaults suit both dashboards and the published benchmarks.
struct RootCauseOptions {
  /// Cells carry denominators; the measure is the rate actual/actual_den.
  bool ratio = false;
  /// At most this many elements in the result.
  size_t max_elements = 10;
  /// Elements explaining less than this share of the total deviation are dropped (0 keeps all
  /// that pass the significance test).
  double min_explained_fraction = 0.0;
  /// Deepest slice considered (number of dimensions fixed); 0 means all dimensions when there
  /// are at most 8, else 4.
  size_t max_depth = 0;
  /// The deviation to explain: +1 a rise, -1 a fall, 0 the direction in which the data show the
  /// strongest localized deviation.
  int direction = 0;
  /// Significance: an element must beat the largest score that noise reaches at its depth by
  /// this factor (1 = the expected maximum of the noise).
  double significance = 1.3;
};

/// One element of the root-cause set: a slice and what it carries.
struct RootCause {
  /// (dimension, value) pairs in the order of the dimension names.
  std::vector<std::pair<std::string, std::string>> slice;
  /// Share of the total deviation (actual - expected; for a rate, of the numerator's excess over
  /// the expected rate) carried by this slice's cells not already claimed by an earlier element.
  /// In [0, 1]; elements are ordered by it, largest first.
  double explained_fraction = 0;
  double actual = 0;    ///< slice total (for a rate: actual rate of the slice)
  double expected = 0;  ///< slice total (for a rate: expected rate of the slice)
  double score = 0;     ///< evidence, in noise standard deviations
};

/// Localizes the root causes of the deviation between actual and expected over `cells`.
/// Errors: kInvalidArgument when a cell's value count differs from the dimension count or there
/// are no (or more than 24) dimensions. Cost: O(cells * 2^depth) time, then one pass over the
/// slices and the cells per element found; memory O(number of distinct slices).
Result<std::vector<RootCause>> LocalizeRootCauses(const std::vector<std::string>& dimensions,
                                                  const std::vector<RootCauseCell>& cells,
                                                  const RootCauseOptions& options = {});

/// The same search over an encoded table. Errors: kInvalidArgument when the columns disagree in
/// length or a code is out of range.
Result<std::vector<RootCause>> LocalizeRootCauses(const RootCauseTable& table,
                                                  const RootCauseOptions& options = {});

/// The columns of a CSV of leaf cells: the published root-cause benchmarks use
/// `real,predict,a,b,c,d` (actual "real", expected "predict", dimensions a..d).
struct RootCauseCsvColumns {
  std::vector<std::string> dimensions;
  std::string actual = "real";
  std::string expected = "predict";
  std::string actual_den;    ///< ratio measures only
  std::string expected_den;  ///< ratio measures only
};

/// Reads a CSV of leaf cells: a header row, then one cell per row (other columns are ignored;
/// fields may be double-quoted, without embedded commas). Errors: kNotFound for a missing file
/// or column (the message lists the columns), kDataError for an empty file or a field that is
/// not a number (the message names the file, line and column).
Result<RootCauseTable> ReadRootCauseCsv(const std::string& path, const RootCauseCsvColumns& columns);

/// The benchmark notation of a root-cause set: elements joined by ';', the attributes of an
/// element by '&', each attribute `dim=value` sorted by name, e.g. "a=a2&b=b12;c=c4".
std::string FormatRootCauseSet(const std::vector<RootCause>& causes);

}  // namespace vigil
