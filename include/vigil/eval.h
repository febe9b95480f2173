// Evaluation against ground truth: backtests on labelled data (DESIGN §5.2 truth files).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/cube.h"
#include "vigil/detect.h"
#include "vigil/incident.h"
#include "vigil/status.h"

namespace vigil {

/// One labelled regression (DESIGN §5.2).
struct TruthIncident {
  std::string id;
  std::string kind;
  std::vector<std::string> metrics;
  Slice slice;
  std::string stage;
  TimeMs start = 0;
  TimeMs end = 0;
};

/// A change that must not page anyone.
struct TruthDecoy {
  std::string kind;
  Slice slice;  ///< empty: everything
  TimeMs start = 0;
  TimeMs end = 0;
};

struct Truth {
  TimeMs start = 0;
  TimeMs end = 0;
  std::vector<TruthIncident> incidents;
  std::vector<TruthDecoy> decoys;

  /// Reads a truth.json; errors name the file and the field.
  static Result<Truth> Load(const std::string& path);
  static Result<Truth> Parse(const std::string& json, const std::string& origin);
};

/// How found anomalies compare with the truth.
struct BacktestReport {
  struct Match {
    std::string truth_id;
    std::string kind;
    bool found = false;
    double detection_delay_ms = 0;  ///< first detection after the truth onset
    double onset_error_ms = 0;      ///< |found onset - truth onset|
    bool exact_slice = false;       ///< the anomaly's slice is the truth slice
    std::string metric;             ///< the first matching anomaly's
    Slice slice;
    /// The top root cause of an incident holding a matching anomaly equals the truth slice.
    bool root_cause_exact = false;
    /// The first stage of that incident is the truth's stage (when the truth names one).
    bool stage_first = false;
  };
  std::vector<Match> matches;  ///< one per truth incident
  size_t anomalies = 0;
  size_t true_anomalies = 0;  ///< anomalies matching some truth incident
  /// Other metrics of a true regression, in a related slice while it lasts.
  std::vector<Anomaly> collateral_anomalies;
  std::vector<Anomaly> false_anomalies;
  std::vector<std::pair<TruthDecoy, Anomaly>> decoy_hits;  ///< decoys that produced an anomaly
  double days = 0;
  // Incident level (anomalies grouped by GroupIncidents): what a person is paged for.
  size_t incidents = 0;
  size_t true_incidents = 0;        ///< some member matches a truth incident
  size_t collateral_incidents = 0;  ///< no match, but a member is collateral of a truth incident
  size_t quiet_incidents = 0;       ///< no match, labelled not paging (a mix shift)
  std::vector<Incident> false_incidents;
  std::vector<std::pair<TruthDecoy, Incident>> decoy_incidents;
  double false_incidents_per_day() const;
  size_t root_cause_exact() const;
  size_t stage_first() const;
  size_t with_stage = 0;  ///< found truth incidents that name a stage

  /// Incidents of one monitor (by the primary's metric), judged by the truth and, where people
  /// gave one, by their feedback.
  struct MonitorScore {
    size_t incidents = 0;
    size_t true_by_truth = 0;  ///< matching or collateral of a truth incident
    size_t quiet = 0;          ///< not paging (mix shifts): not counted against precision
    size_t with_feedback = 0, feedback_true = 0, feedback_false = 0, feedback_duplicate = 0;
    size_t true_with_feedback = 0;  ///< feedback's verdict where given, else the truth's
    /// true / (incidents - quiet); 1 when there are none.
    double precision() const;
    /// true_with_feedback / (incidents - quiet - duplicates).
    double precision_with_feedback() const;
  };
  std::map<std::string, MonitorScore> by_monitor;
  /// Per incident given to ScoreIncidents, in order: 1 true or collateral, 0 false, -1 quiet.
  std::vector<int> incident_truth;
  /// Per incident, in order: what it says and what the truth makes of it (where to look when a
  /// figure moves: which incidents a regression became, which paged for nothing).
  struct ScoredIncident {
    std::string id;
    std::string metric;
    Slice slice;
    TimeMs start = 0;
    TimeMs end = 0;
    std::string verdict;   ///< "true", "collateral", "quiet" or "false"
    std::string truth_id;  ///< the truth incident it holds (true), else empty
    Slice root_cause;      ///< its top root cause, when it has one
  };
  std::vector<ScoredIncident> scored_incidents;

