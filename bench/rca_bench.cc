// Root-cause localization: speed on one core, and accuracy on the synthetic datasets.
//
// Speed (Google Benchmark):
//   BM_Localize/105600     the search over 105,600 leaf cells (dims 10x12x10x8x11, S-style data
//                          with injected anomalies), encoded table in, root-cause set out;
//   BM_LocalizeStrings     the same through the string-valued cell API (dictionary encoding
//                          included), as a pipeline without codes would call it;
//   BM_RcaCsv/20000        what `vigil rca` does on a 20,000-row cell file: read and parse the
//                          CSV, search, format the answer.
// Accuracy: `rca_bench --eval=S:1000,L:1000,H:20,R:300` generates that many instances of each
// dataset (rca_dataset.h), runs the search on each and prints precision, recall and F1 per
// dataset (add `--by_setting` for each broken down by anomaly depth and element count, and
// `--significance=X` to override RootCauseOptions::significance).
// `--b0=DIR` scores the Squeeze benchmark's layout (../shared/benchmarks/rca-b0-sample) per
// setting, as the published evaluations count it.
// `--methods=vigil,adtributor,hotspot,squeeze,riskloc` scores the published methods
// (rca_baselines.h) on the same instances; `name:X` sets a method's threshold to X.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "rca_baselines.h"
#include "support/rca_dataset.h"
#include "vigil/eval.h"
#include "vigil/explain.h"

namespace {

using vigil::RootCauseScore;
using vigil::testing::RcaDatasetSpec;
using vigil::testing::RcaInstance;

RcaDatasetSpec BigSpec() {
  RcaDatasetSpec s = vigil::testing::RcaDatasetS();
  s.dims = {10, 12, 10, 8, 11};
  return s;
}

const RcaInstance& BigInstance() {
  static RcaInstance inst = vigil::testing::GenerateRcaInstance(BigSpec(), 7);
  return inst;
}

void BM_Localize(benchmark::State& state) {
  const RcaInstance& inst = BigInstance();
  size_t found = 0;
  for (auto _ : state) {
    auto r = vigil::LocalizeRootCauses(inst.table);
    if (!r.ok()) state.SkipWithError(r.status().message().c_str());
    found = r->size();
    benchmark::DoNotOptimize(r);
  }
  state.counters["cells"] = double(inst.table.size());
  state.counters["elements"] = double(found);
}
BENCHMARK(BM_Localize)->Arg(105600)->Unit(benchmark::kMillisecond);

void BM_LocalizeStrings(benchmark::State& state) {
  const RcaInstance& inst = BigInstance();
  const auto& t = inst.table;
  std::vector<vigil::RootCauseCell> cells(t.size());
  const size_t dims = t.dimensions.size();
  for (size_t i = 0; i < t.size(); ++i) {
    for (size_t d = 0; d < dims; ++d) cells[i].values.push_back(t.values[d][t.codes[i * dims + d]]);
    cells[i].actual = t.actual[i];
    cells[i].expected = t.expected[i];
  }
  for (auto _ : state) {
    auto r = vigil::LocalizeRootCauses(t.dimensions, cells);
    benchmark::DoNotOptimize(r);
  }
  state.counters["cells"] = double(cells.size());
}
BENCHMARK(BM_LocalizeStrings)->Unit(benchmark::kMillisecond);

// A 20,000-row file in the benchmarks' column order (real,predict,a,b,c,d).
std::string CsvFile() {
  static std::string path = [] {
    RcaDatasetSpec s = vigil::testing::RcaDatasetS();
    s.dims = {10, 20, 10, 10};
    RcaInstance inst = vigil::testing::GenerateRcaInstance(s, 11);
    auto p = std::filesystem::temp_directory_path() / "vigil_rca_bench_20k.csv";
    std::ofstream out(p);
    out << "real,predict,a,b,c,d\n";
    const auto& t = inst.table;
    char buf[64];
    for (size_t i = 0; i < t.size(); ++i) {
      std::snprintf(buf, sizeof buf, "%.6g,%.6g", t.actual[i], t.expected[i]);
      out << buf;
      for (size_t d = 0; d < 4; ++d) out << ',' << t.values[d][t.codes[i * 4 + d]];
      out << '\n';
    }
    return p.string();
  }();
  return path;
}

void BM_RcaCsv(benchmark::State& state) {
  const std::string path = CsvFile();
  vigil::RootCauseCsvColumns cols;
  cols.dimensions = {"a", "b", "c", "d"};
  std::string answer;
  for (auto _ : state) {
    auto table = vigil::ReadRootCauseCsv(path, cols);
    if (!table.ok()) {
      state.SkipWithError(table.status().message().c_str());
      break;
    }
    auto r = vigil::LocalizeRootCauses(*table);
    answer = vigil::FormatRootCauseSet(*r);
    benchmark::DoNotOptimize(answer);
  }
  state.counters["rows"] = 20000;
}
BENCHMARK(BM_RcaCsv)->Arg(20000)->Unit(benchmark::kMillisecond);

std::vector<std::string> SplitList(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < list.size()) {
    size_t comma = list.find(',', start);
    out.push_back(
        list.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    start = comma == std::string::npos ? list.size() : comma + 1;
  }
  return out;
}

// A method under evaluation: vigil's search or a published baseline, with its threshold.
struct Method {
  std::string label;
  std::string name;
  double param = 0;  // 0: the method's default
};

// The method's answer in benchmark notation, or false with a message.
bool RunMethod(const Method& m, const vigil::RootCauseTable& t, bool ratio, double significance,
               std::string* answer) {
  if (m.name == "vigil") {
    vigil::RootCauseOptions options;
    options.ratio = ratio;
    if (significance > 0) options.significance = significance;
    auto r = vigil::LocalizeRootCauses(t, options);
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", r.status().message().c_str());
      return false;
    }
    *answer = vigil::FormatRootCauseSet(*r);
    if (std::getenv("VIGIL_RCA_VERBOSE"))
      for (const auto& rc : *r)
        std::fprintf(stderr, "    %s z=%.1f frac=%.3f actual=%g expected=%g\n",
                     vigil::FormatRootCauseSet({rc}).c_str(), rc.score, rc.explained_fraction,
                     rc.actual, rc.expected);
  } else if (m.name == "adtributor") {
    *answer = vigil::bench::Adtributor(t);
  } else if (m.name == "hotspot") {
    *answer = m.param > 0 ? vigil::bench::HotSpot(t, m.param) : vigil::bench::HotSpot(t);
  } else if (m.name == "squeeze") {
    *answer = m.param > 0 ? vigil::bench::Squeeze(t, m.param) : vigil::bench::Squeeze(t);
  } else if (m.name == "riskloc") {
    *answer = m.param > 0 ? vigil::bench::RiskLoc(t, m.param) : vigil::bench::RiskLoc(t);
  } else {
    std::fprintf(stderr, "unknown method %s (vigil, adtributor, hotspot, squeeze, riskloc)\n",
                 m.name.c_str());
    return false;
  }
  return true;
}

