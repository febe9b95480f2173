#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/test_data.h"
#include "vigil/alert.h"

namespace vigil {
namespace {

constexpr TimeMs kT0 = 1772409600000;  // 2026-03-02T00:00:00Z
constexpr TimeMs kMin = 60 * 1000;

// Remembers what it was told; fails while `failures` is positive.
class RecordingSink : public Sink {
 public:
  Status Send(const Notification& n) override {
    if (failures > 0) {
      --failures;
      return IoError("unreachable");
    }
    const Incident& i = n.incident;
    sent.push_back(std::string(NotificationKindName(n.kind)) + " " + i.id + " " +
                   std::string(ToString(i.severity)) + " " +
                   (i.status ? std::string(ToString(*i.status)) : ""));
    return Status::Ok();
  }
  std::vector<std::string> sent;
  int failures = 0;
};

Anomaly MakeAnomaly(const std::string& metric, Slice slice, TimeMs start, TimeMs end,
                    double change) {
  Anomaly a;
  a.metric = metric;
  a.slice = std::move(slice);
  a.start = start;
  a.end = end;
  a.detected = start;
  a.baseline = 100;
  a.observed = 100 * (1 + change);
  a.relative_change = change;
  a.confidence = 0.9999;
  return a;
}

Incident MakeIncident(const Anomaly& primary, double traffic_share = 0.05) {
  Incident inc;
  inc.primary = primary;
  inc.id = IncidentIdFor(primary);
  inc.start = primary.start;
  inc.end = primary.end;
  inc.evidence.traffic_share = traffic_share;
  inc.severity = SeverityOf(primary, traffic_share);
  return inc;
}

class LifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("vigil_lifecycle_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto store = Store::Open((dir_ / "vigil.db").string());
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(*store);
    config_ = testing::SmallConfig(R"(
alert:
  resolve_after: 30m
  sinks:
    - {name: hook, type: webhook, url: "http://127.0.0.1:1/hook"}
  route:
    sinks: [hook]
)");
    sink_ = std::make_shared<RecordingSink>();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  AlertReport Update(const std::vector<Incident>& incidents, TimeMs data_end, TimeMs now = kT0) {
    AlertOptions options;
    options.now = now;
    options.data_end = data_end;
    options.sinks["hook"] = sink_;
    auto report = UpdateIncidents(store_.get(), *config_, incidents, options);
    EXPECT_TRUE(report.ok()) << report.status().message();
    return report.ok() ? *report : AlertReport{};
  }

  std::string StatusOf(const std::string& id) {
    auto r = store_->incidents().Find(id);
    return r.ok() ? r->status : "missing";
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  std::shared_ptr<const Config> config_;
  std::shared_ptr<RecordingSink> sink_;
};

TEST_F(LifecycleTest, OpensOnceAndARerunSendsNothing) {
  Incident inc = MakeIncident(MakeAnomaly("lat_p95", {{"a", "a1"}}, kT0, 0, 0.4));
  AlertReport first = Update({inc}, kT0 + 60 * kMin);
  EXPECT_EQ(first.opened, 1);
  EXPECT_EQ(first.sent, 1);
  ASSERT_EQ(sink_->sent.size(), 1u);
  EXPECT_EQ(sink_->sent[0], "firing " + inc.id + " major open");
  AlertReport again = Update({inc}, kT0 + 60 * kMin);
  EXPECT_EQ(again.opened, 0);
  EXPECT_EQ(again.unchanged, 1);
  EXPECT_EQ(again.sent, 0);
  EXPECT_EQ(sink_->sent.size(), 1u);
  auto all = store_->incidents().All();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u);
}

TEST_F(LifecycleTest, ResolvesOnlyAfterTheSliceStayedNormalLongEnough) {
  Anomaly a = MakeAnomaly("lat_p95", {{"a", "a1"}}, kT0, 0, 0.4);
  Update({MakeIncident(a)}, kT0 + 60 * kMin);
  // Recovered at +70 min; at +80 the recovery is 10 minutes old: still open (no flapping).
  a.end = kT0 + 70 * kMin;
  Incident recovered = MakeIncident(a);
  AlertReport early = Update({recovered}, kT0 + 80 * kMin);
  EXPECT_EQ(early.resolved, 0);
  EXPECT_EQ(StatusOf(recovered.id), "open");
  EXPECT_EQ(sink_->sent.size(), 1u);
  AlertReport later = Update({recovered}, kT0 + 100 * kMin);
  EXPECT_EQ(later.resolved, 1);
  EXPECT_EQ(StatusOf(recovered.id), "resolved");
  ASSERT_EQ(sink_->sent.size(), 2u);
  EXPECT_EQ(sink_->sent[1], "resolved " + recovered.id + " major resolved");
  // Nothing more on a re-run.
  Update({recovered}, kT0 + 100 * kMin);
  EXPECT_EQ(sink_->sent.size(), 2u);
}

TEST_F(LifecycleTest, ComingBackReopensTheSameIncident) {
  Anomaly a = MakeAnomaly("lat_p95", {{"a", "a1"}}, kT0, kT0 + 10 * kMin, 0.4);
  Incident inc = MakeIncident(a);
  Update({inc}, kT0 + 120 * kMin);
  EXPECT_EQ(StatusOf(inc.id), "resolved");
  inc.end = 0;  // the group now holds a recurrence that is still open
  AlertReport back = Update({inc}, kT0 + 180 * kMin);
  EXPECT_EQ(back.reopened, 1);
  EXPECT_EQ(StatusOf(inc.id), "open");
  ASSERT_EQ(sink_->sent.size(), 2u);
  EXPECT_EQ(sink_->sent[1], "reopened " + inc.id + " major open");
}

TEST_F(LifecycleTest, EscalationNotifiesAgainButDeEscalationDoesNot) {
  Anomaly a = MakeAnomaly("lat_p95", {{"a", "a1"}}, kT0, 0, 0.3);
  Incident minorish = MakeIncident(a, 0.01);
  EXPECT_EQ(minorish.severity, Severity::kMajor);
  Update({minorish}, kT0 + 60 * kMin);
  a.relative_change = 1.5;
  Incident worse = MakeIncident(a, 0.5);
  EXPECT_EQ(worse.severity, Severity::kCritical);
  worse.id = minorish.id;
  AlertReport escalated = Update({worse}, kT0 + 90 * kMin);
  EXPECT_EQ(escalated.escalated, 1);
  ASSERT_EQ(sink_->sent.size(), 2u);
  EXPECT_EQ(sink_->sent[1], "escalated " + worse.id + " critical open");
  Update({minorish}, kT0 + 120 * kMin);
  EXPECT_EQ(sink_->sent.size(), 2u);
}

TEST_F(LifecycleTest, AcknowledgedStaysAcknowledgedUntilResolved) {
  Anomaly a = MakeAnomaly("lat_p95", {{"a", "a1"}}, kT0, 0, 0.4);
  Incident inc = MakeIncident(a);
  Update({inc}, kT0 + 60 * kMin);
  ASSERT_TRUE(AcknowledgeIncident(store_.get(), inc.id, kT0).ok());
  EXPECT_EQ(StatusOf(inc.id), "acknowledged");
  Update({inc}, kT0 + 90 * kMin);
  EXPECT_EQ(StatusOf(inc.id), "acknowledged");
  a.end = kT0 + 100 * kMin;
  Update({MakeIncident(a)}, kT0 + 200 * kMin);
  EXPECT_EQ(StatusOf(inc.id), "resolved");
  EXPECT_EQ(AcknowledgeIncident(store_.get(), "inc-nope", kT0).code(), StatusCode::kNotFound);
}

TEST_F(LifecycleTest, ANewPrimaryKeepsTheStoredId) {
  Anomaly first = MakeAnomaly("lat_p95", {{"a", "a1"}}, kT0, 0, 0.3);
  Incident inc = MakeIncident(first);
  Update({inc}, kT0 + 60 * kMin);
  // Later data: a larger anomaly joins and becomes the primary; the incident keeps its id.
  Anomaly bigger = MakeAnomaly("lat_p50", {{"a", "a1"}}, kT0 + 5 * kMin, 0, 0.9);
  Incident grown = MakeIncident(bigger);
  grown.related = {first};
  ASSERT_NE(grown.id, inc.id);
  AlertReport report = Update({grown}, kT0 + 90 * kMin);
  EXPECT_EQ(report.opened, 0);
  auto all = store_->incidents().All();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].id, inc.id);
  EXPECT_EQ((*all)[0].metric, "lat_p50");
}

