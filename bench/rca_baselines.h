// Published multi-dimensional root-cause methods, written from their papers' descriptions so
// that `rca_bench --eval` can score them on exactly the instances vigil's search is scored on.
// They are benchmark comparators, not part of the product: each keeps its method's core idea
// (the statistic it ranks by and the way it searches) and states where it simplifies.
// They take additive measures (actual and expected per leaf cell) and look at most three
// dimensions deep.
#pragma once

#include <string>

#include "vigil/explain.h"

namespace vigil::bench {

/// Adtributor (Bhagwan et al., NSDI 2014): one dimension at a time; elements ranked by surprise
/// (Jensen-Shannon divergence of their forecast and actual shares), kept while their explanatory
/// power passes 0.1 until the set explains 0.67 of the change; the three most surprising
/// dimensions' sets form the answer. Single-dimension elements only, by design.
std::string Adtributor(const RootCauseTable& table);

/// HotSpot (Sun et al., IEEE Access 2018): the potential score of a set of elements of one
/// cuboid, 1 - |v - a| / |v - f| with `a` the forecast redistributed by the ripple effect;
/// layer by layer, the smallest set reaching `potential_threshold` wins. Greedy addition by
/// single-element potential takes the place of the paper's Monte Carlo tree search (for
/// elements of one cuboid the potential gains add up, so the greedy order is the one MCTS
/// converges to); every cuboid is searched (no hierarchical pruning, which can only lose).
std::string HotSpot(const RootCauseTable& table, double potential_threshold = 0.75);

/// Squeeze (Li et al., ISSRE 2019): leaves are grouped by their deviation score
/// 2(f - v)/(f + v) around the peaks of its density (the group around zero is normal); in each
/// group, the elements of each cuboid are ranked by the share of their leaves in the group and
/// the prefix with the best generalized potential score is kept; across cuboids the best score
/// wins, the simplest within `simplicity_margin` of it. Leaves enter the grouping up to the knee
/// of their cumulative |v - f|; groups on the side opposite to the total change, or whose best
/// score is below 0.5, are taken for noise.
std::string Squeeze(const RootCauseTable& table, double simplicity_margin = 0.1);

/// RiskLoc (Kalander, 2022): leaves whose deviation passes a cutoff set by the deviations on
/// the other side of zero are abnormal (here the cutoff at which those estimate at most 10 % of
/// the abnormal leaves to be noise; the paper's largest deviation on the other side leaves
/// nothing abnormal under this benchmark's noise); an element's risk is the share of its forecast
/// volume in abnormal leaves; layer by layer, the riskiest element with risk >= `risk_threshold`
/// and at least 2 % of the deviation is taken and its leaves removed, until no element qualifies.
std::string RiskLoc(const RootCauseTable& table, double risk_threshold = 0.7);

}  // namespace vigil::bench
