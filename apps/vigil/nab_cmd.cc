// `vigil nab --data DIR --labels FILE --out DIR [--detector NAME]`: runs a detector causally over
// every labelled NAB series, writes NAB-format results (OUT/vigil/<category>/vigil_<name>.csv)
// and prints the normalized NAB scores of the three profiles per category and in total.
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "command.h"
#include "vigil/nab.h"

namespace vigil::cli {
namespace {

struct Options {
  std::string data, labels, out, detector = "nab";
  bool quiet = false;
};

std::string Cell(const NabTally& t) {
  double n = t.normalized();
  // A category without windows has nothing to normalize against: its raw score (FP costs) shows.
  return std::isnan(n) ? fmt::format("{:>8.2f}r", t.raw) : fmt::format("{:>8.2f} ", n);
}

Action Setup(CLI::App* app) {
  auto o = std::make_shared<Options>();
  app->add_option("--data", o->data, "NAB data folder (holding <category>/<name>.csv)")->required();
  app->add_option("--labels", o->labels, "NAB combined_windows.json")->required();
  app->add_option("--out", o->out, "Results folder (NAB layout: OUT/vigil/<category>/...)")
      ->required();
  app->add_option("--detector", o->detector, "Registered detector to run")->capture_default_str();
  app->add_flag("--quiet", o->quiet, "Print only the total line");
  return [o]() -> int {
    namespace fs = std::filesystem;
    if (!fs::is_directory(o->data)) {
      return ReportError(NotFound("--data " + o->data +
                                  ": no such folder (expected NAB's data/ "
                                  "with one folder per category)"));
    }
    if (!fs::is_regular_file(o->labels)) {
      return ReportError(NotFound("--labels " + o->labels +
                                  ": no such file (expected NAB's "
                                  "labels/combined_windows.json)"));
    }
    auto start = std::chrono::steady_clock::now();
    auto windows = ReadNabWindows(o->labels);
    if (!windows.ok()) return ReportError(windows.status());
    auto corpus = ReadNabCorpus(o->data, *windows);
    if (!corpus.ok()) return ReportError(corpus.status());

    std::vector<NabScoredSeries> scored;
    size_t rows = 0;
    for (const NabSeries& s : *corpus) {
      DetectorOptions options;
      options.direction = Direction::kBoth;  // NAB anomalies go either way
      auto scores = RunNabDetector(s, o->detector, options);
      if (!scores.ok()) return ReportError(scores.status());
      scored.push_back({&s, windows->at(s.key), std::move(*scores)});
      rows += s.size();
    }
    double detect_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (const NabScoredSeries& s : scored) {
      auto written = WriteNabResults(o->out, "vigil", s);
      if (!written.ok()) return ReportError(written.status());
    }
    std::vector<NabProfileResult> results;
    for (const NabProfile& p : NabProfiles()) results.push_back(NabScore(scored, p));
    double total_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    if (!o->quiet) {
      fmt::print("{:<24} {:>5} {:>7} {:>9} {:>9} {:>9}\n", "category", "files", "windows",
                 "standard", "low_FP", "low_FN");
      std::map<std::string, size_t> files;
      for (const NabSeries& s : *corpus) ++files[s.category];
      for (const auto& [category, n] : files) {
        fmt::print(
            "{:<24} {:>5} {:>7} {}{}{}\n", category, n, results[0].by_category.at(category).windows,
            Cell(results[0].by_category.at(category)), Cell(results[1].by_category.at(category)),
            Cell(results[2].by_category.at(category)));
      }
    }
    fmt::print("{:<24} {:>5} {:>7} {}{}{}\n", "total", corpus->size(), results[0].total.windows,
               Cell(results[0].total), Cell(results[1].total), Cell(results[2].total));
    if (!o->quiet) {
      for (const NabProfileResult& r : results) {
        fmt::print(
            "{:<20} threshold {:.6f}  raw {:8.3f}  windows detected {}/{}  false positives {}\n",
            r.profile.name, r.threshold, r.total.raw, r.total.detected, r.total.windows,
            r.total.false_positives);
      }
      fmt::print(
          "(r: raw score of a category without windows; normalized 100 (raw - null) / "
          "(perfect - null) elsewhere)\n");
    }
    std::fprintf(stderr,
                 "detector '%s' over %zu series (%zu rows) in %.2f s, %.2f s in all; "
                 "results under %s\n",
                 o->detector.c_str(), corpus->size(), rows, detect_s, total_s,
                 (fs::path(o->out) / "vigil").string().c_str());
    return 0;
  };
}

const bool kRegistered = RegisterCommand(
    {"nab", "Run and score a detector on the Numenta Anomaly Benchmark", 70, Setup});

}  // namespace
}  // namespace vigil::cli
