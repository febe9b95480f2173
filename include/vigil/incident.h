// Incidents: the anomalies of one regression, across metrics and related slices, grouped into one
// thing a person acts on.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/detect.h"
#include "vigil/explain.h"

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

/// One regression: a primary anomaly and the others that share its time and its slice lineage.
struct Incident {
  std::string id;   ///< stable: from the primary's metric, slice and onset
  Anomaly primary;  ///< the broadest anomaly of the group, unless a narrower one moved over twice
                    ///< as much
  std::vector<Anomaly> related;  ///< the rest of the group, earliest first
  TimeMs start = 0;              ///< earliest onset in the group
  TimeMs end = 0;                ///< latest end; 0 while any member is open
  Evidence evidence;             ///< of the primary (filled by CollectEvidence)
  /// False when the incident should not page anyone by default (a pure traffic-mix shift).
  bool paging = true;
  /// SeverityOf the primary: from its slice alone after GroupIncidents, with the slice's share of
  /// traffic after ExplainIncidents.
  Severity severity = Severity::kMinor;
  std::string summary;  ///< one paragraph for people (Summarize, set by ExplainIncidents)
  std::string owner;    ///< the owning team, from routing ("" until routed)
  /// Ids of other incidents of the same time that look like one cause seen elsewhere: slices in
  /// one lineage, or the same value new at both onsets (LinkRelatedIncidents).
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
/// first incident whose founder it relates to (no chains). Related: slices equal or one an ancestor
/// of the other and whose onsets lie within an hour of each other; anomalies of one metric on
/// sibling slices (the same dimensions) starting within an hour; and on one slice the anomalies
/// that recur within 3 hours of the previous one's end. Then incidents that hold one metric on one
/// slice lineage recurring within 6 hours of a member's end merge (transitively: a week-long
/// regression that fades every night is one incident). Deterministic; ordered by start.
std::vector<Incident> GroupIncidents(const std::vector<Anomaly>& anomalies);

/// The incidents whose onset lies in [from, to) (0: no bound). Group all anomalies first, then
/// select: an incident that began before `from` stays one incident, not a new one at `from`.
std::vector<Incident> IncidentsStartingIn(std::vector<Incident> incidents, TimeMs from, TimeMs to);

/// Links incidents of one time that look like one cause seen from two sides (their slices or top
/// root causes in one lineage, or one value new at both onsets) through `related_incidents`.
/// Needs their evidence.
void LinkRelatedIncidents(std::vector<Incident>* incidents);

/// Severity from effect size × affected traffic: impact = |relative change| (capped at 2) × the
/// slice's share of all traffic. critical: impact ≥ 0.05 at ≥ 99.9 % confidence; major:
/// impact ≥ 0.01 or a change of 25 % or more; minor otherwise. A monitored fall to (near) zero
/// at ≥ 99 % confidence is critical at any share: an outage outranks every slowdown.
Severity SeverityOf(const Anomaly& primary, double traffic_share);

/// A plain-language paragraph from the evidence: since when, what moved where and by how much,
/// with what confidence, carried by which stage, in which slices, what changed at the onset.
std::string Summarize(const Incident& incident, const Config& config);

/// The attributions an incident shows: those of its first multivariate anomaly, else of its first
/// member (primary first) that has some; null when none has (no multivariate model covers its
/// slices).
const Attributions* AttributionsOf(const Incident& incident);

/// A stable id from metric, slice and onset (`inc-` and 12 hex digits).
std::string IncidentIdFor(const Anomaly& anomaly);

}  // namespace vigil
