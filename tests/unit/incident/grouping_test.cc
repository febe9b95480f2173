#include <gtest/gtest.h>

#include "vigil/incident.h"

namespace vigil {
namespace {

Anomaly Make(std::string metric, Slice slice, const char* start, int64_t length_ms,
             double change = 0.3) {
  Anomaly a;
  a.metric = std::move(metric);
  a.slice = std::move(slice);
  a.start = a.detected = *ParseTimestamp(start);
  a.end = length_ms ? a.start + length_ms : 0;
  a.relative_change = change;
  a.confidence = 0.999;
  return a;
}

TEST(GroupIncidentsTest, OneRegressionAcrossMetricsAndAncestorsIsOneIncident) {
  std::vector<Anomaly> found = {
      Make("e2e_p95", {{"platform", "watchOS"}, {"asr_model", "asr-42"}}, "2026-03-04T14:05:00Z",
           6 * kHourMs, 0.4),
      Make("asr_final_p95", {{"platform", "watchOS"}, {"asr_model", "asr-42"}},
           "2026-03-04T14:10:00Z", 6 * kHourMs, 0.8),
      Make("good_turn_rate", {{"platform", "watchOS"}}, "2026-03-04T14:30:00Z", 5 * kHourMs, -0.2),
      // Same time, unrelated slice: its own incident.
      Make("failure_rate", {{"region", "eu-west"}}, "2026-03-04T14:20:00Z", kHourMs),
      // Same slice a day later: a new incident.
      Make("e2e_p95", {{"platform", "watchOS"}, {"asr_model", "asr-42"}}, "2026-03-05T14:05:00Z",
           kHourMs)};
  auto incidents = GroupIncidents(found);
  ASSERT_EQ(incidents.size(), 3u);
  const Incident& first = incidents[0];
  EXPECT_EQ(first.primary.metric, "asr_final_p95");  // the largest change leads
  EXPECT_EQ(first.related.size(), 2u);
  EXPECT_EQ(FormatTimestamp(first.start), "2026-03-04T14:05:00Z");
  EXPECT_EQ(FormatTimestamp(first.end), "2026-03-04T20:10:00Z");
  EXPECT_EQ(first.members().size(), 3u);
  EXPECT_EQ(incidents[1].primary.metric, "failure_rate");
  EXPECT_EQ(incidents[2].related.size(), 0u);
  // Ids are stable and distinct.
  EXPECT_EQ(first.id, GroupIncidents(found)[0].id);
  EXPECT_NE(first.id, incidents[2].id);
  EXPECT_EQ(first.id.rfind("inc-", 0), 0u);
}

TEST(GroupIncidentsTest, ARecurrenceSoonAfterOnTheSameSliceStaysOneIncident) {
  std::vector<Anomaly> found = {
      Make("tts_first_audio_p95", {{"tts_voice", "voice-8"}}, "2026-03-05T06:00:00Z", 2 * kHourMs),
      Make("tts_first_audio_p95", {{"tts_voice", "voice-8"}}, "2026-03-05T10:00:00Z", 2 * kHourMs),
      Make("tts_first_audio_p95", {{"tts_voice", "voice-8"}}, "2026-03-05T20:00:00Z", 0)};
  auto incidents = GroupIncidents(found);
  ASSERT_EQ(incidents.size(), 2u);
  EXPECT_EQ(incidents[0].members().size(), 2u);
  EXPECT_EQ(incidents[1].end, 0);  // still open
}

// Selecting a range groups all history first: a regression that began before the range and comes
// back inside it is the incident that began before, not a new one.
TEST(IncidentsStartingInTest, AnIncidentThatBeganBeforeTheRangeIsNotSplit) {
  std::vector<Anomaly> found = {
      Make("failure_rate", {{"region", "eu-west"}}, "2026-03-05T06:00:00Z", 2 * kHourMs),
      Make("failure_rate", {{"region", "eu-west"}}, "2026-03-05T10:00:00Z", 2 * kHourMs),
      Make("e2e_p95", {{"locale", "de-DE"}}, "2026-03-05T11:00:00Z", kHourMs)};
  TimeMs from = *ParseTimestamp("2026-03-05T09:00:00Z");
  auto selected = IncidentsStartingIn(GroupIncidents(found), from, 0);
  ASSERT_EQ(selected.size(), 1u);
  EXPECT_EQ(selected[0].primary.metric, "e2e_p95");
  TimeMs to = *ParseTimestamp("2026-03-05T11:00:00Z");
  auto before = IncidentsStartingIn(GroupIncidents(found), 0, to);
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(before[0].members().size(), 2u);
}

// A week-long step on one platform x model: the effect dips below what matters at lunch and in
// the small hours (up to five hours), and shows on the platform as well. One regression is one
// incident for as long as it lasts, led by one stable id.
TEST(GroupIncidentsTest, AWeekLongRegressionThatFadesEveryNightIsOneIncident) {
  Slice pair = {{"platform", "watchOS"}, {"asr_model", "asr-42"}};
  Slice platform = {{"platform", "watchOS"}};
  std::vector<Anomaly> found;
  TimeMs day0 = *ParseTimestamp("2026-03-02T07:00:00Z");
  for (int d = 0; d < 7; ++d) {
    TimeMs morning = day0 + d * kDayMs;
    // 07:00-12:00 and 13:30-02:00 on the pair, 08:00-11:00 on the platform.
    Anomaly a = Make("e2e_p95", pair, "2026-03-02T07:00:00Z", 5 * kHourMs);
    a.start = a.detected = morning;
    a.end = morning + 5 * kHourMs;
    Anomaly b = a;
    b.start = b.detected = morning + 6 * kHourMs + 30 * kMinuteMs;
    b.end = morning + 19 * kHourMs;
    Anomaly c = Make("e2e_p95", platform, "2026-03-02T08:00:00Z", 3 * kHourMs, 0.15);
    c.start = c.detected = morning + kHourMs;
    c.end = morning + 4 * kHourMs;
    found.insert(found.end(), {a, b, c});
  }
  auto incidents = GroupIncidents(found);
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0].members().size(), 21u);
  EXPECT_EQ(FormatTimestamp(incidents[0].start), "2026-03-02T07:00:00Z");
  EXPECT_EQ(FormatTimestamp(incidents[0].end), "2026-03-09T02:00:00Z");
  // The same regression found a day later again is the same incident (same id).
  std::vector<Anomaly> first_days(found.begin(), found.begin() + 6);
  EXPECT_EQ(GroupIncidents(first_days)[0].id, incidents[0].id);
}