TEST_F(LifecycleTest, AnIncidentNoLongerFoundResolvesAsRetracted) {
  Incident inc = MakeIncident(MakeAnomaly("lat_p95", {{"a", "a1"}}, kT0, 0, 0.4));
  Update({inc}, kT0 + 20 * kMin);
  AlertReport gone = Update({}, kT0 + 120 * kMin);
  EXPECT_EQ(gone.resolved, 1);
  EXPECT_EQ(StatusOf(inc.id), "resolved");
  ASSERT_EQ(sink_->sent.size(), 2u);
  EXPECT_EQ(sink_->sent[1], "resolved " + inc.id + " major resolved");
  auto stored = store_->incidents().Find(inc.id);
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(nlohmann::json::parse(stored->document).value("retracted", false));
}

TEST_F(LifecycleTest, ASplitIncidentKeepsItsIdForThePartAndOpensTheRest) {
  Anomaly a = MakeAnomaly("lat_p95", {{"a", "a1"}}, kT0, 0, 0.4);
  Anomaly b = MakeAnomaly("lat_p50", {{"a", "a1"}}, kT0 + 90 * kMin, 0, 0.4);
  Incident together = MakeIncident(a);
  together.related = {b};
  Update({together}, kT0 + 120 * kMin);
  Incident first = MakeIncident(a), second = MakeIncident(b);
  second.related = {a};  // both claim the stored incident through a shared member
  AlertReport split = Update({first, second}, kT0 + 150 * kMin);
  EXPECT_EQ(split.opened, 1);
  auto all = store_->incidents().All();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
  EXPECT_EQ(StatusOf(together.id), "open");
  EXPECT_EQ(StatusOf(second.id), "open");
}

