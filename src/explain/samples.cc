// Examples, error templates and failure stages of regressions, read from the input files: the
// cube keeps counts and sketches, not request ids or messages, so these come from one more pass
// over the events.
#include <algorithm>
#include <cmath>

#include "vigil/explain.h"
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
  TimeMs from = 0, to = 0, shift = 0;  // the window read, and how far back its reference lies
  std::vector<std::pair<uint64_t, std::string>> examples;  // (hash, id), at most `max` smallest
  TemplateMiner miner;
  uint64_t events_now = 0, events_before = 0;
  std::vector<uint64_t> stage_errors_now, stage_errors_before;  // by measure index

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
        return (!metric->of || metric->of->Matches(e)) && metric->where &&
               metric->where->Matches(e);
      case MetricType::kQuantile:
      case MetricType::kMean: {
        double v = e.measures[metric->measure];
        if (std::isnan(v)) return false;
        return primary->direction == Direction::kDown ? v < primary->baseline
                                                      : v > primary->baseline;
      }
      default:
        return true;
    }
  }
};

// A failure regression belongs to the stages whose errors grew: each stage whose growth beyond
// the reference (scaled by traffic) is at least two Poisson standard deviations, with its share
// of that growth. Stages are judged one by one: one stage's errors may rise while another's fall.
void AttributeFailuresToStages(const Collector& c, const Config& config, double scale,
                               Evidence* e) {
  std::vector<StageShare> shares;
  double total = 0;
  for (int s : config.input.stages) {
    double now = static_cast<double>(c.stage_errors_now[s]);
    double expected = scale * static_cast<double>(c.stage_errors_before[s]);
    double growth = now - expected;
    if (growth < 2 * std::sqrt(expected + 1)) continue;
    StageShare st;
    st.stage = config.input.measures[s].name;
    st.share = growth;
    st.baseline =
        c.events_before ? static_cast<double>(c.stage_errors_before[s]) / c.events_before : 0;
    st.observed = c.events_now ? now / c.events_now : 0;
    total += growth;
    shares.push_back(st);
  }
  if (total <= 0) return;
  for (StageShare& st : shares) st.share /= total;
  std::stable_sort(shares.begin(), shares.end(),
                   [](const StageShare& x, const StageShare& y) { return x.share > y.share; });
  e->stages = std::move(shares);
  e->stages_from_errors = true;
}

}  // namespace

Status AttachSamples(const std::vector<std::string>& files, const Config& config,
                     const std::vector<SampleTarget>& targets, size_t max_examples) {
  if (files.empty() || targets.empty()) return Status::Ok();
  std::vector<Collector> collectors(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) {
    const Anomaly& primary = *targets[i].anomaly;
    const Evidence& evidence = *targets[i].evidence;
    Collector& c = collectors[i];
    int m = config.FindMetric(primary.metric);
    if (m < 0) return NotFound("unknown metric '" + primary.metric + "'");
    c.metric = &config.metrics[m];
    c.primary = &primary;
    c.evidence = &evidence;
    // The evidence window (the primary's first hours), widened to the whole regression's first
    // six hours: a short primary run holds too few failures to tell their stages apart.
    c.from = evidence.window_from;
    TimeMs regression_end = targets[i].end ? targets[i].end : evidence.window_to;
    c.to = std::max(evidence.window_to, std::min(regression_end, c.from + 6 * kHourMs));
    c.shift = evidence.window_from - evidence.reference_from;
    for (const auto& [dim, value] : primary.slice) {
      int d = config.FindDimension(dim);
      if (d < 0) return NotFound("unknown dimension '" + dim + "'");
      c.slice.emplace_back(d, value);
    }
  }
  const int code_attribute =
      config.input.error_stages.empty() ? -1 : config.input.error_code_attribute;
  for (Collector& c : collectors) {
    c.stage_errors_now.assign(config.input.measures.size(), 0);
    c.stage_errors_before.assign(config.input.measures.size(), 0);
  }
  auto visit = [&](const Event& e) {
    for (Collector& c : collectors) {
      bool now = e.time >= c.from && e.time < c.to;
      bool before = e.time >= c.from - c.shift && e.time < c.to - c.shift;
      if ((!now && !before) || !c.InSlice(e)) continue;
      (now ? c.events_now : c.events_before)++;
      if (!e.message.empty()) c.miner.Add(e.message, /*baseline=*/before);
      if (code_attribute >= 0 && !e.attributes[code_attribute].empty()) {
        std::string_view code = e.attributes[code_attribute];
        for (const auto& [prefix, stage] : config.input.error_stages) {
          if (code.starts_with(prefix)) {
            ++(now ? c.stage_errors_now : c.stage_errors_before)[stage];
            break;
          }
        }
      }
      if (!now || e.request_id.empty() || !c.Shows(e)) continue;
      uint64_t h = StableHash(e.request_id);
      if (c.examples.size() == max_examples && h >= c.examples.back().first) continue;
      auto at =
          std::lower_bound(c.examples.begin(), c.examples.end(), std::make_pair(h, std::string()));
      c.examples.insert(at, {h, std::string(e.request_id)});
      if (c.examples.size() > max_examples) c.examples.pop_back();
    }
  };
  VIGIL_RETURN_IF_ERROR(ScanFiles(files, config, visit).status());
  for (size_t i = 0; i < targets.size(); ++i) {
    Collector& c = collectors[i];
    Evidence& e = *targets[i].evidence;
    e.examples.clear();
    for (auto& [h, id] : c.examples) e.examples.push_back(std::move(id));
    double scale = c.events_before > 0 ? static_cast<double>(c.events_now) / c.events_before : 1.0;
    e.error_templates = c.miner.Templates(scale, 5);
    if (c.metric->type == MetricType::kRate) AttributeFailuresToStages(c, config, scale, &e);
  }
  return Status::Ok();
}

}  // namespace vigil
