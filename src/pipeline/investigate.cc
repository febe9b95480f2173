// The pipeline in one call (pipeline.h): each step is its module's; this file only orders them.
#include <fmt/format.h>

#include <map>
#include <string>

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

void EvidenceCache::Clear() {
  kept_.clear();
  hits_ = 0;
}

namespace {

// What an ended incident's evidence depends on: its anomalies, every field, and whether the
// cube reaches a week before it (the reference window); empty while any anomaly is open.
std::string EvidenceKey(const Cube& cube, const Incident& inc) {
  std::string key = std::to_string(cube.first_bucket());
  auto add = [&](const Anomaly& a) {
    if (a.end == 0) return false;
    key += fmt::format("|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", a.metric, FormatSlice(a.slice),
                       static_cast<int>(a.direction), a.start, a.end, a.detected, a.baseline,
                       a.observed, a.relative_change, a.confidence, a.support, a.granularity_ms,
                       a.detector, a.cohort);
    return true;
  };
  if (!add(inc.primary)) return {};
  for (const Anomaly& a : inc.related) {
    if (!add(a)) return {};
  }
  return key;
}

}  // namespace

Status ExplainIncidents(const Cube& cube, const std::vector<std::string>& files,
                        std::vector<Incident>* incidents, size_t max_examples,
                        EvidenceCache* cache) {
  std::map<std::string, Evidence> used;
  if (cache) cache->hits_ = 0;
  for (Incident& inc : *incidents) {
    const std::string key = cache ? EvidenceKey(cube, inc) : std::string();
    const Evidence* known = nullptr;
    if (!key.empty()) {
      auto it = cache->kept_.find(key);
      if (it != cache->kept_.end()) known = &it->second;
    }
    if (known) {
      inc.evidence = *known;
      ++cache->hits_;
    } else {
      VIGIL_ASSIGN_OR_RETURN(inc.evidence, CollectEvidence(cube, inc.primary, inc.related));
    }
    if (!key.empty()) used.emplace(key, inc.evidence);
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
  if (cache) cache->kept_ = std::move(used);
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
  VIGIL_RETURN_IF_ERROR(ExplainIncidents(cube, options.files, &out.incidents, options.max_examples,
                                         options.evidence_cache));
  return out;
}

}  // namespace vigil
