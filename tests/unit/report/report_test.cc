#include "vigil/report.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <regex>

#include "incident/incident_codec.h"
#include "support/test_data.h"

namespace vigil {
namespace {

using testing::RawEvent;
using testing::TempDir;

constexpr TimeMs kStart = 1772409600000;  // 2026-03-02T00:00:00Z

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size()))
    ++n;
  return n;
}

ExpectedSeries Synthetic(size_t n, int64_t g = 5 * kMinuteMs) {
  ExpectedSeries s;
  s.metric = "lat_p95";
  s.unit = "ms";
  s.granularity_ms = g;
  for (size_t i = 0; i < n; ++i) {
    SeriesPoint p;
    p.time = kStart + static_cast<TimeMs>(i) * g;
    p.value = 500 + 100 * std::sin(i / 10.0);
    p.events = p.support = 100;
    s.points.push_back(p);
    Assessment a;
    a.expected = 500;
    a.lower = 350;
    a.upper = 650;
    a.warm = true;
    s.assessments.push_back(a);
  }
  return s;
}

void AddEvents(Cube* cube, const std::vector<RawEvent>& events) {
  for (const RawEvent& r : events) ASSERT_TRUE(cube->Add(testing::ToEvent(r)).ok());
}

std::shared_ptr<const Config> MonitoredConfig() {
  return testing::SmallConfig(R"(
monitors:
  - {metric: lat_p95, slices: [all, a], granularity: 1h, direction: up}
detect: {warmup: 1h}
)");
}

TEST(HtmlEscapeTest, EscapesMarkupAndQuotes) {
  EXPECT_EQ(HtmlEscape("<a href=\"x\">O'Neil & co</a>"),
            "&lt;a href=&quot;x&quot;&gt;O&#39;Neil &amp; co&lt;/a&gt;");
  EXPECT_EQ(HtmlEscape("plain"), "plain");
}

TEST(PlotTest, DrawsObservedBandOnsetShadeAndUnit) {
  ExpectedSeries s = Synthetic(200);
  PlotOptions o;
  o.onset = kStart + 100 * 5 * kMinuteMs;
  o.shades.push_back({o.onset, 0, "anomaly"});
  std::string html = RenderPlot(s, o);
  EXPECT_EQ(html.rfind("<figure class=\"plot\"", 0), 0u);
  EXPECT_EQ(Count(html, "class=\"observed\""), 1u);
  EXPECT_EQ(Count(html, "class=\"band\""), 1u);
  EXPECT_EQ(Count(html, "class=\"expected\""), 1u);
  EXPECT_EQ(Count(html, "class=\"onset\""), 1u);
  EXPECT_EQ(Count(html, "class=\"shade\""), 1u);
  EXPECT_NE(html.find("onset Mar 2 08:20"), std::string::npos);
  EXPECT_NE(html.find("lat_p95 (ms)"), std::string::npos);  // the unit on the value axis
  EXPECT_NE(html.find("time (UTC)"), std::string::npos);    // the zone on the time axis
  EXPECT_NE(html.find("data-plot="), std::string::npos);    // hover data
}

TEST(PlotTest, TimeTicksAreLocalTimesOfTheNamedZone) {
  ExpectedSeries s = Synthetic(200);  // 2026-03-02 00:00 to 16:40 UTC
  PlotOptions utc;
  std::string in_utc = RenderPlot(s, utc);
  EXPECT_NE(in_utc.find(">00:00<"), std::string::npos);
  PlotOptions berlin;
  berlin.time_zone = "Europe/Berlin";  // UTC+1 in March: the first even hour is 02:00 local
  std::string in_berlin = RenderPlot(s, berlin);
  EXPECT_NE(in_berlin.find("time (Europe/Berlin)"), std::string::npos);
  EXPECT_NE(in_berlin.find(">02:00<"), std::string::npos);
  EXPECT_EQ(in_berlin.find(">00:00<"), std::string::npos);
}

TEST(PlotTest, EscapesEveryText) {
  ExpectedSeries s = Synthetic(10);
  s.metric = "m\"><script>alert(1)</script>";
  s.slice = {{"a", "<img src=x onerror=alert(2)>"}};
  PlotOptions o;
  o.title = "<b>title</b>";
  o.shades.push_back({kStart, 0, "</title><script>"});
  std::string html = RenderPlot(s, o);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
}

