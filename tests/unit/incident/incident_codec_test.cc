#include "incident/incident_codec.h"

#include <gtest/gtest.h>

#include <cmath>

#include "vigil/incident_json.h"

namespace vigil {
namespace {

Anomaly Member(std::string metric, Slice slice, const char* start, int64_t length_ms,
               double change) {
  Anomaly a;
  a.metric = std::move(metric);
  a.slice = std::move(slice);
  a.start = a.detected = *ParseTimestamp(start);
  a.end = length_ms ? a.start + length_ms : 0;
  a.baseline = 250.123456;
  a.observed = a.baseline * (1 + change);
  a.relative_change = change;
  a.confidence = 0.99987;
  a.granularity_ms = 5 * kMinuteMs;
  a.detector = "ewma";
  return a;
}

// An incident with every part of the document filled.
Incident FullIncident() {
  Incident inc;
  inc.primary = Member("asr_final_p95", {{"asr_model", "asr-42"}, {"platform", "watchOS"}},
                       "2026-03-04T14:10:00Z", 6 * kHourMs, 0.8);
  inc.related.push_back(
      Member("e2e_p95", {{"platform", "watchOS"}}, "2026-03-04T14:05:00Z", 0, 0.4));
  inc.id = IncidentIdFor(inc.primary);
  inc.start = *ParseTimestamp("2026-03-04T14:05:00Z");
  inc.end = 0;
  inc.severity = Severity::kCritical;
  inc.summary = "Since 14:05 asr_final_p95 rose 80 % on watchOS.";
  inc.owner = "asr";
  inc.related_incidents = {"inc-other"};
  inc.paging = false;
  Evidence& e = inc.evidence;
  RootCause cause;
  cause.slice = {{"asr_model", "asr-42"}};
  cause.explained_fraction = 0.91234;
  cause.expected = 250.0;
  cause.actual = std::nan("");  // written as null
  e.root_causes.push_back(cause);
  e.stages.push_back({"asr_final", 0.8123, 120.04, 310.06});
  e.stages_from_errors = false;
  e.what_changed.push_back({"asr_model", "asr-42", *ParseTimestamp("2026-03-04T13:00:00Z"), 0.0,
                            0.31234, 400.5, 250.25});
  e.mix_shift = true;
  e.mix_dimension = "platform";
  e.affected_devices = 1234;
  e.affected_turns = 56789;
  e.traffic_share = 0.123456;
  e.error_templates.push_back({"timeout after <n> ms", 40, 2});
  e.examples = {"req-1", "req-2"};
  inc.status = IncidentStatus::kAcknowledged;
  return inc;
}

TEST(IncidentNamesTest, EveryNameParsesBack) {
  for (Severity s : {Severity::kMinor, Severity::kMajor, Severity::kCritical}) {
    EXPECT_EQ(*ParseSeverity(ToString(s)), s);
  }
  for (IncidentStatus s :
       {IncidentStatus::kOpen, IncidentStatus::kAcknowledged, IncidentStatus::kResolved}) {
    EXPECT_EQ(*ParseIncidentStatus(ToString(s)), s);
  }
  for (Verdict v : {Verdict::kTruePositive, Verdict::kFalsePositive, Verdict::kDuplicate}) {
    EXPECT_EQ(*ParseVerdict(ToString(v)), v);
  }
  Result<Severity> bad = ParseSeverity("majr");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "expected minor, major or critical, not \"majr\"");
  EXPECT_FALSE(ParseIncidentStatus("Open").ok());
  EXPECT_FALSE(ParseVerdict("").ok());
}

TEST(IncidentCodecTest, DecodingThenEncodingGivesTheSameBytes) {
  std::string text = *IncidentJsonText(FullIncident());
  Result<Incident> decoded = ParseIncidentJson(text);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(*IncidentJsonText(*decoded), text);
  EXPECT_EQ(IncidentToJson(*decoded).dump(), text);

  const Incident& d = *decoded;
  EXPECT_EQ(d.severity, Severity::kCritical);
  EXPECT_EQ(d.status, IncidentStatus::kAcknowledged);
  EXPECT_FALSE(d.paging);
  EXPECT_EQ(d.primary.metric, "asr_final_p95");
  EXPECT_EQ(d.primary.granularity_ms, 5 * kMinuteMs);
  ASSERT_EQ(d.related.size(), 1u);
  EXPECT_EQ(d.related[0].metric, "e2e_p95");
  EXPECT_EQ(d.related[0].end, 0);
  EXPECT_TRUE(std::isnan(d.evidence.root_causes.at(0).actual));
  EXPECT_EQ(d.evidence.error_templates.at(0).count, 40u);
  EXPECT_EQ(d.owner, "asr");
}

TEST(IncidentCodecTest, TheDocumentOfAnIncidentStraightFromDetectionHasNoStatus) {
  Incident inc = FullIncident();
  inc.status.reset();
  inc.owner.clear();
  nlohmann::json j = IncidentToJson(inc);
  EXPECT_FALSE(j.contains("status"));
  EXPECT_TRUE(j["owner"].is_null());
  EXPECT_FALSE(j.contains("retracted"));
  Result<Incident> decoded = IncidentFromJson(j);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_FALSE(decoded->status.has_value());
  EXPECT_EQ(IncidentToJson(*decoded), j);
}

TEST(IncidentCodecTest, ErrorsNameTheIncidentAndTheField) {
  nlohmann::json j = IncidentToJson(FullIncident());
  std::string id = j["id"];

  nlohmann::json bad_severity = j;
  bad_severity["severity"] = "big";
  Result<Incident> r = IncidentFromJson(bad_severity);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataError);
  EXPECT_EQ(
      r.status().message(),
      "incident " + id + ": field 'severity': expected minor, major or critical, not \"big\"");

