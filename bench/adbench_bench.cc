// vigil's isolation forest or autoencoder on one ADBench dataset, the C++ half of
// bench/adbench.sh:
//   adbench_bench --csv X.csv --out scores.csv [--model iforest|autoencoder] [--seeds 5]
//                 [--trees 100] [--max-samples 256] [--threads 1]
// X.csv holds the features only (no header, one row per line, written by bench/adbench.py).
// For each seed 0..seeds-1 the model is fitted on every row and scores every row; scores.csv
// gets one column per seed. The forest takes --trees and --max-samples; the autoencoder runs
// with its default options (AutoencoderOptions) and only the seed and threads set. stdout: one
// JSON line with the shape and, per seed, the fit and score seconds (wall clock, the CSV reading
// excluded, as the Python side excludes loading); the autoencoder adds its epochs run per seed.
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "vigil/learn.h"

namespace {

struct Args {
  std::string csv, out, model = "iforest";
  int seeds = 5, trees = 100, max_samples = 256, threads = 1;
};

bool ParseArgs(int argc, char** argv, Args* a) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--csv") {
      a->csv = value;
    } else if (flag == "--out") {
      a->out = value;
    } else if (flag == "--model") {
      a->model = value;
    } else if (flag == "--seeds") {
      a->seeds = std::atoi(value);
    } else if (flag == "--trees") {
      a->trees = std::atoi(value);
    } else if (flag == "--max-samples") {
      a->max_samples = std::atoi(value);
    } else if (flag == "--threads") {
      a->threads = std::atoi(value);
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && !a->csv.empty() && !a->out.empty() && a->seeds > 0 &&
         (a->model == "iforest" || a->model == "autoencoder");
}

// Reads comma-separated numbers, one row per line; every row must have the first row's width.
bool ReadCsv(const std::string& path, std::vector<double>* values, size_t* cols) {
  std::ifstream in(path);
  if (!in) return false;
  std::string line;
  size_t line_no = 0;
  *cols = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    size_t width = 0;
    const char* p = line.data();
    const char* end = p + line.size();
    while (p < end) {
      double v = 0;
      auto [next, ec] = std::from_chars(p, end, v);
      if (ec != std::errc()) {
        std::fprintf(stderr, "%s:%zu: not a number\n", path.c_str(), line_no);
        return false;
      }
      values->push_back(v);
      ++width;
      p = next < end && *next == ',' ? next + 1 : next;
    }
    if (*cols == 0) *cols = width;
    if (width != *cols) {
      std::fprintf(stderr, "%s:%zu: %zu values, expected %zu\n", path.c_str(), line_no, width,
                   *cols);
      return false;
    }
  }
  return *cols > 0;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// One seed's fit and score of the chosen model.
struct SeedRun {
  std::vector<double> scores;
  double fit_seconds = 0, score_seconds = 0;
  int epochs_run = 0;  // autoencoder only
};

// Fits `Model` with `options` on every row of `x` and scores every row, timing both halves.
template <typename Model, typename Options>
vigil::Result<SeedRun> FitAndScore(vigil::RowsView x, const Options& options) {
  SeedRun run;
  auto start = std::chrono::steady_clock::now();
  auto model = Model::Fit(x, options);
  if (!model.ok()) return model.status();
  run.fit_seconds = Seconds(start);
  start = std::chrono::steady_clock::now();
  auto s = model->Score(x);
  run.score_seconds = Seconds(start);
  if (!s.ok()) return s.status();
  run.scores = std::move(*s);
  if constexpr (std::is_same_v<Model, vigil::Autoencoder>) run.epochs_run = model->epochs_run();
  return run;
}

// The forest with the given trees and subsample size, or the autoencoder with its defaults.
vigil::Result<SeedRun> RunSeed(const Args& args, vigil::RowsView x, int seed) {
  if (args.model == "autoencoder") {
    vigil::AutoencoderOptions options;
    options.seed = static_cast<uint64_t>(seed);
    options.threads = args.threads;
    return FitAndScore<vigil::Autoencoder>(x, options);
  }
  vigil::IsolationForestOptions options;
  options.n_estimators = args.trees;
  options.max_samples = args.max_samples;
  options.seed = static_cast<uint64_t>(seed);
  options.threads = args.threads;
  return FitAndScore<vigil::IsolationForest>(x, options);
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, &args)) {
    std::fprintf(stderr,
                 "usage: adbench_bench --csv X.csv --out scores.csv "
                 "[--model iforest|autoencoder] [--seeds 5] [--trees 100] [--max-samples 256] "
                 "[--threads 1]\n");
    return 2;
  }
  std::vector<double> values;
  size_t cols = 0;
  if (!ReadCsv(args.csv, &values, &cols)) {
    std::fprintf(stderr, "adbench_bench: cannot read %s\n", args.csv.c_str());
    return 1;
  }
  const vigil::RowsView x(values, cols);
  std::vector<std::vector<double>> scores;
  const bool autoencoder = args.model == "autoencoder";
  std::ostringstream fit_times, score_times, epochs;
  for (int seed = 0; seed < args.seeds; ++seed) {
    auto run = RunSeed(args, x, seed);
    if (!run.ok()) {
      std::fprintf(stderr, "adbench_bench: %s\n", run.status().message().c_str());
      return 1;
    }
    scores.push_back(std::move(run->scores));
    fit_times << (seed ? ", " : "") << run->fit_seconds;
    score_times << (seed ? ", " : "") << run->score_seconds;
    epochs << (seed ? ", " : "") << run->epochs_run;
  }
  std::FILE* out = std::fopen(args.out.c_str(), "w");
  if (!out) {
    std::fprintf(stderr, "adbench_bench: cannot write %s\n", args.out.c_str());
    return 1;
  }
  for (size_t r = 0; r < x.rows; ++r) {
    for (size_t k = 0; k < scores.size(); ++k) {
      std::fprintf(out, "%s%.17g", k ? "," : "", scores[k][r]);
    }
    std::fputc('\n', out);
  }
  std::fclose(out);
  std::printf("{\"rows\": %zu, \"cols\": %zu, \"fit_seconds\": [%s], \"score_seconds\": [%s]",
              x.rows, cols, fit_times.str().c_str(), score_times.str().c_str());
  if (autoencoder) std::printf(", \"epochs_run\": [%s]", epochs.str().c_str());
  std::printf("}\n");
  return 0;
}
