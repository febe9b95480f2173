// `vigil outliers --csv F [--columns a,b] [--model iforest|autoencoder] [--seed N] --out F`:
// fits a multivariate outlier model on the numeric columns of a CSV file (header first) and
// writes, per row, its score (higher: more abnormal) and the three features that contribute
// most to it, with their attributions (learn.h says what they sum to).
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "command.h"
#include "common.h"
#include "vigil/learn.h"

namespace vigil::cli {
namespace {

struct Options {
  std::string csv, columns, model = "iforest", out;
  uint64_t seed = 0;
  int trees = 100;
  int threads = 0;
};

// The numeric table read from the CSV: the chosen columns of every data row.
struct Table {
  std::vector<std::string> names;  // chosen columns, in the order given
  std::vector<double> values;      // rows x names, row-major
  std::vector<uint64_t> lines;     // the file line of each row
};

// Splits one CSV line into fields (RFC 4180 quoting within the line: "a ""b""" is a "b").
Status SplitFields(std::string_view line, std::vector<std::string>* fields) {
  fields->clear();
  std::string field;
  size_t i = 0;
  while (true) {
    field.clear();
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) return DataError("unterminated quoted field");
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field += line[i++];
      }
      if (i < line.size() && line[i] != ',') return DataError("text after a closing quote");
    } else {
      const size_t end = std::min(line.find(',', i), line.size());
      field.assign(line.substr(i, end - i));
      i = end;
    }
    fields->push_back(field);
    if (i >= line.size()) return Status::Ok();
    ++i;  // the comma
  }
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Result<Table> ReadTable(const std::string& path, const std::string& columns) {
  if (!std::filesystem::exists(path)) return NotFound(path + ": no such file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(path + ": cannot open");
  std::string line;
  uint64_t line_no = 0;
  std::vector<std::string> fields;
  auto where = [&](uint64_t n) { return fmt::format("{}:{}", path, n); };

  if (!std::getline(in, line)) return DataError(path + ": empty file (expected a header line)");
  ++line_no;
  if (line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // a UTF-8 byte order mark
  if (!line.empty() && line.back() == '\r') line.pop_back();
  Status header = SplitFields(line, &fields);
  if (!header.ok()) return DataError(where(1) + ": header: " + header.message());
  std::vector<std::string> header_names;
  header_names.reserve(fields.size());
  for (const std::string& f : fields) header_names.emplace_back(Trim(f));

  Table t;
  std::vector<size_t> picks;
  if (columns.empty()) {
    t.names = header_names;
    picks.resize(header_names.size());
    std::iota(picks.begin(), picks.end(), size_t{0});
  } else {
    for (std::string_view name : Split(columns, ',')) {
      name = Trim(name);
      auto it = std::find(header_names.begin(), header_names.end(), name);
      if (it == header_names.end()) {
        std::string hint = Nearest(name, header_names);
        return InvalidArgument(
            fmt::format("{}: no column '{}' in the header{}", where(1), name,
                        hint.empty() ? fmt::format(" (columns: {})", fmt::join(header_names, ", "))
                                     : fmt::format("; did you mean '{}'?", hint)));
      }
      t.names.emplace_back(name);
      picks.push_back(static_cast<size_t>(it - header_names.begin()));
    }
  }
  if (t.names.empty()) return InvalidArgument(path + ": no columns to score");

  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (Trim(line).empty()) continue;
    Status split = SplitFields(line, &fields);
    if (!split.ok()) return DataError(where(line_no) + ": " + split.message());
    if (fields.size() != header_names.size()) {
      return DataError(fmt::format("{}: {} fields, the header has {}", where(line_no),
                                   fields.size(), header_names.size()));
    }
    for (size_t k = 0; k < picks.size(); ++k) {
      std::string_view cell = Trim(fields[picks[k]]);
      double v = 0;
      auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
      if (cell.empty() || ec != std::errc() || end != cell.data() + cell.size() ||
          !std::isfinite(v)) {
        return DataError(fmt::format(
            "{}: field '{}': {} (--columns picks the numeric columns)", where(line_no),
            ShownValue(t.names[k]),
            cell.empty() ? "empty" : fmt::format("'{}' is not a finite number", ShownValue(cell))));
      }
      t.values.push_back(v);
    }
    t.lines.push_back(line_no);
  }
  if (t.lines.size() < 2) {
    return DataError(
        fmt::format("{}: {} data rows; a model needs at least 2", path, t.lines.size()));
  }
  return t;
}

// Scores and attributions of every row from the chosen model.
Status Score(const Options& o, const Table& t, std::vector<double>* scores,
             std::vector<double>* attributions, std::string* about) {
  const RowsView x(t.values, t.names.size());
  if (o.model == "iforest") {
    IsolationForestOptions options;
    options.seed = o.seed;
    options.n_estimators = o.trees;
    options.threads = o.threads;
    VIGIL_ASSIGN_OR_RETURN(IsolationForest forest, IsolationForest::Fit(x, options));
    VIGIL_ASSIGN_OR_RETURN(*scores, forest.Score(x));
    VIGIL_ASSIGN_OR_RETURN(*attributions, forest.Attributions(x));
    *about = fmt::format("isolation forest ({} trees of {} points)", forest.n_estimators(),
                         forest.samples_per_tree());
    return Status::Ok();
  }
  if (o.model == "autoencoder") {
    AutoencoderOptions options;
    options.seed = o.seed;
    options.threads = o.threads;
    VIGIL_ASSIGN_OR_RETURN(Autoencoder model, Autoencoder::Fit(x, options));
    VIGIL_ASSIGN_OR_RETURN(*scores, model.Score(x));
    VIGIL_ASSIGN_OR_RETURN(*attributions, model.Attributions(x));
    *about = fmt::format("autoencoder ({} epochs)", model.epochs_run());
    return Status::Ok();
  }
  return InvalidArgument("--model must be iforest or autoencoder, not '" + o.model + "'");
}

// One line per row: line, score, then the three largest attributions (feature, value).
std::string FormatScores(const Table& t, const std::vector<double>& scores,
                         const std::vector<double>& attributions) {
  const size_t d = t.names.size(), top = std::min<size_t>(3, d);
  std::string out = "line,score";
  for (size_t k = 1; k <= top; ++k) out += fmt::format(",feature_{},attribution_{}", k, k);
  out += '\n';
  std::vector<size_t> order(d);
  for (size_t r = 0; r < scores.size(); ++r) {
    const double* a = attributions.data() + r * d;
    std::iota(order.begin(), order.end(), size_t{0});
    // Largest first: the features that made the row look most abnormal; ties in column order.
    std::stable_sort(order.begin(), order.end(), [a](size_t i, size_t j) { return a[i] > a[j]; });
    out += fmt::format("{},{:.6g}", t.lines[r], scores[r]);
    for (size_t k = 0; k < top; ++k) {
      const std::string& name = t.names[order[k]];
      const bool quote = name.find_first_of(",\"") != std::string::npos;
      std::string escaped = name;
      if (quote) {
        escaped.clear();
        for (char c : name) escaped += c == '"' ? std::string("\"\"") : std::string(1, c);
        escaped = '"' + escaped + '"';
      }
      out += fmt::format(",{},{:.6g}", escaped, a[order[k]]);
    }
    out += '\n';
  }
  return out;
}

Action Setup(CLI::App* app) {
  auto o = std::make_shared<Options>();
  app->add_option("--csv", o->csv, "Input CSV file with a header line")->required();
  app->add_option("--columns", o->columns,
                  "Comma-separated numeric columns to use (default: every column)");
  app->add_option("--model", o->model, "iforest (isolation forest) or autoencoder")
      ->capture_default_str();
  app->add_option("--seed", o->seed, "Random seed (same seed, same scores)")->capture_default_str();
  app->add_option("--trees", o->trees, "Trees of the isolation forest")->capture_default_str();
  app->add_option("--threads", o->threads, "Threads (0: one per core; results do not change)")
      ->capture_default_str();
  app->add_option("--out", o->out, "Output CSV: line, score, top 3 features and attributions")
      ->required();
  return [o]() -> int {
    auto start = std::chrono::steady_clock::now();
    if (o->model != "iforest" && o->model != "autoencoder") {
      return ReportError(
          InvalidArgument("--model must be iforest or autoencoder, not '" + o->model + "'"));
    }
    auto table = ReadTable(o->csv, o->columns);
    if (!table.ok()) return ReportError(table.status());
    std::vector<double> scores, attributions;
    std::string about;
    Status scored = Score(*o, *table, &scores, &attributions, &about);
    if (!scored.ok()) return ReportError(Status(scored.code(), o->csv + ": " + scored.message()));
    Status written = WriteFileAtomically(o->out, FormatScores(*table, scores, attributions));
    if (!written.ok()) return ReportError(written);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "scored %s rows x %zu columns of %s with an %s in %.2f s; wrote %s\n",
                 Thousands(scores.size()).c_str(), table->names.size(), o->csv.c_str(),
                 about.c_str(), seconds, o->out.c_str());
    return 0;
  };
}

const bool kRegistered = RegisterCommand(
    {"outliers",
     "Score the rows of a CSV file with a multivariate outlier model, with attributions", 75,
     Setup});

}  // namespace
}  // namespace vigil::cli
