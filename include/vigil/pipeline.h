// The pipeline over a cube in one call: detect → explain away → group → explain → samples →
// summarize. Every front end (the CLI's run, detect and backtest, the Python module) goes
// through it, so they all find, explain and word incidents the same way.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "vigil/cube.h"
#include "vigil/detect.h"
#include "vigil/incident.h"
#include "vigil/status.h"
#include "vigil/time.h"

namespace vigil {

/// The anomalies of `cube` as people see them: Detect, then the anomalies that another one's
/// slice explains moved there or dropped (ExplainAway), ordered by start, then metric and slice.
/// Deterministic. With `settled_before`, anomalies that ended before it are left out before
/// explain-away (see InvestigateOptions::settled_before).
Result<DetectionReport> FindAnomalies(const Cube& cube, const DetectOptions& options = {},
                                      TimeMs settled_before = 0);

/// Explains grouped incidents: each one's evidence from the cube (CollectEvidence of its primary,
/// with the stages of a related latency anomaly when it has none), paging (not for a pure mix
/// shift), severity (SeverityOf), the incidents that look like one cause linked
/// (LinkRelatedIncidents); with `files` (the events behind the cube), example request ids, error
/// templates and failure stages read from them in one pass (AttachSamples); last the summary
/// (Summarize), so it words everything found. `cube`'s config must define every metric named.
/// Evidence kept between a service's rounds. An incident whose anomalies all ended reads fixed
/// windows of the cube, so its evidence is the same every round until the cells it read change:
/// a round explains again only what is still moving. Keeps what the last call used, nothing
/// older. Clear it when buckets already read change (late events), as a DetectionState is reset.
class EvidenceCache {
 public:
  void Clear();
  size_t size() const { return kept_.size(); }
  /// Incidents whose evidence came from the cache in the last call.
  size_t hits() const { return hits_; }

 private:
  friend Status ExplainIncidents(const Cube&, const std::vector<std::string>&,
                                 std::vector<Incident>*, size_t, EvidenceCache*);
  std::map<std::string, Evidence> kept_;
  size_t hits_ = 0;
};

/// ... with `cache` (when given) reused for incidents whose anomalies all ended.
Status ExplainIncidents(const Cube& cube, const std::vector<std::string>& files,
                        std::vector<Incident>* incidents, size_t max_examples = 5,
                        EvidenceCache* cache = nullptr);

/// What Investigate reports on.
struct InvestigateOptions {
  /// Incidents whose onset lies in [from, to) (0: no bound); history before `from` still feeds
  /// the baselines.
  TimeMs from = 0;
  TimeMs to = 0;
  /// Judge only the buckets before it (0: every bucket): a service judges closed buckets, not
  /// the one still filling. Each monitor judges its whole buckets before it.
  TimeMs data_end = 0;
  /// The events behind the cube, read once more for examples, error templates and failure
  /// stages; empty: the cube's evidence only.
  std::vector<std::string> files;
  size_t max_examples = 5;  ///< request ids per incident
  /// Detection carried from the previous round (DetectionState; needs data_end): the service's
  /// rounds judge only what closed since. Null: judge every bucket.
  DetectionState* state = nullptr;
  /// Anomalies that ended before it are settled: their incidents resolved and were told in
  /// earlier rounds, so they are left out of explain-away, grouping and explanation, and a
  /// round costs what is still moving rather than the whole history (0: none are). The
  /// service's rounds set it a day back (or twice alert.resolve_after), so an incident still
  /// open is never among them.
  TimeMs settled_before = 0;
  /// Evidence kept from the previous round (see EvidenceCache); null: explain every incident.
  EvidenceCache* evidence_cache = nullptr;
};

/// What Investigate found.
struct Investigation {
  std::vector<Incident> incidents;  ///< ordered by start
  /// Every anomaly found (FindAnomalies) but the settled ones, before the time filter.
  DetectionReport detection;
};

/// The one pipeline call: FindAnomalies, the anomalies with an onset in [from, to) grouped into
/// incidents (GroupIncidents), then ExplainIncidents. Deterministic: the same cube, config and
/// files give the same incidents.
Result<Investigation> Investigate(const Cube& cube, const InvestigateOptions& options = {});

}  // namespace vigil
