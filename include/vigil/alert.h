// Alerting: incidents found by detection become stored incidents with a lifecycle (open →
// acknowledged → resolved, with hysteresis), are routed to an owner and sinks, and notify each
// sink once per change of state. Re-running over the same data sends nothing twice.
#pragma once

#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "vigil/config.h"
#include "vigil/incident.h"
#include "vigil/store.h"

namespace vigil {

/// Labels of an incident, for routing and silences: id, metric, severity, status ("" before
/// alerting tracks it), paging, owner, stage (the top stage, when any) and every dimension of
/// its slice.
using Labels = std::map<std::string, std::string>;
Labels IncidentLabels(const Incident& incident);

/// Where the routing tree sends an incident: one entry per matched route (several with
/// `continue`), in tree order.
struct RouteMatch {
  std::string owner;
  std::vector<std::string> sinks;
};
std::vector<RouteMatch> RouteIncident(const RouteSpec& root, const Labels& labels);

/// True when every matcher of the silence holds and `now` lies in [starts, ends). A matcher
/// value starting with `~` is a regular expression the label must fully match.
bool SilenceMatches(const SilenceRecord& silence, const Labels& labels, TimeMs now);

/// A change of an incident's state that its sinks hear about.
struct Notification {
  /// kRepeated: still firing, told again after alert.repeat_interval.
  enum class Kind { kFiring, kEscalated, kReopened, kResolved, kRepeated };
  Kind kind = Kind::kFiring;
  Incident incident;  ///< with its stored id, status and owner (its DESIGN §5 document)
  TimeMs now = 0;     ///< wall-clock time of sending
};
const char* NotificationKindName(Notification::Kind kind);

/// A notification target. Sinks report failures as values; a failing sink never stops the run.
class Sink {
 public:
  virtual ~Sink() = default;
  /// Delivers one notification (with the sink's own retries).
  virtual Status Send(const Notification& notification) = 0;
  /// Refreshes still-firing incidents for targets that expire alerts on their own
  /// (Alertmanager); a no-op elsewhere.
  virtual Status Refresh(const std::vector<Notification>& firing) { return Status::Ok(); }

  /// The sink of `spec`; stdout sinks write to `out`.
  static Result<std::unique_ptr<Sink>> Create(const SinkSpec& spec, const Config& config,
                                              std::ostream* out);
};

/// What one alerting pass did.
struct AlertReport {
  int opened = 0, reopened = 0, escalated = 0, resolved = 0, unchanged = 0;
  int sent = 0;        ///< notifications delivered
  int failed = 0;      ///< deliveries that failed after retries (retried on the next run)
  int silenced = 0;    ///< notifications held back by a silence
  int not_paging = 0;  ///< notifications held back from paging sinks (mix shifts)
  std::vector<std::string> problems;  ///< one line per failed delivery
};

struct AlertOptions {
  TimeMs now = 0;       ///< wall-clock time (0: the system clock)
  TimeMs data_end = 0;  ///< end of the data judged (recovery is measured against it)
  /// The onset range the incidents were searched in (0: open); stored incidents outside it are
  /// left alone, open ones inside it that detection no longer finds resolve ("retracted").
  TimeMs from = 0, to = 0;
  std::ostream* out = nullptr;  ///< for stdout sinks (nullptr: they write nothing)
  /// Sinks by name, overriding the config's (tests inject failing or recording sinks).
  std::map<std::string, std::shared_ptr<Sink>> sinks;
};

/// Applies freshly found incidents to the stored lifecycle: an incident matching a stored one
/// (by id, or by sharing any member anomaly) updates it and keeps its id; new ones open. An
/// incident resolves once its members ended at least `alert.resolve_after` before `data_end`;
/// an acknowledged one stays acknowledged until then. Then routes every incident and notifies
/// each sink of what changed since it was last told (firing, escalated severity, reopened,
/// resolved; again while still firing once alert.repeat_interval has passed since the last
/// delivery), honouring silences; deliveries are stored so a re-run sends nothing twice. A
/// stored open incident that is no longer found resolves with `"retracted": true`.
Result<AlertReport> UpdateIncidents(Store* store, const Config& config,
                                    const std::vector<Incident>& incidents,
                                    const AlertOptions& options);

/// Marks a stored incident acknowledged (kNotFound when unknown; a resolved one stays resolved).
Status AcknowledgeIncident(Store* store, const std::string& id, TimeMs now);

/// People's latest verdict on each of `incidents` (keyed by its id), found in the store by id or
/// by a shared member anomaly (the stored incident may carry an older id).
Result<std::map<std::string, Verdict>> FeedbackVerdicts(Store* store,
                                                        const std::vector<Incident>& incidents);

}  // namespace vigil