TEST_F(LifecycleTest, ThePartsOfASplitIncidentKeepTheirIdsRunAfterRun) {
  Anomaly a = MakeAnomaly("lat_p95", {{"a", "a1"}}, kT0, 0, 0.4);
  Anomaly b = MakeAnomaly("lat_p50", {{"a", "a2"}}, kT0 + 30 * kMin, 0, 0.4);
  Incident together = MakeIncident(a);
  together.related = {b};
  Update({together}, kT0 + 60 * kMin);
  // Later data split it: b's part claims the stored incident through b, and a's part comes
  // under the id it always had, which is now taken, so it opens as a new incident once.
  Incident part_b = MakeIncident(b), part_a = MakeIncident(a);
  AlertReport split = Update({part_b, part_a}, kT0 + 90 * kMin);
  EXPECT_EQ(split.opened, 1);
  const size_t told = sink_->sent.size();
  // Every later run finds the same two parts: nothing opens or resolves, nobody is told again.
  for (int run = 0; run < 3; ++run) {
    AlertReport again = Update({part_b, part_a}, kT0 + (100 + 10 * run) * kMin);
    EXPECT_EQ(again.opened, 0) << "run " << run;
    EXPECT_EQ(again.resolved, 0) << "run " << run;
    EXPECT_EQ(again.unchanged, 2) << "run " << run;
  }
  EXPECT_EQ(sink_->sent.size(), told);
  auto all = store_->incidents().All();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
  for (const IncidentRecord& r : *all) EXPECT_EQ(r.status, "open") << r.id;
}

TEST_F(LifecycleTest, SilencedIncidentsAreRecordedButNotSentUntilTheSilenceEnds) {
  SilenceRecord s;
  s.matchers = {{"a", "a1"}};
  s.starts = kT0 - kMin;
  s.ends = kT0 + 60 * kMin;
  ASSERT_TRUE(store_->incidents().AddSilence(s).ok());
  Incident inc = MakeIncident(MakeAnomaly("lat_p95", {{"a", "a1"}}, kT0, 0, 0.4));
  Incident other = MakeIncident(MakeAnomaly("lat_p95", {{"a", "a2"}}, kT0, 0, 0.4));
  AlertReport during = Update({inc, other}, kT0 + 60 * kMin, kT0);
  EXPECT_EQ(during.silenced, 1);
  EXPECT_EQ(during.sent, 1);
  EXPECT_EQ(StatusOf(inc.id), "open");
  AlertReport after = Update({inc, other}, kT0 + 60 * kMin, kT0 + 61 * kMin);
  EXPECT_EQ(after.sent, 1);
  ASSERT_EQ(sink_->sent.size(), 2u);
  EXPECT_EQ(sink_->sent[1], "firing " + inc.id + " major open");
}

