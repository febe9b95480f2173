// Incidents in the DESIGN §5 JSON form as text, for front ends that pass documents on (the CLI,
// the Python module). The engine's modules use the same codec on JSON values
// (src/incident/incident_codec.h); both write the same bytes.
#pragma once

#include <string>
#include <string_view>

#include "vigil/incident.h"
#include "vigil/status.h"

namespace vigil {

/// The full incident document (DESIGN §5) plus `anomalies` listing every member, `paging`,
/// `summary`, `owner` (null until routed) and, once alerting tracks it, `status`; compact JSON
/// with keys in sorted order, figures rounded as the document states them. Text of the data
/// that is not valid UTF-8 is a kDataError.
Result<std::string> IncidentJsonText(const Incident& incident);

/// The incident of a DESIGN §5 document. Errors (kDataError) name the incident and the field:
/// `incident inc-3: field 'severity': expected minor, major or critical, not "big"`. Keys that
/// are missing take their defaults, except `id`, `metric`, `start` and `severity`. Fields the
/// document does not hold (a root cause's score, the evidence windows, a related anomaly's
/// detector) are left at their defaults, so decoding then encoding gives the same bytes.
Result<Incident> ParseIncidentJson(std::string_view text);

}  // namespace vigil
