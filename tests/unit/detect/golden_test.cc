// Runs every data-driven detection case in tests/golden/detect/*.yaml: a synthetic series
// (level, daily and weekly cycles in a time zone, noise, gaps, injected changes) and a monitor,
// then the anomalies expected, with the tolerances written in the file.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <random>

#include "vigil/detect.h"

namespace vigil {
namespace {

struct Case {
  std::string path;
  YAML::Node node;
};

std::vector<Case> LoadCases() {
  // Paths are sorted before loading: assigning a YAML::Node (as std::sort does) writes through
  // to the node it refers to instead of rebinding, which would mix cases up.
  std::vector<std::string> paths;
  std::string dir = std::string(VIGIL_SOURCE_DIR) + "/tests/golden/detect";
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".yaml") paths.push_back(e.path().string());
  }
  std::sort(paths.begin(), paths.end());
  std::vector<Case> out;
  for (const std::string& path : paths) out.push_back({path, YAML::LoadFile(path)});
  return out;
}

TimeMs Time(const YAML::Node& n) { return *ParseTimestamp(n.as<std::string>()); }

std::string MetricYaml(const std::string& type) {
  if (type == "rate") return "{type: rate, where: \"a == 'z'\"}";
  if (type == "quantile") return "{type: quantile, measure: m, q: 0.95}";
  return "{type: count}";
}

// The synthetic series of a case.
SliceSeries Generate(const YAML::Node& c, int64_t bucket, const TimeZone& zone) {
  TimeMs start = Time(c["start"]);
  int days = c["days"].as<int>();
  double level = c["level"].as<double>(1000);
  double daily = c["daily_amplitude"].as<double>(0);
  double weekend = c["weekend"].as<double>(0);
  double noise = c["noise"].as<double>(0.02);
  // `support: value`: the sample size is the count itself (a count series whose traffic stops).
  bool support_is_value = c["support"] && c["support"].as<std::string>() == "value";
  uint64_t support = support_is_value ? 0 : c["support"].as<uint64_t>(1000);
  std::string sampling = c["sampling"].as<std::string>("poisson");
  std::mt19937_64 rng(c["seed"].as<uint64_t>(1));
  std::normal_distribution<double> normal(0, 1);
  SliceSeries s;
  int64_t n = days * kDayMs / bucket;
  for (int64_t i = 0; i < n; ++i) {
    TimeMs t = start + i * bucket;
    TimeMs local = t + zone.OffsetAt(t);
    double hour = static_cast<double>((local % kDayMs + kDayMs) % kDayMs) / kHourMs;
    int64_t day = (local >= 0 ? local : local - kDayMs + 1) / kDayMs;
    bool is_weekend = ((day + 3) % 7 + 7) % 7 >= 5;
    double v = level * (1 + daily * std::sin(2 * M_PI * (hour - 14) / 24));
    if (is_weekend) v *= 1 + weekend;
    for (const YAML::Node& inj : c["inject"]) {
      TimeMs at = Time(inj["at"]);
      double size = inj["size"].as<double>();
      int64_t duration =
          inj["duration"] ? *ParseDuration(inj["duration"].as<std::string>()) : INT64_MAX / 4;
      int64_t ramp = inj["ramp"] ? *ParseDuration(inj["ramp"].as<std::string>()) : 0;
      if (t < at || t >= at + duration) continue;
      double f = ramp > 0 ? std::min(1.0, static_cast<double>(t - at + bucket) / ramp) : 1.0;
      v *= 1 + size * f;
    }
    double se = sampling == "poisson"    ? std::sqrt(std::max(v, 1.0))
                : sampling == "binomial" ? std::sqrt(std::clamp(v, 1e-4, 1 - 1e-4) *
                                                     (1 - std::clamp(v, 1e-4, 1 - 1e-4)) / support)
                                         : noise * v;
    double observed = v + (sampling == "none" ? noise * v * normal(rng) : se * normal(rng));
    SeriesPoint p;
    p.time = t;
    p.value = observed;
    p.events = p.support =
        support_is_value ? static_cast<uint64_t>(std::llround(std::max(observed, 0.0))) : support;
    p.sampling_error = sampling == "none" ? 0 : se;
    for (const YAML::Node& gap : c["gaps"]) {
      if (t >= Time(gap[0]) && t < Time(gap[1])) {
        p.value = std::nan("");
        p.events = p.support = 0;
      }
    }
    s.points.push_back(p);
  }
  return s;
}

