// Injected incidents, the joint one and the mix-shift decoy, measured against the same run
// without injections (same seed: every event not in an injected slice and window is identical).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "sim/fleet.h"
#include "sim/scenario.h"
#include "sim/truth.h"

namespace vigil::sim {
namespace {

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * (v.size() - 1) + 0.5)];
}

struct SimRun {
  std::unique_ptr<Fleet> fleet;
  std::vector<SimEvent> events;
};

SimRun Generate(const Scenario& s, int days, int64_t per_day, bool inject) {
  Fleet::Options o;
  o.start = s.start;
  o.days = days;
  o.events_per_day = per_day;
  o.seed = 11;
  o.inject = inject;
  auto f = Fleet::Create(s, o);
  EXPECT_TRUE(f.ok()) << f.status().message();
  SimRun r{std::move(f).value(), {}};
  for (int64_t m = 0; m < r.fleet->Minutes(); ++m) r.fleet->GenerateMinute(m, &r.events);
  return r;
}

using Slice = std::vector<std::pair<int, int>>;  // (dim, value index)
using Pred = std::function<bool(const SimEvent&)>;

bool InSlice(const SimEvent& e, const Slice& s) {
  for (auto [d, v] : s) {
    if (e.dims[d] != v) return false;
  }
  return true;
}

// A metric of DESIGN §5.1 over the events of a slice and window.
double Metric(const std::vector<SimEvent>& events, const Slice& slice, TimeMs a, TimeMs b,
              const std::string& metric, int stage) {
  std::vector<double> v;
  double num = 0, den = 0;
  for (const SimEvent& e : events) {
    if (e.ts < a || e.ts >= b || !InSlice(e, slice)) continue;
    if (metric == "p95") {
      if (e.Has(stage)) v.push_back(e.latency[stage]);
    } else if (metric == "failure_rate") {
      den += 1;
      num += e.outcome == Outcome::kError || e.outcome == Outcome::kTimeout;
    } else if (metric == "timeout_rate") {
      den += 1;
      num += e.outcome == Outcome::kTimeout;
    } else if (metric == "rephrase_rate") {
      den += 1;
      num += e.rephrased;
    } else if (metric == "false_barge_in_rate") {
      if (e.dims[static_cast<int>(Dim::kConversationMode)] == 1) {
        den += 1;
        num += e.false_barge_in;
      }
    } else if (metric == "volume") {
      num += 1;
      den = 1;
    }
  }
  if (metric == "p95") return Quantile(v, 0.95);
  if (metric == "volume") return num;
  return den > 0 ? num / den : NAN;
}

TEST(IncidentTest, EachDemoIncidentMovesItsMetricInItsSliceAndNowhereElse) {
  auto scenario = LoadScenario("demo");
  ASSERT_TRUE(scenario.ok()) << scenario.status().message();
  SimRun without = Generate(*scenario, 14, 40000, false);
  int checked = 0;
  for (const Injection& one : scenario->injections) {
    if (one.decoy) continue;
    SCOPED_TRACE(one.id + " " + one.kind);
    // This incident alone, so that overlapping incidents do not blur its siblings.
    Scenario only = *scenario;
    only.injections = {one};
    SimRun with = Generate(only, 14, 40000, true);
    const Fleet& fleet = *with.fleet;
    ASSERT_EQ(fleet.Injections().size(), 1u);
    const ResolvedInjection& ri = fleet.Injections()[0];
    const Injection& in = *ri.spec;
    Slice slice;
    for (const auto& [d, v] : in.slice)
      slice.emplace_back(static_cast<int>(d), fleet.ValueIndex(d, v));
    // Where the effect is at full size; a drift is measured over its last fifth.
    TimeMs a = ri.onset + ri.ramp_ms, b = std::min(ri.end, a + kDayMs);
    double lo = 1.0;
    if (in.kind == "latency_drift") {
      a = ri.end - (ri.end - ri.onset) / 5;
      lo = 0.8;
    }
    std::string metric = "p95";
    int stage = in.stage ? static_cast<int>(*in.stage) : -1;
    if (in.kind == "failure_spike") metric = "failure_rate";
    if (in.kind == "timeout_storm") metric = "timeout_rate";
    if (in.kind == "rephrase_rise") metric = "rephrase_rate";
    if (in.kind == "false_barge_in_rise") metric = "false_barge_in_rate";
    if (in.kind == "volume_drop") metric = "volume";
    double m1 = Metric(with.events, slice, a, b, metric, stage);
    double m0 = Metric(without.events, slice, a, b, metric, stage);
    ASSERT_TRUE(std::isfinite(m0) && std::isfinite(m1)) << metric;
    if (metric == "p95") {
      // Latency sizes are relative: the stage's p95 scales by 1 + size.
      EXPECT_GE(m1 / m0, 1 + lo * in.size - 0.02);
      EXPECT_LE(m1 / m0, 1 + in.size + 0.02);
    } else if (metric == "volume") {
      EXPECT_NEAR(m1 / m0, 1 - in.size, 0.05);
    } else {
      // Rate sizes are absolute; turns that failed earlier (or were not ok, for barge-ins and
      // rephrases) dilute them a little.
      EXPECT_NEAR(m1 - m0, in.size, 0.25 * in.size) << "before " << m0 << " after " << m1;
    }
    // Siblings: change one dimension of the slice to each other value; nothing moves.
    for (size_t k = 0; k < slice.size(); ++k) {
      int d = slice[k].first;
      for (int v = 0; v < static_cast<int>(fleet.Values(static_cast<Dim>(d)).size()); ++v) {
        if (v == slice[k].second) continue;
        Slice sib = slice;
        sib[k].second = v;
        double s1 = Metric(with.events, sib, a, b, metric, stage);
        double s0 = Metric(without.events, sib, a, b, metric, stage);
        if (std::isnan(s0) && std::isnan(s1)) continue;
        EXPECT_NEAR(s1, s0, std::abs(s0) * 1e-9 + 1e-12)
            << "sibling " << DimName(static_cast<Dim>(d)) << "="
            << fleet.Values(static_cast<Dim>(d))[v];
      }
    }
    ++checked;
  }
  EXPECT_EQ(checked, 8);
}

