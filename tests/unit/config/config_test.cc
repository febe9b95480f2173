#include "vigil/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string_view>

#include "support/test_data.h"

namespace vigil {
namespace {

std::string ErrorOf(const std::string& yaml) {
  auto c = Config::Parse(yaml, "test.yaml");
  EXPECT_FALSE(c.ok()) << yaml;
  if (!c.ok()) {
    EXPECT_EQ(c.status().code(), StatusCode::kConfig);
  }
  return c.ok() ? "" : c.status().message();
}

TEST(ConfigTest, TheSpeechExampleDeclaresTheCanonicalMetrics) {
  auto c = Config::Load(std::string(VIGIL_SOURCE_DIR) + "/examples/speech/vigil.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  for (const char* name :
       {"volume", "failure_rate", "timeout_rate", "rephrase_rate", "false_barge_in_rate", "e2e_p50",
        "e2e_p95", "e2e_p99", "endpoint_p95", "asr_final_p95", "nlu_p95", "dialog_p95",
        "tts_first_audio_p95", "good_turn_rate", "affected_devices"}) {
    EXPECT_GE(c->FindMetric(name), 0) << name;
  }
  EXPECT_EQ(c->input.dimensions.size(), 11u);
  EXPECT_EQ(c->granularity_ms, 5 * kMinuteMs);
  EXPECT_FALSE(c->monitors.empty());
  // Relative store paths are relative to the config file's folder.
  EXPECT_EQ(c->StorePath(), std::string(VIGIL_SOURCE_DIR) + "/examples/speech/vigil.db");
}

TEST(ConfigTest, UnknownKeysNameTheLineAndSuggestTheNearestKey) {
  std::string m = ErrorOf(testing::SmallConfigYaml() + "store:\n  pth: x.db\n");
  EXPECT_NE(m.find("test.yaml:"), std::string::npos) << m;
  EXPECT_NE(m.find("'store.pth'"), std::string::npos) << m;
  EXPECT_NE(m.find("did you mean 'path'"), std::string::npos) << m;

  m = ErrorOf("input:\n  dimensions: [a]\ncube:\n  granularty: 5m\n");
  EXPECT_NE(m.find("test.yaml:4:"), std::string::npos) << m;
  EXPECT_NE(m.find("did you mean 'granularity'"), std::string::npos) << m;

  m = ErrorOf("input: {dimensions: [a]}\nmetrix: {}\n");
  EXPECT_NE(m.find("did you mean 'metrics'"), std::string::npos) << m;
}

TEST(ConfigTest, RetentionTiersAreCoarserAndLongerEach) {
  const std::string base = "input: {dimensions: [a]}\n";
  auto c = Config::Parse(base +
                             "cube:\n  granularity: 5m\n  retention: 3d\n  tiers:\n"
                             "    - {granularity: 1h, retention: 35d}\n"
                             "    - {granularity: 1d, retention: 400d}\n",
                         "test.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->tiers.size(), 2u);
  EXPECT_EQ(c->tiers[0].granularity_ms, kHourMs);
  EXPECT_EQ(c->tiers[1].retention_ms, 400 * kDayMs);
  EXPECT_NE(ErrorOf(base + "cube: {tiers: [{granularity: 1h, retention: 35d}]}\n")
                .find("needs cube.retention"),
            std::string::npos);
  EXPECT_NE(ErrorOf(base + "cube: {retention: 3d, tiers: [{granularity: 7m, retention: 35d}]}\n")
                .find("must be a multiple of the finer tier's granularity (5m)"),
            std::string::npos);
  EXPECT_NE(ErrorOf(base + "cube: {retention: 3d, tiers: [{granularity: 1h, retention: 2d}]}\n")
                .find("must be longer than the finer tier's retention (3d)"),
            std::string::npos);
  EXPECT_NE(ErrorOf(base + "cube: {retention: 3d, tiers: {granularity: 1h}}\n")
                .find("'cube.tiers' is not a map"),
            std::string::npos);
  EXPECT_NE(ErrorOf(base + "cube: {retention: 3d, tiers: [{granularity: 1h, keep: 35d}]}\n")
                .find("cube.tiers[].keep"),
            std::string::npos);
}

TEST(ConfigTest, MetricDefinitionsAreValidated) {
  const std::string base = "input: {dimensions: [a], measures: {lat: lat}, attributes: {o: o}}\n";
  EXPECT_NE(ErrorOf(base + "metrics: {x: {type: quantil, measure: lat, q: 0.5}}\n")
                .find("did you mean 'quantile'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(base + "metrics: {x: {type: quantile, measure: lt, q: 0.5}}\n")
                .find("did you mean 'lat'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(base + "metrics: {x: {type: quantile, measure: lat, q: 1.5}}\n")
                .find("must be in [0, 1]"),
            std::string::npos);
  EXPECT_NE(ErrorOf(base + "metrics: {x: {type: rate, where: \"oo == 'a'\"}}\n")
                .find("unknown field 'oo'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(base + "metrics: {x: {type: rate}}\n").find("'metrics.x.where': missing"),
            std::string::npos);
  EXPECT_NE(ErrorOf(base + "metrics: {x: {type: count, q: 0.5}}\n").find("does not apply"),
            std::string::npos);
  EXPECT_NE(ErrorOf(base + "metrics: {x: {type: expression, expr: \"y + 1\"}, y: {type: "
                           "expression, expr: \"x * 2\"}}\n")
                .find("cycle"),
            std::string::npos);
  EXPECT_NE(ErrorOf(base + "metrics: {x: {type: expression, expr: \"volum + 1\"}, volume: {type: "
                           "count}}\n")
                .find("did you mean 'volume'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(base + "metrics: {x: {type: count}}\nmonitors: [{metric: y}]\n")
                .find("unknown metric 'y'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(base + "metrics: {x: {type: count}}\nmonitors: [{metric: x, slices: [b]}]\n")
                .find("unknown dimension 'b'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(base + "cube: {granularity: 5x}\n").find("unit must be"), std::string::npos);
  EXPECT_NE(ErrorOf(base + "cube: {granularity: [1]}\n").find("expected a single value"),
            std::string::npos);
  EXPECT_NE(ErrorOf("input: {dimensions: [a]\n").find("invalid YAML"), std::string::npos);
  EXPECT_NE(ErrorOf("metrics: {}\n").find("'input'"), std::string::npos);
}

TEST(ConfigTest, MonitorsReadEverySliceForm) {
  auto c = Config::Parse(testing::SmallConfigYaml(
      "monitors:\n"
      "  - metric: lat_p95\n"
      "    slices: [all, a, [a, b], {a: a1, c: c0}]\n"
      "    granularity: 5m\n    direction: both\n    min_relative_effect: 0.1\n"
      "    min_absolute_effect: 20\n    min_duration: 15m\n    min_volume: 50\n"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  const MonitorSpec& m = c->monitors.at(0);
  ASSERT_EQ(m.slices.size(), 4u);
  EXPECT_EQ(m.slices[0].kind, SliceSelector::Kind::kAll);
  EXPECT_EQ(m.slices[1].kind, SliceSelector::Kind::kEachValue);
  EXPECT_EQ(m.slices[2].kind, SliceSelector::Kind::kEachPair);
  EXPECT_EQ(m.slices[3].kind, SliceSelector::Kind::kExplicit);
  EXPECT_EQ(m.slices[3].slice.size(), 2u);
  EXPECT_EQ(m.granularity_ms, 5 * kMinuteMs);
  EXPECT_EQ(m.direction, Direction::kBoth);
  EXPECT_EQ(m.min_duration_ms, 15 * kMinuteMs);
  EXPECT_EQ(m.min_volume, 50);
  // A monitor granularity must be a multiple of the cube's.
  EXPECT_FALSE(
      Config::Parse(testing::SmallConfigYaml("monitors: [{metric: volume, granularity: 90s}]\n"))
          .ok());
}

Event SpeechEvent(std::string outcome, double e2e, FlagValue rephrased) {
  Event e;
  e.dimensions = {"watchOS", "full_duplex"};
  e.measures = {e2e};
  e.flags = {rephrased};
  e.attributes = {outcome};
  return e;
}

TEST(PredicateTest, EvaluatesComparisonsLogicAndMissingValues) {
  InputMapping m;
  m.dimensions = {{"platform", "platform"}, {"mode", "conversation_mode"}};
  m.measures = {{"e2e", "latency_ms.e2e"}};
  m.flags = {{"rephrased", "rephrased"}};
  m.attributes = {{"outcome", "outcome"}};
  auto good = Predicate::Compile("outcome == 'ok' and e2e < 1500 and not rephrased", m);
  ASSERT_TRUE(good.ok()) << good.status().message();
  EXPECT_TRUE(good->Matches(SpeechEvent("ok", 900, FlagValue::kFalse)));
  EXPECT_FALSE(good->Matches(SpeechEvent("ok", 1600, FlagValue::kFalse)));
  EXPECT_FALSE(good->Matches(SpeechEvent("error", 900, FlagValue::kFalse)));
  EXPECT_FALSE(good->Matches(SpeechEvent("ok", 900, FlagValue::kTrue)));
  EXPECT_FALSE(good->Matches(SpeechEvent("ok", std::nan(""), FlagValue::kFalse)));  // missing e2e
  EXPECT_TRUE(good->Matches(SpeechEvent("ok", 900, FlagValue::kMissing)));

  auto in = Predicate::Compile("outcome in ['error', 'timeout'] || platform == iOS", m);
  ASSERT_TRUE(in.ok()) << in.status().message();
  EXPECT_TRUE(in->Matches(SpeechEvent("timeout", 1, FlagValue::kFalse)));
  EXPECT_FALSE(in->Matches(SpeechEvent("ok", 1, FlagValue::kFalse)));
  EXPECT_FALSE(in->Matches(SpeechEvent("", 1, FlagValue::kFalse)));  // missing outcome

  auto flag = Predicate::Compile("rephrased == false and (e2e >= 100)", m);
  ASSERT_TRUE(flag.ok());
  EXPECT_TRUE(flag->Matches(SpeechEvent("ok", 100, FlagValue::kFalse)));
  EXPECT_FALSE(flag->Matches(SpeechEvent("ok", 100, FlagValue::kMissing)));

  for (const char* bad : {"", "outcome ==", "e2e < 'slow'", "platform < 3", "(outcome == 'ok'",
                          "nothing == 1", "outcome == 'ok' extra", "rephrased == 3"}) {
    auto p = Predicate::Compile(bad, m);
    EXPECT_FALSE(p.ok()) << bad;
  }
  auto col = Predicate::Compile("outcome == 'ok' and bogus", m);
  EXPECT_NE(col.status().message().find("column 21"), std::string::npos) << col.status().message();
}

// Found by fuzz/expression_fuzz: a comparison with nothing after it read past the tokens to
// name the column.
TEST(PredicateTest, AMissingValueNamesTheEndOfTheText) {
  InputMapping m;
  m.dimensions = {{"mode", "conversation_mode"}};
  m.attributes = {{"outcome", "outcome"}};
  for (auto [text, column] :
       {std::pair{"outcome ==", 11}, {"(mode=", 7}, {" (mode ==", 9}, {"mode != <", 9}}) {
    auto p = Predicate::Compile(text, m);
    ASSERT_FALSE(p.ok()) << text;
    EXPECT_EQ(p.status().message(), "expected a value at column " + std::to_string(column)) << text;
  }
}

TEST(MetricExpressionTest, ArithmeticOverMetrics) {
  auto e = MetricExpression::Parse("1 - (fail_rate + timeout_rate) * 2 / -x");
  ASSERT_TRUE(e.ok()) << e.status().message();
  ASSERT_EQ(e->inputs().size(), 3u);
  EXPECT_EQ(e->inputs()[0], "fail_rate");
  EXPECT_DOUBLE_EQ(e->Evaluate({0.1, 0.2, -3}), 1 - 0.3 * 2 / 3);
  EXPECT_TRUE(std::isnan(e->Evaluate({0.1, 0.2, 0})));  // division by zero
  EXPECT_FALSE(MetricExpression::Parse("1 +").ok());
  EXPECT_FALSE(MetricExpression::Parse("a b").ok());
}

TEST(ConfigTest, HugeDurationsAreRefusedNotWrapped) {
  std::string m = ErrorOf("input: {dimensions: [a]}\ncube:\n  granularity: 18014398509481984w\n");
  EXPECT_NE(m.find("test.yaml:3:"), std::string::npos) << m;
  EXPECT_NE(m.find("cube.granularity"), std::string::npos) << m;
  EXPECT_NE(m.find("longer than"), std::string::npos) << m;
}

TEST(ConfigTest, DeepOrLongExpressionsAreRefusedWithAMessage) {
  InputMapping mapping;
  mapping.attributes = {{"outcome", "outcome"}};
  // 100,000 levels once overflowed the stack.
  std::string deep = std::string(1000, '(') + "outcome == 'ok'" + std::string(1000, ')');
  auto p = Predicate::Compile(deep, mapping);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("nested more than 64 levels"), std::string::npos);
  std::string nots;
  for (int i = 0; i < 100000; ++i) nots += "not ";
  EXPECT_FALSE(Predicate::Compile(nots + "outcome == 'ok'", mapping).ok());
  std::string chain = "outcome == 'ok'";
  for (int i = 0; i < 100000; ++i) chain += " and outcome == 'ok'";
  auto long_chain = Predicate::Compile(chain, mapping);
  ASSERT_FALSE(long_chain.ok());
  EXPECT_NE(long_chain.status().message().find("tokens"), std::string::npos);

  EXPECT_FALSE(MetricExpression::Parse(std::string(100000, '-') + "x").ok());
  EXPECT_FALSE(
      MetricExpression::Parse(std::string(100000, '(') + "x" + std::string(100000, ')')).ok());
  // What real configs write still parses: 60 levels, a long `in` list.
  EXPECT_TRUE(MetricExpression::Parse(std::string(60, '(') + "x" + std::string(60, ')')).ok());
  std::string list = "outcome in [";
  for (int i = 0; i < 2000; ++i) list += "'e" + std::to_string(i) + "', ";
  EXPECT_TRUE(Predicate::Compile(list + "'z']", mapping).ok());
}

TEST(ConfigTest, AliasBombsAndDeepNestingAreRefusedQuickly) {
  // Ten levels of ten aliases each stand for 10^10 nodes in about 1 KB of text.
  std::string yaml = testing::SmallConfigYaml() + "x0: &a0 [r, r, r, r, r, r, r, r, r, r]\n";
  for (int i = 1; i <= 10; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    yaml += "x" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) yaml += prev + (k < 9 ? ", " : "");
    yaml += "]\n";
  }
  std::string m = ErrorOf(yaml);
  EXPECT_NE(m.find("nodes once its aliases are expanded"), std::string::npos) << m;

  std::string deep = testing::SmallConfigYaml() + "alert: " + std::string(5000, '[') +
                     std::string(5000, ']') + "\n";
  m = ErrorOf(deep);
  EXPECT_NE(m.find("nested more than"), std::string::npos) << m;
}

TEST(ConfigTest, UnknownTimeZonesFailTheCheck) {
  std::string m = ErrorOf(testing::SmallConfigYaml() + "detect:\n  timezone: Europe/Berlinn\n");
  EXPECT_NE(m.find("detect.timezone"), std::string::npos) << m;
  EXPECT_NE(m.find("Europe/Berlinn"), std::string::npos) << m;
  m = ErrorOf(testing::SmallConfigYaml() + "detect:\n  timezones: {a1: Nowhere/City}\n");
  EXPECT_NE(m.find("detect.timezones.a1"), std::string::npos) << m;
  EXPECT_TRUE(
      Config::Parse(testing::SmallConfigYaml() + "detect:\n  timezone: Europe/Berlin\n", "t").ok());
}

TEST(ConfigTest, UnknownDetectorsAreAnErrorWithTheNearestName) {
  std::string m = ErrorOf(testing::SmallConfigYaml() + "detect:\n  detectors: [seasonal, cusm]\n");
  EXPECT_NE(m.find("detect.detectors"), std::string::npos) << m;
  EXPECT_NE(m.find("unknown detector 'cusm'; did you mean 'cusum'?"), std::string::npos) << m;
  m = ErrorOf(testing::SmallConfigYaml() + "detect:\n  detectors: [isolation_forest]\n");
  EXPECT_NE(m.find("unknown detector 'isolation_forest'"), std::string::npos) << m;
  EXPECT_NE(m.find("known: seasonal, cusum, nab"), std::string::npos) << m;
  m = ErrorOf(testing::SmallConfigYaml() + "detect:\n  detectors: [nab, nab]\n");
  EXPECT_NE(m.find("listed twice"), std::string::npos) << m;
  auto c = Config::Parse(testing::SmallConfigYaml() + "detect:\n  detectors: [nab]\n", "t");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->detect.detectors, std::vector<std::string>{"nab"});
}

TEST(ConfigTest, ConfigFilesAreReadBounded) {
  auto c = Config::Load("/dev/zero");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kConfig);
  EXPECT_NE(c.status().message().find("/dev/zero"), std::string::npos);
  EXPECT_EQ(Config::Load("/nonexistent/vigil.yaml").status().code(), StatusCode::kNotFound);
}

// docs/config.md is generated from the parameter table; it must not drift.
TEST(ConfigTest, ReferenceDocMatchesTheParameterTable) {
  std::ifstream in(std::string(VIGIL_SOURCE_DIR) + "/docs/config.md");
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), ConfigReferenceMarkdown())
      << "regenerate with: build/vigil config docs > docs/config.md";
}

// Every default is written once, as an initializer in vigil/config.h: a file that leaves a key
// out gets it, and the parameter table (hence docs/config.md) prints it.
TEST(ConfigTest, AbsentKeysTakeTheInitializersTheTablePrints) {
  auto c = Config::Parse(
      "input: {dimensions: [a]}\nmetrics: {v: {type: count}}\nmonitors: [{metric: v}]\n",
      "test.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const Config d;
  EXPECT_EQ(c->input.time_field, d.input.time_field);
  EXPECT_EQ(c->input.request_id_field, d.input.request_id_field);
  EXPECT_EQ(c->granularity_ms, d.granularity_ms);
  EXPECT_EQ(c->store_path, d.store_path);
  EXPECT_EQ(c->limits.max_cells, d.limits.max_cells);
  EXPECT_EQ(c->detect.fdr, d.detect.fdr);
  EXPECT_EQ(c->detect.detectors, d.detect.detectors);
  EXPECT_EQ(c->alert.resolve_after_ms, d.alert.resolve_after_ms);
  EXPECT_EQ(c->alert.route.owner, d.alert.route.owner);
  EXPECT_EQ(c->alert.route.sinks, d.alert.route.sinks);
  ASSERT_EQ(c->alert.sinks.size(), d.alert.sinks.size());
  EXPECT_EQ(c->alert.sinks[0].name, d.alert.sinks[0].name);
  EXPECT_EQ(c->server.request_timeout_ms, d.server.request_timeout_ms);
  const MonitorSpec dm;
  ASSERT_EQ(c->monitors.size(), 1u);
  ASSERT_EQ(c->monitors[0].slices.size(), dm.slices.size());
  EXPECT_EQ(c->monitors[0].slices[0].kind, SliceSelector::Kind::kAll);
  EXPECT_EQ(c->monitors[0].min_relative_effect, dm.min_relative_effect);
  EXPECT_EQ(c->monitors[0].min_volume, dm.min_volume);

  auto table_default = [](std::string_view path) {
    for (const ParameterSpec& p : ParameterTable()) {
      if (path == p.path) return p.default_value;
    }
    return std::string("?");
  };
  EXPECT_EQ(table_default("store.path"), "vigil.db");
  EXPECT_EQ(table_default("cube.granularity"), "5m");
  EXPECT_EQ(table_default("monitors[].slices"), "[all]");
  EXPECT_EQ(table_default("monitors[].min_relative_effect"), "0.05");
  EXPECT_EQ(table_default("alert.route"), "{owner: unowned, sinks: [stdout]}");
  EXPECT_EQ(table_default("alert.sinks"), "[{name: stdout, type: stdout}]");
  EXPECT_EQ(table_default("server.request_timeout"), "60s");
}

TEST(ConfigTest, EveryKeyOfTheTableIsDocumented) {
  for (const ParameterSpec& p : ParameterTable()) {
    EXPECT_GT(std::string(p.doc).size(), 5u) << p.path;
  }
}

}  // namespace
}  // namespace vigil