TEST(GoldenDetectTest, EveryCaseGivesItsExpectedAnomalies) {
  auto cases = LoadCases();
  ASSERT_GE(cases.size(), 8u);
  for (const Case& k : cases) {
    SCOPED_TRACE(k.path);
    try {
      const YAML::Node& c = k.node;
      std::string type = c["type"].as<std::string>("count");
      YAML::Emitter monitor;
      monitor << YAML::Flow << c["monitor"];
      std::string yaml =
          "input: {dimensions: [a], measures: {m: m}}\nmetrics: {x: " + MetricYaml(type) +
          "}\nmonitors: [" + std::string(monitor.c_str()) + "]\n";
      if (c["detect"]) {
        YAML::Emitter detect;
        detect << YAML::Flow << c["detect"];
        yaml += std::string("detect: ") + detect.c_str() + "\n";
      }
      auto config = Config::Parse(yaml, k.path);
      ASSERT_TRUE(config.ok()) << config.status().message();
      int64_t bucket = *ParseDuration(c["bucket"].as<std::string>("5m"));
      auto zone = TimeZone::Load(c["series_zone"].as<std::string>("UTC"));
      ASSERT_TRUE(zone.ok());
      SliceSeries series = Generate(c, bucket, *zone);
      auto found = DetectSeries({series}, config->monitors[0], *config, bucket);
      ASSERT_TRUE(found.ok()) << found.status().message();
      const YAML::Node& e = c["expect"];
      std::string listing;
      for (const Anomaly& a : *found) {
        listing += "  " + FormatTimestamp(a.start) + " " + std::to_string(a.baseline) + " -> " +
                   std::to_string(a.observed) + "\n";
      }
      EXPECT_EQ(found->size(), e["count"].as<size_t>())
          << c["description"].as<std::string>() << "\n"
          << listing;
      if (found->size() != e["count"].as<size_t>() || found->empty()) continue;
      if (e["onset"]) {
        TimeMs onset = Time(e["onset"]);
        int64_t tolerance = *ParseDuration(e["onset_tolerance"].as<std::string>("10m"));
        EXPECT_LE(std::abs((*found)[0].start - onset), tolerance) << listing;
      }
      if (e["direction"]) {
        EXPECT_EQ((*found)[0].direction == Direction::kUp ? "up" : "down",
                  e["direction"].as<std::string>());
      }
      if (e["min_relative_change"]) {
        EXPECT_GE(std::abs((*found)[0].relative_change), e["min_relative_change"].as<double>());
      }
    } catch (const std::exception& error) {  // a malformed case names itself
      ADD_FAILURE() << k.path << ": " << error.what();
    }
  }
}

TEST(DetectDeterminismTest, TheSameSeriesGivesTheSameAnomalies) {
  auto config = Config::Parse(
      "input: {dimensions: [a]}\nmetrics: {x: {type: count}}\nmonitors: [{metric: x, direction: "
      "both}]\n");
  ASSERT_TRUE(config.ok());
  YAML::Node c = YAML::Load(
      "{start: '2026-03-02T00:00:00Z', days: 5, daily_amplitude: 0.3, seed: 9, inject: [{at: "
      "'2026-03-05T10:00:00Z', size: 0.4, duration: 3h}]}");
  auto zone = TimeZone::Load("UTC");
  SliceSeries s = Generate(c, 5 * kMinuteMs, *zone);
  auto a = DetectSeries({s}, config->monitors[0], *config, 5 * kMinuteMs);
  auto b = DetectSeries({s}, config->monitors[0], *config, 5 * kMinuteMs);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->size(), b->size());
  ASSERT_GE(a->size(), 1u);
  for (size_t i = 0; i < a->size(); ++i) {
    EXPECT_EQ((*a)[i].start, (*b)[i].start);
    EXPECT_EQ((*a)[i].observed, (*b)[i].observed);
  }
}

// Alert volume must not grow with the number of slices: false anomalies over 1,000 null series
// stay close to those over 100 (Benjamini–Hochberg per round), and rare in absolute terms.
TEST(FalseDiscoveryTest, NullSeriesRarelyAlertAndVolumeDoesNotGrowWithSlices) {
  auto config = Config::Parse(
      "input: {dimensions: [a]}\nmetrics: {x: {type: count}}\n"
      "monitors: [{metric: x, direction: both, min_relative_effect: 0.02}]\ndetect: {fdr: 0.01}\n");
  ASSERT_TRUE(config.ok());
  auto zone = TimeZone::Load("UTC");
  auto run = [&](int n) {
    std::vector<SliceSeries> all;
    for (int i = 0; i < n; ++i) {
      YAML::Node c =
          YAML::Load("{start: '2026-03-02T00:00:00Z', days: 3, daily_amplitude: 0.3, seed: " +
                     std::to_string(1000 + i) + ", bucket: 30m}");
      all.push_back(Generate(c, 30 * kMinuteMs, *zone));
    }
    auto found = DetectSeries(all, config->monitors[0], *config, 30 * kMinuteMs);
    EXPECT_TRUE(found.ok());
    return found.ok() ? found->size() : 0;
  };
  size_t small = run(100);
  size_t large = run(1000);
  std::printf("[ info     ] false anomalies: %zu over 100 null series, %zu over 1,000\n", small,
              large);
  EXPECT_LE(large, 2 * small + 3);
  // 48 judged rounds (one day after warm-up) at q = 0.01: about half an anomaly expected.
  EXPECT_LE(large, 5u);
}

}  // namespace
}  // namespace vigil
