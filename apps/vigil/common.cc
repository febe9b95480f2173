#include "common.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "command.h"

namespace vigil::cli {

Result<std::shared_ptr<const Config>> LoadConfig(const std::string& path) {
  VIGIL_ASSIGN_OR_RETURN(Config config, Config::Load(path));
  return std::make_shared<const Config>(std::move(config));
}

Result<StoredCube> OpenStoredCube(const std::string& config_path, bool require_events,
                                  const std::string& writer) {
  VIGIL_ASSIGN_OR_RETURN(auto config, LoadConfig(config_path));
  VIGIL_ASSIGN_OR_RETURN(auto store, writer.empty()
                                         ? Store::Open(config->StorePath())
                                         : Store::OpenForWriting(config->StorePath(), writer));
  VIGIL_ASSIGN_OR_RETURN(Cube cube, store->cube().Load(config));
  if (require_events && cube.event_count() == 0) {
    return DataError("the store " + store->path() +
                     " holds no events yet; run `vigil ingest` first");
  }
  return StoredCube{std::move(config), std::move(store), std::move(cube)};
}

Status WriteFileAtomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    if (!out.flush()) return IoError(path + ": cannot write");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return IoError(path + ": " + ec.message());
  return Status::Ok();
}

Result<TimeMs> ParseTimeFlag(const char* flag, const std::string& text) {
  if (text.empty()) return TimeMs{0};
  auto t = ParseTimestamp(text);
  if (!t.ok()) return InvalidArgument(std::string(flag) + ": " + t.status().message());
  return *t;
}

namespace {

void PrintSummary(const IngestStats& s, const Cube& cube, const Config& config) {
  for (const BadLine& b : s.first_bad_lines) {
    std::fprintf(stderr, "%s:%llu: %s\n", b.file.c_str(), static_cast<unsigned long long>(b.line),
                 b.reason.c_str());
  }
  if (s.bad_lines > s.first_bad_lines.size()) {
    std::fprintf(stderr, "... and %s more bad lines\n",
                 Thousands(s.bad_lines - s.first_bad_lines.size()).c_str());
  }
  for (const std::string& w : s.warnings) Warn(w);
  for (const FoldReport& f : cube.Folds()) {
    Warn(
        fmt::format("dimension '{}' reached its limit of {} values; {} events folded into "
                    "__other__ (raise limits.dimension_values.{})",
                    f.dimension, f.limit, Thousands(f.events), f.dimension));
  }
  double secs = std::max(s.seconds, 1e-9);
  std::fprintf(
      stderr,
      "ingested %s events from %s file%s (%s bad line%s) in %.2f s: %sevents/s, %.0f MB/s\n",
      Thousands(s.events).c_str(), Thousands(s.files).c_str(), s.files == 1 ? "" : "s",
      Thousands(s.bad_lines).c_str(), s.bad_lines == 1 ? "" : "s", s.seconds,
      HumanRate(s.events / secs).c_str(), s.bytes / secs / 1e6);
}

}  // namespace

Result<IngestStats> IngestIntoStore(StoredCube* stored, const std::vector<std::string>& files,
                                    int threads, bool quiet, bool force) {
  Cube* cube = &stored->cube;
  IngestOptions options;
  options.threads = threads;
  bool tty = isatty(STDERR_FILENO) && !quiet;
  bool drew = false;
  if (tty) {
    options.progress = [&drew](const IngestProgress& p) {
      if (p.bytes_total < (64 << 20) && !drew) return;  // large inputs only
      double secs = std::max(p.seconds, 1e-9);
      std::fprintf(stderr, "\r  %5.1f%%  %sevents/s  %.0f MB/s  %s bad lines   ",
                   100.0 * p.bytes_done / std::max<uint64_t>(p.bytes_total, 1),
                   HumanRate(p.events / secs).c_str(), p.bytes_done / secs / 1e6,
                   Thousands(p.bad_lines).c_str());
      drew = true;
    };
  }
  // The ingest ledger: a regular file the store already holds (same content, whatever its name)
  // is skipped, so running the same command twice does not count its events twice. Streams
  // (pipes, devices) have no fingerprint and are always read.
  std::vector<std::string> to_read;
  std::vector<IngestedInput> ledger;
  const TimeMs now = WallClockNow();
  for (const std::string& file : files) {
    auto fingerprint = FingerprintFile(file);
    if (!fingerprint.ok()) {
      // A stream, or an input IngestFiles reports (missing, unreadable) before reading any.
      to_read.push_back(file);
      continue;
    }
    bool repeated = std::any_of(ledger.begin(), ledger.end(), [&](const IngestedInput& in) {
      return in.fingerprint == fingerprint->hash;
    });
    VIGIL_ASSIGN_OR_RETURN(auto known, stored->store->cube().FindIngested(fingerprint->hash));
    if ((known || repeated) && !force) {
      Warn(known ? fmt::format("{}: skipped: its content was ingested on {} (from {}, {} events); "
                               "--force ingests it again",
                               file, FormatTimestamp(known->at), known->path,
                               Thousands(known->events))
                 : fmt::format("{}: skipped: the same content is listed twice", file));
      continue;
    }
    to_read.push_back(file);
    ledger.push_back({fingerprint->hash, file, fingerprint->bytes, 0, now});
  }
  if (to_read.empty()) {
    if (!quiet)
      std::fprintf(stderr, "store %s: nothing new to ingest; it holds %s events\n",
                   stored->store->path().c_str(), Thousands(cube->event_count()).c_str());
    return IngestStats{};
  }
  auto stats = IngestFiles(to_read, cube, options);
  if (drew) std::fputs("\r\033[K", stderr);
  VIGIL_RETURN_IF_ERROR(stats.status());
  for (IngestedInput& in : ledger) in.events = stats->events;  // of the ingest it came in
  VIGIL_RETURN_IF_ERROR(stored->store->cube().Save(cube, ledger));
  VIGIL_ASSIGN_OR_RETURN(uint64_t expired, stored->store->cube().ApplyRetention(cube));
  if (expired > 0 && !quiet)
    std::fprintf(stderr, "store %s: %s events past cube.retention dropped\n",
                 stored->store->path().c_str(), Thousands(expired).c_str());
  if (!quiet) {
    PrintSummary(*stats, *cube, *stored->config);
    std::fprintf(stderr, "store %s: %s events in %s cells, %s to %s\n",
                 stored->store->path().c_str(), Thousands(cube->event_count()).c_str(),
                 Thousands(cube->cell_count()).c_str(),
                 FormatTimestamp(cube->first_bucket()).c_str(),
                 FormatTimestamp(cube->last_bucket() + stored->config->granularity_ms).c_str());
  }
  return stats;
}

}  // namespace vigil::cli
