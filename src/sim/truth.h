// Ground truth of a simulation (DESIGN §5.2), with the metric names of DESIGN §5.1.
#pragma once

#include <string>
#include <vector>

#include "sim/fleet.h"

namespace vigil::sim {

/// The §5.1 metrics an injected incident of `kind` moves (the stage's p95 for latency kinds).
std::vector<std::string> TruthMetrics(const std::string& kind, const char* stage);

/// Every §5.1 metric an incident of `kind` moves: its TruthMetrics plus the metrics that follow
/// from them where those are not already listed (for a joint change: e2e_p95, e2e_p99 and
/// good_turn_rate). truth.json writes it as `moved` when it differs from `metrics`.
std::vector<std::string> TruthMoved(const std::string& kind, const char* stage);

/// truth.json for a compiled fleet: its incidents, the injected decoys, and the decoys that come
/// from the fleet itself (holidays, DST changes, healthy rollouts) inside the run.
/// `incidents` and `decoys` receive the counts when not null. `detectability`, when given, holds
/// one figure per fleet.Injections() entry (DetectabilityCounter::Figures) and is written as each
/// incident's `detectability`.
std::string TruthJson(const Fleet& fleet, int* incidents, int* decoys,
                      const std::vector<double>* detectability = nullptr);

}  // namespace vigil::sim
