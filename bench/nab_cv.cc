// nab_cv: leave-one-category-out cross-validation of the "nab" detector on a NAB corpus.
//
// For every candidate tuning (the product of the --grid values over the base tuning) the
// detector runs once over every series. Then, per profile and per category: the tuning and the
// threshold are chosen on the other categories only (the highest total raw score there; the
// first candidate and the highest threshold among ties) and scored on the held-out category.
// The held-out raw scores of all categories, summed, are normalized against the null and
// perfect detectors of the whole corpus: the pooled cross-validated score. The in-sample score
// (tuning and threshold chosen on every file, scored on the same files) is printed beside it,
// with that of the first candidate (the shipped tuning unless --set changes it).
//
//   nab_cv --data DIR --labels FILE [--set name=value]... [--grid name=v1,v2,...]... [--files]
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "detect/nab_detector.h"
#include "vigil/nab.h"

namespace vigil {
namespace {

using internal::NabParams;

const std::map<std::string, double NabParams::*>& ParamFields() {
  static const std::map<std::string, double NabParams::*> kFields = {
      {"local_points", &NabParams::local_points},
      {"scale_days", &NabParams::scale_days},
      {"select_days", &NabParams::select_days},
      {"select_clip", &NabParams::select_clip},
      {"weekly_weeks", &NabParams::weekly_weeks},
      {"short_points", &NabParams::short_points},
      {"slow_points", &NabParams::slow_points},
      {"long_days", &NabParams::long_days},
      {"clip", &NabParams::clip},
      {"floor_rel", &NabParams::floor_rel},
      {"eligible_days", &NabParams::eligible_days},
      {"refractory_days", &NabParams::refractory_days},
      {"rearm_level", &NabParams::rearm_level},
      {"rearm_days", &NabParams::rearm_days},
      {"fire", &NabParams::fire},
  };
  return kFields;
}

struct Candidate {
  NabParams params;
  std::string label;  // "name=value ..." of the grid values, or "base"
  std::vector<NabScoredSeries> scored;
};

struct Args {
  std::string data, labels;
  NabParams base;
  std::vector<std::pair<std::string, std::vector<double>>> grid;
  bool files = false;
  std::vector<double> curve;  // thresholds at which to print each category's score
  std::string out;            // where to write the first candidate's results (NAB layout)
};

int Usage(const std::string& why) {
  std::fprintf(stderr,
               "nab_cv: %s\nusage: nab_cv --data DIR --labels FILE [--set name=value]... "
               "[--grid name=v1,v2,...]... [--files]\n",
               why.c_str());
  return 2;
}

bool ParseArgs(int argc, char** argv, Args* args, std::string* error) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--data") {
      args->data = value();
    } else if (a == "--labels") {
      args->labels = value();
    } else if (a == "--files") {
      args->files = true;
    } else if (a == "--out") {
      args->out = value();
    } else if (a == "--curve") {
      std::string list = value();
      size_t pos = 0;
      while (pos < list.size()) {
        size_t comma = list.find(',', pos);
        if (comma == std::string::npos) comma = list.size();
        args->curve.push_back(std::strtod(list.substr(pos, comma - pos).c_str(), nullptr));
        pos = comma + 1;
      }
    } else if (a == "--set" || a == "--grid") {
      std::string spec = value();
      size_t eq = spec.find('=');
      std::string name = spec.substr(0, eq);
      auto field = ParamFields().find(name);
      if (eq == std::string::npos || field == ParamFields().end()) {
        *error = "unknown parameter in '" + spec + "'";
        return false;
      }
      std::vector<double> values;
      std::string rest = spec.substr(eq + 1);
      size_t pos = 0;
      while (pos <= rest.size()) {
        size_t comma = rest.find(',', pos);
        if (comma == std::string::npos) comma = rest.size();
        char* end = nullptr;
        std::string item = rest.substr(pos, comma - pos);
        double v = std::strtod(item.c_str(), &end);
        if (item.empty() || *end != '\0') {
          *error = "bad value in '" + spec + "'";
          return false;
        }
        values.push_back(v);
        pos = comma + 1;
      }
      if (a == "--set") {
        args->base.*(field->second) = values.front();
      } else {
        args->grid.emplace_back(name, values);
      }
    } else {
      *error = "unknown argument '" + a + "'";
      return false;
    }
  }
  if (args->data.empty() || args->labels.empty()) {
    *error = "--data and --labels are required";
    return false;
  }
  return true;
}

