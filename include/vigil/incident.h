// Incidents: the anomalies of one regression, across metrics and related slices, grouped into one
// thing a person acts on.
#pragma once

#include <string>
#include <vector>

#include "vigil/detect.h"

namespace vigil {

/// One regression: a primary anomaly and the others that share its time and its slice lineage.
struct Incident {
  std::string id;              ///< stable: from the primary's metric, slice and onset
  Anomaly primary;             ///< the largest, most confident anomaly of the group
  std::vector<Anomaly> related;  ///< the rest of the group, earliest first
  TimeMs start = 0;            ///< earliest onset in the group
  TimeMs end = 0;              ///< latest end; 0 while any member is open
  /// Every anomaly of the incident, primary first.
  std::vector<const Anomaly*> members() const;
};

/// Groups into incidents the anomalies whose slices are equal or one an ancestor of the other and
/// whose onsets lie within an hour of each other; anomalies of one metric on sibling slices (the
/// same dimensions) starting within an hour; and on one slice the anomalies that recur within
/// 3 hours of the previous one's end. Deterministic; incidents ordered by start.
std::vector<Incident> GroupIncidents(const std::vector<Anomaly>& anomalies);

/// A stable id from metric, slice and onset (`inc-` and 12 hex digits).
std::string IncidentIdFor(const Anomaly& anomaly);

}  // namespace vigil