TEST(PlotTest, LongSeriesAreDrawnPerPixelColumn) {
  ExpectedSeries s = Synthetic(100000, kMinuteMs);
  PlotOptions o;
  o.interactive = false;
  std::string html = RenderPlot(s, o);
  // Per column of the ~816-unit plot area: at most two points of the observed line, one of the
  // expected line and one of each band edge, whatever the length of the series.
  size_t points = Count(html, "L") + Count(html, "M");
  EXPECT_LT(points, 5 * 830u);
  EXPECT_LT(html.size(), 120000u);
  // With hover data every point is still there for the cursor.
  o.interactive = true;
  EXPECT_GT(RenderPlot(s, o).size(), html.size());
}

TEST(PlotTest, MissingValuesBreakTheLine) {
  ExpectedSeries s = Synthetic(50);
  for (size_t i = 20; i < 25; ++i) s.points[i].value = std::nan("");
  std::string html = RenderPlot(s, PlotOptions{});
  EXPECT_EQ(Count(html, "class=\"observed\""), 2u);
}

TEST(PlotTest, EmptySeriesSaysSo) {
  ExpectedSeries s;
  s.metric = "x";
  EXPECT_NE(RenderPlot(s, PlotOptions{}).find("no data in this period"), std::string::npos);
}

TEST(SparklineTest, DrawsRunsBetweenGaps) {
  std::string svg = RenderSparkline({1, 2, 3, std::nan(""), 4, 5});
  EXPECT_EQ(svg.rfind("<svg class=\"spark\"", 0), 0u);
  EXPECT_EQ(Count(svg, "<path"), 2u);
  EXPECT_EQ(Count(RenderSparkline({}), "<path"), 0u);
}

