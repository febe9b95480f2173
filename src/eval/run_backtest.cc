// The backtest of a cube through the pipeline, and the figures read off its report.
#include <algorithm>

#include "vigil/eval.h"
#include "vigil/pipeline.h"

namespace vigil {
namespace {

std::vector<double> SortedDelays(const BacktestReport& report) {
  std::vector<double> delays;
  for (const auto& m : report.matches)
    if (m.found) delays.push_back(m.detection_delay_ms);
  std::sort(delays.begin(), delays.end());
  return delays;
}

}  // namespace

size_t BacktestReport::found() const {
  size_t n = 0;
  for (const auto& m : matches) n += m.found;
  return n;
}

double BacktestReport::median_delay_ms() const {
  std::vector<double> delays = SortedDelays(*this);
  return delays.empty() ? 0 : delays[delays.size() / 2];
}

double BacktestReport::worst_delay_ms() const {
  std::vector<double> delays = SortedDelays(*this);
  return delays.empty() ? 0 : delays.back();
}

std::map<std::string, BacktestReport::KindRecall> BacktestReport::recall_by_kind() const {
  std::map<std::string, KindRecall> out;
  for (const auto& m : matches) {
    KindRecall& k = out[m.kind];
    ++k.total;
    if (m.found) ++k.found;
  }
  return out;
}

Result<BacktestReport> RunBacktest(const Cube& cube, const Truth& truth,
                                   const BacktestOptions& options) {
  InvestigateOptions investigate;
  investigate.files = options.files;
  VIGIL_ASSIGN_OR_RETURN(Investigation found, Investigate(cube, investigate));
  BacktestReport report = Backtest(found.detection.anomalies, truth);
  ScoreIncidents(found.incidents, truth, &report);
  if (options.feedback) {
    VIGIL_ASSIGN_OR_RETURN(auto verdicts, options.feedback(found.incidents));
    ScoreFeedback(found.incidents, verdicts, &report);
  }
  return report;
}

}  // namespace vigil