TEST(IncidentTest, JointMovesAsrLatencyFailuresAndRephrasesInItsSliceAndNowhereElse) {
  auto scenario = ParseScenario(
      "name: joint\nstart: 2026-03-02\ndays: 1\nincidents:\n"
      "  - {id: j1, kind: joint, slice: {platform: iOS}, size: 0.3, error: 0.01, rephrase: 0.05,\n"
      "     onset: 8h, duration: 10h, ramp: 10m}\n",
      "joint.yaml");
  ASSERT_TRUE(scenario.ok()) << scenario.status().message();
  SimRun with = Generate(*scenario, 1, 100000, true);
  SimRun without = Generate(*scenario, 1, 100000, false);
  const Fleet& fleet = *with.fleet;
  ASSERT_EQ(fleet.Injections().size(), 1u);
  const ResolvedInjection& ri = fleet.Injections()[0];
  const int asr = static_cast<int>(Stage::kAsrFinal);
  const Slice ios = {{static_cast<int>(Dim::kPlatform), fleet.ValueIndex(Dim::kPlatform, "iOS")}};
  auto both = [&](const Slice& slice, TimeMs a, TimeMs b, const std::string& metric, int stage) {
    return std::make_pair(Metric(without.events, slice, a, b, metric, stage),
                          Metric(with.events, slice, a, b, metric, stage));
  };
  // At full size: the three parts, each as its own kind moves it.
  TimeMs a = ri.onset + ri.ramp_ms, b = ri.end;
  auto [p0, p1] = both(ios, a, b, "p95", asr);
  EXPECT_NEAR(p1 / p0, 1.3, 0.02);
  auto [f0, f1] = both(ios, a, b, "failure_rate", -1);
  EXPECT_NEAR(f1 - f0, 0.01, 0.0025) << "before " << f0 << " after " << f1;
  // Rephrases: +5 pp on ok turns, and the added failures rephrase more besides.
  auto [r0, r1] = both(ios, a, b, "rephrase_rate", -1);
  EXPECT_NEAR(r1 - r0, 0.05, 0.0125) << "before " << r0 << " after " << r1;
  auto [e0, e1] = both(ios, a, b, "p95", kE2e);
  EXPECT_GT(e1, e0);  // e2e follows its stage
  // Before the onset, and on every other platform, nothing moves at all.
  for (const std::string metric : {"p95", "failure_rate", "rephrase_rate", "volume"}) {
    SCOPED_TRACE(metric);
    auto [x0, x1] = both(ios, fleet.Start(), ri.onset, metric, asr);
    EXPECT_EQ(x0, x1);
    for (int v = 0; v < static_cast<int>(fleet.Values(Dim::kPlatform).size()); ++v) {
      if (v == ios[0].second) continue;
      auto [y0, y1] = both({{ios[0].first, v}}, a, b, metric, asr);
      if (std::isnan(y0) && std::isnan(y1)) continue;
      EXPECT_EQ(y0, y1) << fleet.Values(Dim::kPlatform)[v];
    }
  }
  // The truth names the three metrics it moves directly, and what follows from them.
  auto truth = nlohmann::json::parse(TruthJson(fleet, nullptr, nullptr));
  ASSERT_EQ(truth["incidents"].size(), 1u);
  const auto& t = truth["incidents"][0];
  EXPECT_EQ(t["kind"], "joint");
  EXPECT_EQ(t["stage"], "asr_final");
  EXPECT_EQ(t["metrics"].get<std::vector<std::string>>(),
            (std::vector<std::string>{"asr_final_p95", "failure_rate", "rephrase_rate"}));
  EXPECT_EQ(t["moved"].get<std::vector<std::string>>(),
            (std::vector<std::string>{"asr_final_p95", "failure_rate", "rephrase_rate", "e2e_p95",
                                      "e2e_p99", "good_turn_rate"}));
}

