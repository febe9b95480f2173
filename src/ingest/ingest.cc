#include "vigil/ingest.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <filesystem>
#include <optional>
#include <thread>

#include "ingest/file_reader.h"
#include "ingest/record_parser.h"

namespace vigil {
namespace {

using internal::InputData;
using internal::PaddedBuffer;
using Clock = std::chrono::steady_clock;

// A contiguous range of whole lines of one buffer, parsed by one thread into its own cube.
struct Chunk {
  size_t begin = 0;
  size_t end = 0;
  // Results
  uint64_t newlines = 0;  // to number the lines of later chunks
  uint64_t lines = 0;
  uint64_t events = 0;
  uint64_t bad = 0;
  std::vector<BadLine> first_bad;  // line numbers relative to the chunk's first line (0-based)
  Status status;
};

bool IsBlank(const char* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r') return false;
  return true;
}

bool LooksLikeText(const char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(p[i]);
    if (c == 0 || (c < 0x20 && c != '\t' && c != '\r' && c != '\n')) return false;
  }
  return true;
}

struct Shared {
  const Config* config;
  const InputData* buffer;
  bool json;
  const internal::CsvLineParser* csv_prototype;
  std::atomic<uint64_t>* bytes_done;
  std::atomic<uint64_t>* events_done;
  std::atomic<uint64_t>* bad_done;
  size_t keep_bad;
  // Set only when the chunk is parsed on the calling thread, which may then report progress.
  const std::function<void()>* report = nullptr;
};

// Parses a chunk's lines, handing each good event to `sink` (which returns a Status).
template <typename Sink>
void ParseChunk(const Shared& s, Chunk* chunk, Sink&& sink) {
  const char* data = s.buffer->data();
  const size_t readable = s.buffer->readable();
  PaddedBuffer tail;  // a copy of a line too close to the end of a mapping to parse in place
  const size_t max_line = static_cast<size_t>(s.config->limits.max_line_bytes);
  Event event = internal::EmptyEvent(s.config->input);
  std::string reason;
  std::optional<internal::JsonLineParser> json;
  std::optional<internal::CsvLineParser> csv;
  if (s.json) json.emplace(s.config->input);
  else csv.emplace(*s.csv_prototype);
  size_t pos = chunk->begin;
  uint64_t line_index = 0;
  size_t reported = pos;
  uint64_t events_reported = 0, bad_reported = 0;
  while (pos < chunk->end) {
    const char* nl = static_cast<const char*>(std::memchr(data + pos, '\n', chunk->end - pos));
    size_t line_end = nl ? nl - data : chunk->end;
    size_t length = line_end - pos;
    const char* line = data + pos;
    bool ok = true;
    if (!IsBlank(line, length)) {
      ++chunk->lines;
      if (length > max_line) {
        ok = false;
        reason = "line is " + std::to_string(length) + " bytes, over limits.max_line_bytes (" +
                 std::to_string(max_line) + ")";
      } else if (s.json) {
        if (line_end + PaddedBuffer::kPadding > readable) {
          tail.Resize(0);
          tail.Append(line, length);
          ok = json->Parse(tail.data(), length, length + PaddedBuffer::kPadding, &event, &reason);
        } else {
          ok = json->Parse(line, length, readable - pos, &event, &reason);
        }
      } else if (!LooksLikeText(line, length)) {
        ok = false;
        reason = "binary data, not CSV text";
      } else {
        ok = csv->Parse(std::string_view(line, length), &event, &reason);
      }
      if (ok) {
        Status st = sink(event);
        if (!st.ok()) {
          chunk->status = st;
          return;
        }
        ++chunk->events;
      } else {
        ++chunk->bad;
        if (chunk->first_bad.size() < s.keep_bad) {
          chunk->first_bad.push_back({"", line_index, reason});
        }
      }
    }
    if (nl) {
      ++chunk->newlines;
      ++line_index;
    }
    pos = line_end + 1;
    if (pos - reported >= (1 << 20)) {
      s.bytes_done->fetch_add(std::min(pos, chunk->end) - reported, std::memory_order_relaxed);
      s.events_done->fetch_add(chunk->events - events_reported, std::memory_order_relaxed);
      s.bad_done->fetch_add(chunk->bad - bad_reported, std::memory_order_relaxed);
      reported = pos;
      events_reported = chunk->events;
      bad_reported = chunk->bad;
      if (s.report && (pos - chunk->begin) % (16 << 20) < (1 << 20)) (*s.report)();
    }
  }
  s.bytes_done->fetch_add(std::max(chunk->end, reported) - reported, std::memory_order_relaxed);
  s.events_done->fetch_add(chunk->events - events_reported, std::memory_order_relaxed);
  s.bad_done->fetch_add(chunk->bad - bad_reported, std::memory_order_relaxed);
}

// What a buffer holds: JSON Lines, or CSV with its header parsed.
struct Format {
  bool empty = false;
  bool json = true;
  size_t body = 0;           // offset of the first record
  uint64_t line_offset = 0;  // lines before it (the CSV header)
  std::optional<internal::CsvLineParser> csv;
};

// JSON Lines when the first non-blank byte opens an object; CSV otherwise; binary data that is
// neither is read as JSON Lines so that its lines are counted as bad.
Status DetectFormat(const std::string& origin, const InputData& buffer, const Config& config, Format* out) {
  const char* data = buffer.data();
  size_t size = buffer.size();
  size_t first = 0;
  while (first < size && (data[first] == ' ' || data[first] == '\t' || data[first] == '\r' ||
                          data[first] == '\n')) {
    ++first;
  }
  if (first == size) {
    out->empty = true;
    return Status::Ok();
  }
  out->json = data[first] == '{';
  if (!out->json && LooksLikeText(data + first, std::min<size_t>(size - first, 4096))) {
    const char* nl = static_cast<const char*>(std::memchr(data, '\n', size));
    size_t header_end = nl ? nl - data : size;
    auto parser = internal::CsvLineParser::Create(std::string_view(data, header_end), config.input);
    if (!parser.ok()) return DataError(origin + ":1: " + parser.status().message());
    out->csv.emplace(std::move(*parser));
    out->body = nl ? header_end + 1 : size;
    out->line_offset = 1;
  } else {
    out->json = true;
  }
  return Status::Ok();
}

int ThreadCount(const Config& config, const IngestOptions& options) {
  int n = options.threads > 0 ? options.threads : config.threads;
  if (n <= 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::min(n, 256);
}

// Parses one buffer (a whole file) into `target`, splitting it over threads.
Status IngestOne(const std::string& origin, const InputData& buffer, Cube* target,
                 const IngestOptions& options, IngestStats* stats,
                 std::atomic<uint64_t>* bytes_done, std::atomic<uint64_t>* events_done,
                 std::atomic<uint64_t>* bad_done, Clock::time_point start,
                 uint64_t bytes_total) {
  const Config& config = target->config();
  const char* data = buffer.data();
  size_t size = buffer.size();
  Format format;
  VIGIL_RETURN_IF_ERROR(DetectFormat(origin, buffer, config, &format));
  if (format.empty) {
    stats->warnings.push_back(origin + ": no events (the file is empty)");
    bytes_done->fetch_add(size);
    return Status::Ok();
  }
  bool json = format.json;
  size_t body = format.body;
  uint64_t line_offset = format.line_offset;
  std::optional<internal::CsvLineParser>& csv = format.csv;
  int threads = ThreadCount(config, options);
  // Small inputs are not worth a thread each.
  size_t min_chunk = 4 << 20;
  threads = static_cast<int>(std::clamp<size_t>((size - body) / min_chunk, 1, threads));
  std::vector<Chunk> chunks(threads);
  size_t pos = body;
  for (int t = 0; t < threads; ++t) {
    chunks[t].begin = pos;
    size_t end = t + 1 == threads ? size : body + (size - body) * (t + 1) / threads;
    if (end < pos) end = pos;
    if (end < size) {
      const char* nl = static_cast<const char*>(std::memchr(data + end, '\n', size - end));
      end = nl ? nl - data + 1 : size;
    }
    chunks[t].end = end;
    pos = end;
  }
  // Reserve cells from the input size: at the finest grain nearly every event is its own cell,
  // and growing the arrays a doubling at a time costs more than the parsing.
  size_t sample = std::min<size_t>(size - body, 1 << 16);
  size_t sample_lines = 1;
  for (size_t i = body; i < body + sample; ++i) sample_lines += data[i] == '\n';
  size_t estimated_events = (size - body) / std::max<size_t>(1, sample / sample_lines) + 1;
  Shared shared{&config, &buffer, json, csv ? &*csv : nullptr, bytes_done, events_done, bad_done,
                static_cast<size_t>(std::max<int64_t>(0, config.limits.max_bad_lines_shown))};
  bytes_done->fetch_add(body);
  auto report = [&] {
    if (!options.progress) return;
    options.progress({bytes_done->load(), bytes_total, events_done->load(), bad_done->load(),
                      std::chrono::duration<double>(Clock::now() - start).count()});
  };
  if (threads == 1) {
    target->Reserve(target->cell_count() + estimated_events);
    std::function<void()> report_fn = report;
    shared.report = &report_fn;
    ParseChunk(shared, &chunks[0], [target](const Event& e) { return target->Add(e); });
  } else {
    std::vector<Cube> partial;
    for (int t = 0; t < threads; ++t) {
      partial.emplace_back(target->shared_config());
      partial.back().Reserve(estimated_events / threads + 1);
    }
    std::vector<std::future<void>> futures;
    for (int t = 0; t < threads; ++t) {
      futures.push_back(std::async(std::launch::async, [&shared, &chunks, &partial, t] {
        ParseChunk(shared, &chunks[t], [cube = &partial[t]](const Event& e) { return cube->Add(e); });
      }));
    }
    for (auto& f : futures) {
      while (f.wait_for(std::chrono::milliseconds(200)) != std::future_status::ready) {
        report();
      }
    }
    for (const Chunk& c : chunks) VIGIL_RETURN_IF_ERROR(c.status);
    // Merge in chunk order, so that which values fold at a cardinality limit depends only on
    // the input order and the thread count.
    for (int t = 0; t < threads; ++t) {
      if (t == 0 && target->cell_count() == 0) {
        *target = std::move(partial[0]);
      } else {
        VIGIL_RETURN_IF_ERROR(target->Merge(partial[t]));
      }
    }
  }
  for (const Chunk& c : chunks) VIGIL_RETURN_IF_ERROR(c.status);
  uint64_t line_base = line_offset + 1;  // 1-based line number of the chunk's first line
  size_t keep = shared.keep_bad;
  for (const Chunk& c : chunks) {
    for (const BadLine& b : c.first_bad) {
      if (stats->first_bad_lines.size() < keep) {
        stats->first_bad_lines.push_back({origin, line_base + b.line, b.reason});
      }
    }
    line_base += c.newlines;
    stats->lines += c.lines;
    stats->events += c.events;
    stats->bad_lines += c.bad;
  }
  return Status::Ok();
}

// Every input in turn, read whole (decompressed), counted in `stats`. All paths are checked
// first, so that a typo in the last one fails before the others are read.
Status ForEachInputFile(const std::vector<std::string>& paths, IngestStats* stats,
                        const std::function<Status(const std::string&, const InputData&)>& use) {
  for (const std::string& p : paths) VIGIL_RETURN_IF_ERROR(internal::CheckReadable(p));
  for (const std::string& p : paths) {
    VIGIL_ASSIGN_OR_RETURN(InputData buffer, internal::ReadInputFile(p, &stats->warnings));
    ++stats->files;
    stats->bytes += buffer.size();
    VIGIL_RETURN_IF_ERROR(use(p, buffer));
  }
  return Status::Ok();
}

}  // namespace

Result<IngestStats> IngestFiles(const std::vector<std::string>& paths, Cube* cube,
                                const IngestOptions& options) {
  if (paths.empty()) return InvalidArgument("no input files");
  auto start = Clock::now();
  uint64_t total = 0;
  for (const std::string& p : paths) {
    std::error_code ec;
    total += std::filesystem::file_size(p, ec);
  }
  // Ingest into a scratch cube first: a failure leaves `cube` as it was.
  Cube scratch(cube->shared_config());
  IngestStats stats;
  std::atomic<uint64_t> bytes_done{0}, events_done{0}, bad_done{0};
  VIGIL_RETURN_IF_ERROR(ForEachInputFile(paths, &stats, [&](const std::string& p, const InputData& buffer) {
    VIGIL_RETURN_IF_ERROR(IngestOne(p, buffer, &scratch, options, &stats, &bytes_done, &events_done,
                                    &bad_done, start, total));
    if (options.progress) {
      options.progress({stats.bytes, std::max(total, stats.bytes), stats.events, stats.bad_lines,
                        std::chrono::duration<double>(Clock::now() - start).count()});
    }
    return Status::Ok();
  }));
  if (stats.events == 0) {
    std::string why = stats.lines == 0 ? "the input is empty"
                                       : "every one of the " + std::to_string(stats.lines) +
                                             " lines was bad";
    if (!stats.first_bad_lines.empty()) {
      const BadLine& b = stats.first_bad_lines.front();
      why += " (first: " + b.file + ":" + std::to_string(b.line) + ": " + b.reason + ")";
    }
    return DataError("no events ingested: " + why);
  }
  if (cube->cell_count() == 0) {
    *cube = std::move(scratch);
  } else {
    VIGIL_RETURN_IF_ERROR(cube->Merge(scratch));
  }
  stats.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return stats;
}

Result<IngestStats> ScanFiles(const std::vector<std::string>& paths, const Config& config,
                              const std::function<void(const Event&)>& visit) {
  auto start = Clock::now();
  IngestStats stats;
  std::atomic<uint64_t> bytes_done{0}, events_done{0}, bad_done{0};
  VIGIL_RETURN_IF_ERROR(ForEachInputFile(paths, &stats, [&](const std::string& p, const InputData& buffer) {
    Format format;
    VIGIL_RETURN_IF_ERROR(DetectFormat(p, buffer, config, &format));
    if (format.empty) return Status::Ok();
    Shared shared{&config, &buffer, format.json, format.csv ? &*format.csv : nullptr, &bytes_done, &events_done,
                  &bad_done, 0};
    Chunk chunk;
    chunk.begin = format.body;
    chunk.end = buffer.size();
    ParseChunk(shared, &chunk, [&visit](const Event& e) {
      visit(e);
      return Status::Ok();
    });
    stats.lines += chunk.lines;
    stats.events += chunk.events;
    stats.bad_lines += chunk.bad;
    return Status::Ok();
  }));
  stats.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return stats;
}

Result<IngestStats> IngestBuffer(std::string_view text, const std::string& origin, Cube* cube,
                                 const IngestOptions& options) {
  PaddedBuffer padded;
  padded.Append(text.data(), text.size());
  InputData buffer(std::move(padded));
  IngestStats stats;
  Cube scratch(cube->shared_config());
  std::atomic<uint64_t> a{0}, b{0}, c{0};
  auto start = Clock::now();
  VIGIL_RETURN_IF_ERROR(IngestOne(origin, buffer, &scratch, options, &stats, &a, &b, &c, start,
                                  text.size()));
  stats.files = 1;
  stats.bytes = text.size();
  VIGIL_RETURN_IF_ERROR(cube->Merge(scratch));
  stats.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return stats;
}

}  // namespace vigil