  /// (true + collateral) / all anomalies.
  double precision() const;
  double recall() const;
  double f1() const;
  double false_per_day() const;

  /// Truth incidents found.
  size_t found() const;
  /// Detection delay of the found truth incidents: the median (the upper middle one of an even
  /// count) and the largest, in ms; 0 when none was found.
  double median_delay_ms() const;
  double worst_delay_ms() const;
  /// Truth incidents found, and all of them, of one kind.
  struct KindRecall {
    size_t found = 0;
    size_t total = 0;
  };
  /// Recall per kind of truth incident, by kind name.
  std::map<std::string, KindRecall> recall_by_kind() const;
};

/// Matches anomalies to truth by DESIGN §5.2: metric among the truth's metrics, onset within
/// the truth window (30 minutes of slack before), slice equal to, an ancestor or a descendant
/// of the truth slice.
BacktestReport Backtest(const std::vector<Anomaly>& anomalies, const Truth& truth);

/// Adds the incident-level counts of `incidents` to `report` (made by Backtest).
void ScoreIncidents(const std::vector<Incident>& incidents, const Truth& truth,
                    BacktestReport* report);

/// Adds people's verdicts (incident id → verdict) on the incidents given to ScoreIncidents to
/// the per-monitor scores.
void ScoreFeedback(const std::vector<Incident>& incidents,
                   const std::map<std::string, Verdict>& verdicts, BacktestReport* report);

/// True when the anomaly matches the truth incident (DESIGN §5.2).
bool Matches(const Anomaly& anomaly, const TruthIncident& truth);

/// What RunBacktest reads besides the cube and the truth.
struct BacktestOptions {
  /// The events behind the cube, read for examples, error templates and failure stages as
  /// `vigil run` does (a failure regression's stages come from them); empty: the cube only.
  std::vector<std::string> files;
  /// People's verdicts on the incidents found (incident id → true_positive, false_positive or
  /// duplicate), e.g. the store's feedback (FeedbackVerdicts, alert.h); empty: none.
  std::function<Result<std::map<std::string, Verdict>>(const std::vector<Incident>&)> feedback;
};

/// The backtest of `cube` against `truth`: the pipeline over the whole cube (Investigate,
/// pipeline.h, with `files`), its anomalies matched to the truth (Backtest), its incidents scored
/// (ScoreIncidents) and, with feedback, people's verdicts (ScoreFeedback). Errors: what
/// Investigate or the feedback returns.
Result<BacktestReport> RunBacktest(const Cube& cube, const Truth& truth,
                                   const BacktestOptions& options = {});

/// The report as the JSON document `vigil backtest --json` writes: the figures, one entry per
/// truth incident (`truth`), per monitor (`by_monitor`) and per decoy that produced an anomaly
/// (`decoy_hits`, each with the anomaly as a DESIGN §5 incident). Two-space indented, no final
/// newline.
std::string BacktestReportToJson(const BacktestReport& report);

/// Elements of a found root-cause set against the true one, counted as the published
/// evaluations of Squeeze and RiskLoc count them: an element is one slice, equal when it fixes
/// the same values whatever their order.
struct RootCauseScore {
  size_t cases = 0;
  size_t true_positives = 0, false_positives = 0, false_negatives = 0;
  double precision() const;
  double recall() const;
  /// 2TP / (2TP + FP + FN); 1 when there is nothing to find and nothing was found.
  double f1() const;
  void Add(const RootCauseScore& other);
};

/// Scores one case: both sets in the `a=a1&b=b2;c=c3` notation (FormatRootCauseSet's).
RootCauseScore ScoreRootCauseSet(std::string_view found, std::string_view truth);

}  // namespace vigil
