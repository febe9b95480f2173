// Failures: each stage may fail or time out (at its configured rate, timeouts scaled by the
// network, plus what injections add), which ends the turn; TTS may be cancelled by the user.
// Then the follow-ups: a rephrase (likelier after an error) and, in full duplex, a barge-in.
#include <algorithm>
#include <cctype>
#include <string>

#include "sim/fleet_model.h"

namespace vigil::sim {

void CompileErrorKinds(const Scenario& s, std::vector<ErrorKind>* kinds) {
  for (int st = 0; st < kStageCount; ++st) {
    const StageSpec& ss = s.stages[st];
    std::string up = StageName(static_cast<Stage>(st));
    std::transform(up.begin(), up.end(), up.begin(),
                   [](unsigned char c) { return std::toupper(c); });
    kinds->push_back({ss.error_code.empty() ? up + "_ERROR" : ss.error_code,
                      ss.error_message.empty() ? up + " failed" : ss.error_message});
    kinds->push_back(
        {ss.timeout_code.empty() ? up + "_TIMEOUT" : ss.timeout_code,
         ss.timeout_message.empty() ? up + " timed out after {ms} ms" : ss.timeout_message});
  }
  kinds->push_back({"USER_CANCELLED", "Request cancelled by user after {ms} ms"});
}

void RunStages(const FleetModel& m, const Scenario& s, const Turn& turn,
               const InjectedEffects& effects, Rng& r, SimEvent* e) {
  const int net = turn.network;
  double sum = 0;
  for (int st = 0; st < kStageCount; ++st) {
    const StageSpec& ss = s.stages[st];
    if (st == static_cast<int>(Stage::kTtsFirstAudio) && r.Uniform() < s.cancel) {
      e->outcome = Outcome::kCancelled;
      e->error_kind = static_cast<int16_t>(2 * kStageCount);
      e->err_b = static_cast<uint32_t>(sum);
      e->err_a = static_cast<uint32_t>(r.Next());
      break;
    }
    const bool at_device = st == 0 || turn.on_device;
    double v = DrawStageLatency(m, s, turn, st, at_device, r);
    v *= effects.lat_mult[st];
    double uf = r.Uniform();
    double pe = ss.error + effects.err_add[st];
    double pt = ss.timeout * s.networks[net].timeout_factor + effects.to_add[st];
    if (uf < pe + pt) {
      bool error = uf < pe;
      e->outcome = error ? Outcome::kError : Outcome::kTimeout;
      int16_t base = static_cast<int16_t>(2 * st + (error ? 0 : 1));
      int16_t over = error ? effects.err_override[st] : effects.to_override[st];
      bool injected =
          error ? uf >= ss.error : uf >= pe + ss.timeout * s.networks[net].timeout_factor;
      e->error_kind = injected && over >= 0 ? over : base;
      e->err_a = static_cast<uint32_t>(r.Next());
      e->err_b = error ? static_cast<uint32_t>(v)
                       : static_cast<uint32_t>(ss.timeout_ms) + static_cast<uint32_t>(r.Below(40));
      break;
    }
    e->latency[st] = static_cast<float>(v);
    e->latency_mask |= 1 << st;
    sum += v;
  }
  const bool ok = e->outcome == Outcome::kOk;
  if (ok) {
    e->latency[kE2e] = static_cast<float>(sum);
    e->latency_mask |= 1 << kE2e;
  }
  double pr = ok ? s.rephrase * m.families[1][turn.asr].rephrase_factor + effects.rephrase_add
                 : s.rephrase_after_error;
  e->rephrased = r.Uniform() < pr;
  if (turn.full_duplex && ok) {
    double ub = r.Uniform();
    double fb = s.false_barge_in + effects.fbi_add;
    e->false_barge_in = ub < fb;
    e->barge_in = !e->false_barge_in && ub < fb + s.barge_in;
  }
}

}  // namespace vigil::sim
