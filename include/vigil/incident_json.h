// Incidents and anomalies in the DESIGN §5 JSON form, shared by the CLI, the store, the report,
// the server and the Python module.
#pragma once

#include <nlohmann/json.hpp>

#include "vigil/incident.h"

namespace vigil {

/// `{"platform": "watchOS", ...}`.
nlohmann::json SliceToJson(const Slice& slice);

/// An anomaly on its own, as a one-member incident without evidence.
nlohmann::json IncidentToJson(const Anomaly& anomaly);

/// The full incident document (DESIGN §5) plus `anomalies` listing every member, `paging`,
/// `summary` and, with routing, `owner`.
nlohmann::json IncidentToJson(const Incident& incident);

}  // namespace vigil
