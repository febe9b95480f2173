// NAB corpus, results and scoring. The scoring follows NAB's published rules (the paper
// "Evaluating Real-time Anomaly Detection Algorithms - the Numenta Anomaly Benchmark" and the
// behaviour of its scorer); see docs/nab.md for the formulas.
#include "vigil/nab.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/text.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;

Result<std::string> ReadWholeFile(const std::string& path) {
  return ReadSmallFile(path, size_t{1} << 30, "file");
}

bool ParseDigits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

// Where each row stands for the scorer: in which window (or -1), and the reward of a detection
// there per unit of A_TP (inside) or its cost per unit of A_FP (outside, negative).
struct RowRole {
  int window = -1;
  double unit = 0;
};

// Replays NAB's walk over the rows: it opens a window at the first row whose timestamp equals
// the next window's start, measures positions from the first row of the file with the window's
// end timestamp, and closes the window at the next row with that end timestamp.
std::vector<RowRole> Roles(const NabSeries& s, const std::vector<NabWindow>& windows,
                           std::vector<NabWindowRows>* bounds) {
  const double max_tp = NabScaledSigmoid(-1.0);
  auto first_row = [&](TimeMs t) -> size_t {
    auto it = std::find(s.times.begin(), s.times.end(), t);
    return it == s.times.end() ? s.size() : static_cast<size_t>(it - s.times.begin());
  };
  std::vector<RowRole> roles(s.size());
  size_t next = 0;
  int current = -1;
  double width = 0, right = 0;
  bool has_prev = false;
  double prev_right = 0, prev_width = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (next < windows.size() && s.times[i] == windows[next].start) {
      current = static_cast<int>(next);
      size_t r = first_row(windows[next].end);
      size_t l = first_row(windows[next].start);
      right = static_cast<double>(r);
      width = static_cast<double>(r) - static_cast<double>(l) + 1;
      if (bounds) bounds->push_back({i, s.size() - 1, r});
      ++next;
    }
    RowRole& role = roles[i];
    if (current >= 0) {
      role.window = current;
      double y = -(right - static_cast<double>(i) + 1) / width;
      role.unit = NabScaledSigmoid(y) / max_tp;
    } else if (!has_prev || prev_width <= 1) {
      role.unit = -1;
    } else {
      double y = std::abs(prev_right - static_cast<double>(i)) / (prev_width - 1);
      role.unit = NabScaledSigmoid(y);
    }
    if (current >= 0 && s.times[i] == windows[current].end) {
      if (bounds) bounds->back().last = i;
      has_prev = true;
      prev_right = static_cast<double>(i);
      prev_width = width;
      current = -1;
    }
  }
  return roles;
}

// One scorable row of the corpus, for the sweep.
struct SweepPoint {
  double score;
  int window;    // index into the corpus-wide window list, or -1
  double value;  // weighted reward (window) or cost (outside)
};

}  // namespace

Result<TimeMs> ParseNabTime(std::string_view text) {
  text = Trim(text);
  int y, mo, d, h, mi, s;
  bool ok = text.size() >= 19 && ParseDigits(text, 0, 4, &y) && text[4] == '-' &&
            ParseDigits(text, 5, 2, &mo) && text[7] == '-' && ParseDigits(text, 8, 2, &d) &&
            (text[10] == ' ' || text[10] == 'T') && ParseDigits(text, 11, 2, &h) &&
            text[13] == ':' && ParseDigits(text, 14, 2, &mi) && text[16] == ':' &&
            ParseDigits(text, 17, 2, &s);
  if (!ok || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) {
    return InvalidArgument("not a NAB timestamp (YYYY-MM-DD HH:MM:SS): '" + std::string(text) +
                           "'");
  }
  int64_t ms = 0;
  if (text.size() > 19) {
    if (text[19] != '.' || text.size() == 20) {
      return InvalidArgument("not a NAB timestamp (YYYY-MM-DD HH:MM:SS): '" + std::string(text) +
                             "'");
    }
    int64_t scale = 100;
    for (size_t i = 20; i < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9') {
        return InvalidArgument("bad fraction in timestamp '" + std::string(text) + "'");
      }
      ms += (text[i] - '0') * scale;
      scale /= 10;
    }
  }
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return days * kDayMs + h * kHourMs + mi * kMinuteMs + s * kSecondMs + ms;
}

