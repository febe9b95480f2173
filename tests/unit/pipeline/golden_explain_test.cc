// Runs the golden explanation cases in tests/golden/explain/ (format: its README.md): builds the
// events of each case, ingests them, explains the named anomaly with the pipeline's own step
// (ExplainIncidents: evidence from the cube, samples from the events) and checks what the
// explanation says.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "vigil/incident.h"
#include "vigil/ingest.h"
#include "vigil/pipeline.h"

namespace vigil {
namespace {

constexpr const char* kConfig = R"(
input:
  time: ts
  request_id: id
  dimensions: [device, model, region]
  measures: {a: a, b: b, e2e: e2e}
  stages: [a, b]
  attributes: {outcome: outcome, error_code: error_code, error_message: error_message}
  error_stages: {A_: a, B_: b}
cube: {granularity: 5m}
metrics:
  volume: {type: count}
  fail_rate: {type: rate, where: "outcome == 'error'"}
  e2e_p95: {type: quantile, measure: e2e, q: 0.95}
  e2e_mean: {type: mean, measure: e2e}
)";

using Combo = std::map<std::string, std::string>;

std::vector<Combo> Combos(const YAML::Node& seg) {
  std::vector<Combo> out = {{}};
  if (seg["dims"]) {
    Combo c;
    const YAML::Node dims = seg["dims"];  // a handle that outlives the loop
    for (auto it = dims.begin(); it != dims.end(); ++it)
      c[it->first.as<std::string>()] = it->second.as<std::string>();
    out = {c};
  }
  if (seg["each"]) {
    const YAML::Node each = seg["each"];
    for (auto it = each.begin(); it != each.end(); ++it) {
      const YAML::Node values = it->second;  // the iterator's proxy is a temporary
      std::vector<Combo> next;
      for (const Combo& c : out) {
        for (const auto& v : values) {
          Combo d = c;
          d[it->first.as<std::string>()] = v.as<std::string>();
          next.push_back(d);
        }
      }
      out = next;
    }
  }
  if (seg["skip"]) {
    std::vector<Combo> kept;
    for (const Combo& c : out) {
      bool skipped = false;
      for (const auto& s : seg["skip"]) {
        bool all = true;
        for (auto it = s.begin(); it != s.end(); ++it) {
          auto f = c.find(it->first.as<std::string>());
          all = all && f != c.end() && f->second == it->second.as<std::string>();
        }
        skipped = skipped || all;
      }
      if (!skipped) kept.push_back(c);
    }
    out = kept;
  }
  return out;
}

// The events of a case as JSON Lines: evenly spread over each segment's range, the segment's
// dimension combinations in turn, latencies with ±10 % noise, failures drawn at the segment's rate.
std::string Events(const YAML::Node& segments) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> noise(0.9, 1.1);
  std::uniform_int_distribution<int> number(10, 9999);
  std::uniform_real_distribution<double> uniform(0, 1);
  std::string out;
  int id = 0;
  for (const auto& seg : segments) {
    TimeMs from = *ParseTimestamp(seg["from"].as<std::string>());
    TimeMs to = *ParseTimestamp(seg["to"].as<std::string>());
    int n = seg["n"].as<int>();
    std::vector<Combo> combos = Combos(seg);
    double fail = seg["fail"] ? seg["fail"].as<double>() : 0;
    for (int i = 0; i < n; ++i) {
      nlohmann::json e;
      e["ts"] = FormatTimestamp(from + (to - from) * i / n);
      e["id"] = "req-" + std::to_string(++id);
      for (const auto& [d, v] : combos[i % combos.size()]) e[d] = v;
      double a = seg["a"].as<double>() * noise(rng), b = seg["b"].as<double>() * noise(rng);
      e["a"] = a;
      e["b"] = b;
      e["e2e"] = a + b;
      bool fails = uniform(rng) < fail;
      e["outcome"] = fails ? "error" : "ok";
      if (fails && seg["message"]) {
        std::string m = seg["message"].as<std::string>();
        for (size_t p; (p = m.find("{n}")) != std::string::npos;)
          m.replace(p, 3, std::to_string(number(rng)));
        e["error_message"] = m;
        e["error_code"] = seg["code"].as<std::string>();
      }
      out += e.dump() + "\n";
    }
  }
  return out;
}

Slice SliceOf(const YAML::Node& node) {
  Slice s;
  if (node) {
    for (auto it = node.begin(); it != node.end(); ++it)
      s.emplace_back(it->first.as<std::string>(), it->second.as<std::string>());
  }
  std::sort(s.begin(), s.end());
  return s;
}

Slice Sorted(const std::vector<std::pair<std::string, std::string>>& s) {
  Slice out(s.begin(), s.end());
  std::sort(out.begin(), out.end());
  return out;
}

class GoldenExplainTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenExplainTest, SaysWhatTheCaseExpects) {
  YAML::Node c = YAML::LoadFile(GetParam());
  SCOPED_TRACE(c["description"].as<std::string>());
  auto config = std::make_shared<const Config>(*Config::Parse(kConfig));
  auto path = std::filesystem::temp_directory_path() /
              ("vigil_golden_" + std::filesystem::path(GetParam()).stem().string() + ".jsonl");
  std::ofstream(path) << Events(c["segments"]);
  Cube cube(config);
  auto ingested = IngestFiles({path.string()}, &cube);
  ASSERT_TRUE(ingested.ok()) << ingested.status().message();

  const YAML::Node& an = c["anomaly"];
  Anomaly a;
  a.metric = an["metric"].as<std::string>();
  for (const auto& kv : SliceOf(an["slice"])) a.slice.push_back(kv);
  a.start = a.detected = *ParseTimestamp(an["start"].as<std::string>());
  a.end = *ParseTimestamp(an["end"].as<std::string>());
  int m = config->FindMetric(a.metric);
  auto before = cube.Total(a.slice, a.start - kDayMs, a.end - kDayMs);
  auto during = cube.Total(a.slice, a.start, a.end);
  ASSERT_TRUE(before.ok() && during.ok());
  a.baseline = cube.MetricValue(m, *before);
  a.observed = cube.MetricValue(m, *during);
  a.relative_change = a.observed / a.baseline - 1;
  a.direction = a.observed >= a.baseline ? Direction::kUp : Direction::kDown;
  a.confidence = 0.9999;
  std::vector<Incident> incidents = GroupIncidents({a});
  ASSERT_TRUE(ExplainIncidents(cube, {path.string()}, &incidents).ok());
  std::filesystem::remove(path);
  const Incident& inc = incidents[0];
  const Evidence& e = inc.evidence;
  const YAML::Node& x = c["expect"];

  for (size_t i = 0; i < e.root_causes.size(); ++i) {
    EXPECT_GE(e.root_causes[i].explained_fraction, 0);
    EXPECT_LE(e.root_causes[i].explained_fraction, 1);
    if (i > 0) {
      EXPECT_LE(e.root_causes[i].explained_fraction,
                e.root_causes[i - 1].explained_fraction + 1e-9);
    }
  }
  if (x["root_cause"]) {
    ASSERT_FALSE(e.root_causes.empty());
    EXPECT_EQ(Sorted(e.root_causes[0].slice), SliceOf(x["root_cause"]));
  }
  if (x["root_causes_include"]) {
    for (const auto& want : x["root_causes_include"]) {
      bool found = false;
      for (const RootCause& rc : e.root_causes) found = found || Sorted(rc.slice) == SliceOf(want);
      EXPECT_TRUE(found) << "a root cause " << FormatSlice(SliceOf(want));
    }
  }
  if (x["stage"]) {
    ASSERT_FALSE(e.stages.empty());
    EXPECT_EQ(e.stages[0].stage, x["stage"].as<std::string>());
  }
  if (x["mix_shift"]) {
    EXPECT_EQ(e.mix_shift, x["mix_shift"].as<bool>());
  }
  if (x["mix_dimension"]) {
    EXPECT_EQ(e.mix_dimension, x["mix_dimension"].as<std::string>());
  }
  if (x["paging"]) {
    EXPECT_EQ(inc.paging, x["paging"].as<bool>());
  }
  if (x["changed"]) {
    bool found = false;
    for (const ChangedValue& cv : e.what_changed) {
      if (cv.dimension != x["changed"]["dimension"].as<std::string>() ||
          cv.value != x["changed"]["value"].as<std::string>())
        continue;
      found = true;
      if (x["changed"]["first_seen"]) {
        EXPECT_EQ(FormatTimestamp(cv.first_seen),
                  FormatTimestamp(*ParseTimestamp(x["changed"]["first_seen"].as<std::string>())));
      }
    }
    EXPECT_TRUE(found) << "what_changed names " << x["changed"]["value"].as<std::string>();
  }
  if (x["template"]) {
    ASSERT_FALSE(e.error_templates.empty());
    EXPECT_EQ(e.error_templates[0].text, x["template"].as<std::string>());
    EXPECT_GT(e.error_templates[0].count, e.error_templates[0].baseline_count);
  }
  EXPECT_FALSE(e.examples.empty());
  EXPECT_LE(e.examples.size(), 5u);
}

std::vector<std::string> Cases() {
  std::vector<std::string> out;
  for (const auto& f : std::filesystem::directory_iterator(std::string(VIGIL_SOURCE_DIR) +
                                                           "/tests/golden/explain")) {
    if (f.path().extension() == ".yaml") out.push_back(f.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenExplainTest, ::testing::ValuesIn(Cases()),
                         [](const auto& test_info) {
                           return std::filesystem::path(test_info.param).stem().string();
                         });

}  // namespace
}  // namespace vigil
