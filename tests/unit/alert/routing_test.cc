#include <gtest/gtest.h>

#include "support/test_data.h"
#include "vigil/alert.h"

namespace vigil {
namespace {

std::shared_ptr<const Config> RoutedConfig() {
  return testing::SmallConfig(R"(
alert:
  sinks:
    - {name: asr-hook, type: webhook, url: "http://127.0.0.1:1/hook"}
    - {name: pager, type: alertmanager, url: "http://127.0.0.1:1"}
    - {name: log, type: jsonl, path: alerts.jsonl}
  route:
    owner: sre
    sinks: [log]
    routes:
      - match: {stage: asr_final}
        owner: asr
        sinks: [asr-hook]
        continue: true
      - match_re: {severity: "major|critical"}
        sinks: [pager]
        routes:
          - match: {a: a1}
            owner: team-a1
)");
}

TEST(RoutingTest, FirstMatchingChildTakesTheIncidentAndContinueLetsSiblingsToo) {
  auto config = RoutedConfig();
  Labels asr_major = {{"stage", "asr_final"}, {"severity", "major"}, {"a", "a2"}};
  auto routes = RouteIncident(config->alert.route, asr_major);
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].owner, "asr");
  EXPECT_EQ(routes[0].sinks, std::vector<std::string>{"asr-hook"});
  EXPECT_EQ(routes[1].owner, "sre");  // inherited from the root
  EXPECT_EQ(routes[1].sinks, std::vector<std::string>{"pager"});
}

TEST(RoutingTest, NestedChildOverridesOwnerAndInheritsSinks) {
  auto config = RoutedConfig();
  auto routes = RouteIncident(config->alert.route, {{"severity", "critical"}, {"a", "a1"}});
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0].owner, "team-a1");
  EXPECT_EQ(routes[0].sinks, std::vector<std::string>{"pager"});
}

TEST(RoutingTest, NothingMatchingStaysAtTheRoot) {
  auto config = RoutedConfig();
  auto routes = RouteIncident(config->alert.route, {{"severity", "minor"}, {"stage", "nlu"}});
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0].owner, "sre");
  EXPECT_EQ(routes[0].sinks, std::vector<std::string>{"log"});
}

TEST(RoutingTest, RegexMustMatchTheWholeLabel) {
  auto config = RoutedConfig();
  auto routes = RouteIncident(config->alert.route, {{"severity", "majorly"}});
  EXPECT_EQ(routes[0].sinks, std::vector<std::string>{"log"});
}

TEST(RoutingTest, DefaultRouteIsUnownedOnStdout) {
  auto config = testing::SmallConfig();
  auto routes = RouteIncident(config->alert.route, {{"metric", "volume"}});
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0].owner, "unowned");
  EXPECT_EQ(routes[0].sinks, std::vector<std::string>{"stdout"});
}

TEST(RoutingTest, ConfigErrorsNameTheKeyAndLine) {
  auto unknown_sink = Config::Parse(testing::SmallConfigYaml(R"(
alert:
  route:
    routes:
      - match: {a: a1}
        sinks: [pagr]
)"),
                                    "v.yaml");
  ASSERT_FALSE(unknown_sink.ok());
  EXPECT_NE(unknown_sink.status().message().find("unknown sink 'pagr'"), std::string::npos)
      << unknown_sink.status().message();
  EXPECT_NE(unknown_sink.status().message().find("v.yaml:"), std::string::npos);

  auto bad_regex = Config::Parse(testing::SmallConfigYaml(R"(
alert:
  route:
    routes:
      - match_re: {metric: "e2e_(p95"}
)"),
                                 "v.yaml");
  ASSERT_FALSE(bad_regex.ok());
  EXPECT_NE(bad_regex.status().message().find("match_re.metric"), std::string::npos)
      << bad_regex.status().message();

  auto bad_key = Config::Parse(testing::SmallConfigYaml(R"(
alert:
  route:
    routes:
      - match: {a: a1}
        routes:
          - ownr: x
)"),
                               "v.yaml");
  ASSERT_FALSE(bad_key.ok());
  EXPECT_NE(bad_key.status().message().find("did you mean 'owner'"), std::string::npos)
      << bad_key.status().message();

  auto no_url = Config::Parse(testing::SmallConfigYaml(R"(
alert:
  sinks:
    - {name: hook, type: webhook}
)"),
                              "v.yaml");
  ASSERT_FALSE(no_url.ok());
  EXPECT_NE(no_url.status().message().find("alert.sinks[].url"), std::string::npos);
}

TEST(SilenceTest, MatchesEveryMatcherWithinItsTimeRange) {
  SilenceRecord s;
  s.matchers = {{"metric", "e2e_p95"}, {"platform", "~watch.*"}};
  s.starts = 1000;
  s.ends = 2000;
  Labels labels = {{"metric", "e2e_p95"}, {"platform", "watchOS"}};
  EXPECT_TRUE(SilenceMatches(s, labels, 1500));
  EXPECT_FALSE(SilenceMatches(s, labels, 999));
  EXPECT_FALSE(SilenceMatches(s, labels, 2000));
  labels["platform"] = "iOS";
  EXPECT_FALSE(SilenceMatches(s, labels, 1500));
  labels.erase("platform");
  EXPECT_FALSE(SilenceMatches(s, labels, 1500));
}

TEST(LabelsTest, IncidentDocumentGivesMetricSeverityStageAndSlice) {
  Incident incident;
  incident.id = "inc-1";
  incident.primary.metric = "e2e_p95";
  incident.severity = Severity::kMajor;
  incident.status = IncidentStatus::kOpen;
  incident.paging = false;
  incident.primary.slice = {{"platform", "watchOS"}};
  incident.evidence.stages = {{"asr_final", 0.9}};
  Labels labels = IncidentLabels(incident);
  EXPECT_EQ(labels["metric"], "e2e_p95");
  EXPECT_EQ(labels["severity"], "major");
  EXPECT_EQ(labels["stage"], "asr_final");
  EXPECT_EQ(labels["platform"], "watchOS");
  EXPECT_EQ(labels["paging"], "false");
  EXPECT_EQ(labels["owner"], "");
}

}  // namespace
}  // namespace vigil