  nlohmann::json bad_stage = j;
  bad_stage["stages"][0]["share"] = "most";
  r = IncidentFromJson(bad_stage);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "incident " + id + ": field 'stages[0].share': expected a number");

  nlohmann::json no_metric = j;
  no_metric.erase("metric");
  r = IncidentFromJson(no_metric);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "incident " + id + ": field 'metric': is required");

  nlohmann::json no_id = j;
  no_id.erase("id");
  r = IncidentFromJson(no_id);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "incident document: field 'id': is required");

  EXPECT_EQ(ParseIncidentJson("{not json").status().code(), StatusCode::kDataError);
  EXPECT_FALSE(ParseIncidentJson("[1]").ok());
}

TEST(IncidentCodecTest, AttributionsTravelInTheDocumentAndBack) {
  Incident inc = FullIncident();
  EXPECT_FALSE(IncidentToJson(inc).contains("attributions"));  // none: no field at all
  inc.primary.attributions = {
      0.712345, 0.45, {{"timeout_rate", 0.21, 3.2}, {"a<b", 0.14, 2.51}, {"calm", -0.09, -1}}};
  nlohmann::json j = IncidentToJson(inc);
  ASSERT_TRUE(j.contains("attributions"));
  const nlohmann::json& at = j["attributions"];
  EXPECT_EQ(at["score"], 0.7123);  // rounded like every figure of the document
  EXPECT_EQ(at["base"], 0.45);
  ASSERT_EQ(at["features"].size(), 3u);
  EXPECT_EQ(at["features"][0],
            nlohmann::json({{"metric", "timeout_rate"}, {"value", 0.21}, {"residual", 3.2}}));
  EXPECT_EQ(at["features"][1]["metric"], "a<b");
  EXPECT_EQ(at["features"][2]["value"], -0.09);

  std::string text = *IncidentJsonText(inc);
  Result<Incident> decoded = ParseIncidentJson(text);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  const Attributions* back = AttributionsOf(*decoded);
  ASSERT_NE(back, nullptr);
  EXPECT_DOUBLE_EQ(back->score, 0.7123);
  EXPECT_DOUBLE_EQ(back->base, 0.45);
  ASSERT_EQ(back->features.size(), 3u);
  EXPECT_EQ(back->features[0].metric, "timeout_rate");
  EXPECT_DOUBLE_EQ(back->features[0].value, 0.21);
  EXPECT_DOUBLE_EQ(back->features[0].residual, 3.2);
  EXPECT_EQ(back->features[1].metric, "a<b");
  EXPECT_EQ(back->features[2].metric, "calm");
  EXPECT_EQ(*IncidentJsonText(*decoded), text);

  // A related member's attributions are the incident's too, and come back on the primary.
  Incident via_related = FullIncident();
  via_related.related[0].detector = "multivariate";
  via_related.related[0].attributions = inc.primary.attributions;
  std::string related_text = *IncidentJsonText(via_related);
  EXPECT_EQ(nlohmann::json::parse(related_text)["attributions"], j["attributions"]);
  Result<Incident> related_back = ParseIncidentJson(related_text);
  ASSERT_TRUE(related_back.ok()) << related_back.status().message();
  EXPECT_EQ(*IncidentJsonText(*related_back), related_text);
}

TEST(IncidentCodecTest, MalformedAttributionsNameTheField) {
  Incident inc = FullIncident();
  inc.primary.attributions = {0.7, 0.45, {{"timeout_rate", 0.25, 3.2}}};
  nlohmann::json j = IncidentToJson(inc);
  std::string who = "incident " + j["id"].get<std::string>() + ": field ";

  nlohmann::json not_an_object = j;
  not_an_object["attributions"] = "high";
  Result<Incident> r = IncidentFromJson(not_an_object);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataError);
  EXPECT_EQ(r.status().message(), who + "'attributions': expected an object");

  nlohmann::json features_a_number = j;
  features_a_number["attributions"]["features"] = 3;
  r = IncidentFromJson(features_a_number);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataError);
  EXPECT_EQ(r.status().message(), who + "'attributions.features': expected an array");

  nlohmann::json no_metric = j;
  no_metric["attributions"]["features"][0].erase("metric");
  r = IncidentFromJson(no_metric);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataError);
  EXPECT_EQ(r.status().message(), who + "'attributions.features[0].metric': is required");

  nlohmann::json bad_value = j;
  bad_value["attributions"]["features"][0]["value"] = "a lot";
  r = IncidentFromJson(bad_value);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), who + "'attributions.features[0].value': expected a number");

  nlohmann::json bad_score = j;
  bad_score["attributions"]["score"] = true;
  r = IncidentFromJson(bad_score);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), who + "'attributions.score': expected a number");
}

TEST(IncidentCodecTest, AnAnomalyAloneIsAOneMemberIncident) {
  Anomaly a = Member("e2e_p95", {{"platform", "iOS"}}, "2026-03-04T14:05:00Z", kHourMs, 0.3);
  nlohmann::json j = IncidentToJson(a);
  EXPECT_EQ(j["id"], IncidentIdFor(a));
  EXPECT_EQ(j["severity"], std::string(ToString(SeverityOf(a, 1.0))));
  EXPECT_EQ(j["anomalies"].size(), 1u);
  Result<Incident> decoded = IncidentFromJson(j);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(IncidentToJson(*decoded), j);
}

}  // namespace
}  // namespace vigil
