// Latency: log-normal stage bodies with a Pareto tail; device stages scale with the model's
// speed, server stages with the regional load and, for ASR and TTS, a network round trip.
#include <algorithm>
#include <cmath>

#include "sim/fleet_model.h"

namespace vigil::sim {

LogNormal LogNormal::From(const LatencySpec& s) {
  if (s.p50 <= 0) return {-1e9, 0};  // always 0 (e.g. no round trip offline)
  return {std::log(s.p50), std::log(std::max(s.p95, s.p50) / s.p50) / kZ95};
}

void CompileLatency(const Scenario& s, FleetModel* m) {
  for (int st = 0; st < kStageCount; ++st) {
    m->on_device[st] = LogNormal::From(s.stages[st].on_device);
    m->server[st] = LogNormal::From(s.stages[st].server);
  }
  for (int n = 0; n < 3; ++n) m->rtt[n] = LogNormal::From(s.networks[n].rtt);
}

double DrawStageLatency(const FleetModel& m, const Scenario& s, const Turn& turn, int st,
                        bool at_device, Rng& r) {
  const double tail_start = 1 - s.tail_probability;
  const double inv_alpha = 1 / s.tail_alpha;
  const LogNormal& ln = at_device ? m.on_device[st] : m.server[st];
  double u = r.OpenUniform();
  double v = std::exp(ln.mu + ln.sigma * NormalQuantile(u));
  if (u > tail_start) {
    double w = (u - tail_start) / s.tail_probability;
    v *= std::min(50.0, std::pow(1 - w, -inv_alpha));
  }
  v *= at_device ? m.model_speed[turn.device->model] : m.region_factor[turn.device->region];
  if (st == static_cast<int>(Stage::kAsrFinal)) v *= m.families[1][turn.asr].latency_factor;
  if (st == static_cast<int>(Stage::kTtsFirstAudio)) v *= m.families[2][turn.voice].latency_factor;
  if (!at_device &&
      (st == static_cast<int>(Stage::kAsrFinal) || st == static_cast<int>(Stage::kTtsFirstAudio))) {
    const LogNormal& rt = m.rtt[turn.network];
    v += std::exp(rt.mu + rt.sigma * NormalQuantile(r.OpenUniform()));
  }
  return v;
}

}  // namespace vigil::sim