TEST(IncidentTest, JointHasDefaultPartsAndOnlyItTakesThem) {
  auto s = ParseScenario("incidents:\n  - {id: j, kind: joint, slice: {}, size: 0.06, onset: 1d}\n",
                         "j.yaml");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->injections[0].joint_error, 0.003);
  EXPECT_EQ(s->injections[0].joint_rephrase, 0.006);
  EXPECT_EQ(s->injections[0].stage, Stage::kAsrFinal);
  s = ParseScenario("incidents:\n  - {id: j, kind: joint, stage: nlu, size: 0.06, onset: 1d}\n",
                    "k.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("asr_final"), std::string::npos) << s.status().message();
  s = ParseScenario(
      "incidents:\n  - {id: r, kind: rephrase_rise, size: 0.06, rephrase: 0.1, onset: 1d}\n",
      "l.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("incidents[0].rephrase"), std::string::npos)
      << s.status().message();
}

TEST(IncidentTest, MixShiftMovesTheTotalP95ButNoLeafSlice) {
  auto scenario = LoadScenario("smoke");
  ASSERT_TRUE(scenario.ok());
  scenario->injections.erase(
      std::remove_if(scenario->injections.begin(), scenario->injections.end(),
                     [](const Injection& in) { return !in.decoy; }),
      scenario->injections.end());
  SimRun with = Generate(*scenario, 1, 400000, true);
  SimRun without = Generate(*scenario, 1, 400000, false);
  ASSERT_EQ(with.fleet->Injections().size(), 1u);
  const ResolvedInjection& ri = with.fleet->Injections()[0];
  TimeMs a = ri.onset + ri.ramp_ms, b = ri.end;
  const int e2e = kE2e;
  double total1 = Metric(with.events, {}, a, b, "p95", e2e);
  double total0 = Metric(without.events, {}, a, b, "p95", e2e);
  EXPECT_GT(total1 / total0, 1.04) << total0 << " → " << total1;
  // The slow model's share of traffic went up...
  const int model = static_cast<int>(Dim::kDeviceModel);
  const int slow = with.fleet->ValueIndex(Dim::kDeviceModel, "iPhone 12");
  double share1 = Metric(with.events, {{model, slow}}, a, b, "volume", 0) /
                  Metric(with.events, {}, a, b, "volume", 0);
  double share0 = Metric(without.events, {{model, slow}}, a, b, "volume", 0) /
                  Metric(without.events, {}, a, b, "volume", 0);
  EXPECT_GT(share1, share0 + 0.2);
  // ...while no leaf (device model × ASR mode × network) got slower or faster.
  const int mode = static_cast<int>(Dim::kAsrMode), net = static_cast<int>(Dim::kNetwork);
  int leaves = 0;
  for (int m = 0; m < static_cast<int>(with.fleet->Values(Dim::kDeviceModel).size()); ++m) {
    for (int md = 0; md < 2; ++md) {
      for (int n = 0; n < 3; ++n) {
        Slice leaf = {{model, m}, {mode, md}, {net, n}};
        double v1 = Metric(with.events, leaf, a, b, "volume", 0),
               v0 = Metric(without.events, leaf, a, b, "volume", 0);
        if (std::min(v0, v1) < 3000) continue;
        double p1 = Metric(with.events, leaf, a, b, "p95", e2e),
               p0 = Metric(without.events, leaf, a, b, "p95", e2e);
        EXPECT_NEAR(p1 / p0, 1.0, 0.06)
            << with.fleet->Values(Dim::kDeviceModel)[m] << " mode " << md << " net " << n;
        ++leaves;
      }
    }
  }
  EXPECT_GE(leaves, 8);
}

}  // namespace
}  // namespace vigil::sim