// Recurrences chain through each other, not only through the first anomaly; but not through
// all traffic (which is in every slice's lineage) nor across metrics.
TEST(GroupIncidentsTest, RecurrencesChainOnOneMetricAndLineageOnly) {
  std::vector<Anomaly> found = {
      Make("failure_rate", {{"region", "eu-west"}}, "2026-03-05T00:00:00Z", 2 * kHourMs),
      Make("failure_rate", {{"region", "eu-west"}}, "2026-03-05T06:00:00Z", 2 * kHourMs),
      Make("failure_rate", {{"region", "eu-west"}}, "2026-03-05T13:00:00Z", 2 * kHourMs),
      Make("failure_rate", {}, "2026-03-05T19:00:00Z", kHourMs),
      Make("timeout_rate", {{"region", "eu-west"}}, "2026-03-05T19:30:00Z", kHourMs),
      Make("failure_rate", {{"region", "us-east"}}, "2026-03-05T16:00:00Z", kHourMs)};
  auto incidents = GroupIncidents(found);
  // eu-west's three failure spikes; us-east; all traffic with eu-west's timeouts (one time).
  ASSERT_EQ(incidents.size(), 3u);
  EXPECT_EQ(incidents[0].members().size(), 3u);
  EXPECT_EQ(incidents[1].primary.slice, (Slice{{"region", "us-east"}}));
  EXPECT_EQ(FormatTimestamp(incidents[0].end), "2026-03-05T15:00:00Z");
}

TEST(GroupIncidentsTest, SiblingsOfOneMetricMovingTogetherAreOneShift) {
  std::vector<Anomaly> found = {
      Make("volume", {{"platform", "tvOS"}}, "2026-03-14T15:00:00Z", kHourMs),
      Make("volume", {{"platform", "macOS"}}, "2026-03-14T15:00:00Z", kHourMs),
      Make("volume", {{"locale", "fr-FR"}}, "2026-03-14T15:00:00Z", kHourMs),
      Make("failure_rate", {{"platform", "iOS"}}, "2026-03-14T15:00:00Z", kHourMs)};
  auto incidents = GroupIncidents(found);
  ASSERT_EQ(incidents.size(), 3u);  // the two platforms' volume together; locale and metric apart
}

