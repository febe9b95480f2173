// Stored incidents as people read them: loading them from either store table, and one incident
// rendered as HTML for the report and the dashboard alike.
#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "common/text.h"
#include "report/html.h"
#include "vigil/report.h"

namespace vigil {
namespace {

using internal::HumanValue;
using internal::Percent;
using internal::SignedPercent;
using internal::SliceFromJson;
using internal::SliceText;

std::string Str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

double Dbl(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : std::nan("");
}

TimeMs TimeOf(const nlohmann::json& j, const char* key) {
  auto t = ParseTimestamp(Str(j, key));
  return t.ok() ? *t : 0;
}

const nlohmann::json& Array(const nlohmann::json& j, const char* key) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : kEmpty;
}

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

}  // namespace

Result<std::vector<StoredIncident>> LoadStoredIncidents(Store* store) {
  std::vector<StoredIncident> out;
  VIGIL_ASSIGN_OR_RETURN(std::vector<IncidentRecord> records, store->incidents().All());
  if (!records.empty()) {
    for (IncidentRecord& r : records) {
      nlohmann::json doc = nlohmann::json::parse(r.document, nullptr, /*allow_exceptions=*/false);
      if (!doc.is_object()) continue;
      out.push_back({std::move(r), std::move(doc)});
    }
    return out;
  }
  // Before alerting keeps a lifecycle, `vigil detect` leaves its incidents as documents.
  VIGIL_ASSIGN_OR_RETURN(auto docs, store->incidents().Documents("incident"));
  for (auto& [id, body] : docs) {
    nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object()) continue;
    IncidentRecord r;
    r.id = id;
    r.start = TimeOf(doc, "start");
    r.end = TimeOf(doc, "end");
    r.status = r.end ? "resolved" : "open";
    r.severity = Str(doc, "severity");
    r.owner = Str(doc, "owner");
    r.metric = Str(doc, "metric");
    r.paging = !doc.contains("paging") || doc["paging"] != false;
    r.document = std::move(body);
    out.push_back({std::move(r), std::move(doc)});
  }
  std::stable_sort(out.begin(), out.end(), [](const StoredIncident& a, const StoredIncident& b) {
    return a.record.start != b.record.start ? a.record.start < b.record.start : a.record.id < b.record.id;
  });
  return out;
}

std::pair<TimeMs, TimeMs> IncidentWindow(const Cube& cube, const StoredIncident& incident) {
  TimeMs data_from = cube.first_bucket();
  TimeMs data_to = cube.last_bucket() + cube.config().granularity_ms;
  TimeMs start = incident.record.start ? incident.record.start : TimeOf(incident.document, "start");
  TimeMs end = incident.record.end ? incident.record.end : TimeOf(incident.document, "end");
  TimeMs from = std::max(data_from, start - 2 * kDayMs);
  TimeMs to = std::min(data_to, (end ? end : data_to) + kDayMs);
  if (to <= from) return {0, 0};  // the incident lies outside the stored data: everything
  return {from, to};
}

