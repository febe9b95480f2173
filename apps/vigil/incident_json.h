// Anomalies as incidents in the DESIGN §5 JSON format (the basic form, until grouping and
// explanations fill the remaining fields).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "vigil/detect.h"
#include "vigil/incident.h"

namespace vigil::cli {

/// minor, major or critical, from the effect size and the confidence.
std::string Severity(const Anomaly& anomaly);

nlohmann::json IncidentJson(const Anomaly& anomaly);

/// An incident: its primary anomaly's fields, plus `anomalies` listing every member.
nlohmann::json IncidentJson(const Incident& incident);

/// `platform=watchOS,asr_model=asr-42` as a JSON object.
nlohmann::json SliceJson(const Slice& slice);

}  // namespace vigil::cli