std::vector<Candidate> Candidates(const Args& args) {
  std::vector<Candidate> out(1);
  out[0].params = args.base;
  for (const auto& [name, values] : args.grid) {
    std::vector<Candidate> next;
    for (const Candidate& c : out) {
      for (double v : values) {
        Candidate n = c;
        n.params.*(ParamFields().at(name)) = v;
        n.label += (n.label.empty() ? "" : " ") + fmt::format("{}={}", name, v);
        next.push_back(std::move(n));
      }
    }
    out = std::move(next);
  }
  if (out.size() == 1 && out[0].label.empty()) out[0].label = "base";
  return out;
}

std::vector<NabScoredSeries> Only(const std::vector<NabScoredSeries>& all,
                                  const std::string& category, bool keep) {
  std::vector<NabScoredSeries> out;
  for (const NabScoredSeries& s : all) {
    if ((s.series->category == category) == keep) out.push_back(s);
  }
  return out;
}

NabTally Sum(const std::vector<NabScoredSeries>& series, const NabProfile& profile,
             double threshold) {
  NabTally sum;
  for (const NabScoredSeries& s : series) {
    NabTally t = NabScoreAt(s, profile, threshold);
    sum.raw += t.raw;
    sum.null_raw += t.null_raw;
    sum.perfect += t.perfect;
    sum.windows += t.windows;
    sum.detected += t.detected;
    sum.false_positives += t.false_positives;
  }
  return sum;
}

void Add(NabTally* sum, const NabTally& t) {
  sum->raw += t.raw;
  sum->null_raw += t.null_raw;
  sum->perfect += t.perfect;
  sum->windows += t.windows;
  sum->detected += t.detected;
  sum->false_positives += t.false_positives;
}

std::string Cell(const NabTally& t) {
  double n = t.normalized();
  return std::isnan(n) ? fmt::format("raw {:.2f}", t.raw) : fmt::format("{:.2f}", n);
}

// The best candidate and threshold on `series` for a profile (first candidate among ties).
std::pair<size_t, double> Choose(const std::vector<Candidate>& candidates,
                                 const std::string& held_out, const NabProfile& profile) {
  size_t best = 0;
  double best_raw = -1e300, best_threshold = 1.1;
  for (size_t c = 0; c < candidates.size(); ++c) {
    NabProfileResult r = NabScore(Only(candidates[c].scored, held_out, false), profile);
    if (r.total.raw > best_raw + 1e-9) {
      best_raw = r.total.raw;
      best = c;
      best_threshold = r.threshold;
    }
  }
  return {best, best_threshold};
}

