// SVG plots drawn on the server: one implementation for the report file and the dashboard. Long
// series are reduced to what a pixel column can show (its minimum and maximum), so a plot of
// thousands of points stays a few kilobytes and draws at once in any browser.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "report/html.h"
#include "vigil/report.h"

namespace vigil {
namespace {

using internal::AxisValue;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Frame {
  double left, right, top, bottom;  // plot area in SVG units
  TimeMs t0, t1;                    // time domain
  double y0, y1;                    // value domain (y0 at the bottom)

  double X(double t) const {
    return left + (t - t0) / static_cast<double>(t1 - t0) * (right - left);
  }
  // Clamped to the plot area: a band wider than the axis runs along its edge.
  double Y(double v) const {
    return std::clamp(bottom - (v - y0) / (y1 - y0) * (bottom - top), top, bottom);
  }
};

std::string Num(double v) { return fmt::format("{:.1f}", v); }

// A "nice" step (1, 2, 2.5 or 5 times a power of ten) near `raw`.
double NiceStep(double raw) {
  if (!(raw > 0) || !std::isfinite(raw)) return 1;
  double power = std::pow(10, std::floor(std::log10(raw)));
  double f = raw / power;
  double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
  return nice * power;
}

enum class Reduce { kMinMax, kMin, kMax, kMean };

// Screen points of one line, with NaN breaking it into runs. More points than about two per
// pixel column are reduced per column: min and max keep spikes visible; mean suits smooth lines.
std::vector<std::vector<std::pair<double, double>>> Runs(const Frame& f,
                                                         const std::vector<double>& xs,
                                                         const std::vector<double>& ys,
                                                         Reduce reduce) {
  std::vector<std::vector<std::pair<double, double>>> runs;
  std::vector<std::pair<double, double>> run;
  bool reduce_columns = xs.size() > 2 * static_cast<size_t>(f.right - f.left);
  auto flush_run = [&] {
    if (!run.empty()) runs.push_back(std::move(run));
    run.clear();
  };
  if (!reduce_columns) {
    for (size_t i = 0; i < xs.size(); ++i) {
      if (std::isnan(ys[i])) {
        flush_run();
        continue;
      }
      run.emplace_back(xs[i], f.Y(ys[i]));
    }
    flush_run();
    return runs;
  }
  long column = -1;
  double lo = 0, hi = 0, sum = 0, x = 0;
  size_t count = 0, lo_at = 0, hi_at = 0;
  auto flush_column = [&] {
    if (count == 0) return;
    switch (reduce) {
      case Reduce::kMinMax:
        if (lo_at <= hi_at) {
          run.emplace_back(x, f.Y(lo));
          if (hi != lo) run.emplace_back(x, f.Y(hi));
        } else {
          run.emplace_back(x, f.Y(hi));
          run.emplace_back(x, f.Y(lo));
        }
        break;
      case Reduce::kMin:
        run.emplace_back(x, f.Y(lo));
        break;
      case Reduce::kMax:
        run.emplace_back(x, f.Y(hi));
        break;
      case Reduce::kMean:
        run.emplace_back(x, f.Y(sum / count));
        break;
    }
    count = 0;
  };
  for (size_t i = 0; i < xs.size(); ++i) {
    if (std::isnan(ys[i])) {
      flush_column();
      flush_run();
      column = -1;
      continue;
    }
    long c = static_cast<long>(std::floor(xs[i] - f.left));
    if (c != column) {
      flush_column();
      column = c;
      x = c + f.left + 0.5;
      lo = hi = sum = 0;
    }
    double v = ys[i];
    if (count == 0 || v < lo) lo = v, lo_at = i;
    if (count == 0 || v > hi) hi = v, hi_at = i;
    sum += v;
    ++count;
  }
  flush_column();
  flush_run();
  return runs;
}

std::string PathOf(const std::vector<std::pair<double, double>>& run) {
  std::string d;
  d.reserve(run.size() * 14);
  for (size_t i = 0; i < run.size(); ++i) {
    d += i == 0 ? 'M' : 'L';
    d += Num(run[i].first);
    d += ',';
    d += Num(run[i].second);
  }
  return d;
}

// Hover data numbers: five significant digits keep the page small and the values exact enough.
std::string JsonNumber(double v) { return std::isfinite(v) ? fmt::format("{:.5g}", v) : "null"; }

std::string JsonArray(const std::vector<double>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += JsonNumber(values[i]);
  }
  return out + "]";
}

struct TimeStep {
  int64_t ms;
  bool days;  // labels are dates
};

// Ticks at local-time multiples of a step chosen to give at most `max_ticks` labels.
std::vector<std::pair<TimeMs, std::string>> TimeTicks(TimeMs t0, TimeMs t1, const TimeZone& zone,
                                                      int max_ticks) {
  static const TimeStep kSteps[] = {
      {5 * kMinuteMs, false},  {10 * kMinuteMs, false}, {15 * kMinuteMs, false},
      {30 * kMinuteMs, false}, {kHourMs, false},        {2 * kHourMs, false},
      {3 * kHourMs, false},    {6 * kHourMs, false},    {12 * kHourMs, false},
      {kDayMs, true},          {2 * kDayMs, true},      {7 * kDayMs, true},
      {14 * kDayMs, true},     {28 * kDayMs, true},     {91 * kDayMs, true},
      {364 * kDayMs, true}};
  TimeStep step = kSteps[std::size(kSteps) - 1];
  for (const TimeStep& s : kSteps) {
    if ((t1 - t0) / s.ms <= max_ticks) {
      step = s;
      break;
    }
  }
  std::vector<std::pair<TimeMs, std::string>> ticks;
  int64_t offset = zone.OffsetAt(t0);
  TimeMs local = BucketStart(t0 + offset, step.ms);
  if (local < t0 + offset) local += step.ms;
  int last_day = -1;
  for (; ticks.size() < 64; local += step.ms) {
    TimeMs t = local - zone.OffsetAt(local - offset);  // follows DST changes inside the range
    if (t > t1) break;
    internal::CivilTime c = internal::ToCivil(t, zone.OffsetAt(t));
    std::string label;
    if (step.days) {
      label = internal::MonthDay(c);
    } else {
      label = internal::HourMinute(c);
      if (c.day != last_day) label += "\n" + internal::MonthDay(c);
    }
    last_day = c.day;
    ticks.emplace_back(t, label);
  }
  return ticks;
}

std::string UnitTitle(const std::string& metric, const std::string& unit) {
  if (unit == "ratio") return metric + " (%)";
  return unit.empty() ? metric : metric + " (" + unit + ")";
}

}  // namespace