Result<std::string> RenderIncident(const Cube& cube, const StoredIncident& incident,
                                   const IncidentRenderOptions& options) {
  const Config& config = cube.config();
  const nlohmann::json& d = incident.document;
  const IncidentRecord& r = incident.record;
  auto zone_or = TimeZone::Load(config.detect.timezone);
  TimeZone zone = zone_or.ok() ? *zone_or : TimeZone::Utc();
  std::string metric = Str(d, "metric");
  std::string unit = UnitOf(config, metric);
  Slice slice = SliceFromJson(d.value("slice", nlohmann::json::object()));
  std::string severity = r.severity.empty() ? Str(d, "severity") : r.severity;
  std::string status = r.status.empty() ? "open" : r.status;
  std::string owner = !r.owner.empty() ? r.owner : Str(d, "owner");
  TimeMs start = r.start ? r.start : TimeOf(d, "start");
  TimeMs end = r.end ? r.end : TimeOf(d, "end");
  auto [from, to] = IncidentWindow(cube, incident);

  std::string out = fmt::format("<article class=\"incident sev-{}\" id=\"{}\" data-id=\"{}\">",
                                HtmlEscape(severity), HtmlEscape(internal::AnchorId(r.id)),
                                HtmlEscape(r.id));
  out += "<header class=\"incident-head\"><div class=\"badges\">";
  out += "<span class=\"badge sev sev-" + HtmlEscape(severity) + "\">" + HtmlEscape(severity) + "</span>";
  out += "<span class=\"badge status status-" + HtmlEscape(status) + "\">" + HtmlEscape(status) + "</span>";
  if (!r.paging) out += "<span class=\"badge quiet\">not paging</span>";
  if (d.value("mix_shift", false)) out += "<span class=\"badge quiet\">mix shift</span>";
  out += "</div><h2>" + HtmlEscape(metric) + " <span class=\"on\">on</span> " + SliceHtml(slice, {}) + "</h2>";
  out += "<div class=\"meta\"><span class=\"id\">" + HtmlEscape(r.id) + "</span>";
  out += "<span>owner <b>" + HtmlEscape(owner.empty() ? "unrouted" : owner) + "</b></span>";
  out += "<span>since " + HtmlEscape(When(start, zone)) + "</span>";
  out += "<span>" + (end ? "until " + HtmlEscape(When(end, zone)) : std::string("ongoing")) + "</span>";
  out += "</div></header>";

  std::string summary = Str(d, "summary");
  if (!summary.empty()) out += "<p class=\"summary\">" + HtmlEscape(summary) + "</p>";

  double baseline = Dbl(d, "baseline"), observed = Dbl(d, "observed");
  out += "<dl class=\"figures\">";
  out += Figure("baseline", HumanValue(baseline, unit));
  out += Figure("observed", HumanValue(observed, unit));
  out += Figure("change", SignedPercent(Dbl(d, "relative_change")));
  out += Figure("confidence", Percent(Dbl(d, "confidence")));
  if (d.contains("affected_devices")) out += Figure("devices affected", internal::Number(Dbl(d, "affected_devices"), 0));
  if (d.contains("affected_turns")) out += Figure("turns at onset", internal::Number(Dbl(d, "affected_turns"), 0));
  if (d.contains("traffic_share")) out += Figure("share of traffic", Percent(Dbl(d, "traffic_share")));
  out += "</dl>";

  // The primary series around the onset, the incident's anomalies on it shaded.
  int64_t granularity = 0;
  if (auto g = ParseDuration(Str(d, "granularity")); g.ok()) granularity = *g;
  auto series = SeriesWithBand(cube, metric, slice, from, to, granularity);
  PlotOptions plot;
  plot.time_zone = zone.name();
  plot.onset = start;
  for (const nlohmann::json& a : Array(d, "anomalies")) {
    if (Str(a, "metric") != metric || SliceFromJson(a.value("slice", nlohmann::json::object())) != slice) continue;
    plot.shades.push_back({TimeOf(a, "start"), TimeOf(a, "end"), "anomaly"});
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
  const nlohmann::json& causes = Array(d, "root_causes");
  if (causes.empty()) out += "<p class=\"note\">None localized.</p>";
  for (const nlohmann::json& rc : causes) {
    Slice rc_slice = SliceFromJson(rc.value("slice", nlohmann::json::object()));
    double fraction = Dbl(rc, "explained_fraction");
    out += "<div class=\"rc\"";
    if (options.drill_down) {
      out += fmt::format(" tabindex=\"0\" role=\"button\" data-metric=\"{}\" data-slice=\"{}\" data-from=\"{}\" "
                         "data-to=\"{}\" data-granularity=\"{}\" data-onset=\"{}\" title=\"Show this slice's series\"",
                         HtmlEscape(metric), HtmlEscape(SliceText(rc_slice)), from, to,
                         granularity ? FormatDuration(granularity) : "", start);
    }
    out += "><div class=\"rc-label\">" + SliceHtml(rc_slice, slice) + "</div>";
    out += Bar(fraction, "bar-rc");
    out += "<div class=\"rc-figures\"><b>" + HtmlEscape(Percent(fraction)) + "</b> explained · " +
           HtmlEscape(HumanValue(Dbl(rc, "baseline"), unit)) + " → " +
           HtmlEscape(HumanValue(Dbl(rc, "observed"), unit)) + "</div></div>";
  }
  if (options.drill_down && !causes.empty()) out += "<div class=\"rc-detail\"></div>";
  out += "</section>";

  // Stages: which part of the pipeline carries a latency regression.
  const nlohmann::json& stages = Array(d, "stages");
  if (!stages.empty()) {
    out += "<section class=\"stages\"><h3>Pipeline stages</h3>";
    for (const nlohmann::json& st : stages) {
      double share = Dbl(st, "share");
      out += "<div class=\"stage\"><div class=\"stage-name\">" + HtmlEscape(Str(st, "stage")) + "</div>";
      out += Bar(share, "bar-stage");
      out += "<div class=\"stage-figures\"><b>" + HtmlEscape(Percent(share)) + "</b> · " +
             HtmlEscape(HumanValue(Dbl(st, "baseline"), "ms")) + " → " +
             HtmlEscape(HumanValue(Dbl(st, "observed"), "ms")) + "</div></div>";
    }
    out += "</section>";
  }
  out += "</div>";

  const nlohmann::json& changed = Array(d, "what_changed");
  if (!changed.empty()) {
    out += "<section class=\"what-changed\"><h3>What changed at the onset</h3><table><thead><tr>"
           "<th>dimension</th><th>value</th><th>first seen</th><th>share of traffic</th>"
           "<th>" + HtmlEscape(metric) + " there</th><th>elsewhere</th></tr></thead><tbody>";
    for (const nlohmann::json& c : changed) {
      out += "<tr><td>" + HtmlEscape(Str(c, "dimension")) + "</td><td><code>" + HtmlEscape(Str(c, "value")) +
             "</code></td><td>" + HtmlEscape(When(TimeOf(c, "first_seen"), zone)) + "</td><td>" +
             HtmlEscape(Percent(Dbl(c, "share_before"))) + " → " + HtmlEscape(Percent(Dbl(c, "share_after"))) +
             "</td><td>" + HtmlEscape(HumanValue(Dbl(c, "metric_value"), unit)) + "</td><td>" +
             HtmlEscape(HumanValue(Dbl(c, "siblings_value"), unit)) + "</td></tr>";
    }
    out += "</tbody></table></section>";
  }

  const nlohmann::json& templates = Array(d, "error_templates");
  if (!templates.empty()) {
    out += "<section class=\"errors\"><h3>Error messages</h3><table><thead><tr><th>template</th>"
           "<th class=\"num\">turns</th></tr></thead><tbody>";
    for (const nlohmann::json& t : templates) {
      out += "<tr><td><code>" + HtmlEscape(Str(t, "template")) + "</code></td><td class=\"num\">" +
             HtmlEscape(internal::Number(Dbl(t, "count"), 0)) + "</td></tr>";
    }
    out += "</tbody></table></section>";
  }

  const nlohmann::json& examples = Array(d, "examples");
  if (!examples.empty()) {
    out += "<section class=\"examples\"><h3>Example requests</h3><ul class=\"ids\">";
    for (const nlohmann::json& e : examples) {
      out += "<li><code>" + HtmlEscape(e.is_string() ? e.get<std::string>() : e.dump()) + "</code></li>";
    }
    out += "</ul></section>";
  }

  const nlohmann::json& members = Array(d, "anomalies");
  if (members.size() > 1) {
    out += "<section class=\"related\"><h3>Anomalies in this incident</h3><table><thead><tr>"
           "<th>metric</th><th>slice</th><th>from</th><th>to</th><th class=\"num\">baseline</th>"
           "<th class=\"num\">observed</th><th class=\"num\">change</th></tr></thead><tbody>";
    for (const nlohmann::json& a : members) {
      std::string m = Str(a, "metric"), u = UnitOf(config, m);
      out += "<tr><td>" + HtmlEscape(m) + "</td><td>" +
             SliceHtml(SliceFromJson(a.value("slice", nlohmann::json::object())), {}) + "</td><td>" +
             HtmlEscape(When(TimeOf(a, "start"), zone)) + "</td><td>" +
             HtmlEscape(TimeOf(a, "end") ? When(TimeOf(a, "end"), zone) : "ongoing") +
             "</td><td class=\"num\">" + HtmlEscape(HumanValue(Dbl(a, "baseline"), u)) +
             "</td><td class=\"num\">" + HtmlEscape(HumanValue(Dbl(a, "observed"), u)) +
             "</td><td class=\"num\">" + HtmlEscape(SignedPercent(Dbl(a, "relative_change"))) + "</td></tr>";
    }
    out += "</tbody></table></section>";
  }

  if (!options.feedback.empty()) {
    out += "<section class=\"feedback\"><h3>Feedback</h3><ul>";
    for (const FeedbackRecord& f : options.feedback) {
      out += "<li><span class=\"badge verdict\">" + HtmlEscape(f.verdict) + "</span> " +
             HtmlEscape(When(f.at, zone)) + (f.note.empty() ? "" : " — " + HtmlEscape(f.note)) + "</li>";
    }
    out += "</ul></section>";
  }
  out += "</article>";
  return out;
}

}  // namespace vigil
