// The "nab" detector's tuning and a factory taking it, for the benchmark's cross-validation
// (bench/nab_cv.cc), which chooses the tuning on some categories and scores it on another.
#pragma once

#include <memory>

#include "vigil/detect.h"

namespace vigil::internal {

/// The tuning of the "nab" detector, fixed for every series (docs/nab.md says how it was chosen).
struct NabParams {
  double local_points = 3;     ///< local predictor: median of this many last points
  double scale_days = 3;       ///< robust scale window, in days (clamped to 100..2000 points)
  double select_days = 1;      ///< time constant of the predictor choice, in days
  double select_clip = 4;      ///< in that choice a residual counts at most this many scales
  double weekly_weeks = 3;     ///< weekly predictor: this many past weeks
  double short_points = 5;     ///< fast channel: surprise averaged over this many points
  double slow_points = 100;    ///< slow channel: averaged over this many points
  double long_days = 7;        ///< surprise distribution over this many days (200..8000 points)
  double clip = 8;             ///< surprises clipped here
  double floor_rel = 1e-2;     ///< scale floor relative to the recent value range
  double eligible_days = 1;    ///< a seasonal predictor speaks after this many days of residuals
  double refractory_days = 1;  ///< quiet after a report...
  double rearm_level = 0.99;   ///< ...and then until the probability stays below this...
  double rearm_days = 0.25;    ///< ...for this long
  double fire = 0.9975;        ///< a probability at or above this is a report
};

/// A "nab" detector with the given tuning (the registered one uses the defaults).
std::unique_ptr<Detector> MakeNabDetector(const DetectorOptions& options, const NabParams& params);

}  // namespace vigil::internal