Result<NabSeries> ParseNabSeries(std::string_view csv, const std::string& key) {
  NabSeries out;
  out.key = key;
  size_t slash = key.rfind('/');
  out.category = slash == std::string::npos ? "" : key.substr(0, slash);
  std::string file = slash == std::string::npos ? key : key.substr(slash + 1);
  if (file.size() > 4 && file.compare(file.size() - 4, 4, ".csv") == 0)
    file.resize(file.size() - 4);
  out.name = file;
  size_t line_no = 0;
  bool header = true;
  while (!csv.empty()) {
    size_t nl = csv.find('\n');
    std::string_view line = Trim(csv.substr(0, nl));
    csv.remove_prefix(nl == std::string_view::npos ? csv.size() : nl + 1);
    ++line_no;
    if (line.empty()) continue;
    if (header) {
      header = false;
      if (line.substr(0, 9) != "timestamp") {
        return DataError(key + ":" + std::to_string(line_no) +
                         ": expected the header 'timestamp,value'");
      }
      continue;
    }
    size_t comma = line.find(',');
    if (comma == std::string_view::npos) {
      return DataError(key + ":" + std::to_string(line_no) + ": expected 'timestamp,value'");
    }
    std::string_view ts = Trim(line.substr(0, comma));
    std::string_view vs = Trim(line.substr(comma + 1));
    auto t = ParseNabTime(ts);
    if (!t.ok())
      return DataError(key + ":" + std::to_string(line_no) + ": " + t.status().message());
    double v = 0;
    auto [ptr, ec] = std::from_chars(vs.data(), vs.data() + vs.size(), v);
    if (ec != std::errc() || ptr != vs.data() + vs.size() || !std::isfinite(v)) {
      return DataError(key + ":" + std::to_string(line_no) + ": bad value '" + std::string(vs) +
                       "'");
    }
    out.times.push_back(*t);
    out.values.push_back(v);
    out.timestamps.emplace_back(ts);
    out.value_texts.emplace_back(vs);
  }
  if (out.times.empty()) return DataError(key + ": no rows");
  return out;
}

Result<NabSeries> ReadNabSeries(const std::string& data_dir, const std::string& key) {
  std::string path = (fs::path(data_dir) / key).string();
  if (!fs::exists(path)) return NotFound(path + ": no such data file (labelled as " + key + ")");
  VIGIL_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  return ParseNabSeries(text, key);
}

Result<NabWindows> ParseNabWindows(std::string_view json, const std::string& origin) {
  nlohmann::json doc = nlohmann::json::parse(json.begin(), json.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return DataError(origin +
                     ": not a JSON object of \"<category>/<file>.csv\": [[start, end], ...]");
  }
  NabWindows out;
  for (const auto& [key, list] : doc.items()) {
    if (!list.is_array()) return DataError(origin + ": " + key + ": expected a list of windows");
    std::vector<NabWindow>& windows = out[key];
    for (const auto& pair : list) {
      if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) {
        return DataError(origin + ": " + key + ": a window is a [start, end] pair of timestamps");
      }
      auto start = ParseNabTime(pair[0].get<std::string>());
      auto end = ParseNabTime(pair[1].get<std::string>());
      if (!start.ok()) return DataError(origin + ": " + key + ": " + start.status().message());
      if (!end.ok()) return DataError(origin + ": " + key + ": " + end.status().message());
      if (*end < *start) return DataError(origin + ": " + key + ": a window ends before it starts");
      windows.push_back({*start, *end});
    }
  }
  return out;
}

Result<NabWindows> ReadNabWindows(const std::string& path) {
  if (!fs::exists(path)) return NotFound(path + ": no such label file");
  VIGIL_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  return ParseNabWindows(text, path);
}

