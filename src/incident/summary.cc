// Severity and the plain-language summary of an incident, both read from its evidence.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/text.h"
#include "vigil/incident.h"

namespace vigil {
namespace {

std::string SliceWords(const Slice& slice) {
  if (slice.empty()) return "all traffic";
  std::string out;
  for (const auto& [d, v] : slice) out += (out.empty() ? "" : ", ") + d + "=" + v;
  return out;
}

std::string Percent(double fraction) {
  double p = 100 * fraction;
  return std::abs(p) >= 10 ? fmt::format("{:.0f} %", p) : fmt::format("{:.1f} %", p);
}

std::string Confidence(double c) {
  if (c >= 0.9999) return "over 99.99 %";
  return fmt::format("{:.2f} %", 100 * std::floor(c * 1e4) / 1e4);
}

// The metrics that pushed the multivariate score up the most (at most three), with the score:
// " Together a (+0.21), b (+0.14) and c (+0.09) made the slice look abnormal (score 0.71,
// ordinary 0.45)." Empty when no metric pushed it up.
std::string AttributionSentence(const Attributions& at) {
  std::vector<const Attribution*> pushed;
  for (const Attribution& f : at.features) {
    if (f.value > 0) pushed.push_back(&f);
  }
  if (pushed.empty()) return "";
  std::stable_sort(pushed.begin(), pushed.end(),
                   [](const Attribution* x, const Attribution* y) { return x->value > y->value; });
  if (pushed.size() > 3) pushed.resize(3);
  std::string names;
  for (size_t i = 0; i < pushed.size(); ++i) {
    names += i == 0 ? "" : i + 1 == pushed.size() ? " and " : ", ";
    names += fmt::format("{} ({:+.2f})", pushed[i]->metric, pushed[i]->value);
  }
  return fmt::format(" {}{} made the slice look abnormal (score {:.2f}, ordinary {:.2f}).",
                     pushed.size() > 1 ? "Together " : "", names, at.score, at.base);
}

}  // namespace

Severity SeverityOf(const Anomaly& a, double traffic_share) {
  // A watched slice that fell to nothing (traffic, good turns) is an outage, whatever its
  // share: it outranks every slowdown.
  if (a.direction == Direction::kDown && a.baseline > 0 && a.observed <= 0.01 * a.baseline &&
      a.confidence >= 0.99) {
    return Severity::kCritical;
  }
  double effect = std::min(std::abs(a.relative_change), 2.0);
  double impact = effect * std::clamp(traffic_share, 0.0, 1.0);
  if (impact >= 0.05 && a.confidence >= 0.999) return Severity::kCritical;
  if (impact >= 0.01 || effect >= 0.25) return Severity::kMajor;
  return Severity::kMinor;
}

std::string Summarize(const Incident& incident, const Config& config) {
  const Anomaly& a = incident.primary;
  const Evidence& e = incident.evidence;
  int m = config.FindMetric(a.metric);
  std::string unit = m >= 0 ? config.metrics[m].unit : "";
  std::string what = a.metric;
  if (m >= 0 && !config.metrics[m].description.empty())
    what = config.metrics[m].description + " (" + a.metric + ")";
  auto value = [&](double v) { return FormatValue(v, unit) + (unit == "ms" ? " ms" : ""); };
  std::string out = fmt::format("Since {}, {} on {} {} {} ({} → {}, {} confidence)",
                                FormatTimestamp(incident.start), what, SliceWords(a.slice),
                                a.direction == Direction::kDown ? "fell" : "rose",
                                Percent(std::abs(a.relative_change)), value(a.baseline),
                                value(a.observed), Confidence(a.confidence));
  if (incident.end) out += fmt::format(", until {}", FormatTimestamp(incident.end));
  out += ".";
  // A count that fell: its size is what was lost, in the metric's own unit (turns).
  if (m >= 0 && config.metrics[m].type == MetricType::kCount && a.direction == Direction::kDown &&
      a.granularity_ms > 0 && a.end > a.start && a.baseline > a.observed) {
    double buckets = static_cast<double>(a.end - a.start) / static_cast<double>(a.granularity_ms);
    auto lost = static_cast<uint64_t>(std::llround((a.baseline - a.observed) * buckets));
    out += fmt::format(" About {} {} lost.", Thousands(lost), unit.empty() ? "events" : unit);
  }
  if (e.mix_shift) {
    out += fmt::format(
        " The traffic mix moved along {} while each part held its own value: a "
        "mix shift, not paging.",
        e.mix_dimension);
  }
  if (!e.stages.empty() && e.stages.front().share > 0) {
    out +=
        fmt::format(" Carried by {} ({})", e.stages.front().stage, Percent(e.stages.front().share));
    if (e.stages.size() > 1 && e.stages[1].share >= 0.1) {
      out += fmt::format(", then {} ({})", e.stages[1].stage, Percent(e.stages[1].share));
    }
    out += ".";
  }
  if (const Attributions* at = AttributionsOf(incident)) out += AttributionSentence(*at);
  if (!e.root_causes.empty() && e.root_causes.front().slice.size() > a.slice.size()) {
    const RootCause& rc = e.root_causes.front();
    out += fmt::format(" Localized to {} ({} of the deviation)", SliceWords(rc.slice),
                       Percent(rc.explained_fraction));
    if (e.root_causes.size() > 1)
      out += fmt::format(" and {} more slice{}", e.root_causes.size() - 1,
                         e.root_causes.size() > 2 ? "s" : "");
    out += ".";
  }
  if (!e.what_changed.empty()) {
    const ChangedValue& cv = e.what_changed.front();
    out += fmt::format(" {}={} went from {} to {} of the traffic", cv.dimension, cv.value,
                       Percent(cv.share_before), Percent(cv.share_after));
    if (cv.first_seen) out += fmt::format(" (first seen {})", FormatTimestamp(cv.first_seen));
    out += ".";
  }
  // A failure template is worth a sentence only when its growth is well beyond Poisson noise.
  double scale = e.affected_turns > 0 && e.reference_turns > 0
                     ? static_cast<double>(e.affected_turns) / e.reference_turns
                     : 1.0;
  if (!e.error_templates.empty() && e.error_templates.front().count >= 5 &&
      e.error_templates.front().count - scale * e.error_templates.front().baseline_count >=
          3 * std::sqrt(scale * e.error_templates.front().baseline_count + 1)) {
    const ErrorTemplate& t = e.error_templates.front();
    out += fmt::format(" Most grown failure: \"{}\" ({}, {} before).", t.text, Thousands(t.count),
                       Thousands(t.baseline_count));
  }
  if (e.affected_devices > 0) {
    out += fmt::format(" About {} devices affected", Thousands(e.affected_devices));
    if (e.traffic_share < 1) out += fmt::format(" ({} of all turns)", Percent(e.traffic_share));
    out += ".";
  }
  size_t related = incident.related.size();
  if (related > 0) out += fmt::format(" {} related anomal{}.", related, related == 1 ? "y" : "ies");
  return out;
}

}  // namespace vigil