// --eval=NAME:COUNT,...: precision, recall and F1 per dataset and method.
int Evaluate(const std::string& list, const std::string& method_list, bool by_setting,
             double significance) {
  std::map<std::string, RcaDatasetSpec> specs = {{"S", vigil::testing::RcaDatasetS()},
                                                 {"L", vigil::testing::RcaDatasetL()},
                                                 {"H", vigil::testing::RcaDatasetH()},
                                                 {"R", vigil::testing::RcaDatasetR()}};
  std::vector<Method> methods;
  for (const std::string& item : SplitList(method_list)) {
    size_t colon = item.find(':');
    methods.push_back({item, item.substr(0, colon),
                       colon == std::string::npos ? 0 : std::atof(item.c_str() + colon + 1)});
  }
  std::printf("%-8s %-12s %9s %9s %9s %9s %12s\n", "dataset", "method", "instances", "precision",
              "recall", "F1", "ms/instance");
  for (const std::string& item : SplitList(list)) {
    std::string name = item.substr(0, item.find(':'));
    int count =
        item.find(':') == std::string::npos ? 100 : std::atoi(item.c_str() + item.find(':') + 1);
    if (!specs.count(name)) {
      std::fprintf(stderr, "unknown dataset %s (S, L, H, R)\n", name.c_str());
      return 2;
    }
    std::vector<std::pair<std::string, RcaDatasetSpec>> runs = {{name, specs[name]}};
    if (by_setting) {
      for (int depth = 1; depth <= 3; ++depth)
        for (int elements = 1; elements <= 3; ++elements) {
          RcaDatasetSpec s = specs[name];
          s.depth = depth;
          s.anomalies_min = s.anomalies_max = 1;
          s.elements_min = s.elements_max = elements;
          s.only_last_layer = false;
          runs.emplace_back(name + "-" + std::to_string(depth) + "-" + std::to_string(elements), s);
        }
    }
    for (const auto& [label, spec] : runs) {
      std::vector<RootCauseScore> scores(methods.size());
      std::vector<double> ms(methods.size(), 0.0);
      for (int i = 0; i < count; ++i) {
        // Every method sees the same instance.
        RcaInstance inst =
            vigil::testing::GenerateRcaInstance(spec, uint64_t(i) + 1000 * label.size());
        for (size_t m = 0; m < methods.size(); ++m) {
          if (spec.ratio && methods[m].name != "vigil")
            continue;  // the baselines take additive measures
          std::string got;
          auto t0 = std::chrono::steady_clock::now();
          if (!RunMethod(methods[m], inst.table, spec.ratio, significance, &got)) return 1;
          ms[m] += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                       .count();
          RootCauseScore one = vigil::ScoreRootCauseSet(got, inst.truth);
          scores[m].Add(one);
          if (std::getenv("VIGIL_RCA_VERBOSE") && (one.false_positives || one.false_negatives))
            std::fprintf(stderr, "%s %s #%d truth=%s got=%s\n", label.c_str(),
                         methods[m].label.c_str(), i, inst.truth.c_str(), got.c_str());
        }
      }
      for (size_t m = 0; m < methods.size(); ++m) {
        if (spec.ratio && methods[m].name != "vigil") continue;
        const RootCauseScore& score = scores[m];
        std::printf("%-8s %-12s %9d %9.3f %9.3f %9.3f %12.1f\n", label.c_str(),
                    methods[m].label.c_str(), count, score.precision(), score.recall(), score.f1(),
                    ms[m] / count);
      }
      std::fflush(stdout);
    }
  }
  return 0;
}

