// `vigil rca --cells FILE.csv --dims a,b,c,d --actual real --expected predict [--json]`: the
// root-cause search on one table of leaf cells, printing the root-cause set on its last line in
// the notation of the published benchmarks (`a=a2&b=b12;c=c4`; an empty line when none).
#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "command.h"
#include "vigil/explain.h"

namespace vigil::cli {
namespace {

struct Options {
  std::string cells, dims, actual = "real", expected = "predict", actual_den, expected_den;
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

Action Setup(CLI::App* app) {
  auto o = std::make_shared<Options>();
  app->add_option("--cells", o->cells, "CSV of leaf cells with a header row")->required();
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
    auto table = ReadRootCauseCsv(o->cells, cols);
    if (!table.ok()) return ReportError(table.status());
    if (table->size() == 0) Warn(o->cells + ": no cells");
    RootCauseOptions options;
    options.ratio = !o->actual_den.empty();
    options.max_elements = o->max_elements;
    options.min_explained_fraction = o->min_fraction;
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