int Run(const Args& args) {
  auto windows = ReadNabWindows(args.labels);
  if (!windows.ok()) return Usage(windows.status().message());
  auto corpus = ReadNabCorpus(args.data, *windows);
  if (!corpus.ok()) return Usage(corpus.status().message());
  std::set<std::string> categories;
  for (const NabSeries& s : *corpus) categories.insert(s.category);

  std::vector<Candidate> candidates = Candidates(args);
  for (Candidate& c : candidates) {
    for (const NabSeries& s : *corpus) {
      DetectorOptions options;
      options.direction = Direction::kBoth;
      auto scores = RunNabDetector(
          s, [&c](const DetectorOptions& o) { return internal::MakeNabDetector(o, c.params); },
          options);
      if (!scores.ok()) return Usage(scores.status().message());
      c.scored.push_back({&s, windows->at(s.key), std::move(*scores)});
    }
  }
  fmt::print("{} series, {} categories, {} candidate tuning(s)\n", corpus->size(),
             categories.size(), candidates.size());

  if (!args.out.empty()) {
    for (const NabScoredSeries& s : candidates[0].scored) {
      auto written = WriteNabResults(args.out, "vigil", s);
      if (!written.ok()) return Usage(written.status().message());
    }
  }
  if (!args.curve.empty()) {
    const NabProfile& standard = NabProfiles()[0];
    fmt::print("{:>10}", "threshold");
    for (const std::string& c : categories) fmt::print(" {:>24}", c);
    fmt::print("\n");
    for (double t : args.curve) {
      fmt::print("{:>10.6f}", t);
      for (const std::string& c : categories) {
        NabTally tally = Sum(Only(candidates[0].scored, c, true), standard, t);
        fmt::print(" {:>10} {:>2}/{:<2} FP{:<4}", Cell(tally), tally.detected, tally.windows,
                   tally.false_positives);
      }
      fmt::print("\n");
    }
  }

  for (const NabProfile& profile : NabProfiles()) {
    fmt::print("\n== {} ==\n", profile.name);
    // In sample: the first candidate (the shipped tuning when no --set is given), its threshold
    // chosen on every file; then the tuning too chosen on every file. Both scored on the same
    // files.
    NabProfileResult first = NabScore(candidates[0].scored, profile);
    fmt::print("{:<24} {:>8}  threshold {:.6f}  detected {}/{}  FP {}  [{}]\n", "in-sample (first)",
               Cell(first.total), first.threshold, first.total.detected, first.total.windows,
               first.total.false_positives, candidates[0].label);
    auto [in_c, in_threshold] = Choose(candidates, "", profile);
    NabTally in = Sum(candidates[in_c].scored, profile, in_threshold);
    fmt::print("{:<24} {:>8}  threshold {:.6f}  detected {}/{}  FP {}  [{}]\n", "in-sample (best)",
               Cell(in), in_threshold, in.detected, in.windows, in.false_positives,
               candidates[in_c].label);
    NabTally pooled;
    std::vector<double> normalized;
    for (const std::string& held : categories) {
      auto [c, threshold] = Choose(candidates, held, profile);
      std::vector<NabScoredSeries> test = Only(candidates[c].scored, held, true);
      NabTally t = Sum(test, profile, threshold);
      Add(&pooled, t);
      double own = NabScore(Only(candidates[c].scored, held, true), profile).total.normalized();
      fmt::print(
          "held out {:<15} {:>8}  threshold {:.6f}  detected {}/{}  FP {}  (own best "
          "threshold: {})  [{}]\n",
          held, Cell(t), threshold, t.detected, t.windows, t.false_positives,
          std::isnan(own) ? std::string("-") : fmt::format("{:.2f}", own), candidates[c].label);
      if (!std::isnan(t.normalized())) normalized.push_back(t.normalized());
      if (args.files) {
        for (const NabScoredSeries& s : test) {
          NabTally f = NabScoreAt(s, profile, threshold);
          fmt::print("    {:<44} raw {:7.3f}  detected {}/{}  FP {}\n", s.series->name, f.raw,
                     f.detected, f.windows, f.false_positives);
        }
      }
    }
    fmt::print("{:<24} {:>8}  detected {}/{}  FP {}\n", "cross-validated (pooled)", Cell(pooled),
               pooled.detected, pooled.windows, pooled.false_positives);
  }
  return 0;
}

}  // namespace
}  // namespace vigil

int main(int argc, char** argv) {
  vigil::Args args;
  std::string error;
  if (!vigil::ParseArgs(argc, argv, &args, &error)) return vigil::Usage(error);
  return vigil::Run(args);
}
