// The parts of CollectEvidence, each in its own file: latency stages (stages.cc), root causes
// over the cube's leaf cells (cube_root_causes.cc), what changed and the mix-shift test
// (changes.cc). Private to src/explain.
#pragma once

#include <string>
#include <vector>

#include "vigil/explain.h"

namespace vigil::internal {

/// True when `slice` fixes dimension `dimension`.
bool FixesDimension(const Slice& slice, const std::string& dimension);

/// Each stage's share of the summed increase of its latency statistic (the metric's quantile, or
/// the mean) between `before` and `now`; empty for other metric types, without stages, or when no
/// stage rose.
std::vector<StageShare> LatencyStages(const Cube& cube, const MetricSpec& metric,
                                      const Aggregate& now, const Aggregate& before);

/// Root causes over the leaf cells of the anomaly's window against the reference window, as full
/// slices (the anomaly's slice plus the localized part); empty when nothing stands out.
std::vector<RootCause> LeafRootCauses(const Cube& cube, const Anomaly& anomaly, int metric,
                                      const std::vector<LeafCell>& now_cells,
                                      const std::vector<LeafCell>& before_cells);

/// What changed at the onset and the mix-shift test, along every dimension the anomaly's slice
/// leaves free: fills `evidence`'s what_changed (largest share increase first, at most 5),
/// mix_shift and mix_dimension. [from, to) is the anomaly's window; `now`/`before` are the
/// slice's totals over it and over the reference window, `*_cells` their leaf cells.
void FindChanges(const Cube& cube, const Anomaly& anomaly, int metric, TimeMs from, TimeMs to,
                 const Aggregate& now, const Aggregate& before,
                 const std::vector<LeafCell>& now_cells, const std::vector<LeafCell>& before_cells,
                 Evidence* evidence);

}  // namespace vigil::internal