TEST(SeriesWithBandTest, ReplaysDetectionOverHistoryAndKeepsTheRange) {
  auto config = MonitoredConfig();
  Cube cube(config);
  AddEvents(&cube, testing::RandomEvents(20000, 7, kStart, 3 * 1440));
  TimeMs from = kStart + 2 * kDayMs, to = kStart + 3 * kDayMs;
  auto s = SeriesWithBand(cube, "lat_p95", {}, from, to);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->granularity_ms, kHourMs);  // the monitor's granularity
  EXPECT_EQ(s->unit, "");
  ASSERT_EQ(s->points.size(), 24u);
  ASSERT_EQ(s->assessments.size(), 24u);
  EXPECT_EQ(s->points.front().time, from);
  // Two days of history before `from` warmed the detectors: the band exists and holds the value.
  size_t inside = 0;
  for (size_t i = 0; i < 24; ++i) {
    const Assessment& a = s->assessments[i];
    ASSERT_TRUE(std::isfinite(a.expected)) << i;
    EXPECT_LT(a.lower, a.upper);
    inside += s->points[i].value >= a.lower && s->points[i].value <= a.upper;
  }
  EXPECT_GE(inside, 22u);
  // Without history (a range starting at the data's start) the first buckets have no band.
  auto early = SeriesWithBand(cube, "lat_p95", {{"a", "a1"}}, 0, kStart + 6 * kHourMs);
  ASSERT_TRUE(early.ok());
  EXPECT_TRUE(std::isnan(early->assessments.front().expected));
  // Errors are the cube's.
  EXPECT_EQ(SeriesWithBand(cube, "nope", {}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(SeriesWithBand(cube, "lat_p95", {{"zz", "1"}}).status().code(), StatusCode::kNotFound);
}

// The band a plot draws is the one detection judged with: the same expected value and band at
// every warm point of a monitored series.
TEST(SeriesWithBandTest, MatchesWhatDetectionSaw) {
  auto config = testing::SmallConfig(R"(
monitors:
  - {metric: lat_p95, slices: [all, a], granularity: 1h, direction: up}
  - {metric: fail_rate, slices: [a], granularity: 30m, direction: up, min_volume: 20}
  - {metric: volume, slices: [all], granularity: 1h, direction: both}
detect:
  warmup: 1h
  calendar: [{name: freeze, start: 2026-03-03T00:00:00Z, end: 2026-03-03T06:00:00Z}]
)");
  Cube cube(config);
  AddEvents(&cube, testing::RandomEvents(20000, 11, kStart, 3 * 1440));
  std::vector<MonitoredSeries> monitored;
  DetectOptions options;
  options.series_out = &monitored;
  ASSERT_TRUE(Detect(cube, options).ok());
  size_t compared = 0;
  for (const MonitoredSeries& m : monitored) {
    auto s = SeriesWithBand(cube, m.metric, m.slice, 0, 0, m.granularity_ms);
    ASSERT_TRUE(s.ok()) << s.status().message();
    ASSERT_EQ(s->points.size(), m.points.size());
    for (size_t i = 0; i < m.points.size(); ++i) {
      if (!m.assessments[i].warm) continue;
      EXPECT_DOUBLE_EQ(s->assessments[i].expected, m.assessments[i].expected)
          << m.metric << " " << i;
      EXPECT_DOUBLE_EQ(s->assessments[i].upper, m.assessments[i].upper) << m.metric << " " << i;
      ++compared;
    }
  }
  EXPECT_GT(compared, 100u);
}

nlohmann::json Document(const std::string& id, TimeMs start, TimeMs end) {
  return {
      {"id", id},
      {"metric", "lat_p95"},
      {"slice", {{"a", "a1"}}},
      {"start", FormatTimestamp(start)},
      {"end", end ? nlohmann::json(FormatTimestamp(end)) : nlohmann::json(nullptr)},
      {"direction", "up"},
      {"baseline", 250.0},
      {"observed", 400.0},
      {"relative_change", 0.6},
      {"severity", "major"},
      {"confidence", 0.999},
      {"granularity", "1h"},
      {"summary", "Latency rose <script>alert('x')</script> & more"},
      {"root_causes",
       {{{"slice", {{"a", "a1"}, {"b", "b2"}}},
         {"explained_fraction", 0.8},
         {"baseline", 250.0},
         {"observed", 450.0}}}},
      {"stages", {{{"stage", "lat"}, {"share", 1.0}, {"baseline", 250.0}, {"observed", 400.0}}}},
      {"what_changed",
       {{{"dimension", "b"},
         {"value", "b<9>"},
         {"first_seen", FormatTimestamp(start)},
         {"share_before", 0.0},
         {"share_after", 0.3},
         {"metric_value", 500.0},
         {"siblings_value", 260.0}}}},
      {"error_templates", {{{"template", "timeout after <*> ms"}, {"count", 12}}}},
      {"examples", {"req-1", "req-<2>"}},
      {"anomalies",
       {{{"metric", "lat_p95"},
         {"slice", {{"a", "a1"}}},
         {"start", FormatTimestamp(start)},
         {"end", nullptr},
         {"baseline", 250.0},
         {"observed", 400.0},
         {"relative_change", 0.6},
         {"confidence", 0.999}}}},
      {"paging", true}};
}

class StoredReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = MonitoredConfig();
    auto store = Store::Open(dir_.Path("v.db"));
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    cube_ = std::make_unique<Cube>(config_);
    AddEvents(cube_.get(), testing::RandomEvents(20000, 7, kStart, 3 * 1440));
    ASSERT_TRUE(store_->cube().Save(cube_.get()).ok());
  }

  TempDir dir_;
  std::shared_ptr<const Config> config_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Cube> cube_;
};

TEST_F(StoredReportTest, IncidentsComeFromDetectDocumentsUntilTheLifecycleTableHasAny) {
  TimeMs onset = kStart + 2 * kDayMs;
  ASSERT_TRUE(store_->incidents()
                  .ReplaceDocuments("incident",
                                    {{"inc-b", Document("inc-b", onset + kHourMs, 0).dump()},
                                     {"inc-a", Document("inc-a", onset, onset + kHourMs).dump()},
                                     {"inc-bad", "{not json"}})
                  .ok());
  auto docs = LoadStoredIncidents(store_.get());
  ASSERT_TRUE(docs.ok());
  ASSERT_EQ(docs->size(), 2u);  // the broken document is skipped
  EXPECT_EQ((*docs)[0].record.id, "inc-a");
  EXPECT_EQ((*docs)[0].record.status, "resolved");
  EXPECT_EQ((*docs)[1].record.status, "open");
  EXPECT_EQ((*docs)[1].record.severity, "major");
  EXPECT_EQ((*docs)[1].record.metric, "lat_p95");

  IncidentRecord r;
  r.id = "inc-c";
  r.status = "acknowledged";
  r.severity = "critical";
  r.owner = "latency-team";
  r.metric = "lat_p95";
  r.start = onset;
  r.document = Document("inc-c", onset, 0).dump();
  ASSERT_TRUE(store_->incidents().Put(r).ok());
  auto table = LoadStoredIncidents(store_.get());
  ASSERT_TRUE(table.ok());
  ASSERT_EQ(table->size(), 1u);
  EXPECT_EQ((*table)[0].record.owner, "latency-team");
  EXPECT_EQ((*table)[0].record.status, "acknowledged");
}

