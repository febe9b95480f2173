// Reports: what people look at. A metric's series with the band the detectors expected, SVG
// plots of it, the stored incidents as people read them, and the self-contained HTML report.
// The web dashboard renders incidents and plots with these same functions, so the report and the
// dashboard always show the same thing.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "vigil/cube.h"
#include "vigil/detect.h"
#include "vigil/incident.h"
#include "vigil/store.h"
#include "vigil/time.h"

namespace vigil {

/// A metric's series for one slice with what the detection ensemble expected at each point.
struct ExpectedSeries {
  std::string metric;
  Slice slice;
  std::string unit;
  int64_t granularity_ms = 0;
  std::vector<SeriesPoint> points;
  /// One per point. `expected`, `lower` and `upper` are NaN while the detectors warm up.
  std::vector<Assessment> assessments;
};

/// The series of `metric` on `slice` over [from, to) (0: the cube's first bucket / after its
/// last) with its expected band. The detectors run over all history before `from` as detection
/// does (same monitor settings, time zone and calendar), so the band matches what detection saw.
/// `granularity_ms` 0 takes the granularity of the metric's first monitor, else the cube's.
/// Errors: as Cube::Series (unknown metric, dimension or value; bad granularity).
Result<ExpectedSeries> SeriesWithBand(const Cube& cube, std::string_view metric, const Slice& slice,
                                      TimeMs from = 0, TimeMs to = 0, int64_t granularity_ms = 0);

/// A shaded period of a plot (an anomaly, an incident's window).
struct PlotShade {
  TimeMs start = 0;
  TimeMs end = 0;  ///< 0: to the end of the plot (still open)
  std::string label;
};

struct PlotOptions {
  int width = 900;  ///< SVG user units; the plot scales to its container
  int height = 280;
  std::string title;              ///< above the plot ("" for none)
  std::string time_zone = "UTC";  ///< IANA name: axis ticks are local times in this zone
  std::vector<PlotShade> shades;
  TimeMs onset = 0;         ///< a marked line (an incident's onset); 0 for none
  bool interactive = true;  ///< carry the data the page script needs for hover values
};

/// An HTML `<figure class="plot">` holding an SVG plot of `series`: the observed line, the
/// expected band and line, shaded periods and the onset, time ticks in the options' zone (named
/// on the axis) and the metric's unit. Long series are drawn per pixel column (min and max), so
/// the SVG stays small at any number of points. All text is escaped.
std::string RenderPlot(const ExpectedSeries& series, const PlotOptions& options);

/// A small inline SVG line of `values` (NaN: gaps) for tables of metrics.
std::string RenderSparkline(const std::vector<double>& values, int width = 160, int height = 36);

/// An incident as people see it: its lifecycle record and its DESIGN §5 document, decoded.
struct StoredIncident {
  IncidentRecord record;
  Incident incident;
};

/// The store's incidents, by start then id: the lifecycle table kept by alerting, or, when that
/// is empty, the documents `vigil detect` stored (status "open" until their end, "resolved"
/// after). Documents that do not decode (ParseIncidentJson) are skipped.
Result<std::vector<StoredIncident>> LoadStoredIncidents(Store* store);

/// Escapes text for HTML element content and quoted attribute values.
std::string HtmlEscape(std::string_view text);

/// What the incident HTML needs besides the incident.
struct IncidentRenderOptions {
  std::vector<FeedbackRecord> feedback;  ///< verdicts given on the incident
  /// Plots carry the data the page script needs to show values on hover.
  bool interactive = true;
  /// Root-cause rows carry what the dashboard needs to load their series on click.
  bool drill_down = false;
};

/// An incident as an HTML `<article>`: severity and status, summary, key figures, the plot of its
/// primary metric and slice around the onset, root-cause and stage bars, what changed, error
/// templates, example ids and related anomalies. Used by the report and the dashboard.
Result<std::string> RenderIncident(const Cube& cube, const StoredIncident& incident,
                                   const IncidentRenderOptions& options = {});

/// The period shown for an incident's plots: from two days before its onset to a day after its
/// end (or the data's end while open), within the cube's data.
std::pair<TimeMs, TimeMs> IncidentWindow(const Cube& cube, const StoredIncident& incident);

struct ReportOptions {
  std::string title = "Regression report";
  TimeMs generated_at = 0;     ///< wall-clock time printed in the header; 0: not printed
  size_t max_incidents = 100;  ///< incidents drawn in full; the rest are only listed
};

/// The self-contained HTML report (styles, plots and script inline; no network): the period's
/// summary, every incident, then the metrics with sparklines.
Result<std::string> RenderReport(const Cube& cube, Store* store, const ReportOptions& options = {});

/// The report's stylesheet and its plot script (hover values), shared with the dashboard.
std::string_view ReportStylesheet();
std::string_view PlotScript();

}  // namespace vigil
