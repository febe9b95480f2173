// Incidents: the anomalies of one regression, across metrics and related slices, grouped into one
// thing a person acts on.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/detect.h"
#include "vigil/explain.h"
#include "vigil/templates.h"

namespace vigil {

/// How much an incident matters, from effect size × affected traffic (SeverityOf). Ordered: a
/// later value is worse.
enum class Severity { kMinor, kMajor, kCritical };

/// Where a stored incident is in its lifecycle (alerting: open → acknowledged → resolved).
enum class IncidentStatus { kOpen, kAcknowledged, kResolved };

/// A person's verdict on an incident (feedback).
enum class Verdict { kTruePositive, kFalsePositive, kDuplicate };

/// The names used in documents, the store, labels and the API: "minor", "major", "critical";
/// "open", "acknowledged", "resolved"; "true_positive", "false_positive", "duplicate".
std::string_view ToString(Severity severity);
std::string_view ToString(IncidentStatus status);
std::string_view ToString(Verdict verdict);

/// The value a name stands for (exactly as ToString writes it); kInvalidArgument otherwise, with
/// a message that lists the names ("expected minor, major or critical, not \"majr\"").
Result<Severity> ParseSeverity(std::string_view text);
Result<IncidentStatus> ParseIncidentStatus(std::string_view text);
Result<Verdict> ParseVerdict(std::string_view text);

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
  double metric_value = 0;     ///< the metric on slice + value during the anomaly
  double siblings_value = 0;   ///< on the slice without the value
};

/// What the cube says about an anomaly: where the latency went, what changed, whether only the
/// traffic mix moved, how many devices were affected.
struct Evidence {
  /// The slices that carry the deviation (full slices: the anomaly's slice plus the localized
  /// part), largest explained fraction first. Rates search the cells' rates; quantiles search
  /// the share of values beyond the baseline quantile; counts the counts.
  std::vector<RootCause> root_causes;
  std::vector<StageShare> stages;          ///< largest share first
  /// The stages of a failure regression, from the growth of each stage's error codes
  /// (baseline/observed are errors per turn); false: from stage latencies.
  bool stages_from_errors = false;
  std::vector<ChangedValue> what_changed;  ///< largest share increase first
  bool mix_shift = false;   ///< the aggregate moved because traffic moved between unchanged parts
  std::string mix_dimension;  ///< along which dimension
  uint64_t affected_devices = 0;
  uint64_t affected_turns = 0;  ///< events of the slice during the anomaly's first hours
  uint64_t reference_turns = 0; ///< and during the reference window
  double traffic_share = 1;     ///< the slice's share of all events then, in [0, 1]
  /// The windows compared: the anomaly's first hours and the reference (a week or a day before).
  TimeMs window_from = 0, window_to = 0, reference_from = 0, reference_to = 0;
  /// Failure messages of the slice in the window against the reference (AttachSamples).
  std::vector<ErrorTemplate> error_templates;
  /// Request ids of turns of the slice in the window that show the regression (AttachSamples).
  std::vector<std::string> examples;
};

/// Collects the evidence of `anomaly` from `cube`, comparing its window with the same hours one
/// week earlier when the cube has them, else one day earlier.
Result<Evidence> CollectEvidence(const Cube& cube, const Anomaly& anomaly);

/// One regression: a primary anomaly and the others that share its time and its slice lineage.
struct Incident {
  std::string id;              ///< stable: from the primary's metric, slice and onset
  Anomaly primary;             ///< the broadest anomaly of the group, unless a narrower one moved over twice as much
  std::vector<Anomaly> related;  ///< the rest of the group, earliest first
  TimeMs start = 0;            ///< earliest onset in the group
  TimeMs end = 0;              ///< latest end; 0 while any member is open
  Evidence evidence;           ///< of the primary (filled by CollectEvidence)
  /// False when the incident should not page anyone by default (a pure traffic-mix shift).
  bool paging = true;
  /// SeverityOf the primary: from its slice alone after GroupIncidents, with the slice's share of
  /// traffic after AttachEvidence.
  Severity severity = Severity::kMinor;
  std::string summary;   ///< one paragraph for people (Summarize, set by AttachEvidence)
  std::string owner;     ///< the owning team, from routing ("" until routed)
  /// Ids of other incidents of the same time that look like one cause seen elsewhere: slices in
  /// one lineage, or the same value new at both onsets (set by AttachEvidence).
  std::vector<std::string> related_incidents;
  /// Where the incident is in its lifecycle, once alerting tracks it (unset for incidents straight
  /// from detection: their documents have no `status`).
  std::optional<IncidentStatus> status;
  /// Resolved because detection no longer finds it over data that covers it.
  bool retracted = false;
  /// Every anomaly of the incident, primary first.
  std::vector<const Anomaly*> members() const;
};

/// Groups anomalies into incidents: the broadest slices found incidents and each anomaly joins the
/// first incident whose founder it relates to (no chains). Related: slices equal or one an ancestor of the other and
/// whose onsets lie within an hour of each other; anomalies of one metric on sibling slices (the
/// same dimensions) starting within an hour; and on one slice the anomalies that recur within
/// 3 hours of the previous one's end. Deterministic; incidents ordered by start.
std::vector<Incident> GroupIncidents(const std::vector<Anomaly>& anomalies);

/// Fills every incident's evidence, severity and summary from the cube; an incident whose
/// primary is a pure mix shift does not page by default.
Status AttachEvidence(const Cube& cube, std::vector<Incident>* incidents);

/// Reads `files` (the events behind the cube) once more to fill every incident's examples (up to
/// `max_examples` request ids of turns in its slice and window that show the regression: failed
/// ones for a rate, ones beyond the baseline for a latency; the same ids whatever the file order)
/// and its error templates (failure messages of the slice in its window against the reference
/// window); a rate regression's stages from the growth of each stage's error codes
/// (`input.error_stages`). Needs AttachEvidence first.
Status AttachSamples(const std::vector<std::string>& files, const Config& config, std::vector<Incident>* incidents,
                     size_t max_examples = 5);

/// Detect, group and explain: the incidents of `cube` whose onset lies in [from, to) (0: no
/// bound; history before `from` still feeds the baselines). Deterministic.
struct IncidentSearch {
  std::vector<Incident> incidents;
  DetectionReport detection;  ///< every anomaly found, before the time filter
};
Result<IncidentSearch> FindIncidents(const Cube& cube, TimeMs from = 0, TimeMs to = 0);

/// Severity from effect size × affected traffic: impact = |relative change| (capped at 2) × the
/// slice's share of all traffic. critical: impact ≥ 0.05 at ≥ 99.9 % confidence; major:
/// impact ≥ 0.01 or a change of 25 % or more; minor otherwise.
Severity SeverityOf(const Anomaly& primary, double traffic_share);

/// A plain-language paragraph from the evidence: since when, what moved where and by how much,
/// with what confidence, carried by which stage, in which slices, what changed at the onset.
std::string Summarize(const Incident& incident, const Config& config);

/// A stable id from metric, slice and onset (`inc-` and 12 hex digits).
std::string IncidentIdFor(const Anomaly& anomaly);

}  // namespace vigil