TEST_F(LifecycleTest, AStillFiringIncidentIsRepeatedAfterTheRepeatInterval) {
  // The default interval: 4 hours after the last delivery.
  Incident inc = MakeIncident(MakeAnomaly("lat_p95", {{"a", "a1"}}, kT0, 0, 0.4));
  Update({inc}, kT0 + 60 * kMin, kT0);
  Update({inc}, kT0 + 120 * kMin, kT0 + 239 * kMin);
  ASSERT_EQ(sink_->sent.size(), 1u) << "not before the interval";
  AlertReport repeat = Update({inc}, kT0 + 240 * kMin, kT0 + 240 * kMin);
  EXPECT_EQ(repeat.sent, 1);
  ASSERT_EQ(sink_->sent.size(), 2u);
  EXPECT_EQ(sink_->sent[1], "repeated " + inc.id + " major open");
  Update({inc}, kT0 + 300 * kMin, kT0 + 300 * kMin);
  EXPECT_EQ(sink_->sent.size(), 2u) << "the interval counts from the repeat";
  inc.end = kT0 + 300 * kMin;
  Update({inc}, kT0 + 400 * kMin, kT0 + 400 * kMin);
  ASSERT_EQ(sink_->sent.size(), 3u);
  EXPECT_EQ(sink_->sent[2], "resolved " + inc.id + " major resolved");
  Update({inc}, kT0 + 900 * kMin, kT0 + 900 * kMin);
  EXPECT_EQ(sink_->sent.size(), 3u) << "a resolved incident is not repeated";
}

TEST_F(LifecycleTest, MixShiftsDoNotPageByDefault) {
  Incident inc = MakeIncident(MakeAnomaly("volume", {{"a", "a1"}}, kT0, 0, 0.4));
  inc.paging = false;
  AlertReport report = Update({inc}, kT0 + 60 * kMin);
  EXPECT_EQ(report.sent, 0);
  EXPECT_EQ(report.not_paging, 1);
  EXPECT_EQ(StatusOf(inc.id), "open");  // recorded all the same
}

TEST_F(LifecycleTest, AFailedDeliveryIsRetriedOnTheNextRun) {
  Incident inc = MakeIncident(MakeAnomaly("lat_p95", {{"a", "a1"}}, kT0, 0, 0.4));
  sink_->failures = 1;
  AlertReport failed = Update({inc}, kT0 + 60 * kMin);
  EXPECT_EQ(failed.failed, 1);
  ASSERT_EQ(failed.problems.size(), 1u);
  EXPECT_NE(failed.problems[0].find("sink 'hook'"), std::string::npos);
  EXPECT_EQ(StatusOf(inc.id), "open");
  AlertReport retried = Update({inc}, kT0 + 60 * kMin);
  EXPECT_EQ(retried.sent, 1);
  EXPECT_EQ(sink_->sent.size(), 1u);
}

TEST_F(LifecycleTest, FeedbackNeedsAKnownIncidentAndVerdict) {
  Incident inc = MakeIncident(MakeAnomaly("lat_p95", {{"a", "a1"}}, kT0, 0, 0.4));
  Update({inc}, kT0 + 60 * kMin);
  EXPECT_TRUE(
      store_->incidents().AddFeedback({inc.id, "false_positive", "deploy noise", kT0}).ok());
  EXPECT_EQ(store_->incidents().AddFeedback({inc.id, "maybe", "", kT0}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->incidents().AddFeedback({"inc-unknown", "true_positive", "", kT0}).code(),
            StatusCode::kNotFound);
  auto all = store_->incidents().Feedback(inc.id);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].note, "deploy noise");
}

}  // namespace
}  // namespace vigil
