// Examples and error templates of incidents, read from the input files: the cube keeps counts
// and sketches, not request ids or messages, so these come from one more pass over the events.
#include <algorithm>
#include <cmath>

#include "vigil/incident.h"
#include "vigil/ingest.h"

namespace vigil {
namespace {

// FNV-1a: the examples kept are the ids with the smallest hashes, a uniform sample that does
// not depend on the order of the files or their lines.
uint64_t StableHash(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

struct Collector {
  std::vector<std::pair<int, std::string>> slice;  // dimension index, value
  const MetricSpec* metric = nullptr;
  const Anomaly* primary = nullptr;
  const Evidence* evidence = nullptr;
  std::vector<std::pair<uint64_t, std::string>> examples;  // (hash, id), at most `max` smallest
  TemplateMiner miner;
  uint64_t events_now = 0, events_before = 0;

  bool InSlice(const Event& e) const {
    for (const auto& [d, v] : slice)
      if (e.dimensions[d] != v) return false;
    return true;
  }

  // Does this turn show the regression? The numerator of a rate, a latency beyond the baseline
  // in the anomaly's direction; any turn for counts.
  bool Shows(const Event& e) const {
    switch (metric->type) {
      case MetricType::kRate:
        return (!metric->of || metric->of->Matches(e)) && metric->where && metric->where->Matches(e);
      case MetricType::kQuantile:
      case MetricType::kMean: {
        double v = e.measures[metric->measure];
        if (std::isnan(v)) return false;
        return primary->direction == Direction::kDown ? v < primary->baseline : v > primary->baseline;
      }
      default: return true;
    }
  }
};

}  // namespace

Status AttachSamples(const std::vector<std::string>& files, const Config& config, std::vector<Incident>* incidents,
                     size_t max_examples) {
  if (files.empty() || incidents->empty()) return Status::Ok();
  std::vector<Collector> collectors(incidents->size());
  for (size_t i = 0; i < incidents->size(); ++i) {
    const Incident& inc = (*incidents)[i];
    Collector& c = collectors[i];
    int m = config.FindMetric(inc.primary.metric);
    if (m < 0) return NotFound("unknown metric '" + inc.primary.metric + "'");
    c.metric = &config.metrics[m];
    c.primary = &inc.primary;
    c.evidence = &inc.evidence;
    for (const auto& [dim, value] : inc.primary.slice) {
      int d = config.FindDimension(dim);
      if (d < 0) return NotFound("unknown dimension '" + dim + "'");
      c.slice.emplace_back(d, value);
    }
  }
  auto visit = [&](const Event& e) {
    for (Collector& c : collectors) {
      const Evidence& ev = *c.evidence;
      bool now = e.time >= ev.window_from && e.time < ev.window_to;
      bool before = e.time >= ev.reference_from && e.time < ev.reference_to;
      if ((!now && !before) || !c.InSlice(e)) continue;
      (now ? c.events_now : c.events_before)++;
      if (!e.message.empty()) c.miner.Add(e.message, /*baseline=*/before);
      if (!now || e.request_id.empty() || !c.Shows(e)) continue;
      uint64_t h = StableHash(e.request_id);
      if (c.examples.size() == max_examples && h >= c.examples.back().first) continue;
      auto at = std::lower_bound(c.examples.begin(), c.examples.end(), std::make_pair(h, std::string()));
      c.examples.insert(at, {h, std::string(e.request_id)});
      if (c.examples.size() > max_examples) c.examples.pop_back();
    }
  };
  VIGIL_RETURN_IF_ERROR(ScanFiles(files, config, visit).status());
  for (size_t i = 0; i < incidents->size(); ++i) {
    Collector& c = collectors[i];
    Evidence& e = (*incidents)[i].evidence;
    e.examples.clear();
    for (auto& [h, id] : c.examples) e.examples.push_back(std::move(id));
    double scale = c.events_before > 0 ? static_cast<double>(c.events_now) / c.events_before : 1.0;
    e.error_templates = c.miner.Templates(scale, 5);
  }
  return Status::Ok();
}

}  // namespace vigil
