// What the dashboard loads besides the JSON API: an incident as an HTML fragment, a plot
// fragment, and its files (the page, its script and styles, compiled in).
#include <mutex>
#include <shared_mutex>

#include "server/api_common.h"
#include "server/server.h"

namespace vigil::internal {
std::string_view UiAsset(std::string_view file);  // generated from apps/server/ui
}  // namespace vigil::internal

namespace vigil::server {

using internal::TimeParam;

HttpResponse Service::IncidentHtml(const std::string& id) {
  std::shared_lock cube_lock(cube_mutex_);
  std::lock_guard store_lock(store_mutex_);
  auto incidents = IncidentsLocked();
  if (!incidents.ok()) return ErrorResponse(500, incidents.status().message());
  for (const StoredIncident& i : (*incidents)->incidents) {
    if (i.record.id != id) continue;
    IncidentRenderOptions options;
    options.drill_down = true;
    auto feedback = store_->incidents().Feedback(id);
    if (feedback.ok()) options.feedback = *feedback;
    auto html = RenderIncident(cube_, i, options);
    if (!html.ok())
      return ErrorResponse(HttpStatusFor(html.status().code()), html.status().message());
    HttpResponse r;
    r.content_type = "text/html; charset=utf-8";
    r.body = std::move(*html);
    return r;
  }
  return ErrorResponse(404, "no incident '" + id + "'");
}

HttpResponse Service::PlotHtml(const HttpRequest& r) {
  auto onset = TimeParam(r, "onset");
  if (!onset.ok()) return ErrorResponse(400, onset.status().message());
  SeriesQuery q;
  ExpectedSeries series;
  if (auto refused = AnswerSeriesQuery(r, &q, &series)) return *refused;
  PlotOptions options;
  options.time_zone = config_->detect.timezone;
  options.onset = *onset;
  options.title =
      q.metric + " on " + (q.slice.empty() ? std::string("all traffic") : FormatSlice(q.slice));
  if (auto stored = StoredAnomaliesOn(q.metric, q.slice); stored.ok()) {
    for (const StoredAnomaly& an : *stored) {
      options.shades.push_back({an.member.start, an.member.end, "anomaly of " + an.incident});
    }
  }
  HttpResponse out;
  out.content_type = "text/html; charset=utf-8";
  out.body = RenderPlot(series, options);
  return out;
}

HttpResponse Service::Asset(const std::string& name) {
  std::string_view bytes;
  if (name == "report.css")
    bytes = ReportStylesheet();
  else if (name == "plot.js")
    bytes = PlotScript();
  else
    bytes = vigil::internal::UiAsset(name);
  if (bytes.empty()) return ErrorResponse(404, "no asset '" + name + "'");
  HttpResponse r;
  if (name.ends_with(".css"))
    r.content_type = "text/css; charset=utf-8";
  else if (name.ends_with(".js"))
    r.content_type = "text/javascript; charset=utf-8";
  else if (name.ends_with(".svg"))
    r.content_type = "image/svg+xml";
  else
    r.content_type = "text/html; charset=utf-8";
  r.body = std::string(bytes);
  if (name == "index.html") {
    // The dashboard runs only its own scripts; styles may be inline (bar widths).
    r.headers.emplace_back(
        "Content-Security-Policy",
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:");
  }
  return r;
}

}  // namespace vigil::server
