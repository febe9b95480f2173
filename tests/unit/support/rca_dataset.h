// Synthetic root-cause datasets built the way the RiskLoc paper (Kalander, 2022) describes its
// S, L and H datasets: every combination of the dimension values is a leaf cell with a
// heavy-tailed real value, a forecast with relative noise, and anomalies injected on 1..k
// elements at random depths. Used by the unit tests and by bench/rca_bench.cc to score F1.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vigil/explain.h"

namespace vigil::testing {

/// The parameters of one dataset; each range is sampled uniformly per instance (per anomaly for
/// the anomaly parameters).
struct RcaDatasetSpec {
  std::string name;
  std::vector<int> dims;                           ///< values per dimension (named a, b, c, ...)
  double weibull_min = 0.5, weibull_max = 1.0;     ///< shape of the real values (scale 100)
  double zero_rate_min = 0, zero_rate_max = 0.25;  ///< share of cells set to zero
  double noise_min = 0, noise_max = 0.25;          ///< relative forecast error (standard deviation)
  double severity_min = 0.2, severity_max = 1.0;   ///< relative drop, plus the noise level
  double deviation_min = 0, deviation_max = 0.1;   ///< spread of the drop across the cells
  int anomalies_min = 1, anomalies_max = 3;        ///< independent anomalies per instance
  int elements_min = 1, elements_max = 3;          ///< elements per anomaly (same cuboid)
  bool only_last_layer = false;                    ///< anomalies on single cells only
  int depth = 0;                                   ///< when > 0, every anomaly at this depth
  bool ratio = false;  ///< a rate: the anomaly lowers the numerator of its cells
};

/// One generated instance: its cells and the true root-cause set in benchmark notation.
struct RcaInstance {
  RootCauseTable table;
  std::string truth;
};

/// Generates one instance; the same spec and seed give the same instance.
RcaInstance GenerateRcaInstance(const RcaDatasetSpec& spec, uint64_t seed);

/// The datasets of the evaluation (docs/root_cause.md): S, L, H as in the RiskLoc paper, and
/// a ratio-metric dataset R.
RcaDatasetSpec RcaDatasetS();
RcaDatasetSpec RcaDatasetL();
RcaDatasetSpec RcaDatasetH();
RcaDatasetSpec RcaDatasetR();

}  // namespace vigil::testing