TEST(GroupIncidentsTest, AnOpenAnomalyOnAllDoesNotSwallowLaterOnes) {
  std::vector<Anomaly> found = {
      Make("e2e_p95", {}, "2026-03-04T00:00:00Z", 0),
      Make("e2e_p95", {{"platform", "iOS"}}, "2026-03-06T00:00:00Z", kHourMs)};
  EXPECT_EQ(GroupIncidents(found).size(), 2u);
}

}  // namespace
}  // namespace vigil

namespace vigil {
namespace {

// An outage of a small slice outranks a slowdown of a large one.
TEST(SeverityTest, ASliceFallingToZeroIsCriticalAtAnyShare) {
  Anomaly outage = Make("volume", {{"platform", "tvOS"}, {"locale", "fr-FR"}},
                        "2026-03-09T10:00:00Z", 4 * kHourMs, -1.0);
  outage.direction = Direction::kDown;
  outage.baseline = 300;
  outage.observed = 0;
  EXPECT_EQ(SeverityOf(outage, 0.002), Severity::kCritical);
  Anomaly slower = Make("e2e_p95", {{"platform", "iOS"}}, "2026-03-09T10:00:00Z", 4 * kHourMs, 0.3);
  slower.baseline = 900;
  slower.observed = 1170;
  EXPECT_NE(SeverityOf(slower, 0.1), Severity::kCritical);
  // A drop that leaves traffic is rated by its impact as before.
  Anomaly dip = outage;
  dip.observed = 150;
  dip.relative_change = -0.5;
  EXPECT_NE(SeverityOf(dip, 0.002), Severity::kCritical);
}

TEST(SummaryTest, AnOutageSaysHowManyTurnsWereLost) {
  auto config = Config::Parse(
      "input: {dimensions: [platform, locale]}\n"
      "metrics: {volume: {type: count, unit: turns}}\nmonitors: [{metric: volume}]\n",
      "t.yaml");
  ASSERT_TRUE(config.ok()) << config.status().message();
  Incident inc;
  inc.primary = Make("volume", {{"platform", "tvOS"}, {"locale", "fr-FR"}}, "2026-03-09T10:00:00Z",
                     4 * kHourMs, -1.0);
  inc.primary.direction = Direction::kDown;
  inc.primary.granularity_ms = 5 * kMinuteMs;
  inc.primary.baseline = 300;
  inc.primary.observed = 0;
  inc.start = inc.primary.start;
  inc.end = inc.primary.end;
  std::string text = Summarize(inc, *config);
  EXPECT_NE(text.find("About 14,400 turns lost."), std::string::npos) << text;
}

TEST(SummaryTest, AttributionsNameTheMetricsThatMadeTheSliceLookAbnormal) {
  auto config = Config::Parse(
      "input: {dimensions: [platform]}\n"
      "metrics: {timeout_rate: {type: count}}\nmonitors: [{metric: timeout_rate}]\n",
      "t.yaml");
  ASSERT_TRUE(config.ok()) << config.status().message();
  Incident inc;
  inc.primary = Make("timeout_rate", {{"platform", "tvOS"}}, "2026-03-09T10:00:00Z", kHourMs);
  inc.start = inc.primary.start;
  std::string plain = Summarize(inc, *config);
  EXPECT_EQ(plain.find("abnormal"), std::string::npos) << plain;  // no attributions: no sentence

  inc.primary.attributions = {0.712,
                              0.45,
                              {{"timeout_rate", 0.21, 3.2},
                               {"asr_final_p95", 0.14, 2.5},
                               {"rephrase_rate", 0.09, 1.8},
                               {"volume", 0.02, 0.4},
                               {"tts_p95", -0.2, -1.1}}};
  std::string text = Summarize(inc, *config);
  EXPECT_NE(text.find(" Together timeout_rate (+0.21), asr_final_p95 (+0.14) and rephrase_rate "
                      "(+0.09) made the slice look abnormal (score 0.71, ordinary 0.45)."),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("volume"), std::string::npos) << text;  // the top three only
  EXPECT_EQ(text.find("tts_p95"), std::string::npos) << text;

  inc.primary.attributions.features = {{"timeout_rate", 0.3, 3.2}, {"tts_p95", -0.04, -1.1}};
  text = Summarize(inc, *config);
  EXPECT_NE(text.find(" timeout_rate (+0.30) made the slice look abnormal (score 0.71, ordinary "
                      "0.45)."),
            std::string::npos)
      << text;

  // Only metrics that pushed the score up are named: none, no sentence.
  inc.primary.attributions.features = {{"tts_p95", -0.04, -1.1}};
  text = Summarize(inc, *config);
  EXPECT_EQ(text.find("abnormal"), std::string::npos) << text;
}

}  // namespace
}  // namespace vigil