Result<std::vector<NabSeries>> ReadNabCorpus(const std::string& data_dir,
                                             const NabWindows& windows) {
  if (!fs::is_directory(data_dir)) return NotFound(data_dir + ": no such data directory");
  std::vector<NabSeries> out;
  for (const auto& [key, list] : windows) {
    VIGIL_ASSIGN_OR_RETURN(NabSeries s, ReadNabSeries(data_dir, key));
    for (const NabWindow& w : list) {
      for (TimeMs t : {w.start, w.end}) {
        if (std::find(s.times.begin(), s.times.end(), t) == s.times.end()) {
          return DataError(key + ": window bound " + FormatTimestamp(t) +
                           " is not a row timestamp");
        }
      }
    }
    out.push_back(std::move(s));
  }
  if (out.empty()) return DataError("the labels name no data file");
  return out;
}

size_t NabProbationLength(size_t rows) {
  return std::min<size_t>(static_cast<size_t>(std::floor(0.15 * static_cast<double>(rows))), 750);
}

std::vector<NabWindowRows> NabWindowRowBounds(const NabSeries& series,
                                              const std::vector<NabWindow>& windows) {
  std::vector<NabWindowRows> bounds;
  Roles(series, windows, &bounds);
  return bounds;
}

double NabScaledSigmoid(double y) {
  if (y >= 3.0) return -1.0;
  return 2.0 / (1.0 + std::exp(5.0 * y)) - 1.0;
}

const std::vector<NabProfile>& NabProfiles() {
  static const std::vector<NabProfile> kProfiles = {
      {"standard", 1.0, 0.11, 1.0, 1.0},
      {"reward_low_FP_rate", 1.0, 0.22, 1.0, 1.0},
      {"reward_low_FN_rate", 1.0, 0.11, 1.0, 2.0},
  };
  return kProfiles;
}

double NabTally::normalized() const {
  if (perfect == null_raw) return std::nan("");
  return 100.0 * (raw - null_raw) / (perfect - null_raw);
}

NabTally NabScoreAt(const NabScoredSeries& scored, const NabProfile& profile, double threshold) {
  const NabSeries& s = *scored.series;
  std::vector<RowRole> roles = Roles(s, scored.windows, nullptr);
  size_t probation = NabProbationLength(s.size());
  std::vector<double> part(scored.windows.size(), std::nan(""));  // NaN: no scorable row
  NabTally t;
  t.windows = scored.windows.size();
  t.perfect = profile.tp * static_cast<double>(scored.windows.size());
  for (size_t i = probation; i < s.size(); ++i) {
    if (roles[i].window >= 0 && std::isnan(part[roles[i].window]))
      part[roles[i].window] = -profile.fn;
  }
  for (double p : part) {
    if (!std::isnan(p)) t.null_raw += p;
  }
  double fp = 0;
  for (size_t i = probation; i < s.size(); ++i) {
    if (!(scored.scores[i] >= threshold)) continue;
    if (roles[i].window >= 0) {
      part[roles[i].window] = std::max(part[roles[i].window], profile.tp * roles[i].unit);
    } else {
      fp += profile.fp * roles[i].unit;
      ++t.false_positives;
    }
  }
  t.raw = fp;
  for (double p : part) {
    if (std::isnan(p)) continue;
    t.raw += p;
    if (p > -profile.fn) ++t.detected;
  }
  return t;
}

std::vector<std::pair<double, double>> NabSweep(const std::vector<NabScoredSeries>& series,
                                                const NabProfile& profile) {
  std::vector<SweepPoint> points;
  std::vector<double> part;  // per corpus window: current contribution
  for (const NabScoredSeries& scored : series) {
    const NabSeries& s = *scored.series;
    std::vector<RowRole> roles = Roles(s, scored.windows, nullptr);
    size_t probation = NabProbationLength(s.size());
    int base = static_cast<int>(part.size());
    part.resize(part.size() + scored.windows.size(), 0);
    std::vector<bool> scorable(scored.windows.size(), false);
    for (size_t i = probation; i < s.size(); ++i) {
      const RowRole& r = roles[i];
      if (r.window >= 0) {
        scorable[r.window] = true;
        points.push_back({scored.scores[i], base + r.window, profile.tp * r.unit});
      } else {
        points.push_back({scored.scores[i], -1, profile.fp * r.unit});
      }
    }
    for (size_t w = 0; w < scorable.size(); ++w) part[base + w] = scorable[w] ? -profile.fn : 0;
  }
  std::stable_sort(points.begin(), points.end(),
                   [](const SweepPoint& a, const SweepPoint& b) { return a.score > b.score; });
  double total = 0;
  for (double p : part) total += p;
  std::vector<std::pair<double, double>> out;
  double threshold = 1.1;
  for (const SweepPoint& p : points) {
    if (p.score != threshold) {
      out.emplace_back(threshold, total);
      threshold = p.score;
    }
    if (p.window < 0) {
      total += p.value;
    } else if (p.value > part[p.window]) {
      total += p.value - part[p.window];
      part[p.window] = p.value;
    }
  }
  out.emplace_back(threshold, total);
  return out;
}

