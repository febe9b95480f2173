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
