// Explanation of anomalies, read from the cube and the events:
// - root-cause localization over leaf cells (LocalizeRootCauses): given the actual and expected
//   values of every full combination of dimension values over the anomalous window, the smallest
//   set of slices, at any depth and over any dimensions, that explains the deviation; additive
//   measures use one actual/expected pair per cell, ratio measures (rates) add the denominator
//   pair (method: docs/root_cause.md);
// - the evidence of an anomaly (CollectEvidence): root causes, stage attribution, what changed at
//   the onset, the mix-shift test, affected devices;
// - explain-away (ExplainAway): anomalies that another anomaly's slice explains are moved there
//   or dropped;
// - samples from the events (AttachSamples): example request ids, failure-message templates
//   (templates.h) and the stages whose error codes grew.
// Explanation works on anomalies (detect.h) and their evidence; incidents (incident.h) hold it.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "vigil/config.h"
#include "vigil/cube.h"
#include "vigil/detect.h"
#include "vigil/status.h"
#include "vigil/templates.h"
#include "vigil/time.h"

namespace vigil {

/// One leaf cell: its value of every dimension (in the order of the dimension names) and the
/// actual and expected values of the measure. For a ratio measure (numerator / denominator),
/// `actual`/`expected` are the numerators and `actual_den`/`expected_den` the denominators.
struct RootCauseCell {
  std::vector<std::string> values;
  double actual = 0;
  double expected = 0;
  double actual_den = 0;     ///< used when RootCauseOptions::ratio
  double expected_den = 0;   ///< used when RootCauseOptions::ratio
  double reference = 0;      ///< used when RootCauseOptions::against_reference
  double reference_den = 0;  ///< used when both against_reference and ratio
};

/// The same cells, dictionary-encoded and columnar (what the cube holds): cell i has value
/// `values[d][codes[i * dimensions.size() + d]]` of dimension d. `actual_den`/`expected_den`
/// are empty unless the measure is a ratio.
struct RootCauseTable {
  std::vector<std::string> dimensions;
  std::vector<std::vector<std::string>> values;
  std::vector<uint32_t> codes;
  std::vector<double> actual, expected, actual_den, expected_den;
  std::vector<double> reference, reference_den;  ///< empty unless against_reference

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
  /// Each slice is compared with itself in a reference window (`reference`, and for a ratio
  /// `reference_den`, per cell): a test of the slice's sums, counts as Poisson and ratios as
  /// proportions, instead of cell-by-cell deviations from `expected`. For cells that hold a
  /// handful of events each (telemetry leaves), where a cell's own deviation is mostly noise and a
  /// cell's own past says little. `expected` still measures the explained share.
  bool against_reference = false;
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
Result<RootCauseTable> ReadRootCauseCsv(const std::string& path,
                                        const RootCauseCsvColumns& columns);

/// The benchmark notation of a root-cause set: elements joined by ';', the attributes of an
/// element by '&', each attribute `dim=value` sorted by name, e.g. "a=a2&b=b12;c=c4".
std::string FormatRootCauseSet(const std::vector<RootCause>& causes);

/// A pipeline stage's part in a latency regression.
struct StageShare {
  std::string stage;
  double share = 0;     ///< of the summed stage increases, in [0, 1]
  double baseline = 0;  ///< the stage's same quantile (or mean) before
  double observed = 0;  ///< and during
};

/// A dimension value whose share of the slice's traffic rose at the onset (a new build, model
/// or voice), with its cohort contrast.
struct ChangedValue {
  std::string dimension;
  std::string value;
  TimeMs first_seen = 0;
  double share_before = 0;
  double share_after = 0;
  double metric_value = 0;    ///< the metric on slice + value during the anomaly
  double siblings_value = 0;  ///< on the slice without the value
};

/// What the cube says about an anomaly: where the latency went, what changed, whether only the
/// traffic mix moved, how many devices were affected.
struct Evidence {
  /// The slices that carry the deviation (full slices: the anomaly's slice plus the localized
  /// part), largest explained fraction first. Rates search the cells' rates; quantiles search
  /// the share of values beyond the baseline quantile; counts the counts.
  std::vector<RootCause> root_causes;
  std::vector<StageShare> stages;  ///< largest share first
  /// The stages of a failure regression, from the growth of each stage's error codes
  /// (baseline/observed are errors per turn); false: from stage latencies.
  bool stages_from_errors = false;
  std::vector<ChangedValue> what_changed;  ///< largest share increase first
  bool mix_shift = false;     ///< the aggregate moved because traffic moved between unchanged parts
  std::string mix_dimension;  ///< along which dimension
  uint64_t affected_devices = 0;
  uint64_t affected_turns = 0;   ///< events of the slice during the anomaly's first hours
  uint64_t reference_turns = 0;  ///< and during the reference window
  double traffic_share = 1;      ///< the slice's share of all events then, in [0, 1]
  /// The windows compared: the anomaly's first hours and the reference (a week or a day before).
  TimeMs window_from = 0, window_to = 0, reference_from = 0, reference_to = 0;
  /// Failure messages of the slice in the window against the reference (AttachSamples).
  std::vector<ErrorTemplate> error_templates;
  /// Request ids of turns of the slice in the window that show the regression (AttachSamples).
  std::vector<std::string> examples;
};

/// Collects the evidence of `anomaly` from `cube`, comparing its first hours (at most six) with
/// the same hours one week earlier when the slice had traffic then, else one day earlier.
/// Errors: kNotFound for a metric the cube's config does not define.
Result<Evidence> CollectEvidence(const Cube& cube, const Anomaly& anomaly);

/// The evidence of a regression led by `primary` with `related` anomalies: CollectEvidence of the
/// primary and, when that names no stages (a failure or good-turn rate), the stages of the
/// related latency anomaly (quantile or mean) that moved most.
Result<Evidence> CollectEvidence(const Cube& cube, const Anomaly& primary,
                                 const std::vector<Anomaly>& related);

/// Anomalies on unrelated slices at the same time (failure_rate on platform=iOS and on
/// app_build=2026.10.2) are often one regression seen twice. The cube answers which explains
/// which: take Y's traffic out of X; if less than a third of X's deviation remains, X's
/// regression lies in Y. When Y is the same metric, X is dropped; when Y is another metric, X
/// moves to the intersection of both slices when the detection ensemble, replayed there, still
/// shows an effect that matters (EffectMatters). Counts and distinct counts are left alone
/// (removing traffic always lowers them). Two anomalies that end up on one slice at one time are
/// kept once (the first). Returns the anomalies kept, in their order; the result depends on that
/// order (Detect's).
std::vector<Anomaly> ExplainAway(const Cube& cube, std::vector<Anomaly> anomalies);

/// One regression whose samples AttachSamples reads: its leading anomaly (metric, slice,
/// direction, baseline), when the whole regression ends (0 while open), and its evidence (from
/// CollectEvidence; its windows say what to read), which receives the samples.
struct SampleTarget {
  const Anomaly* anomaly = nullptr;
  TimeMs end = 0;
  Evidence* evidence = nullptr;
};

/// Reads `files` (the events behind the cube) once to fill every target's examples (up to
/// `max_examples` request ids of turns in its slice and window that show the regression: failed
/// ones for a rate, ones beyond the baseline for a latency; the same ids whatever the file order)
/// and its error templates (failure messages of the slice in its window against the reference
/// window); a rate regression's stages from the growth of each stage's error codes
/// (`input.error_stages`). The window read is the evidence window widened to the regression's
/// first six hours. Errors: kNotFound for a metric or dimension `config` does not define, and
/// what reading the files returns.
Status AttachSamples(const std::vector<std::string>& files, const Config& config,
                     const std::vector<SampleTarget>& targets, size_t max_examples = 5);

}  // namespace vigil