NabProfileResult NabScore(const std::vector<NabScoredSeries>& series, const NabProfile& profile) {
  NabProfileResult result;
  result.profile = profile;
  double best = -std::numeric_limits<double>::infinity();
  for (const auto& [threshold, raw] : NabSweep(series, profile)) {
    if (raw > best) {
      best = raw;
      result.threshold = threshold;
    }
  }
  for (const NabScoredSeries& scored : series) {
    NabTally t = NabScoreAt(scored, profile, result.threshold);
    result.by_series[scored.series->key] = t;
    for (NabTally* sum : {&result.total, &result.by_category[scored.series->category]}) {
      sum->raw += t.raw;
      sum->null_raw += t.null_raw;
      sum->perfect += t.perfect;
      sum->windows += t.windows;
      sum->detected += t.detected;
      sum->false_positives += t.false_positives;
    }
  }
  return result;
}

Result<std::vector<double>> RunNabDetector(const NabSeries& series, std::string_view detector,
                                           const DetectorOptions& options) {
  // Checked up front, so that an unknown name is an error rather than a null detector.
  VIGIL_RETURN_IF_ERROR(Detector::Create(detector, options).status());
  std::string name(detector);
  return RunNabDetector(
      series,
      [&name](const DetectorOptions& o) {
        auto d = Detector::Create(name, o);
        return d.ok() ? std::move(*d) : nullptr;
      },
      options);
}

Result<std::vector<double>> RunNabDetector(const NabSeries& series,
                                           const Detector::Factory& factory,
                                           DetectorOptions options) {
  size_t probation = NabProbationLength(series.size());
  // The sampling step, from the probationary rows only.
  std::vector<int64_t> steps;
  size_t learn = std::min(series.size(), std::max<size_t>(probation, 10));
  for (size_t i = 1; i < learn; ++i) {
    if (series.times[i] > series.times[i - 1])
      steps.push_back(series.times[i] - series.times[i - 1]);
  }
  if (!steps.empty()) {
    std::nth_element(steps.begin(), steps.begin() + steps.size() / 2, steps.end());
    options.bucket_ms = steps[steps.size() / 2];
  }
  std::unique_ptr<Detector> d = factory(options);
  if (!d) return InvalidArgument("the detector factory made no detector");
  std::vector<double> scores(series.size(), 0.0);
  for (size_t i = 0; i < series.size(); ++i) {
    Observation o;
    o.time = series.times[i];
    o.value = series.values[i];
    Assessment a = d->Update(o);
    double p = std::isfinite(a.probability) ? std::clamp(a.probability, 0.0, 1.0) : 0.0;
    scores[i] = i < probation ? 0.0 : std::round(p * 1e6) / 1e6;
  }
  return scores;
}

Result<std::string> WriteNabResults(const std::string& out_dir, const std::string& label,
                                    const NabScoredSeries& scored) {
  const NabSeries& s = *scored.series;
  fs::path dir = fs::path(out_dir) / label / s.category;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return IoError(dir.string() + ": cannot create: " + ec.message());
  fs::path path = dir / (label + "_" + s.name + ".csv");
  std::vector<char> in_window(s.size(), 0);
  for (const NabWindowRows& b : NabWindowRowBounds(s, scored.windows)) {
    for (size_t i = b.first; i <= b.last && i < s.size(); ++i) in_window[i] = 1;
  }
  std::string text = "timestamp,value,anomaly_score,label\n";
  for (size_t i = 0; i < s.size(); ++i) {
    text += fmt::format("{},{},{:.6f},{}\n", s.timestamps[i], s.value_texts[i], scored.scores[i],
                        static_cast<int>(in_window[i]));
  }
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) return IoError(path.string() + ": cannot write");
  return path.string();
}

}  // namespace vigil
