// Stored incidents as people read them: loading them from either store table, and one incident
// rendered as HTML for the report and the dashboard alike.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/text.h"
#include "report/html.h"
#include "vigil/incident_json.h"
#include "vigil/report.h"

namespace vigil {
namespace {

using internal::HumanValue;
using internal::Percent;
using internal::SignedPercent;
using internal::SliceText;

std::string UnitOf(const Config& c, const std::string& metric) {
  int m = c.FindMetric(metric);
  return m >= 0 ? c.metrics[m].unit : "";
}

std::string When(TimeMs t, const TimeZone& zone) {
  return t ? internal::LocalTimeLabel(t, zone) : "-";
}

// The slice's parts beyond `base` set in bold: a root cause reads as where inside the incident.
std::string SliceHtml(const Slice& slice, const Slice& base) {
  if (slice.empty()) return "<span class=\"slice\">all traffic</span>";
  std::string out = "<span class=\"slice\">";
  bool first = true;
  for (const auto& kv : slice) {
    bool inherited = std::find(base.begin(), base.end(), kv) != base.end();
    out += first ? "" : ", ";
    first = false;
    std::string pair = HtmlEscape(kv.first) + "=" + HtmlEscape(kv.second);
    out += inherited ? pair : "<b>" + pair + "</b>";
  }
  return out + "</span>";
}

std::string Bar(double fraction, const std::string& css) {
  double w = std::clamp(std::isnan(fraction) ? 0.0 : fraction, 0.0, 1.0) * 100;
  return fmt::format("<div class=\"bar {}\"><span style=\"width:{:.1f}%\"></span></div>", css, w);
}

std::string Figure(const std::string& label, const std::string& value) {
  return "<div><dt>" + HtmlEscape(label) + "</dt><dd>" + HtmlEscape(value) + "</dd></div>";
}

// Most bars an attributions block draws; the rest are counted in a line.
constexpr size_t kMaxAttributionBars = 8;

// Why the slice's multivariate model found the bucket abnormal: one bar per metric, the largest
// shares (either sign) first, so the bars left out are the smallest. A positive share pushed the
// score up (more abnormal), a negative one pulled it towards an ordinary bucket.
std::string AttributionsHtml(const Attributions& at) {
  std::vector<const Attribution*> order;
  for (const Attribution& f : at.features) order.push_back(&f);
  auto magnitude = [](const Attribution* f) {
    return std::isfinite(f->value) ? std::abs(f->value) : 0.0;
  };
  std::stable_sort(order.begin(), order.end(), [&](const Attribution* a, const Attribution* b) {
    return magnitude(a) > magnitude(b);
  });
  double largest = order.empty() ? 0 : magnitude(order.front());
  size_t shown = std::min(order.size(), kMaxAttributionBars);

  std::string out = "<section class=\"attributions\"><h3>Why the slice looked abnormal</h3>";
  for (size_t i = 0; i < shown; ++i) {
    const Attribution& f = *order[i];
    bool pushed = !(f.value < 0);
    out += "<div class=\"attribution\"><div class=\"attribution-name\">" + HtmlEscape(f.metric) +
           "</div>";
    out += Bar(largest > 0 ? magnitude(&f) / largest : 0,
               pushed ? "bar-attribution-up" : "bar-attribution-down");
    out += "<div class=\"attribution-figures\"><b>" +
           HtmlEscape(internal::SignedNumber(f.value, 2)) + "</b>";
    if (std::isfinite(f.residual)) {
      out +=
          " · " + HtmlEscape(internal::SignedNumber(f.residual, 1)) + "σ in the watched direction";
    }
    out += "</div></div>";
  }
  size_t hidden = order.size() - shown;
  double hidden_sum = 0;
  for (size_t i = shown; i < order.size(); ++i) {
    if (std::isfinite(order[i]->value)) hidden_sum += order[i]->value;
  }
  if (hidden > 0) {
    out += fmt::format("<p class=\"note\">{} more metric{} not shown, {} together.</p>", hidden,
                       hidden == 1 ? "" : "s", HtmlEscape(internal::SignedNumber(hidden_sum, 2)));
  }
  auto score = [](double v) { return std::isfinite(v) ? fmt::format("{:.2f}", v) : "-"; };
  out += "<p class=\"attributions-caption\">score " + score(at.score) + " against " +
         score(at.base) + " for an ordinary bucket; " +
         (hidden > 0 ? "these bars and the metrics not shown" : "the bars") +
         " add up to the difference.</p>";
  out +=
      "<p class=\"legend\"><span class=\"key key-attribution-up\"></span>made it look abnormal"
      "<span class=\"key key-attribution-down\"></span>made it look ordinary</p>";
  return out + "</section>";
}

}  // namespace

Result<std::vector<StoredIncident>> LoadStoredIncidents(Store* store) {
  std::vector<StoredIncident> out;
  VIGIL_ASSIGN_OR_RETURN(std::vector<IncidentRecord> records, store->incidents().All());
  if (!records.empty()) {
    for (IncidentRecord& r : records) {
      Result<Incident> incident = ParseIncidentJson(r.document);
      if (!incident.ok()) continue;
      out.push_back({std::move(r), std::move(*incident)});
    }
    return out;
  }
  // Before alerting keeps a lifecycle, `vigil detect` leaves its incidents as documents.
  VIGIL_ASSIGN_OR_RETURN(auto docs, store->incidents().Documents("incident"));
  for (auto& [id, body] : docs) {
    Result<Incident> incident = ParseIncidentJson(body);
    if (!incident.ok()) continue;
    IncidentRecord r;
    r.id = id;
    r.start = incident->start;
    r.end = incident->end;
    r.status = ToString(r.end ? IncidentStatus::kResolved : IncidentStatus::kOpen);
    r.severity = ToString(incident->severity);
    r.owner = incident->owner;
    r.metric = incident->primary.metric;
    r.paging = incident->paging;
    r.document = std::move(body);
    out.push_back({std::move(r), std::move(*incident)});
  }
  std::stable_sort(out.begin(), out.end(), [](const StoredIncident& a, const StoredIncident& b) {
    return a.record.start != b.record.start ? a.record.start < b.record.start
                                            : a.record.id < b.record.id;
  });
  return out;
}

std::pair<TimeMs, TimeMs> IncidentWindow(const Cube& cube, const StoredIncident& incident) {
  TimeMs data_from = cube.first_bucket();
  TimeMs data_to = cube.last_bucket() + cube.config().granularity_ms;
  TimeMs start = incident.record.start ? incident.record.start : incident.incident.start;
  TimeMs end = incident.record.end ? incident.record.end : incident.incident.end;
  TimeMs from = std::max(data_from, start - 2 * kDayMs);
  TimeMs to = std::min(data_to, (end ? end : data_to) + kDayMs);
  if (to <= from) return {0, 0};  // the incident lies outside the stored data: everything
  return {from, to};
}

Result<std::string> RenderIncident(const Cube& cube, const StoredIncident& incident,
                                   const IncidentRenderOptions& options) {
  const Config& config = cube.config();
  const Incident& d = incident.incident;
  const Anomaly& primary = d.primary;
  const Evidence& evidence = d.evidence;
  const IncidentRecord& r = incident.record;
  auto zone_or = TimeZone::Load(config.detect.timezone);
  TimeZone zone = zone_or.ok() ? *zone_or : TimeZone::Utc();
  const std::string& metric = primary.metric;
  std::string unit = UnitOf(config, metric);
  const Slice& slice = primary.slice;
  std::string severity = r.severity.empty() ? std::string(ToString(d.severity)) : r.severity;
  std::string status = r.status.empty() ? std::string(ToString(IncidentStatus::kOpen)) : r.status;
  std::string owner = !r.owner.empty() ? r.owner : d.owner;
  TimeMs start = r.start ? r.start : d.start;
  TimeMs end = r.end ? r.end : d.end;
  auto [from, to] = IncidentWindow(cube, incident);

  std::string out =
      fmt::format("<article class=\"incident sev-{}\" id=\"{}\" data-id=\"{}\">",
                  HtmlEscape(severity), HtmlEscape(internal::AnchorId(r.id)), HtmlEscape(r.id));
  out += "<header class=\"incident-head\"><div class=\"badges\">";
  out += "<span class=\"badge sev sev-" + HtmlEscape(severity) + "\">" + HtmlEscape(severity) +
         "</span>";
  out += "<span class=\"badge status status-" + HtmlEscape(status) + "\">" + HtmlEscape(status) +
         "</span>";
  if (!r.paging) out += "<span class=\"badge quiet\">not paging</span>";
  if (evidence.mix_shift) out += "<span class=\"badge quiet\">mix shift</span>";
  out += "</div><h2>" + HtmlEscape(metric) + " <span class=\"on\">on</span> " +
         SliceHtml(slice, {}) + "</h2>";
  out += "<div class=\"meta\"><span class=\"id\">" + HtmlEscape(r.id) + "</span>";
  out += "<span>owner <b>" + HtmlEscape(owner.empty() ? "unrouted" : owner) + "</b></span>";
  out += "<span>since " + HtmlEscape(When(start, zone)) + "</span>";
  out += "<span>" + (end ? "until " + HtmlEscape(When(end, zone)) : std::string("ongoing")) +
         "</span>";
  out += "</div></header>";

  if (!d.summary.empty()) out += "<p class=\"summary\">" + HtmlEscape(d.summary) + "</p>";

  out += "<dl class=\"figures\">";
  out += Figure("baseline", HumanValue(primary.baseline, unit));
  out += Figure("observed", HumanValue(primary.observed, unit));
  out += Figure("change", SignedPercent(primary.relative_change));
  out += Figure("confidence", Percent(primary.confidence));
  out += Figure("devices affected",
                internal::Number(static_cast<double>(evidence.affected_devices), 0));
  out +=
      Figure("turns at onset", internal::Number(static_cast<double>(evidence.affected_turns), 0));
  out += Figure("share of traffic", Percent(evidence.traffic_share));
  out += "</dl>";

  // The primary series around the onset, the incident's anomalies on it shaded.
  int64_t granularity = primary.granularity_ms;
  auto series = SeriesWithBand(cube, metric, slice, from, to, granularity);
  PlotOptions plot;
  plot.time_zone = zone.name();
  plot.onset = start;
  for (const Anomaly* a : d.members()) {
    if (a->metric != metric || a->slice != slice) continue;
    plot.shades.push_back({a->start, a->end, "anomaly"});
  }
  if (plot.shades.empty()) plot.shades.push_back({start, end, "incident"});
  plot.interactive = options.interactive;
  if (series.ok()) {
    out += RenderPlot(*series, plot);
  } else {
    out += "<p class=\"note\">No series to plot: " + HtmlEscape(series.status().message()) + "</p>";
  }

  out += "<div class=\"columns\">";
  // Root causes: where inside the slice the deviation sits.
  out += "<section class=\"root-causes\"><h3>Root causes</h3>";
  const std::vector<RootCause>& causes = evidence.root_causes;
  if (causes.empty()) out += "<p class=\"note\">None localized.</p>";
  for (const RootCause& rc : causes) {
    const Slice& rc_slice = rc.slice;
    double fraction = rc.explained_fraction;
    out += "<div class=\"rc\"";
    if (options.drill_down) {
      out += fmt::format(
          " tabindex=\"0\" role=\"button\" data-metric=\"{}\" data-slice=\"{}\" data-from=\"{}\" "
          "data-to=\"{}\" data-granularity=\"{}\" data-onset=\"{}\" title=\"Show this slice's "
          "series\"",
          HtmlEscape(metric), HtmlEscape(SliceText(rc_slice)), from, to,
          granularity ? FormatDuration(granularity) : "", start);
    }
    out += "><div class=\"rc-label\">" + SliceHtml(rc_slice, slice) + "</div>";
    out += Bar(fraction, "bar-rc");
    out += "<div class=\"rc-figures\"><b>" + HtmlEscape(Percent(fraction)) + "</b> explained · " +
           HtmlEscape(HumanValue(rc.expected, unit)) + " → " +
           HtmlEscape(HumanValue(rc.actual, unit)) + "</div></div>";
  }
  if (options.drill_down && !causes.empty()) out += "<div class=\"rc-detail\"></div>";
  out += "</section>";

  // Stages: which part of the pipeline carries a latency regression.
  if (!evidence.stages.empty()) {
    out += "<section class=\"stages\"><h3>Pipeline stages</h3>";
    for (const StageShare& st : evidence.stages) {
      out += "<div class=\"stage\"><div class=\"stage-name\">" + HtmlEscape(st.stage) + "</div>";
      out += Bar(st.share, "bar-stage");
      out += "<div class=\"stage-figures\"><b>" + HtmlEscape(Percent(st.share)) + "</b> · " +
             HtmlEscape(HumanValue(st.baseline, "ms")) + " → " +
             HtmlEscape(HumanValue(st.observed, "ms")) + "</div></div>";
    }
    out += "</section>";
  }
  // The multivariate model's view of the slice, when one covers it.
  if (const Attributions* at = AttributionsOf(d)) out += AttributionsHtml(*at);
  out += "</div>";

  if (!evidence.what_changed.empty()) {
    out +=
        "<section class=\"what-changed\"><h3>What changed at the onset</h3><table><thead><tr>"
        "<th>dimension</th><th>value</th><th>first seen</th><th>share of traffic</th>"
        "<th>" +
        HtmlEscape(metric) + " there</th><th>elsewhere</th></tr></thead><tbody>";
    for (const ChangedValue& c : evidence.what_changed) {
      out += "<tr><td>" + HtmlEscape(c.dimension) + "</td><td><code>" + HtmlEscape(c.value) +
             "</code></td><td>" + HtmlEscape(When(c.first_seen, zone)) + "</td><td>" +
             HtmlEscape(Percent(c.share_before)) + " → " + HtmlEscape(Percent(c.share_after)) +
             "</td><td>" + HtmlEscape(HumanValue(c.metric_value, unit)) + "</td><td>" +
             HtmlEscape(HumanValue(c.siblings_value, unit)) + "</td></tr>";
    }
    out += "</tbody></table></section>";
  }

  if (!evidence.error_templates.empty()) {
    out +=
        "<section class=\"errors\"><h3>Error messages</h3><table><thead><tr><th>template</th>"
        "<th class=\"num\">turns</th></tr></thead><tbody>";
    for (const ErrorTemplate& t : evidence.error_templates) {
      out += "<tr><td><code>" + HtmlEscape(t.text) + "</code></td><td class=\"num\">" +
             HtmlEscape(internal::Number(static_cast<double>(t.count), 0)) + "</td></tr>";
    }
    out += "</tbody></table></section>";
  }

  if (!evidence.examples.empty()) {
    out += "<section class=\"examples\"><h3>Example requests</h3><ul class=\"ids\">";
    for (const std::string& e : evidence.examples)
      out += "<li><code>" + HtmlEscape(e) + "</code></li>";
    out += "</ul></section>";
  }

  const std::vector<const Anomaly*> members = d.members();
  if (members.size() > 1) {
    out +=
        "<section class=\"related\"><h3>Anomalies in this incident</h3><table><thead><tr>"
        "<th>metric</th><th>slice</th><th>from</th><th>to</th><th class=\"num\">baseline</th>"
        "<th class=\"num\">observed</th><th class=\"num\">change</th></tr></thead><tbody>";
    for (const Anomaly* a : members) {
      std::string u = UnitOf(config, a->metric);
      out += "<tr><td>" + HtmlEscape(a->metric) + "</td><td>" + SliceHtml(a->slice, {}) +
             "</td><td>" + HtmlEscape(When(a->start, zone)) + "</td><td>" +
             HtmlEscape(a->end ? When(a->end, zone) : "ongoing") + "</td><td class=\"num\">" +
             HtmlEscape(HumanValue(a->baseline, u)) + "</td><td class=\"num\">" +
             HtmlEscape(HumanValue(a->observed, u)) + "</td><td class=\"num\">" +
             HtmlEscape(SignedPercent(a->relative_change)) + "</td></tr>";
    }
    out += "</tbody></table></section>";
  }

  if (!options.feedback.empty()) {
    out += "<section class=\"feedback\"><h3>Feedback</h3><ul>";
    for (const FeedbackRecord& f : options.feedback) {
      out += "<li><span class=\"badge verdict\">" + HtmlEscape(f.verdict) + "</span> " +
             HtmlEscape(When(f.at, zone)) + (f.note.empty() ? "" : " — " + HtmlEscape(f.note)) +
             "</li>";
    }
    out += "</ul></section>";
  }
  out += "</article>";
  return out;
}

}  // namespace vigil
