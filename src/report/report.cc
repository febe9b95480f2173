// The self-contained HTML report: the period at a glance, every incident, then the metrics.
#include "vigil/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "common/text.h"
#include "report/html.h"

namespace vigil {
namespace {

using internal::HumanValue;

// Worst first; text that names no severity last.
int SeverityOrder(const std::string& text) {
  Result<Severity> severity = ParseSeverity(text);
  return severity.ok() ? static_cast<int>(Severity::kCritical) - static_cast<int>(*severity) : 3;
}

// Series that detection watches, counted as detection expands monitors (one per metric, slice
// and granularity). The cheapest metric (a count when the config has one) finds the slices.
Result<size_t> MonitoredSeriesCount(const Cube& cube) {
  const Config& c = cube.config();
  if (cube.event_count() == 0) return size_t{0};
  std::string probe;
  for (const MetricSpec& m : c.metrics) {
    if (m.type == MetricType::kCount) probe = m.name;
  }
  TimeMs first = cube.first_bucket(), end = cube.last_bucket() + c.granularity_ms;
  // One bucket spanning the data (a multiple of the cube's granularity), so each slice is a
  // single merge.
  int64_t span = ((end - first) / c.granularity_ms + 1) * c.granularity_ms;
  std::set<std::string> seen;
  for (const MonitorSpec& m : c.monitors) {
    int64_t g = m.granularity_ms ? m.granularity_ms : c.granularity_ms;
    for (const SliceSelector& sel : m.slices) {
      std::vector<Slice> slices;
      if (sel.kind == SliceSelector::Kind::kExplicit) {
        Slice s(sel.slice.begin(), sel.slice.end());
        if (cube.Total(s).ok()) slices.push_back(s);
      } else {
        VIGIL_ASSIGN_OR_RETURN(
            auto found, cube.GroupSeries(probe.empty() ? m.metric : probe, {}, sel.dimensions,
                                         first, first + span, span));
        for (SliceSeries& s : found) slices.push_back(std::move(s.slice));
      }
      for (Slice& s : slices) {
        std::sort(s.begin(), s.end());
        seen.insert(m.metric + "|" + FormatSlice(s) + "|" + std::to_string(g));
      }
    }
  }
  return seen.size();
}

std::string Card(const std::string& label, const std::string& value, const std::string& sub) {
  return "<div class=\"card\"><div class=\"card-label\">" + HtmlEscape(label) +
         "</div><div class=\"card-value\">" + HtmlEscape(value) + "</div><div class=\"card-sub\">" +
         sub + "</div></div>";
}

std::string CountsLine(const std::map<std::string, int>& counts,
                       const std::vector<std::string_view>& order, const char* css_prefix) {
  std::string out;
  for (std::string_view k : order) {
    auto it = counts.find(std::string(k));
    if (it == counts.end() || it->second == 0) continue;
    out += fmt::format("{}<span class=\"dot {}{}\"></span>{} {}", out.empty() ? "" : " · ",
                       css_prefix, HtmlEscape(k), it->second, HtmlEscape(k));
  }
  return out.empty() ? "none" : out;
}

}  // namespace

Result<std::string> RenderReport(const Cube& cube, Store* store, const ReportOptions& options) {
  const Config& config = cube.config();
  auto zone_or = TimeZone::Load(config.detect.timezone);
  TimeZone zone = zone_or.ok() ? *zone_or : TimeZone::Utc();
  VIGIL_ASSIGN_OR_RETURN(std::vector<StoredIncident> incidents, LoadStoredIncidents(store));
  std::stable_sort(
      incidents.begin(), incidents.end(), [](const StoredIncident& a, const StoredIncident& b) {
        int ra = SeverityOrder(a.record.severity), rb = SeverityOrder(b.record.severity);
        return ra != rb ? ra < rb : a.record.start < b.record.start;
      });
  VIGIL_ASSIGN_OR_RETURN(size_t monitored, MonitoredSeriesCount(cube));

  bool has_data = cube.event_count() > 0;
  TimeMs first = cube.first_bucket(), end = cube.last_bucket() + config.granularity_ms;
  std::string period =
      has_data ? internal::LocalTimeLabel(first, zone) + " → " + internal::LocalTimeLabel(end, zone)
               : "no data stored yet";
  std::string out;
  out.reserve(1 << 20);
  out +=
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<meta name=\"generator\" content=\"vigil " VIGIL_VERSION "\">";
  out += "<title>" + HtmlEscape(options.title) + " · " + HtmlEscape(period) + "</title>";
  out += "<style>\n";
  out += ReportStylesheet();
  out += "</style></head><body class=\"report\">\n";
  out += "<header class=\"masthead\"><div class=\"brand\">vigil</div><div><h1>" +
         HtmlEscape(options.title) + "</h1><div class=\"period\">" + HtmlEscape(period);
  if (options.generated_at)
    out += " · generated " + HtmlEscape(internal::LocalTimeLabel(options.generated_at, zone));
  out += "</div></div></header>\n<main>\n";

  // The period at a glance.
  std::map<std::string, int> by_severity, by_status;
  int paging = 0;
  for (const StoredIncident& i : incidents) {
    ++by_severity[i.record.severity];
    ++by_status[i.record.status];
    paging += i.record.paging ? 1 : 0;
  }
  out += "<section class=\"overview\"><div class=\"cards\">";
  out += Card("Incidents", std::to_string(incidents.size()),
              CountsLine(by_severity,
                         {ToString(Severity::kCritical), ToString(Severity::kMajor),
                          ToString(Severity::kMinor)},
                         "sev-"));
  std::string open(ToString(IncidentStatus::kOpen));
  out += Card("Status", std::to_string(by_status[open]) + " open",
              CountsLine(by_status,
                         {ToString(IncidentStatus::kOpen), ToString(IncidentStatus::kAcknowledged),
                          ToString(IncidentStatus::kResolved)},
                         "status-") +
                  (paging < static_cast<int>(incidents.size())
                       ? fmt::format(" · {} not paging", incidents.size() - paging)
                       : std::string()));
  out += Card("Events ingested", Thousands(cube.event_count()),
              HtmlEscape(Thousands(cube.cell_count()) + " cube cells"));
  out += Card("Monitored series", Thousands(monitored),
              HtmlEscape(fmt::format("{} monitors over {} metrics", config.monitors.size(),
                                     config.metrics.size())));
  out += "</div>";

  if (!incidents.empty()) {
    out +=
        "<table class=\"incident-list\"><thead><tr><th>severity</th><th>incident</th><th>since</th>"
        "<th class=\"num\">change</th><th>status</th><th>owner</th></tr></thead><tbody>";
    for (const StoredIncident& i : incidents) {
      const std::string& metric = i.incident.primary.metric;
      const Slice& slice = i.incident.primary.slice;
      double change = i.incident.primary.relative_change;
      out += "<tr><td><span class=\"badge sev sev-" + HtmlEscape(i.record.severity) + "\">" +
             HtmlEscape(i.record.severity) + "</span></td><td><a href=\"#" +
             HtmlEscape(internal::AnchorId(i.record.id)) + "\">" + HtmlEscape(metric) +
             "</a> <span class=\"slice\">" + HtmlEscape(internal::SliceText(slice)) +
             "</span></td><td>" + HtmlEscape(internal::LocalTimeLabel(i.record.start, zone)) +
             "</td><td class=\"num\">" + HtmlEscape(internal::SignedPercent(change)) +
             "</td><td><span class=\"badge status status-" + HtmlEscape(i.record.status) + "\">" +
             HtmlEscape(i.record.status) + "</span></td><td>" +
             HtmlEscape(i.record.owner.empty() ? "unrouted" : i.record.owner) + "</td></tr>";
    }
    out += "</tbody></table>";
  } else {
    out += "<p class=\"note\">No incidents in this period.</p>";
  }
  out += "</section>\n";

  // Every incident in full, worst first.
  if (!incidents.empty()) {
    out += "<section class=\"incidents\"><h2 class=\"section-title\">Incidents</h2>\n";
    size_t drawn = 0;
    for (const StoredIncident& i : incidents) {
      if (drawn++ >= options.max_incidents) break;
      IncidentRenderOptions o;
      VIGIL_ASSIGN_OR_RETURN(o.feedback, store->incidents().Feedback(i.record.id));
      VIGIL_ASSIGN_OR_RETURN(std::string html, RenderIncident(cube, i, o));
      out += html + "\n";
    }
    if (incidents.size() > options.max_incidents) {
      out += fmt::format("<p class=\"note\">{} more incidents are listed above but not drawn.</p>",
                         incidents.size() - options.max_incidents);
    }
    out += "</section>\n";
  }

  // The metrics, all traffic, with a sparkline of the whole period.
  if (has_data) {
    std::map<std::string, int> incidents_by_metric;
    for (const StoredIncident& i : incidents) ++incidents_by_metric[i.record.metric];
    std::set<std::string> monitored_metrics;
    for (const MonitorSpec& m : config.monitors) monitored_metrics.insert(m.metric);
    // About a hundred points or more per line: hourly for days of data, finer for less.
    int64_t g = config.granularity_ms;
    while ((end - first) / g > 400 && g < kDayMs) g *= 2;
    if (g % config.granularity_ms != 0) g = config.granularity_ms;
    out +=
        "<section class=\"metrics\"><h2 class=\"section-title\">Metrics</h2>"
        "<table class=\"metric-table\"><thead><tr><th>metric</th><th>all traffic, whole period</th>"
        "<th class=\"num\">overall</th><th class=\"num\">range</th><th "
        "class=\"num\">incidents</th></tr></thead><tbody>";
    VIGIL_ASSIGN_OR_RETURN(Aggregate total, cube.Total({}));
    for (size_t m = 0; m < config.metrics.size(); ++m) {
      const MetricSpec& spec = config.metrics[m];
      VIGIL_ASSIGN_OR_RETURN(auto points, cube.Series(spec.name, {}, first, end, g));
      std::vector<double> values;
      double lo = std::nan(""), hi = std::nan("");
      for (const SeriesPoint& p : points) {
        values.push_back(p.value);
        if (std::isfinite(p.value)) {
          lo = std::isnan(lo) ? p.value : std::min(lo, p.value);
          hi = std::isnan(hi) ? p.value : std::max(hi, p.value);
        }
      }
      bool is_monitored = monitored_metrics.count(spec.name) > 0;
      // A count's overall value is its sum, not a rate per bucket: show the bucket range only.
      double overall = spec.type == MetricType::kCount
                           ? std::nan("")
                           : cube.MetricValue(static_cast<int>(m), total);
      int count = incidents_by_metric[spec.name];
      out += "<tr" + std::string(is_monitored ? "" : " class=\"unmonitored\"") +
             "><td><div class=\"metric-name\">" + HtmlEscape(spec.name) +
             (is_monitored ? "" : " <span class=\"badge quiet\">not monitored</span>") +
             "</div><div class=\"metric-desc\">" +
             HtmlEscape(spec.description.empty() ? std::string(MetricTypeName(spec.type))
                                                 : spec.description) +
             "</div></td><td>" + RenderSparkline(values) + "</td><td class=\"num\">" +
             HtmlEscape(HumanValue(overall, spec.unit)) + "</td><td class=\"num\">" +
             HtmlEscape(HumanValue(lo, spec.unit) + " – " + HumanValue(hi, spec.unit)) +
             "</td><td class=\"num\">" +
             (count ? "<b>" + std::to_string(count) + "</b>" : std::string("0")) + "</td></tr>";
    }
    out += fmt::format(
        "</tbody></table><p class=\"note\">Sparklines: one point per {} of all "
        "traffic.</p></section>\n",
        HtmlEscape(FormatDuration(g)));
  }

  std::string config_name =
      config.path.empty() ? "<config>" : std::filesystem::path(config.path).filename().string();
  out += "</main>\n<footer>Generated by vigil " VIGIL_VERSION " from " + HtmlEscape(config_name) +
         ". Times are in " + HtmlEscape(zone.name()) +
         ". Bands show what detection expected (about 99 %).</footer>\n";
  out += "<script>\n";
  out += PlotScript();
  out += "</script>\n</body></html>\n";
  return out;
}

}  // namespace vigil