// --b0=DIR: the Squeeze benchmark's layout (a folder per setting, injection_info.csv with the
// true sets, <timestamp>.csv with real,predict,a,b,c,d per leaf): F1 and time per setting and
// method, every method on the same cases.
int EvaluateB0(const std::string& root, const std::string& method_list) {
  namespace fs = std::filesystem;
  std::vector<Method> methods;
  for (const std::string& item : SplitList(method_list)) {
    size_t colon = item.find(':');
    methods.push_back({item, item.substr(0, colon),
                       colon == std::string::npos ? 0 : std::atof(item.c_str() + colon + 1)});
  }
  std::vector<std::string> settings;
  for (const auto& e : fs::directory_iterator(root))
    if (fs::exists(e.path() / "injection_info.csv")) settings.push_back(e.path().string());
  std::sort(settings.begin(), settings.end());
  vigil::RootCauseCsvColumns cols;
  cols.dimensions = {"a", "b", "c", "d"};
  cols.actual = "real";
  cols.expected = "predict";
  std::printf("%-26s %-12s %6s %9s %9s %9s %9s\n", "setting", "method", "cases", "precision",
              "recall", "F1", "ms/case");
  std::vector<RootCauseScore> all(methods.size());
  std::vector<double> all_ms(methods.size(), 0.0);
  for (const std::string& dir : settings) {
    std::ifstream in(dir + "/injection_info.csv");
    std::string line;
    std::getline(in, line);  // header: ...,set,...,timestamp
    std::vector<std::pair<std::string, std::string>> cases;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      std::vector<std::string> f = SplitList(line);
      if (f.size() >= 5) cases.emplace_back(dir + "/" + f[4] + ".csv", f[2]);
    }
    std::vector<RootCauseScore> scores(methods.size());
    std::vector<double> ms(methods.size(), 0.0);
    for (const auto& [file, truth] : cases) {
      auto table = vigil::ReadRootCauseCsv(file, cols);
      if (!table.ok()) {
        std::fprintf(stderr, "%s\n", table.status().message().c_str());
        return 1;
      }
      for (size_t m = 0; m < methods.size(); ++m) {
        std::string got;
        auto t0 = std::chrono::steady_clock::now();
        if (!RunMethod(methods[m], *table, false, 0, &got)) return 1;
        ms[m] += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                     .count();
        scores[m].Add(vigil::ScoreRootCauseSet(got, truth));
      }
    }
    for (size_t m = 0; m < methods.size(); ++m) {
      all[m].Add(scores[m]);
      all_ms[m] += ms[m];
      std::printf("%-26s %-12s %6zu %9.3f %9.3f %9.3f %9.1f\n",
                  fs::path(dir).filename().string().c_str(), methods[m].label.c_str(),
                  scores[m].cases, scores[m].precision(), scores[m].recall(), scores[m].f1(),
                  scores[m].cases ? ms[m] / double(scores[m].cases) : 0.0);
    }
    std::fflush(stdout);
  }
  for (size_t m = 0; m < methods.size(); ++m)
    std::printf("%-26s %-12s %6zu %9.3f %9.3f %9.3f %9.1f\n", "all", methods[m].label.c_str(),
                all[m].cases, all[m].precision(), all[m].recall(), all[m].f1(),
                all[m].cases ? all_ms[m] / double(all[m].cases) : 0.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string eval, b0, methods = "vigil";
  bool by_setting = false;
  double significance = 0;
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--eval=", 7) == 0) {
      eval = argv[i] + 7;
    } else if (std::strncmp(argv[i], "--b0=", 5) == 0) {
      b0 = argv[i] + 5;
    } else if (std::strncmp(argv[i], "--methods=", 10) == 0) {
      methods = argv[i] + 10;
    } else if (std::strncmp(argv[i], "--significance=", 15) == 0) {
      significance = std::atof(argv[i] + 15);
    } else if (std::strcmp(argv[i], "--by_setting") == 0) {
      by_setting = true;
    } else {
      rest.push_back(argv[i]);
    }
  }
  if (!eval.empty()) return Evaluate(eval, methods, by_setting, significance);
  if (!b0.empty()) return EvaluateB0(b0, methods);
  int n = int(rest.size());
  benchmark::Initialize(&n, rest.data());
  if (benchmark::ReportUnrecognizedArguments(n, rest.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
