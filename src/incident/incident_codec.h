// The one codec of the DESIGN §5 incident document, as nlohmann JSON values, for the engine's
// modules and the front ends that build larger documents around incidents. Private: public
// headers speak of incidents as text (vigil/incident_json.h).
#pragma once

#include <nlohmann/json.hpp>

#include "vigil/detect.h"
#include "vigil/incident.h"
#include "vigil/status.h"

namespace vigil {

/// `{"platform": "watchOS", ...}`.
nlohmann::json SliceToJson(const Slice& slice);

/// The slice of a `slice` object, dimensions in name order; kDataError when `json` is not an
/// object of strings.
Result<Slice> SliceFromJson(const nlohmann::json& json);

/// An anomaly on its own, as a one-member incident without evidence.
nlohmann::json IncidentToJson(const Anomaly& anomaly);

/// The full incident document (see IncidentJsonText).
nlohmann::json IncidentToJson(const Incident& incident);

/// The incident of a document (see ParseIncidentJson for what is required and how errors read).
/// Decoding what IncidentToJson wrote and encoding it again gives the same document.
Result<Incident> IncidentFromJson(const nlohmann::json& document);

}  // namespace vigil
