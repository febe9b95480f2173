// The Numenta Anomaly Benchmark (NAB): reading its corpus and label windows, running a detector
// causally over each series, writing results in NAB's own layout, and scoring them with our own
// implementation of NAB's published rules (see docs/nab.md).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/detect.h"
#include "vigil/status.h"
#include "vigil/time.h"

namespace vigil {

/// One NAB series, rows in file order (never sorted nor de-duplicated: NAB's scorer works on
/// row positions, and a few files repeat timestamps or step backwards once).
struct NabSeries {
  std::string key;            ///< "<category>/<name>.csv", as in the label files
  std::string category;       ///< "realKnownCause"
  std::string name;           ///< "nyc_taxi" (no extension)
  std::vector<TimeMs> times;  ///< UTC (NAB timestamps carry no zone)
  std::vector<double> values;
  std::vector<std::string> timestamps;   ///< the timestamp text of each row, as read
  std::vector<std::string> value_texts;  ///< the value text of each row, as read
  size_t size() const { return times.size(); }
};

/// An anomaly window: both bounds are row timestamps of its file, inclusive.
struct NabWindow {
  TimeMs start = 0;
  TimeMs end = 0;
};

/// Windows per series key; a key with no anomaly maps to an empty list.
using NabWindows = std::map<std::string, std::vector<NabWindow>>;

/// Parses a NAB time, `YYYY-MM-DD HH:MM:SS` with an optional `.ffffff`, as UTC.
Result<TimeMs> ParseNabTime(std::string_view text);

/// Parses one NAB CSV (`timestamp,value` header, one row per line). `key` names it in errors.
Result<NabSeries> ParseNabSeries(std::string_view csv, const std::string& key);

/// Reads `<data_dir>/<key>` (key = "<category>/<name>.csv").
Result<NabSeries> ReadNabSeries(const std::string& data_dir, const std::string& key);

/// Parses a `combined_windows.json` document: key → list of [start, end] pairs.
Result<NabWindows> ParseNabWindows(std::string_view json, const std::string& origin);
Result<NabWindows> ReadNabWindows(const std::string& path);

/// Reads every series that the labels name, in key order. A labelled file missing from
/// `data_dir` is kNotFound; a window bound that is not a row timestamp of its file is kDataError.
Result<std::vector<NabSeries>> ReadNabCorpus(const std::string& data_dir,
                                             const NabWindows& windows);

/// NAB's probationary period: the first min(floor(0.15 N), 750) rows are never scored.
size_t NabProbationLength(size_t rows);

/// Row bounds of windows as NAB's scorer finds them: a window opens at the first row (in file
/// order) whose timestamp equals its start, its right index is the first row of the file with
/// its end timestamp, and it closes at the first row at or after the opening with that end
/// timestamp. `first` and `last` are inclusive; `right` is what the sigmoid measures from.
struct NabWindowRows {
  size_t first = 0;
  size_t last = 0;
  size_t right = 0;
};
std::vector<NabWindowRows> NabWindowRowBounds(const NabSeries& series,
                                              const std::vector<NabWindow>& windows);

/// NAB's scaled sigmoid of a relative position y: 2/(1+exp(5y)) - 1, and -1 from y = 3 on.
double NabScaledSigmoid(double y);

/// A cost profile: the weights of true positives, false positives, true and false negatives.
struct NabProfile {
  std::string name;
  double tp = 1, fp = 0.11, tn = 1, fn = 1;
};
/// standard (1, 0.11, 1, 1), reward_low_FP_rate (1, 0.22, 1, 1), reward_low_FN_rate
/// (1, 0.11, 1, 2), in that order.
const std::vector<NabProfile>& NabProfiles();

/// A detector's scores for one series, ready to be scored.
struct NabScoredSeries {
  const NabSeries* series = nullptr;
  std::vector<NabWindow> windows;
  std::vector<double> scores;  ///< one per row, in [0, 1]
};

/// The score of a set of series at one threshold for one profile.
struct NabTally {
  double raw = 0;       ///< sum of TP rewards, FP costs and FN costs
  double null_raw = 0;  ///< the raw score of a detector that never fires (-FN weight per window)
  double perfect = 0;   ///< the raw score of one that fires at every window's start
  size_t windows = 0, detected = 0, false_positives = 0;
  /// 100 (raw - null) / (perfect - null); NaN with no window (nothing to normalize against).
  double normalized() const;
};

/// A profile's result over a corpus: the threshold that maximizes the total raw score (the
/// same for every series), the total, and the tallies per category and per series at it.
struct NabProfileResult {
  NabProfile profile;
  double threshold = 1.1;  ///< a row is a detection when its score is >= threshold
  NabTally total;
  std::map<std::string, NabTally> by_category;
  std::map<std::string, NabTally> by_series;  ///< by key
};

/// Scores `series` with NAB's rules at one threshold: only the first detection in a window
/// counts (A_TP times the scaled sigmoid of its position, normalized so the left edge earns
/// A_TP); a detection outside windows costs A_FP times the scaled sigmoid of its distance past
/// the previous window's end (in widths), or the full A_FP with no previous window; a window
/// without detection costs A_FN. Probationary rows are ignored.
NabTally NabScoreAt(const NabScoredSeries& series, const NabProfile& profile, double threshold);

/// Every distinct threshold (descending, starting at 1.1: nothing detected) with the total raw
/// score over all series: NAB's threshold sweep.
std::vector<std::pair<double, double>> NabSweep(const std::vector<NabScoredSeries>& series,
                                                const NabProfile& profile);

/// Sweeps the threshold for the profile, keeps the best (the highest threshold among ties)
/// and reports the tallies at it.
NabProfileResult NabScore(const std::vector<NabScoredSeries>& series, const NabProfile& profile);

/// Runs a detector causally over one series and returns its NAB scores (the calibrated
/// probability, rounded to 6 decimals as written). The detector sees every row, probationary
/// ones included, in file order; rows of the probationary period score 0. The bucket width
/// given to the detector is the median step of the first rows (all within the probation).
Result<std::vector<double>> RunNabDetector(const NabSeries& series, std::string_view detector,
                                           const DetectorOptions& options = {});
/// The same with a detector made by `factory` (for detectors under study, not registered).
Result<std::vector<double>> RunNabDetector(const NabSeries& series,
                                           const Detector::Factory& factory,
                                           DetectorOptions options = {});

/// Writes `<out_dir>/<label>/<category>/<label>_<name>.csv` with columns
/// `timestamp,value,anomaly_score,label` (label 1 on the rows of a window), NAB's layout.
/// Returns the path written.
Result<std::string> WriteNabResults(const std::string& out_dir, const std::string& label,
                                    const NabScoredSeries& scored);

}  // namespace vigil
