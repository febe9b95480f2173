// `vigil rca --cells FILE.csv --dims a,b,c,d --actual real --expected predict [--json]`: the
// root-cause search on one table of leaf cells, printing the root-cause set on its last line in
// the notation of the published benchmarks (`a=a2&b=b12;c=c4`; an empty line when none).
// `vigil rca --batch DIR ...`: every case of a folder in the Squeeze benchmark's layout, scored
// per setting as the published evaluations score it.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "command.h"
#include "vigil/eval.h"
#include "vigil/explain.h"

namespace vigil::cli {
namespace {

struct Options {
  std::string cells, batch, dims, actual = "real", expected = "predict", actual_den, expected_den;
  size_t max_elements = 10;
  double min_fraction = 0;
  bool json = false;
};

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    std::string part =
        s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!part.empty()) out.push_back(part);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// The cases of one setting folder: (cell file, true set) from its injection_info.csv, whose
// header names a `set` and a `timestamp` column.
Result<std::vector<std::pair<std::string, std::string>>> ReadCases(const std::string& dir) {
  std::string path = dir + "/injection_info.csv";
  std::ifstream in(path);
  if (!in) return NotFound(path + ": cannot open the case list");
  std::string line;
  std::vector<std::string> header;
  int set_col = -1, time_col = -1;
  std::vector<std::pair<std::string, std::string>> cases;
  for (size_t number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<std::string> fields;
    size_t start = 0;
    while (true) {
      size_t comma = line.find(',', start);
      fields.push_back(
          line.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (number == 1) {
      for (size_t i = 0; i < fields.size(); ++i) {
        if (fields[i] == "set") set_col = static_cast<int>(i);
        if (fields[i] == "timestamp") time_col = static_cast<int>(i);
      }
      if (set_col < 0 || time_col < 0)
        return DataError(path + ":1: expected the columns 'set' and 'timestamp'");
      continue;
    }
    if (line.empty()) continue;
    if (fields.size() <= static_cast<size_t>(std::max(set_col, time_col)))
      return DataError(fmt::format("{}:{}: fewer fields than the header", path, number));
    cases.emplace_back(dir + "/" + fields[time_col] + ".csv", fields[set_col]);
  }
  return cases;
}

int RunBatch(const Options& o, const RootCauseCsvColumns& cols, const RootCauseOptions& options) {
  namespace fs = std::filesystem;
  std::vector<std::string> settings;
  if (fs::exists(o.batch + "/injection_info.csv")) {
    settings.push_back(o.batch);
  } else {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(o.batch, ec))
      if (e.is_directory() && fs::exists(e.path() / "injection_info.csv"))
        settings.push_back(e.path().string());
    if (ec) return ReportError(NotFound(o.batch + ": " + ec.message()));
    std::sort(settings.begin(), settings.end());
  }
  if (settings.empty())
    return ReportError(NotFound(o.batch + ": no injection_info.csv here or in its folders"));
  fmt::print("{:<32} {:>5} {:>5} {:>5} {:>5} {:>9} {:>7} {:>6} {:>8}\n", "setting", "cases", "TP",
             "FP", "FN", "precision", "recall", "F1", "ms/case");
  RootCauseScore all;
  double all_ms = 0;
  for (const std::string& dir : settings) {
    auto cases = ReadCases(dir);
    if (!cases.ok()) return ReportError(cases.status());
    RootCauseScore score;
    double ms = 0;
    for (const auto& [file, truth] : *cases) {
      auto table = ReadRootCauseCsv(file, cols);
      if (!table.ok()) return ReportError(table.status());
      auto started = std::chrono::steady_clock::now();
      auto causes = LocalizeRootCauses(*table, options);
      ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
                .count();
      if (!causes.ok()) return ReportError(causes.status());
      score.Add(ScoreRootCauseSet(FormatRootCauseSet(*causes), truth));
    }
    all.Add(score);
    all_ms += ms;
    fmt::print("{:<32} {:>5} {:>5} {:>5} {:>5} {:>9.3f} {:>7.3f} {:>6.3f} {:>8.1f}\n",
               fs::path(dir).filename().string(), score.cases, score.true_positives,
               score.false_positives, score.false_negatives, score.precision(), score.recall(),
               score.f1(), score.cases ? ms / static_cast<double>(score.cases) : 0.0);
  }
  fmt::print("{:<32} {:>5} {:>5} {:>5} {:>5} {:>9.3f} {:>7.3f} {:>6.3f} {:>8.1f}\n", "all",
             all.cases, all.true_positives, all.false_positives, all.false_negatives,
             all.precision(), all.recall(), all.f1(),
             all.cases ? all_ms / static_cast<double>(all.cases) : 0.0);
  return 0;
}

Action Setup(CLI::App* app) {
  auto o = std::make_shared<Options>();
  app->add_option("--cells", o->cells, "CSV of leaf cells with a header row");
  app->add_option("--batch", o->batch,
                  "A folder of cases (injection_info.csv with set and timestamp columns, one "
                  "<timestamp>.csv each), or of such folders: per-setting precision, recall, F1")
      ->excludes("--cells");
  app->add_option("--dims", o->dims, "Dimension columns, comma-separated (e.g. a,b,c,d)")
      ->required();
  app->add_option("--actual", o->actual, "Column of the actual value (numerator for a rate)")
      ->capture_default_str();
  app->add_option("--expected", o->expected, "Column of the expected/forecast value")
      ->capture_default_str();
  app->add_option("--actual-den", o->actual_den, "For a rate: column of the actual denominator");
  app->add_option("--expected-den", o->expected_den,
                  "For a rate: column of the expected denominator");
  app->add_option("--max-elements", o->max_elements, "At most this many elements")
      ->capture_default_str();
  app->add_option("--min-fraction", o->min_fraction,
                  "Drop elements explaining less of the deviation")
      ->capture_default_str();
  app->add_flag("--json", o->json,
                "Print the elements with their explained fractions as JSON first");
  return [o]() -> int {
    RootCauseCsvColumns cols;
    cols.dimensions = SplitList(o->dims);
    if (cols.dimensions.empty())
      return ReportError(InvalidArgument("--dims: at least one dimension column"));
    cols.actual = o->actual;
    cols.expected = o->expected;
    cols.actual_den = o->actual_den;
    cols.expected_den = o->expected_den;
    if (o->actual_den.empty() != o->expected_den.empty())
      return ReportError(InvalidArgument("--actual-den and --expected-den go together"));
    RootCauseOptions options;
    options.ratio = !o->actual_den.empty();
    options.max_elements = o->max_elements;
    options.min_explained_fraction = o->min_fraction;
    if (!o->batch.empty()) return RunBatch(*o, cols, options);
    if (o->cells.empty()) return ReportError(InvalidArgument("--cells or --batch is required"));
    auto table = ReadRootCauseCsv(o->cells, cols);
    if (!table.ok()) return ReportError(table.status());
    if (table->size() == 0) Warn(o->cells + ": no cells");
    auto causes = LocalizeRootCauses(*table, options);
    if (!causes.ok()) return ReportError(causes.status());
    if (o->json) {
      nlohmann::json out = nlohmann::json::array();
      for (const RootCause& rc : *causes) {
        nlohmann::json slice = nlohmann::json::object();
        for (const auto& [dim, value] : rc.slice) slice[dim] = value;
        out.push_back({{"slice", slice},
                       {"explained_fraction", rc.explained_fraction},
                       {"baseline", rc.expected},
                       {"observed", rc.actual},
                       {"score", rc.score}});
      }
      fmt::print("{}\n", nlohmann::json{{"root_causes", out}}.dump(2));
    }
    fmt::print("{}\n", FormatRootCauseSet(*causes));
    return 0;
  };
}

const bool kRegistered = RegisterCommand(
    {"rca", "Localize the root cause of a deviation in a table of leaf cells", 45, Setup});

}  // namespace
}  // namespace vigil::cli