std::string RenderPlot(const ExpectedSeries& s, const PlotOptions& o) {
  const double width = o.width, height = o.height;
  Frame f{68, width - 16, 12, height - 46, 0, 1, 0, 1};
  auto zone_or = TimeZone::Load(o.time_zone);
  TimeZone zone = zone_or.ok() ? *zone_or : TimeZone::Utc();
  size_t n = s.points.size();
  std::string out = "<figure class=\"plot\"";
  std::string aria = s.metric + " on " + internal::SliceText(s.slice);

  std::vector<double> xs(n), observed(n), expected(n), lower(n), upper(n);
  if (n > 0) {
    f.t0 = s.points.front().time;
    f.t1 = s.points.back().time + std::max<int64_t>(s.granularity_ms, 1);
  }
  // The value axis follows the observed and expected lines; the band widens it by at most half
  // their range, so a thin slice's wide early band does not flatten the line people came for.
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  bool non_negative = true;
  for (size_t i = 0; i < n; ++i) {
    observed[i] = s.points[i].value;
    const Assessment& a = s.assessments[i];
    expected[i] = a.expected;
    lower[i] = a.lower;
    upper[i] = a.upper;
    for (double v : {observed[i], expected[i]}) {
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
    if (observed[i] < 0) non_negative = false;
  }
  if (!(lo <= hi)) {
    for (size_t i = 0; i < n; ++i) {
      for (double v : {lower[i], upper[i]}) {
        if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
      }
    }
  } else {
    double reach = std::max(hi - lo, std::abs(hi) * 0.1) * 0.5;
    const double floor = lo - reach, ceiling = hi + reach;
    for (size_t i = 0; i < n; ++i) {
      if (std::isfinite(lower[i])) lo = std::min(lo, std::max(lower[i], floor));
      if (std::isfinite(upper[i])) hi = std::max(hi, std::min(upper[i], ceiling));
    }
  }
  if (!(lo <= hi)) lo = 0, hi = 1;
  double pad = (hi - lo) * 0.08;
  if (pad == 0) pad = std::abs(hi) * 0.1 + (hi == 0 ? 1 : 0);
  double bottom_value = lo - pad;
  if (non_negative && hi > 0 && bottom_value < 0)
    bottom_value = 0;  // no negative latencies or rates
  double y_step = NiceStep((hi + pad - bottom_value) / 5);
  f.y0 = std::floor(bottom_value / y_step) * y_step;
  f.y1 = std::ceil((hi + pad) / y_step) * y_step;
  if (f.y1 <= f.y0) f.y1 = f.y0 + y_step;
  for (size_t i = 0; i < n; ++i) xs[i] = f.X(s.points[i].time + s.granularity_ms / 2.0);

  if (o.interactive && n > 0) {
    bool regular = true;
    for (size_t i = 1; i < n && regular; ++i) {
      regular = s.points[i].time - s.points[i - 1].time == s.granularity_ms;
    }
    auto text = [](const std::string& t) {  // any text as a JSON string, bad UTF-8 replaced
      return nlohmann::json(t).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    };
    std::string data = "{\"metric\":" + text(s.metric) + ",\"unit\":" + text(s.unit) +
                       ",\"tz\":" + text(zone.name());
    data += fmt::format(
        ",\"w\":{},\"x0\":{},\"x1\":{},\"top\":{},\"bottom\":{},\"T0\":{},\"T1\":{},"
        "\"y0\":{},\"y1\":{},\"g\":{},\"t0\":{},",
        width, f.left, f.right, f.top, f.bottom, f.t0, f.t1, JsonNumber(f.y0), JsonNumber(f.y1),
        s.granularity_ms, f.t0);
    if (!regular) {
      data += "\"t\":[";
      for (size_t i = 0; i < n; ++i) data += (i ? "," : "") + std::to_string(s.points[i].time);
      data += "],";
    }
    data += "\"v\":" + JsonArray(observed) + ",\"e\":" + JsonArray(expected) +
            ",\"lo\":" + JsonArray(lower) + ",\"hi\":" + JsonArray(upper) + "}";
    out += " data-plot=\"" + HtmlEscape(data) + "\"";
  }
  out += ">";
  if (!o.title.empty()) out += "<div class=\"plot-title\">" + HtmlEscape(o.title) + "</div>";
  out += fmt::format(
      "<svg viewBox=\"0 0 {} {}\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"{}\">",
      width, height, HtmlEscape(aria));
  out += "<title>" + HtmlEscape(aria) + "</title>";
  out += fmt::format("<rect class=\"plot-bg\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
                     Num(f.left), Num(f.top), Num(f.right - f.left), Num(f.bottom - f.top));

  // Value grid and labels.
  out += "<g class=\"grid\">";
  for (double v = f.y0; v <= f.y1 + y_step * 1e-9; v += y_step) {
    double y = f.Y(v);
    out += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>", Num(f.left), Num(f.right),
                       Num(y), Num(y));
    out += fmt::format("<text class=\"ylabel\" x=\"{}\" y=\"{}\">{}</text>", Num(f.left - 6),
                       Num(y + 4), HtmlEscape(AxisValue(v, s.unit, y_step)));
  }
  out += "</g>";
  out +=
      fmt::format("<text class=\"axis-title\" transform=\"translate(14 {}) rotate(-90)\">{}</text>",
                  Num((f.top + f.bottom) / 2), HtmlEscape(UnitTitle(s.metric, s.unit)));

  if (n == 0) {
    out += fmt::format("<text class=\"empty\" x=\"{}\" y=\"{}\">no data in this period</text>",
                       Num((f.left + f.right) / 2), Num((f.top + f.bottom) / 2));
  } else {
    // Shaded periods under the lines.
    for (const PlotShade& shade : o.shades) {
      TimeMs a = std::max(shade.start, f.t0);
      TimeMs b = shade.end ? std::min(shade.end, f.t1) : f.t1;
      if (b <= a) continue;
      out += fmt::format(
          "<rect class=\"shade\" x=\"{}\" y=\"{}\" width=\"{}\" "
          "height=\"{}\"><title>{}</title></rect>",
          Num(f.X(a)), Num(f.top), Num(std::max(1.0, f.X(b) - f.X(a))), Num(f.bottom - f.top),
          HtmlEscape(shade.label));
    }
    // The band: upper edge forward, lower edge back, per run where both exist.
    std::vector<double> band_lo(n), band_hi(n);
    for (size_t i = 0; i < n; ++i) {
      bool both = std::isfinite(lower[i]) && std::isfinite(upper[i]);
      band_lo[i] = both ? lower[i] : kNaN;
      band_hi[i] = both ? upper[i] : kNaN;
    }
    auto his = Runs(f, xs, band_hi, Reduce::kMax);
    auto los = Runs(f, xs, band_lo, Reduce::kMin);
    for (size_t r = 0; r < his.size() && r < los.size(); ++r) {
      std::vector<std::pair<double, double>> ring = his[r];
      ring.insert(ring.end(), los[r].rbegin(), los[r].rend());
      out += "<path class=\"band\" d=\"" + PathOf(ring) + "Z\"/>";
    }
    for (const auto& run : Runs(f, xs, expected, Reduce::kMean)) {
      out += "<path class=\"expected\" d=\"" + PathOf(run) + "\"/>";
    }
    for (const auto& run : Runs(f, xs, observed, Reduce::kMinMax)) {
      if (run.size() == 1) {
        out += fmt::format("<circle class=\"observed-dot\" cx=\"{}\" cy=\"{}\" r=\"1.5\"/>",
                           Num(run[0].first), Num(run[0].second));
      } else {
        out += "<path class=\"observed\" d=\"" + PathOf(run) + "\"/>";
      }
    }
    if (o.onset >= f.t0 && o.onset <= f.t1) {
      double x = f.X(o.onset);
      internal::CivilTime c = internal::ToCivil(o.onset, zone.OffsetAt(o.onset));
      out += fmt::format("<line class=\"onset\" x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\"/>",
                         Num(x), Num(f.top), Num(f.bottom));
      bool right_side = x > (f.left + f.right) / 2;
      out += fmt::format(
          "<text class=\"onset-label\" x=\"{}\" y=\"{}\" text-anchor=\"{}\">onset {}</text>",
          Num(right_side ? x - 4 : x + 4), Num(f.top + 12), right_side ? "end" : "start",
          HtmlEscape(internal::MonthDay(c) + " " + internal::HourMinute(c)));
    }
    // Time axis in the zone's local time, the zone named under it.
    out += "<g class=\"xaxis\">";
    out += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>", Num(f.left), Num(f.right),
                       Num(f.bottom), Num(f.bottom));
    int max_ticks = std::max(2, static_cast<int>((f.right - f.left) / 90));
    for (const auto& [t, label] : TimeTicks(f.t0, f.t1, zone, max_ticks)) {
      double x = f.X(t);
      out += fmt::format("<line x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\"/>", Num(x),
                         Num(f.bottom), Num(f.bottom + 4));
      size_t nl = label.find('\n');
      out += fmt::format("<text class=\"xlabel\" x=\"{}\" y=\"{}\">{}", Num(x), Num(f.bottom + 16),
                         HtmlEscape(label.substr(0, nl)));
      if (nl != std::string::npos) {
        out += fmt::format("<tspan x=\"{}\" dy=\"13\">{}</tspan>", Num(x),
                           HtmlEscape(label.substr(nl + 1)));
      }
      out += "</text>";
    }
    out += "</g>";
    std::string zone_title = zone.name() == "UTC" ? "time (UTC)" : "time (" + zone.name() + ")";
    out += fmt::format("<text class=\"axis-title zone\" x=\"{}\" y=\"{}\">{}</text>", Num(f.right),
                       Num(height - 4), HtmlEscape(zone_title));
    out += fmt::format(
        "<g class=\"hover\"><line class=\"hover-line\" x1=\"0\" x2=\"0\" y1=\"{}\" y2=\"{}\"/>"
        "<circle class=\"hover-dot\" cx=\"0\" cy=\"0\" r=\"3.5\"/></g>",
        Num(f.top), Num(f.bottom));
  }
  out += "</svg>";
  out +=
      "<div class=\"legend\"><span class=\"key key-observed\"></span>observed"
      "<span class=\"key key-band\"></span>expected (99 % band)";
  if (!o.shades.empty()) out += "<span class=\"key key-shade\"></span>anomaly";
  out += "</div></figure>";
  return out;
}

std::string RenderSparkline(const std::vector<double>& values, int width, int height) {
  Frame f{1, width - 1.0,
          2, height - 2.0,
          0, static_cast<TimeMs>(std::max<size_t>(values.size(), 1)),
          0, 1};
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (double v : values) {
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  std::string out = fmt::format(
      "<svg class=\"spark\" viewBox=\"0 0 {0} {1}\" width=\"{0}\" height=\"{1}\" "
      "aria-hidden=\"true\">",
      width, height);
  if (lo <= hi) {
    f.y0 = lo;
    f.y1 = hi > lo ? hi : lo + 1;
    std::vector<double> xs(values.size());
    for (size_t i = 0; i < values.size(); ++i) xs[i] = f.X(i + 0.5);
    for (const auto& run : Runs(f, xs, values, Reduce::kMinMax)) {
      out += "<path d=\"" + PathOf(run) + "\"/>";
    }
  }
  return out + "</svg>";
}

}  // namespace vigil
