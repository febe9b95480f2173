// How detectable each injected incident is: the size of its change over the noise of the
// metric it moves, in the slice it hits, measured on the simulated traffic itself. Recall is
// reported above a stated floor of this figure, so that an incident nobody could see in the
// data does not count as a miss, and one anybody could see does.
#pragma once

#include <vector>

#include "sim/fleet.h"

namespace vigil::sim {

/// Counts, while the events are generated, the traffic of each incident's slice in a window of
/// the day before its onset (the same hours, so the daily cycle does not bias the counts).
class DetectabilityCounter {
 public:
  explicit DetectabilityCounter(const Fleet& fleet);

  /// Every generated event, in any order.
  void Add(const SimEvent& event);

  /// One figure per entry of fleet.Injections() (0 for decoys): a z-score, the effect at full
  /// size over the standard error of the metric over the window —
  ///   latency kinds: relative change of the stage's p95 over its relative standard error
  ///                  (2.11·σ/√n for a log-normal p95, σ from the stage's p50 and p95);
  ///   rate kinds:    added probability over √(p₀(1−p₀)/n), p₀ the slice's own rate;
  ///   volume_drop:   lost turns over their Poisson noise, size·√n;
  ///   joint:         the largest of its three parts' figures (asr_final latency, errors and
  ///                  rephrases, each computed as for its own kind).
  /// The window is the first hour of the incident (its duration when shorter; for a drift the
  /// first day, with the mean effect over it; for a new version's cohort its first day).
  std::vector<double> Figures() const;

 private:
  struct Tally {
    TimeMs from = 0, to = 0;
    std::vector<std::pair<int, uint16_t>> slice;  // dimension index, value index
    double window_ms = 0;
    long events = 0;      // in the slice (for a false barge-in: its full-duplex turns)
    long with_stage = 0;  // that ran the injected stage
    long errors = 0, timeouts = 0, rephrased = 0;  // that show each outcome an incident raises
    long false_barge_ins = 0;
    bool valid = false;
  };
  const Fleet& fleet_;
  int full_duplex_ = -1;
  std::vector<Tally> tallies_;
};

}  // namespace vigil::sim
