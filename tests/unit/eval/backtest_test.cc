#include <gtest/gtest.h>

#include "vigil/eval.h"
#include "vigil/incident.h"

namespace vigil {
namespace {

Anomaly Make(std::string metric, Slice slice, const char* start) {
  Anomaly a;
  a.metric = std::move(metric);
  a.slice = std::move(slice);
  a.start = a.detected = *ParseTimestamp(start);
  a.end = a.start + kHourMs;
  return a;
}

const char* kTruth = R"({
  "start": "2026-03-02T00:00:00Z", "end": "2026-03-04T00:00:00Z",
  "incidents": [
    {"id": "t1", "kind": "latency_step", "metrics": ["e2e_p95", "asr_final_p95"],
     "slice": {"platform": "watchOS", "asr_model": "asr-42"}, "stage": "asr_final",
     "start": "2026-03-02T14:00:00Z", "end": "2026-03-02T20:00:00Z"},
    {"id": "t2", "kind": "volume_drop", "metrics": ["volume"], "slice": {"locale": "fr-FR"},
     "stage": null, "start": "2026-03-03T09:00:00Z", "end": "2026-03-03T12:00:00Z"}],
  "decoys": [{"kind": "mix_shift", "slice": {}, "start": "2026-03-03T14:00:00Z",
              "end": "2026-03-03T20:00:00Z"}]})";

TEST(BacktestTest, MatchesByMetricWindowAndRelatedSlice) {
  auto truth = Truth::Parse(kTruth, "truth.json");
  ASSERT_TRUE(truth.ok()) << truth.status().message();
  const TruthIncident& t1 = truth->incidents[0];
  EXPECT_TRUE(
      Matches(Make("e2e_p95", {{"platform", "watchOS"}}, "2026-03-02T14:10:00Z"), t1));  // ancestor
  EXPECT_TRUE(
      Matches(Make("e2e_p95", {{"platform", "watchOS"}, {"asr_model", "asr-42"}, {"locale", "x"}},
                   "2026-03-02T13:35:00Z"),
              t1));  // descendant, 25 minutes early (30 minutes of slack)
  EXPECT_FALSE(Matches(Make("e2e_p95", {{"platform", "watchOS"}}, "2026-03-02T13:20:00Z"), t1));
  EXPECT_FALSE(Matches(Make("e2e_p99", {{"platform", "watchOS"}}, "2026-03-02T14:10:00Z"), t1));
  EXPECT_FALSE(Matches(Make("e2e_p95", {{"platform", "iOS"}}, "2026-03-02T14:10:00Z"), t1));
  EXPECT_FALSE(Matches(Make("e2e_p95", {{"platform", "watchOS"}}, "2026-03-02T20:05:00Z"), t1));
}

TEST(BacktestTest, ReportsRecallPrecisionDelaysAndDecoys) {
  auto truth = Truth::Parse(kTruth, "truth.json");
  ASSERT_TRUE(truth.ok());
  std::vector<Anomaly> found = {
      Make("asr_final_p95", {{"platform", "watchOS"}, {"asr_model", "asr-42"}},
           "2026-03-02T14:10:00Z"),
      Make("good_turn_rate", {{"platform", "watchOS"}}, "2026-03-02T15:00:00Z"),  // collateral
      Make("e2e_p95", {}, "2026-03-03T15:00:00Z"),                                // decoy hit
      Make("failure_rate", {{"region", "x"}}, "2026-03-02T02:00:00Z")};           // false
  BacktestReport r = Backtest(found, *truth);
  ASSERT_EQ(r.matches.size(), 2u);
  EXPECT_TRUE(r.matches[0].found);
  EXPECT_TRUE(r.matches[0].exact_slice);
  EXPECT_EQ(r.matches[0].detection_delay_ms, 10 * kMinuteMs);
  EXPECT_FALSE(r.matches[1].found);
  EXPECT_DOUBLE_EQ(r.recall(), 0.5);
  EXPECT_EQ(r.true_anomalies, 1u);
  EXPECT_EQ(r.collateral_anomalies.size(), 1u);
  EXPECT_EQ(r.false_anomalies.size(), 2u);
  EXPECT_DOUBLE_EQ(r.precision(), 0.5);
  EXPECT_DOUBLE_EQ(r.false_per_day(), 1.0);
  ASSERT_EQ(r.decoy_hits.size(), 1u);
  EXPECT_EQ(r.decoy_hits[0].first.kind, "mix_shift");
}