TEST_F(StoredReportTest, IncidentHtmlShowsEvidenceEscaped) {
  TimeMs onset = kStart + 2 * kDayMs;
  StoredIncident inc;
  auto decoded = IncidentFromJson(Document("inc-a", onset, 0));
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  inc.incident = std::move(*decoded);
  inc.record.id = "inc-a";
  inc.record.status = "open";
  inc.record.severity = "major";
  inc.record.start = onset;
  IncidentRenderOptions options;
  options.drill_down = true;
  options.feedback.push_back({"inc-a", "true_positive", "<i>confirmed</i>", onset});
  auto html = RenderIncident(*cube_, inc, options);
  ASSERT_TRUE(html.ok()) << html.status().message();
  EXPECT_EQ(html->find("<script"), std::string::npos);
  EXPECT_EQ(html->find("<i>"), std::string::npos);
  EXPECT_NE(html->find("Latency rose &lt;script&gt;"), std::string::npos);
  EXPECT_NE(html->find("<figure class=\"plot\""), std::string::npos);
  EXPECT_NE(html->find("80 %"), std::string::npos);                      // explained fraction
  EXPECT_NE(html->find("width:80.0%"), std::string::npos);               // its bar
  EXPECT_NE(html->find("data-slice=\"a=a1,b=b2\""), std::string::npos);  // drill-down target
  EXPECT_NE(html->find("<b>b=b2</b>"), std::string::npos);  // the part inside the slice
  EXPECT_NE(html->find("b&lt;9&gt;"), std::string::npos);   // what changed
  EXPECT_NE(html->find("timeout after &lt;*&gt; ms"), std::string::npos);  // error templates
  EXPECT_NE(html->find("req-&lt;2&gt;"), std::string::npos);               // examples
  EXPECT_NE(html->find("true_positive"), std::string::npos);               // feedback
  // The report's incidents carry no drill-down attributes.
  options.drill_down = false;
  EXPECT_EQ(RenderIncident(*cube_, inc, options)->find("data-slice="), std::string::npos);
}

StoredIncident WithAttributions(const nlohmann::json& attributions, TimeMs onset) {
  nlohmann::json doc = Document("inc-a", onset, 0);
  if (!attributions.is_null()) doc["attributions"] = attributions;
  StoredIncident inc;
  auto decoded = IncidentFromJson(doc);
  EXPECT_TRUE(decoded.ok()) << decoded.status().message();
  if (decoded.ok()) inc.incident = std::move(*decoded);
  inc.record.id = "inc-a";
  inc.record.start = onset;
  return inc;
}

nlohmann::json Feature(const std::string& metric, double value, double residual) {
  return {{"metric", metric}, {"value", value}, {"residual", residual}};
}

