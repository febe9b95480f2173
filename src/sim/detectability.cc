#include "sim/detectability.h"

#include <algorithm>
#include <cmath>

#include "sim/rng.h"

namespace vigil::sim {
namespace {

constexpr double kHour = static_cast<double>(kHourMs);

bool IsLatency(const std::string& kind) {
  return kind == "latency_step" || kind == "latency_drift" || kind == "rollout_regression";
}

}  // namespace

DetectabilityCounter::DetectabilityCounter(const Fleet& fleet) : fleet_(fleet) {
  full_duplex_ = fleet.ValueIndex(Dim::kConversationMode, "full_duplex");
  for (const ResolvedInjection& ri : fleet.Injections()) {
    Tally t;
    const Injection& in = *ri.spec;
    if (!in.decoy) {
      double duration = static_cast<double>(ri.end - ri.onset);
      bool cohort = in.kind == "rollout_regression";
      bool slow = cohort || in.kind == "latency_drift";
      t.window_ms = std::min(duration, slow ? 24 * kHour : kHour);
      // The same hours of the day before, or the hours just before the onset when the run
      // started less than a day earlier. A new version's cohort has no traffic before its
      // release: it is counted over its first day (counts only, which the injection leaves
      // alone for latency).
      TimeMs from = cohort ? ri.onset
                    : ri.onset - kDayMs >= fleet.Start()
                        ? ri.onset - kDayMs
                        : ri.onset - static_cast<TimeMs>(t.window_ms);
      t.from = std::max(from, fleet.Start());
      t.to = t.from + static_cast<TimeMs>(t.window_ms);
      t.valid = true;
      for (const auto& [dim, value] : in.slice) {
        int index = fleet.ValueIndex(dim, value);
        if (index < 0) t.valid = false;
        t.slice.emplace_back(static_cast<int>(dim), static_cast<uint16_t>(std::max(index, 0)));
      }
    }
    tallies_.push_back(std::move(t));
  }
}

void DetectabilityCounter::Add(const SimEvent& e) {
  const auto& injections = fleet_.Injections();
  for (size_t i = 0; i < tallies_.size(); ++i) {
    Tally& t = tallies_[i];
    if (!t.valid || e.ts < t.from || e.ts >= t.to) continue;
    bool in_slice = true;
    for (const auto& [dim, value] : t.slice) in_slice = in_slice && e.dims[dim] == value;
    if (!in_slice) continue;
    const Injection& in = *injections[i].spec;
    if (in.kind == "false_barge_in_rise") {
      if (e.dims[static_cast<int>(Dim::kConversationMode)] != full_duplex_) continue;
      ++t.events;
      t.false_barge_ins += e.false_barge_in ? 1 : 0;
      continue;
    }
    ++t.events;
    if (in.stage && e.Has(static_cast<int>(*in.stage))) ++t.with_stage;
    t.errors += e.outcome == Outcome::kError ? 1 : 0;
    t.timeouts += e.outcome == Outcome::kTimeout ? 1 : 0;
    t.rephrased += e.rephrased ? 1 : 0;
  }
}

std::vector<double> DetectabilityCounter::Figures() const {
  std::vector<double> out;
  const auto& injections = fleet_.Injections();
  const Scenario& s = fleet_.scenario();
  for (size_t i = 0; i < tallies_.size(); ++i) {
    const Tally& t = tallies_[i];
    const ResolvedInjection& ri = injections[i];
    const Injection& in = *ri.spec;
    double z = 0;
    if (t.valid && t.events > 0) {
      double n = static_cast<double>(t.events);
      // A stage's latency scaled by 1 + effect, over the p95's relative standard error.
      auto latency_z = [&](double effect) {
        const StageSpec& st = s.stages[static_cast<int>(in.stage.value_or(Stage::kAsrFinal))];
        double sigma = std::max(std::log(st.server.p95 / st.server.p50),
                                std::log(st.on_device.p95 / st.on_device.p50)) /
                       kZ95;
        double m = static_cast<double>(std::max<long>(t.with_stage, 1));
        return effect / (2.11 * sigma / std::sqrt(m));
      };
      // A probability raised by `added` over the binomial noise of the slice's own rate.
      auto rate_z = [&](double added, long hits) {
        double p0 = std::max(static_cast<double>(hits) / n, 1 / n);
        return added / std::sqrt(p0 * (1 - std::min(p0, 0.5)) / n);
      };
      if (IsLatency(in.kind)) {
        double effect = in.size;
        if (in.kind == "latency_drift") {
          double span = static_cast<double>(std::max<int64_t>(ri.ramp_ms, 1));
          effect = in.size * std::min(1.0, t.window_ms / span) / 2;
        }
        z = latency_z(effect);
      } else if (in.kind == "volume_drop") {
        z = in.size * std::sqrt(n);
      } else if (in.kind == "joint") {
        z = std::max({latency_z(in.size), rate_z(in.joint_error, t.errors),
                      rate_z(in.joint_rephrase, t.rephrased)});
      } else {
        long hits = in.kind == "failure_spike"         ? t.errors
                    : in.kind == "timeout_storm"       ? t.timeouts
                    : in.kind == "rephrase_rise"       ? t.rephrased
                    : in.kind == "false_barge_in_rise" ? t.false_barge_ins
                                                       : 0;
        z = rate_z(in.size, hits);
      }
    }
    out.push_back(std::round(z * 10) / 10);
  }
  return out;
}

}  // namespace vigil::sim
