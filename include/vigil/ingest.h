// Reading telemetry files into a cube: JSON Lines (plain, .gz, .zst) and CSV with a header.
#pragma once

#include <chrono>
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
  uint64_t bytes = 0;                    ///< bytes read (after decompression)
  uint64_t lines = 0;                    ///< non-empty lines (CSV: excluding the header)
  uint64_t events = 0;                   ///< events added to the cube
  uint64_t bad_lines = 0;                ///< lines rejected
  std::vector<BadLine> first_bad_lines;  ///< the first limits.max_bad_lines_shown, in input order
  /// e.g. an empty file, a corrupt compressed tail, the format chosen on mixed evidence
  std::vector<std::string> warnings;
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
  int threads = 0;                                      ///< 0: Config::threads, else one per core
  std::function<void(const IngestProgress&)> progress;  ///< called from the calling thread
  /// How long a FIFO nobody has opened for writing is waited for before it is an error
  /// (kIoError naming it). A writer that is there but silent is waited for as `cat` would.
  std::chrono::milliseconds pipe_writer_wait{10000};
  /// A stream (a pipe, a device, a compressed file) that yields this many bytes in a row without
  /// one good event is read no further, with a warning naming it: `/dev/zero` or a
  /// decompression bomb ends instead of running for ever. 0: no limit.
  uint64_t max_bytes_without_event = uint64_t{256} << 20;
};

/// What identifies a file's content: its length and a 128-bit hash of its bytes.
struct FileFingerprint {
  uint64_t bytes = 0;
  std::string hash;  ///< "xxh128:" and 32 hex digits
};

/// The fingerprint of a regular file, read once in blocks. Errors name the file: kNotFound,
/// kIoError, and kInvalidArgument for a pipe or a device (a stream cannot be recognized again).
Result<FileFingerprint> FingerprintFile(const std::string& path);

/// Reads every file and adds its events to `cube`. Compression by magic bytes (gzip, zstd).
/// Format by content: a vote over the first 64 non-blank lines (after a UTF-8 byte order mark)
/// between lines that are JSON objects and a CSV header naming the mapped time field with the
/// lines that follow it; a warning says which format was chosen and why when both have votes.
///
/// Every input is checked before any is read: a missing one is kNotFound, a directory or an
/// unreadable one kIoError, and nothing is added. Each is then opened exactly once: a plain
/// regular file is mapped; a pipe, a device (`/dev/stdin`) or a compressed file is read as a
/// stream, in blocks, in bounded memory. Bad lines are counted and skipped. When no file holds
/// any event the result is kDataError and the cube is unchanged. Parsing is chunked over
/// threads, each building a partial cube merged into `cube` in input order.
Result<IngestStats> IngestFiles(const std::vector<std::string>& paths, Cube* cube,
                                const IngestOptions& options = {});

/// Reads every file again without aggregating: each good event (with its request id and failure
/// message) goes to `visit`, in file order, on the calling thread. Bad lines are counted only.
/// An input that is not a regular file (a pipe) cannot be read twice: it is skipped with a
/// warning. Used to pick example request ids and failure messages of an incident's window.
Result<IngestStats> ScanFiles(const std::vector<std::string>& paths, const Config& config,
                              const std::function<void(const Event&)>& visit);

/// Ingests JSON Lines or CSV text held in memory (named `origin` in messages); used by the HTTP
/// ingest endpoint and tests. Unlike IngestFiles, no events is not an error.
Result<IngestStats> IngestBuffer(std::string_view text, const std::string& origin, Cube* cube,
                                 const IngestOptions& options = {});

}  // namespace vigil
