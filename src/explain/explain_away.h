// Explain-away with a choice of how a comparison reads the cube. Private to src/explain and its
// tests.
#pragma once

#include <vector>

#include "vigil/explain.h"

namespace vigil::internal {

/// ExplainAway; `read_cells_once` false: every comparison scans its windows again, as before the
/// cells of each anomaly were found once (kept so tests hold the fast path to the same answers).
std::vector<Anomaly> ExplainAway(const Cube& cube, std::vector<Anomaly> all, bool read_cells_once);

}  // namespace vigil::internal