TEST(BacktestTest, FiguresAndJsonComeFromTheReport) {
  auto truth = Truth::Parse(kTruth, "truth.json");
  ASSERT_TRUE(truth.ok());
  std::vector<Anomaly> found = {
      Make("asr_final_p95", {{"platform", "watchOS"}, {"asr_model", "asr-42"}},
           "2026-03-02T14:10:00Z"),
      Make("volume", {{"locale", "fr-FR"}}, "2026-03-03T09:30:00Z"),
      Make("e2e_p95", {}, "2026-03-03T15:00:00Z")};  // decoy hit
  BacktestReport r = Backtest(found, *truth);
  EXPECT_EQ(r.found(), 2u);
  EXPECT_EQ(r.median_delay_ms(), 30 * kMinuteMs);  // the upper middle of an even count
  EXPECT_EQ(r.worst_delay_ms(), 30 * kMinuteMs);
  auto by_kind = r.recall_by_kind();
  ASSERT_EQ(by_kind.size(), 2u);
  EXPECT_EQ(by_kind["latency_step"].found, 1u);
  EXPECT_EQ(by_kind["volume_drop"].total, 1u);

  BacktestReport none = Backtest({}, *truth);
  EXPECT_EQ(none.found(), 0u);
  EXPECT_EQ(none.median_delay_ms(), 0);
  EXPECT_EQ(none.recall_by_kind()["latency_step"].found, 0u);

  std::string json = BacktestReportToJson(r);
  EXPECT_NE(json.find("\"recall\": 1.0"), std::string::npos) << json;
  EXPECT_NE(json.find("\"median_delay_minutes\": 30.0"), std::string::npos) << json;
  EXPECT_NE(json.find("\"id\": \"t2\""), std::string::npos);
  EXPECT_NE(json.find("\"decoy_hits\""), std::string::npos);
  EXPECT_NE(json.back(), '\n');
}

TEST(BacktestTest, PrecisionPerMonitorTakesPeoplesFeedbackOverTheTruth) {
  auto truth = Truth::Parse(kTruth, "truth.json");
  ASSERT_TRUE(truth.ok());
  std::vector<Anomaly> found = {
      Make("asr_final_p95", {{"platform", "watchOS"}, {"asr_model", "asr-42"}},
           "2026-03-02T14:10:00Z"),
      Make("asr_final_p95", {{"platform", "iOS"}}, "2026-03-03T02:00:00Z"),  // false by the truth
      Make("volume", {{"region", "x"}}, "2026-03-02T02:00:00Z"),             // false by the truth
      Make("volume", {{"region", "y"}}, "2026-03-03T02:00:00Z")};            // false by the truth
  BacktestReport r = Backtest(found, *truth);
  std::vector<Incident> incidents = GroupIncidents(found);
  ASSERT_EQ(incidents.size(), 4u);
  ScoreIncidents(incidents, *truth, &r);
  ASSERT_EQ(r.by_monitor.size(), 2u);
  EXPECT_DOUBLE_EQ(r.by_monitor["asr_final_p95"].precision(), 0.5);
  EXPECT_DOUBLE_EQ(r.by_monitor["volume"].precision(), 0.0);
  // Each incident with its verdict and the regression it holds, in the JSON too.
  ASSERT_EQ(r.scored_incidents.size(), 4u);
  for (const auto& scored : r.scored_incidents) {
    bool watch = scored.slice == Slice{{"platform", "watchOS"}, {"asr_model", "asr-42"}};
    EXPECT_EQ(scored.verdict, watch ? "true" : "false") << FormatSlice(scored.slice);
    EXPECT_EQ(scored.truth_id, watch ? "t1" : "");
  }
  std::string json = BacktestReportToJson(r);
  EXPECT_NE(json.find("\"verdict\": \"true\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"false_incident_list\""), std::string::npos);
  std::map<std::string, Verdict> verdicts;
  for (const Incident& inc : incidents) {
    if (inc.primary.slice == Slice{{"platform", "iOS"}})
      verdicts[inc.id] = Verdict::kTruePositive;  // truth missed it
    if (inc.primary.slice == Slice{{"region", "y"}}) verdicts[inc.id] = Verdict::kDuplicate;
  }
  ScoreFeedback(incidents, verdicts, &r);
  const auto& asr = r.by_monitor["asr_final_p95"];
  EXPECT_EQ(asr.with_feedback, 1u);
  EXPECT_EQ(asr.feedback_true, 1u);
  EXPECT_DOUBLE_EQ(asr.precision_with_feedback(), 1.0);
  const auto& volume = r.by_monitor["volume"];
  EXPECT_EQ(volume.feedback_duplicate, 1u);
  EXPECT_DOUBLE_EQ(volume.precision_with_feedback(), 0.0);  // one judged incident, false
}

