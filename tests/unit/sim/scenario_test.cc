// Scenarios and ground truth: truth.json has the DESIGN §5.2 structure with §5.1 metric names,
// the example scenario file is the built-in demo, and bad files name their file, line and key.
#include "sim/scenario.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "sim/fleet.h"
#include "sim/truth.h"
#include "vigil/sim.h"

namespace vigil::sim {
namespace {

const std::set<std::string> kMetricNames = {"volume",
                                            "failure_rate",
                                            "timeout_rate",
                                            "rephrase_rate",
                                            "false_barge_in_rate",
                                            "e2e_p50",
                                            "e2e_p95",
                                            "e2e_p99",
                                            "endpoint_p95",
                                            "asr_final_p95",
                                            "nlu_p95",
                                            "dialog_p95",
                                            "tts_first_audio_p95",
                                            "good_turn_rate",
                                            "affected_devices"};

std::set<std::string> Keys(const nlohmann::json& j) {
  std::set<std::string> k;
  for (const auto& [key, v] : j.items()) k.insert(key);
  return k;
}

TimeMs Time(const nlohmann::json& j) {
  std::string s = j.get<std::string>();
  EXPECT_EQ(s.back(), 'Z') << s;
  auto t = ParseTimestamp(s);
  EXPECT_TRUE(t.ok()) << s;
  return t.ok() ? *t : 0;
}

TEST(TruthTest, DemoTruthHasTheDesignStructure) {
  SimulationOptions o;
  o.scenario = "demo";
  o.events_per_day = 100;  // only the detectability figures depend on the volume
  std::string text;
  auto r = SimulateToSink(
      o, [](std::string_view) { return Status::Ok(); }, &text);
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto truth = nlohmann::json::parse(text);
  EXPECT_EQ(Keys(truth), (std::set<std::string>{"start", "end", "incidents", "decoys"}));
  TimeMs start = Time(truth["start"]), end = Time(truth["end"]);
  EXPECT_EQ(end - start, 14 * kDayMs);
  ASSERT_GE(truth["incidents"].size(), 6u);
  ASSERT_LE(truth["incidents"].size(), 8u);
  EXPECT_EQ(r->incidents, static_cast<int>(truth["incidents"].size()));
  std::set<std::string> kinds, ids;
  for (const auto& inc : truth["incidents"]) {
    EXPECT_EQ(Keys(inc), (std::set<std::string>{"id", "kind", "metrics", "slice", "stage", "start",
                                                "end", "detectability"}));
    EXPECT_GE(inc["detectability"].get<double>(), 0);
    EXPECT_TRUE(ids.insert(inc["id"].get<std::string>()).second);
    kinds.insert(inc["kind"].get<std::string>());
    ASSERT_TRUE(inc["metrics"].is_array());
    EXPECT_FALSE(inc["metrics"].empty());
    for (const auto& m : inc["metrics"]) EXPECT_TRUE(kMetricNames.count(m.get<std::string>())) << m;
    ASSERT_TRUE(inc["slice"].is_object());
    EXPECT_FALSE(inc["slice"].empty());
    for (const auto& [dim, value] : inc["slice"].items()) {
      EXPECT_TRUE(DimFromName(dim).has_value()) << dim;
      EXPECT_TRUE(value.is_string());
    }
    if (!inc["stage"].is_null()) {
      EXPECT_TRUE(StageFromName(inc["stage"].get<std::string>()).has_value());
      std::string kind = inc["kind"];
      if (kind.find("latency") != std::string::npos || kind == "rollout_regression") {
        // The stage's own p95 is among the metrics.
        auto ms = inc["metrics"].get<std::vector<std::string>>();
        EXPECT_NE(std::find(ms.begin(), ms.end(), inc["stage"].get<std::string>() + "_p95"),
                  ms.end());
      }
    }
    TimeMs a = Time(inc["start"]), b = Time(inc["end"]);
    EXPECT_LT(a, b);
    EXPECT_GE(a, start);
    EXPECT_LE(b, end);
  }
  EXPECT_GE(kinds.size(), 6u);
  std::set<std::string> decoy_kinds;
  for (const auto& d : truth["decoys"]) {
    EXPECT_TRUE(d.contains("kind") && d.contains("start") && d.contains("end"));
    EXPECT_LT(Time(d["start"]), Time(d["end"]));
    decoy_kinds.insert(d["kind"].get<std::string>());
  }
  EXPECT_EQ(decoy_kinds,
            (std::set<std::string>{"holiday", "mix_shift", "build_ramp", "dst_change"}));
}

TEST(TruthTest, IncidentsOutsideTheRunAreLeftOutAndClipped) {
  SimulationOptions o;
  o.scenario = "demo";
  o.days = 4;  // t1 (day 2) lies inside; t2 (day 3, two days long) is clipped; the rest are out
  o.events_per_day = 100;
  std::string text;
  ASSERT_TRUE(SimulateToSink(
                  o, [](std::string_view) { return Status::Ok(); }, &text)
                  .ok());
  auto truth = nlohmann::json::parse(text);
  ASSERT_EQ(truth["incidents"].size(), 2u);
  EXPECT_EQ(truth["incidents"][1]["end"], truth["end"]);
}

TEST(ScenarioTest, ExampleFileIsTheBuiltInDemo) {
  std::string path = std::string(VIGIL_SOURCE_DIR) + "/examples/speech/scenarios/demo.yaml";
  for (const char* format : {"jsonl", "truth"}) {
    SCOPED_TRACE(format);
    std::string bytes[2], truth[2];
    const std::string names[2] = {"demo", path};
    for (int i = 0; i < 2; ++i) {
      SimulationOptions o;
      o.scenario = names[i];
      o.events_per_day = 3000;
      auto r = SimulateToSink(
          o,
          [&](std::string_view c) {
            bytes[i].append(c);
            return Status::Ok();
          },
          &truth[i]);
      ASSERT_TRUE(r.ok()) << r.status().message();
    }
    EXPECT_EQ(bytes[0], bytes[1]);
    EXPECT_EQ(truth[0], truth[1]);
  }
}

TEST(ScenarioTest, ErrorsNameTheFileLineAndKey) {
  auto r = ParseScenario(
      "name: x\nincidents:\n  - {id: a, kind: latency_step, slice: {platform: iOS},\n"
      "     stage: asr_final, size: lots, onset: 1d}\n",
      "my.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kConfig);
  EXPECT_NE(r.status().message().find("my.yaml:4"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("incidents[0].size"), std::string::npos)
      << r.status().message();

  r = ParseScenario(
      "name: x\nlocales:\n  - {name: en-US, shar: 1, utc_offset: \"-05:00\", regions: {us-east: "
      "1}}\n",
      "f.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("f.yaml:3"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("locales[0].shar"), std::string::npos)
      << r.status().message();

  r = ParseScenario(
      "incidents:\n  - {id: a, kind: volume_drop, slice: {platform: Android}, size: 0.5, onset: "
      "1d}\n",
      "g.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("Android"), std::string::npos) << r.status().message();

  r = ParseScenario(
      "incidents:\n  - {id: a, kind: latency_step, slice: {platform: iOS}, size: 0.5, onset: 1d}\n",
      "h.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("needs a 'stage'"), std::string::npos)
      << r.status().message();

  r = ParseScenario("days: [1\n", "i.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kConfig);
  EXPECT_NE(r.status().message().find("i.yaml:"), std::string::npos);

  r = ParseScenario("bogus: 1\n", "j.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("j.yaml:1: key 'bogus'"), std::string::npos)
      << r.status().message();
}

TEST(ScenarioTest, SmokeIsSmall) {
  auto s = LoadScenario("smoke");
  ASSERT_TRUE(s.ok());
  EXPECT_LE(s->days, 2);
  int incidents = 0, decoys = 0;
  for (const auto& in : s->injections) (in.decoy ? decoys : incidents)++;
  EXPECT_GE(incidents, 2);
  EXPECT_LE(incidents, 3);
  EXPECT_EQ(decoys, 1);
}

}  // namespace
}  // namespace vigil::sim