TEST_F(StoredReportTest, AttributionsAreBarsLargestFirstWithEscapedNames) {
  TimeMs onset = kStart + 2 * kDayMs;
  // The document lists them largest value first; the bars go by size, either sign.
  nlohmann::json at = {{"score", 0.712},
                       {"base", 0.45},
                       {"features",
                        {Feature("timeout_rate", 0.21, 3.2), Feature("a<b", 0.14, 2.54),
                         Feature("x", 0.003, 0.1), Feature("calm", -0.09, -1.0)}}};
  auto html = RenderIncident(*cube_, WithAttributions(at, onset), {});
  ASSERT_TRUE(html.ok()) << html.status().message();
  EXPECT_EQ(Count(*html, "<section class=\"attributions\">"), 1u);
  EXPECT_NE(html->find("Why the slice looked abnormal"), std::string::npos);
  EXPECT_EQ(html->find("a<b"), std::string::npos);
  size_t first = html->find("<div class=\"attribution-name\">timeout_rate</div>");
  size_t second = html->find("<div class=\"attribution-name\">a&lt;b</div>");
  size_t third = html->find("<div class=\"attribution-name\">calm</div>");
  size_t fourth = html->find("<div class=\"attribution-name\">x</div>");
  ASSERT_NE(fourth, std::string::npos);
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
  EXPECT_LT(third, fourth);
  EXPECT_EQ(Count(*html, "class=\"attribution\""), 4u);
  // Lengths against the largest share; a share towards ordinary in its own colour.
  EXPECT_NE(html->find("bar-attribution-up\"><span style=\"width:100.0%\">"), std::string::npos);
  EXPECT_NE(html->find("bar-attribution-up\"><span style=\"width:66.7%\">"), std::string::npos);
  EXPECT_NE(html->find("bar-attribution-down\"><span style=\"width:42.9%\">"), std::string::npos);
  EXPECT_NE(html->find("<b>+0.21</b> · +3.2σ"), std::string::npos);
  EXPECT_NE(html->find("<b>\u22120.09</b> · \u22121.0σ"), std::string::npos);
  EXPECT_NE(html->find("score 0.71 against 0.45 for an ordinary bucket; the bars add up to the "
                       "difference."),
            std::string::npos);
  EXPECT_EQ(html->find("not shown"), std::string::npos);

  // No attributions: no block.
  auto none = RenderIncident(*cube_, WithAttributions(nullptr, onset), {});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->find("class=\"attribution"), std::string::npos);
  EXPECT_EQ(none->find("Why the slice looked abnormal"), std::string::npos);
}

TEST_F(StoredReportTest, AttributionsShowEightBarsAndCountTheRest) {
  TimeMs onset = kStart + 2 * kDayMs;
  nlohmann::json features = nlohmann::json::array();
  for (int i = 0; i < 11; ++i)
    features.push_back(Feature("m" + std::to_string(i), 0.11 - 0.01 * i, 1));
  nlohmann::json at = {{"score", 0.9}, {"base", 0.45}, {"features", features}};
  auto html = RenderIncident(*cube_, WithAttributions(at, onset), {});
  ASSERT_TRUE(html.ok()) << html.status().message();
  EXPECT_EQ(Count(*html, "class=\"attribution\""), 8u);
  EXPECT_NE(html->find(">m7</div>"), std::string::npos);
  EXPECT_EQ(html->find(">m8</div>"), std::string::npos);
  EXPECT_NE(html->find("3 more metrics not shown, +0.06 together."), std::string::npos);
  EXPECT_NE(html->find("these bars and the metrics not shown add up to the difference"),
            std::string::npos);
}

TEST_F(StoredReportTest, ReportIsOneSelfContainedFile) {
  TimeMs onset = kStart + 2 * kDayMs;
  ASSERT_TRUE(store_->incidents()
                  .ReplaceDocuments("incident", {{"inc-a", Document("inc-a", onset, 0).dump()}})
                  .ok());
  ReportOptions options;
  options.title = "Weekly <report>";
  auto html = RenderReport(*cube_, store_.get(), options);
  ASSERT_TRUE(html.ok()) << html.status().message();
  EXPECT_EQ(html->rfind("<!doctype html>", 0), 0u);
  EXPECT_NE(html->find("</html>"), std::string::npos);
  // Nothing is fetched: no external stylesheets, scripts, images or fonts.
  EXPECT_EQ(html->find("<link"), std::string::npos);
  EXPECT_EQ(html->find(" src="), std::string::npos);
  EXPECT_FALSE(std::regex_search(*html, std::regex("https?://")));
  EXPECT_EQ(html->find("@import"), std::string::npos);
  // Title escaped; the only scripts are the report's own.
  EXPECT_NE(html->find("Weekly &lt;report&gt;"), std::string::npos);
  EXPECT_EQ(Count(*html, "<script"), 1u);
  // Summary, the incident, and every metric with a sparkline.
  EXPECT_NE(html->find("Monitored series"), std::string::npos);
  EXPECT_NE(html->find("href=\"#inc-a\""), std::string::npos);
  EXPECT_NE(html->find("id=\"inc-a\""), std::string::npos);
  EXPECT_EQ(Count(*html, "<svg class=\"spark\""), config_->metrics.size());
  EXPECT_NE(html->find("20,000"), std::string::npos);  // events ingested
}

TEST_F(StoredReportTest, ReportWithoutIncidentsSaysSo) {
  auto html = RenderReport(*cube_, store_.get());
  ASSERT_TRUE(html.ok());
  EXPECT_NE(html->find("No incidents in this period."), std::string::npos);
}

}  // namespace
}  // namespace vigil