TEST(BacktestTest, BadTruthFilesNameTheField) {
  auto bad =
      Truth::Parse(R"({"start": "2026-03-02T00:00:00Z", "end": "x", "incidents": []})", "t.json");
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("t.json: field 'end'"), std::string::npos);
  auto no_list = Truth::Parse(R"({"start": "2026-03-02", "end": "2026-03-03"})", "t.json");
  EXPECT_NE(no_list.status().message().find("'incidents'"), std::string::npos);
  EXPECT_FALSE(Truth::Parse("not json", "t.json").ok());
  EXPECT_EQ(Truth::Load("/nonexistent/truth.json").status().code(), StatusCode::kNotFound);
}

TEST(TimeZoneTest, FollowsDaylightSavingFromZoneinfo) {
  auto ny = TimeZone::Load("America/New_York");
  ASSERT_TRUE(ny.ok()) << ny.status().message();
  EXPECT_EQ(ny->OffsetAt(*ParseTimestamp("2026-03-08T06:59:00Z")), -5 * kHourMs);
  EXPECT_EQ(ny->OffsetAt(*ParseTimestamp("2026-03-08T07:00:00Z")), -4 * kHourMs);
  EXPECT_EQ(ny->OffsetAt(*ParseTimestamp("2026-11-01T05:59:00Z")), -4 * kHourMs);
  EXPECT_EQ(ny->OffsetAt(*ParseTimestamp("2026-11-01T06:00:00Z")), -5 * kHourMs);
  // Far beyond the file's table, the footer rule still applies.
  EXPECT_EQ(ny->OffsetAt(*ParseTimestamp("2080-07-01T00:00:00Z")), -4 * kHourMs);
  auto sydney = TimeZone::Load("Australia/Sydney");
  ASSERT_TRUE(sydney.ok());
  EXPECT_EQ(sydney->OffsetAt(*ParseTimestamp("2026-01-15T00:00:00Z")), 11 * kHourMs);
  EXPECT_EQ(sydney->OffsetAt(*ParseTimestamp("2026-07-15T00:00:00Z")), 10 * kHourMs);
  auto kolkata = TimeZone::Load("Asia/Kolkata");
  EXPECT_EQ(kolkata->OffsetAt(*ParseTimestamp("2026-03-02T00:00:00Z")),
            5 * kHourMs + 30 * kMinuteMs);
  EXPECT_EQ(TimeZone::Load("Mars/Olympus").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(TimeZone::Load("../etc/passwd").ok());
}

}  // namespace
}  // namespace vigil
