// Reading telemetry files into a cube: JSON Lines (plain, .gz, .zst) and CSV with a header.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "vigil/cube.h"
#include "vigil/event.h"
#include "vigil/status.h"

namespace vigil {

/// A rejected input line: reported as `file:line: reason`, counted and skipped.
struct BadLine {
  std::string file;
  uint64_t line = 0;  ///< 1-based
  std::string reason;
};

struct IngestStats {
  uint64_t files = 0;
  uint64_t bytes = 0;        ///< uncompressed bytes read
  uint64_t lines = 0;        ///< non-empty lines (CSV: excluding the header)
  uint64_t events = 0;       ///< events added to the cube
  uint64_t bad_lines = 0;    ///< lines rejected
  std::vector<BadLine> first_bad_lines;  ///< the first limits.max_bad_lines_shown, in input order
  std::vector<std::string> warnings;     ///< e.g. an empty file, a corrupt compressed tail
  double seconds = 0;
};

/// Progress of a running ingest, reported a few times a second.
struct IngestProgress {
  uint64_t bytes_done = 0;
  uint64_t bytes_total = 0;
  uint64_t events = 0;
  uint64_t bad_lines = 0;
  double seconds = 0;
};

struct IngestOptions {
  int threads = 0;  ///< 0: Config::threads, else one per core
  std::function<void(const IngestProgress&)> progress;  ///< called from the calling thread
};

/// Reads every file and adds its events to `cube`. Format by content (JSON Lines when the first
/// non-blank byte is `{`, else CSV) and compression by magic bytes (gzip, zstd).
///
/// Every file is checked before any is read: a missing file is kNotFound, an unreadable one
/// kIoError, and nothing is added. Bad lines are counted and skipped. When no file holds any
/// event the result is kDataError and the cube is unchanged. Parsing is chunked over threads,
/// each building a partial cube merged into `cube` at the end.
Result<IngestStats> IngestFiles(const std::vector<std::string>& paths, Cube* cube,
                                const IngestOptions& options = {});

/// Reads every file again without aggregating: each good event (with its request id and failure
/// message) goes to `visit`, in file order, on the calling thread. Bad lines are counted only.
/// Used to pick example request ids and failure messages of an incident's window.
Result<IngestStats> ScanFiles(const std::vector<std::string>& paths, const Config& config,
                              const std::function<void(const Event&)>& visit);

/// Ingests JSON Lines or CSV text held in memory (named `origin` in messages); used by the HTTP
/// ingest endpoint and tests. Unlike IngestFiles, no events is not an error.
Result<IngestStats> IngestBuffer(std::string_view text, const std::string& origin, Cube* cube,
                                 const IngestOptions& options = {});

}  // namespace vigil
