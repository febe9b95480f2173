// The pipeline in one call (pipeline.h): each step is its module's; this file only orders them.
#include "vigil/explain.h"
#include "vigil/pipeline.h"

namespace vigil {

Result<DetectionReport> FindAnomalies(const Cube& cube, const DetectOptions& options,
                                      TimeMs settled_before) {
  VIGIL_ASSIGN_OR_RETURN(DetectionReport report, Detect(cube, options));
  if (settled_before != 0) {
    std::erase_if(report.anomalies,
                  [&](const Anomaly& a) { return a.end != 0 && a.end < settled_before; });
  }
  // Explain-away depends on the order Detect found the anomalies in; people read them by time.
  report.anomalies = ExplainAway(cube, std::move(report.anomalies));
  SortAnomalies(&report.anomalies);
  return report;
}

Status ExplainIncidents(const Cube& cube, const std::vector<std::string>& files,
                        std::vector<Incident>* incidents, size_t max_examples) {
  for (Incident& inc : *incidents) {
    VIGIL_ASSIGN_OR_RETURN(inc.evidence, CollectEvidence(cube, inc.primary, inc.related));
    inc.paging = !inc.evidence.mix_shift;
    inc.severity = SeverityOf(inc.primary, inc.evidence.traffic_share);
  }
  LinkRelatedIncidents(incidents);
  if (!files.empty()) {
    std::vector<SampleTarget> targets;
    targets.reserve(incidents->size());
    for (Incident& inc : *incidents) targets.push_back({&inc.primary, inc.end, &inc.evidence});
    VIGIL_RETURN_IF_ERROR(AttachSamples(files, cube.config(), targets, max_examples));
  }
  for (Incident& inc : *incidents) inc.summary = Summarize(inc, cube.config());
  return Status::Ok();
}

Result<Investigation> Investigate(const Cube& cube, const InvestigateOptions& options) {
  Investigation out;
  DetectOptions detect;
  detect.to = options.data_end;
  detect.state = options.state;
  VIGIL_ASSIGN_OR_RETURN(out.detection, FindAnomalies(cube, detect, options.settled_before));
  out.incidents =
      IncidentsStartingIn(GroupIncidents(out.detection.anomalies), options.from, options.to);
  VIGIL_RETURN_IF_ERROR(
      ExplainIncidents(cube, options.files, &out.incidents, options.max_examples));
  return out;
}

}  // namespace vigil
