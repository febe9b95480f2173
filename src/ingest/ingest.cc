#include "vigil/ingest.h"

#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <optional>
#include <thread>

#include "ingest/file_reader.h"
#include "ingest/record_parser.h"
#include "ingest/workers.h"

namespace vigil {
namespace {

using internal::InputData;
using internal::PaddedBuffer;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

// A contiguous range of whole lines of one block, parsed by one thread into its own cube.
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

// Skips a UTF-8 byte order mark at the start of a line (files joined with `cat` carry theirs).
void SkipByteOrderMark(const char** line, size_t* length) {
  if (*length >= 3 && std::memcmp(*line, kByteOrderMark.data(), 3) == 0) {
    *line += 3;
    *length -= 3;
  }
}

// Progress shared by the parsing threads; reported from the calling thread.
struct Progress {
  std::atomic<uint64_t> bytes{0}, events{0}, bad{0};
  uint64_t bytes_total = 0;
  Clock::time_point start = Clock::now();
  const IngestOptions* options = nullptr;

  void Report() {
    if (!options || !options->progress) return;
    uint64_t done = bytes.load();
    options->progress({done, std::max(bytes_total, done), events.load(), bad.load(),
                       std::chrono::duration<double>(Clock::now() - start).count()});
  }
};

// What a block of an input holds: JSON Lines, or CSV with its header parsed.
struct Format {
  bool json = true;
  size_t body = 0;         // offset of the first record in the block it was detected in
  uint64_t body_line = 1;  // that record's line number, counted from the block's first line
  std::optional<internal::CsvLineParser> csv;
  std::vector<BadLine> leading_bad;  // lines before a CSV header, numbered like body_line
  std::string warning;               // which format was chosen and why, when evidence was mixed
};

struct Shared {
  const Config* config;
  const char* data;
  size_t readable;  // bytes from data that may be read (see InputData::readable)
  bool json;
  const internal::CsvLineParser* csv_prototype;
  Progress* progress;
  size_t keep_bad;
  // Set only when the chunk is parsed on the calling thread, which may then report progress.
  bool report = false;
};

// Parses a chunk's lines, handing each good event to `sink` (which returns a Status).
template <typename Sink>
void ParseChunk(const Shared& s, Chunk* chunk, Sink&& sink) {
  const char* data = s.data;
  const size_t readable = s.readable;
  PaddedBuffer tail;  // a copy of a line too close to the end of the readable bytes
  const size_t max_line = static_cast<size_t>(s.config->limits.max_line_bytes);
  Event event = internal::EmptyEvent(s.config->input);
  std::string reason;
  std::optional<internal::JsonLineParser> json;
  std::optional<internal::CsvLineParser> csv;
  if (s.json)
    json.emplace(s.config->input);
  else
    csv.emplace(*s.csv_prototype);
  size_t pos = chunk->begin;
  uint64_t line_index = 0;
  size_t reported = pos;
  uint64_t events_reported = 0, bad_reported = 0;
  while (pos < chunk->end) {
    const char* nl = static_cast<const char*>(std::memchr(data + pos, '\n', chunk->end - pos));
    size_t line_end = nl ? nl - data : chunk->end;
    size_t length = line_end - pos;
    const char* line = data + pos;
    SkipByteOrderMark(&line, &length);
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
          ok = json->Parse(line, length, readable - (line - data), &event, &reason);
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
      s.progress->bytes.fetch_add(std::min(pos, chunk->end) - reported, std::memory_order_relaxed);
      s.progress->events.fetch_add(chunk->events - events_reported, std::memory_order_relaxed);
      s.progress->bad.fetch_add(chunk->bad - bad_reported, std::memory_order_relaxed);
      reported = pos;
      events_reported = chunk->events;
      bad_reported = chunk->bad;
      if (s.report && (pos - chunk->begin) % (16 << 20) < (1 << 20)) s.progress->Report();
    }
  }
  s.progress->bytes.fetch_add(std::max(chunk->end, reported) - reported, std::memory_order_relaxed);
  s.progress->events.fetch_add(chunk->events - events_reported, std::memory_order_relaxed);
  s.progress->bad.fetch_add(chunk->bad - bad_reported, std::memory_order_relaxed);
}

// ---------------------------------------------------------------------------------------------
// Format

constexpr size_t kSampleLines = 64;

// Decides JSON Lines or CSV from the first non-blank lines of [data, data + size), which starts
// at the start of a line. A vote, so that one damaged line (the first one included) cannot make
// a whole file unreadable: a line opening with `{` votes for JSON Lines; a CSV header (a line
// whose columns name the mapped time field) votes for CSV with every non-JSON line after it.
// False when the range holds no non-blank line. An error only when neither format fits.
Result<bool> DetectFormat(const std::string& origin, const char* data, size_t size,
                          const Config& config, Format* out) {
  struct Sampled {
    size_t end;     // offset of the line's end (its newline, or size)
    uint64_t line;  // 1-based, from the range's first line
    bool json;
    const char* text;
    size_t length;
  };
  std::vector<Sampled> lines;
  const size_t max_line = static_cast<size_t>(config.limits.max_line_bytes);
  int header = -1;
  std::optional<internal::CsvLineParser> header_parser;
  size_t pos = 0;
  for (uint64_t line_no = 1; pos < size && lines.size() < kSampleLines; ++line_no) {
    const char* nl = static_cast<const char*>(std::memchr(data + pos, '\n', size - pos));
    size_t end = nl ? nl - data : size;
    const char* text = data + pos;
    size_t length = end - pos;
    SkipByteOrderMark(&text, &length);
    if (!IsBlank(text, length)) {
      size_t first = 0;
      while (first < length && (text[first] == ' ' || text[first] == '\t')) ++first;
      bool json = first < length && text[first] == '{';
      // A header longer than limits.max_line_bytes would be a bad line, and splitting a huge
      // line into columns would cost memory in proportion.
      if (!json && header < 0 && length <= max_line && LooksLikeText(text, length)) {
        auto parser = internal::CsvLineParser::Create(std::string_view(text, length), config.input);
        if (parser.ok()) {
          header = static_cast<int>(lines.size());
          header_parser.emplace(std::move(*parser));
        }
      }
      lines.push_back({end, line_no, json, text, length});
    }
    if (!nl) break;
    pos = end + 1;
  }
  if (lines.empty()) return false;
  size_t json_votes = 0;
  for (const Sampled& l : lines) json_votes += l.json;
  const std::string time_field = config.input.time_field;
  if (header >= 0) {
    size_t csv_votes = 0;
    for (size_t i = header; i < lines.size(); ++i) csv_votes += !lines[i].json;
    if (csv_votes >= json_votes) {
      const Sampled& h = lines[header];
      out->json = false;
      out->csv.emplace(std::move(*header_parser));
      out->body = h.end < size ? h.end + 1 : size;
      out->body_line = h.line + 1;
      std::string at_line = "the CSV header on line " + std::to_string(h.line);
      for (int i = 0; i < header; ++i) {
        out->leading_bad.push_back({"", lines[i].line, "before " + at_line});
      }
      if (header > 0 || json_votes > 0) {
        out->warning = origin + ": read as CSV with " + at_line +
                       " (its columns name the time field '" + time_field + "'); " +
                       std::to_string(header) + " line" + (header == 1 ? "" : "s") +
                       " before it and " + std::to_string(json_votes) + " JSON object" +
                       (json_votes == 1 ? "" : "s") + " among the first " +
                       std::to_string(lines.size()) + " lines are reported as bad lines";
      }
      return true;
    }
  }
  size_t binary_lines = 0;
  for (const Sampled& l : lines) binary_lines += !LooksLikeText(l.text, l.length);
  // Binary data is judged by most sampled lines, not the first: a short random line can be
  // printable by chance, and a text file with one damaged line is still text.
  if (json_votes > 0 || 2 * binary_lines > lines.size()) {
    // JSON Lines; binary data that is neither is read so, and its lines are counted as bad.
    out->json = true;
    out->body = 0;
    out->body_line = 1;
    if (json_votes > 0 && json_votes < lines.size()) {
      out->warning = origin + ": read as JSON Lines: " + std::to_string(json_votes) +
                     " of the first " + std::to_string(lines.size()) +
                     " non-blank lines are JSON objects" +
                     (header >= 0 ? ", more than the CSV rows from the header-like line " +
                                        std::to_string(lines[header].line)
                                  : "") +
                     "; the others are reported as bad lines";
    }
    return true;
  }
  std::string why = "line is over limits.max_line_bytes";
  if (lines[0].length <= max_line) {
    auto parser = internal::CsvLineParser::Create(std::string_view(lines[0].text, lines[0].length),
                                                  config.input);
    why = parser.ok() ? "not a CSV header" : parser.status().message();
  }
  return DataError(origin + ":" + std::to_string(lines[0].line) + ": " + why +
                   ", and none of the first " + std::to_string(lines.size()) +
                   " non-blank lines is a JSON object: neither CSV nor JSON Lines");
}

// ---------------------------------------------------------------------------------------------
// Parsing blocks of lines into a cube

int ThreadCount(const Config& config, const IngestOptions& options) {
  int n = options.threads > 0 ? options.threads : config.threads;
  if (n <= 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::min(n, 256);
}

struct BlockCounts {
  uint64_t newlines = 0;
  uint64_t events = 0;
};

// Adds blocks of lines to `target`: each block is split over threads, the first chunk parsed
// into `target` itself and chunk t into partial cube t, which Finish merges in order.
class CubeBuilder {
 public:
  CubeBuilder(Cube* target, const IngestOptions& options, Progress* progress)
      : target_(target), options_(options), progress_(progress) {}

  // Parses the whole lines of [begin, end) of `data`, the line at `begin` being `first_line`.
  Result<BlockCounts> Parse(const std::string& origin, const char* data, size_t readable,
                            size_t begin, size_t end, uint64_t first_line, const Format& format,
                            IngestStats* stats) {
    const Config& config = target_->config();
    int threads = ThreadCount(config, options_);
    // Small inputs are not worth a thread each.
    const size_t min_chunk = 4 << 20;
    threads = static_cast<int>(std::clamp<size_t>((end - begin) / min_chunk, 1, threads));
    std::vector<Chunk> chunks(threads);
    size_t pos = begin;
    for (int t = 0; t < threads; ++t) {
      chunks[t].begin = pos;
      size_t chunk_end = t + 1 == threads ? end : begin + (end - begin) * (t + 1) / threads;
      if (chunk_end < pos) chunk_end = pos;
      if (chunk_end < end) {
        const char* nl =
            static_cast<const char*>(std::memchr(data + chunk_end, '\n', end - chunk_end));
        chunk_end = nl ? nl - data + 1 : end;
      }
      chunks[t].end = chunk_end;
      pos = chunk_end;
    }
    // Reserve cells from the input size: at the finest grain nearly every event is its own cell,
    // and growing the arrays a doubling at a time costs more than the parsing.
    size_t sample = std::min<size_t>(end - begin, 1 << 16);
    size_t sample_lines = 1;
    for (size_t i = begin; i < begin + sample; ++i) sample_lines += data[i] == '\n';
    size_t estimated_events = (end - begin) / std::max<size_t>(1, sample / sample_lines) + 1;
    while (static_cast<int>(partial_.size()) < threads - 1)
      partial_.emplace_back(target_->shared_config());
    if (reserved_.size() < static_cast<size_t>(threads)) reserved_.resize(threads, 0);
    for (int t = 0; t < threads; ++t) Reserve(t, estimated_events / threads + 1);
    Shared shared{&config,
                  data,
                  readable,
                  format.json,
                  format.csv ? &*format.csv : nullptr,
                  progress_,
                  static_cast<size_t>(std::max<int64_t>(0, config.limits.max_bad_lines_shown))};
    if (threads == 1) {
      shared.report = true;
      VIGIL_RETURN_IF_ERROR(internal::Guarded(origin, [&] {
        ParseChunk(shared, &chunks[0], [this](const Event& e) { return target_->Add(e); });
        return chunks[0].status;
      }));
    } else {
      VIGIL_RETURN_IF_ERROR(internal::RunWorkers(
          threads, origin,
          [&](int t) {
            Cube* cube = CubeOf(t);
            ParseChunk(shared, &chunks[t], [cube](const Event& e) { return cube->Add(e); });
            return chunks[t].status;
          },
          [this] { progress_->Report(); }));
    }
    BlockCounts counts;
    uint64_t line_base = first_line;  // number of the chunk's first line
    for (const Chunk& c : chunks) {
      for (const BadLine& b : c.first_bad) {
        if (stats->first_bad_lines.size() < shared.keep_bad) {
          stats->first_bad_lines.push_back({origin, line_base + b.line, b.reason});
        }
      }
      line_base += c.newlines;
      stats->lines += c.lines;
      stats->events += c.events;
      stats->bad_lines += c.bad;
      counts.newlines += c.newlines;
      counts.events += c.events;
    }
    return counts;
  }

  // Merges the partial cubes into the target, in chunk order, so that which values fold at a
  // cardinality limit depends only on the input order and the thread count.
  Status Finish() {
    for (Cube& partial : partial_) {
      if (partial.cell_count() > 0 || partial.event_count() > 0)
        VIGIL_RETURN_IF_ERROR(target_->Merge(partial));
    }
    partial_.clear();
    reserved_.assign(1, reserved_.empty() ? 0 : reserved_[0]);
    return Status::Ok();
  }

 private:
  Cube* CubeOf(int t) { return t == 0 ? target_ : &partial_[t - 1]; }

  // Exact for one block (a mapped file); geometric over the blocks of a stream, so that
  // reserving block after block does not copy the cells each time.
  void Reserve(int t, size_t more) {
    Cube* cube = CubeOf(t);
    size_t want = cube->cell_count() + more;
    if (want <= reserved_[t]) return;
    if (reserved_[t] > 0) want = std::max(want, reserved_[t] * 2);
    cube->Reserve(want);
    reserved_[t] = want;
  }

  Cube* target_;
  const IngestOptions& options_;
  Progress* progress_;
  std::vector<Cube> partial_;
  std::vector<size_t> reserved_;
};

// ---------------------------------------------------------------------------------------------
// Reading inputs block by block

// Parses the whole lines [begin, end) of a block; the line at `begin` is number `first_line`.
using BlockParser =
    std::function<Result<BlockCounts>(const char* data, size_t readable, size_t begin, size_t end,
                                      uint64_t first_line, const Format&)>;

void AddBadLine(IngestStats* stats, const Config& config, BadLine bad) {
  ++stats->lines;
  ++stats->bad_lines;
  if (stats->first_bad_lines.size() <
      static_cast<size_t>(std::max<int64_t>(0, config.limits.max_bad_lines_shown))) {
    stats->first_bad_lines.push_back(std::move(bad));
  }
}

// Records what format detection found: its warning and the lines before a CSV header. `line`
// is the number of the first line of the block the format was detected in.
void NoteFormat(const std::string& origin, const Config& config, const Format& format,
                uint64_t line, IngestStats* stats) {
  if (!format.warning.empty()) stats->warnings.push_back(format.warning);
  for (const BadLine& b : format.leading_bad)
    AddBadLine(stats, config, {origin, line - 1 + b.line, b.reason});
}

// A stream in blocks of whole lines; the next block is read while this one is parsed. A line
// longer than limits.max_line_bytes is dropped as it arrives, so memory stays within about two
// blocks and a line.
Status ReadStream(const std::string& origin, internal::ByteStream* stream, const Config& config,
                  const IngestOptions& options, IngestStats* stats, const BlockParser& parse) {
  const size_t max_line = static_cast<size_t>(config.limits.max_line_bytes);
  const size_t block_bytes = std::clamp<size_t>(
      static_cast<size_t>(ThreadCount(config, options)) * (16 << 20), 16 << 20, 128 << 20);
  const uint64_t junk_limit = options.max_bytes_without_event;
  uint64_t bytes_read = 0;
  // Reads into `buffer` until it holds a block (and at least 1 MiB more than now) or the input
  // ends.
  auto fill = [&](PaddedBuffer* buffer, bool* at_end) -> Status {
    const size_t want = std::max(block_bytes, buffer->size() + (1 << 20));
    while (buffer->size() < want && !*at_end) {
      size_t room = std::min<size_t>(want - buffer->size(), 4 << 20);
      buffer->Reserve(buffer->size() + room);
      VIGIL_ASSIGN_OR_RETURN(size_t got, stream->Read(buffer->data() + buffer->size(), room));
      if (got == 0) *at_end = true;
      buffer->Resize(buffer->size() + got);
      bytes_read += got;
    }
    return Status::Ok();
  };
  PaddedBuffer current, next;
  bool at_end = false;
  uint64_t line = 1;  // number of the line that starts at current[0]
  std::optional<Format> format;
  bool skipping = false;     // inside a line over limits.max_line_bytes
  uint64_t skipped = 0;      // its bytes so far
  uint64_t since_event = 0;  // bytes since the last block that held an event
  bool stopped = false;
  auto too_much_junk = [&] { return junk_limit > 0 && since_event >= junk_limit; };
  VIGIL_RETURN_IF_ERROR(internal::Guarded(origin, [&] { return fill(&current, &at_end); }));
  while (true) {
    if (skipping) {
      const char* nl = static_cast<const char*>(std::memchr(current.data(), '\n', current.size()));
      size_t upto = nl ? nl - current.data() : current.size();
      skipped += upto;
      since_event += upto;
      if (nl || at_end) {
        AddBadLine(stats, config,
                   {origin, line,
                    "line is " + std::to_string(skipped) + " bytes, over limits.max_line_bytes (" +
                        std::to_string(max_line) + ")"});
        skipping = false;
      }
      current.Consume(nl ? upto + 1 : upto);
      if (nl) ++line;
      if (too_much_junk()) {
        if (skipping) {
          AddBadLine(stats, config,
                     {origin, line,
                      "line of more than " + std::to_string(skipped) +
                          " bytes with no end yet, over limits.max_line_bytes (" +
                          std::to_string(max_line) + ")"});
        }
        stopped = true;
        break;
      }
      if (!nl) {
        if (at_end) break;
        VIGIL_RETURN_IF_ERROR(internal::Guarded(origin, [&] { return fill(&current, &at_end); }));
        continue;
      }
    }
    if (current.size() == 0 && at_end) break;
    // The block ends after its last newline; the partial line after it starts the next block.
    size_t end = current.size();
    if (!at_end) {
      const void* nl = memrchr(current.data(), '\n', current.size());
      end = nl ? static_cast<const char*>(nl) - current.data() + 1 : 0;
    }
    if (end == 0) {  // not one whole line yet
      if (current.size() > max_line) {
        skipping = true;
        skipped = 0;
      } else {
        VIGIL_RETURN_IF_ERROR(internal::Guarded(origin, [&] { return fill(&current, &at_end); }));
      }
      continue;
    }
    size_t begin = 0;
    uint64_t first_line = line;
    bool parse_block = true;
    if (!format) {
      Format detected;
      VIGIL_ASSIGN_OR_RETURN(bool found,
                             DetectFormat(origin, current.data(), end, config, &detected));
      if (found) {
        NoteFormat(origin, config, detected, line, stats);
        begin = detected.body;
        first_line = line - 1 + detected.body_line;
        format.emplace(std::move(detected));
      } else {
        parse_block = false;  // blank lines only, so far
      }
    }
    next.Clear();
    next.Append(current.data() + end, current.size() - end);
    bool next_at_end = at_end;
    std::future<Status> reading;
    if (!at_end) {
      reading = std::async(std::launch::async, [&] {
        return internal::Guarded(origin, [&] { return fill(&next, &next_at_end); });
      });
    }
    Result<BlockCounts> counts = BlockCounts{};
    if (parse_block && begin < end) {
      counts = parse(current.data(), current.size() + PaddedBuffer::kPadding, begin, end,
                     first_line, *format);
    } else if (!parse_block) {
      for (size_t i = 0; i < end; ++i) counts->newlines += current.data()[i] == '\n';
    }
    Status read = reading.valid() ? reading.get() : Status::Ok();
    VIGIL_RETURN_IF_ERROR(counts.status());
    VIGIL_RETURN_IF_ERROR(read);
    line = first_line + counts->newlines;
    since_event = counts->events > 0 ? 0 : since_event + (end - begin);
    std::swap(current, next);
    at_end = next_at_end;
    if (too_much_junk()) {
      stopped = true;
      break;
    }
  }
  stats->bytes += bytes_read;
  for (const std::string& w : stream->warnings()) stats->warnings.push_back(w);
  if (stopped) {
    stats->warnings.push_back(origin + ": stopped reading at line " + std::to_string(line) + ": " +
                              std::to_string(since_event) +
                              " bytes in a row without a good event, over the limit for a pipe, "
                              "device or compressed input (" +
                              std::to_string(junk_limit >> 20) + " MiB); is it telemetry?");
  } else if (!format) {
    stats->warnings.push_back(origin + ": no events (the input is empty)");
  }
  return Status::Ok();
}

// Reads one input (checked by CheckInput) and hands its lines to `parse`: a mapped file in one
// block, a stream in blocks.
Status ReadInput(const internal::InputInfo& info, const Config& config,
                 const IngestOptions& options, IngestStats* stats, const BlockParser& parse) {
  const std::string& origin = info.path;
  VIGIL_ASSIGN_OR_RETURN(internal::OpenedInput input,
                         internal::OpenInput(info, options.pipe_writer_wait));
  ++stats->files;
  if (input.stream) return ReadStream(origin, input.stream.get(), config, options, stats, parse);
  const InputData& data = input.mapped;
  stats->bytes += data.size();
  Format format;
  VIGIL_ASSIGN_OR_RETURN(bool found,
                         DetectFormat(origin, data.data(), data.size(), config, &format));
  if (!found) {
    stats->warnings.push_back(origin + ": no events (the file is empty)");
    return Status::Ok();
  }
  NoteFormat(origin, config, format, 1, stats);
  return parse(data.data(), data.readable(), format.body, data.size(), format.body_line, format)
      .status();
}

// Checks every input before any is read, so that a typo in the last one fails first.
Result<std::vector<internal::InputInfo>> CheckInputs(const std::vector<std::string>& paths) {
  std::vector<internal::InputInfo> inputs;
  for (const std::string& p : paths) {
    VIGIL_ASSIGN_OR_RETURN(internal::InputInfo info, internal::CheckInput(p));
    inputs.push_back(std::move(info));
  }
  return inputs;
}

}  // namespace

Result<IngestStats> IngestFiles(const std::vector<std::string>& paths, Cube* cube,
                                const IngestOptions& options) {
  if (paths.empty()) return InvalidArgument("no input files");
  VIGIL_ASSIGN_OR_RETURN(std::vector<internal::InputInfo> inputs, CheckInputs(paths));
  Progress progress;
  progress.options = &options;
  for (const internal::InputInfo& in : inputs) progress.bytes_total += in.size;
  // Ingest into a scratch cube first: a failure leaves `cube` as it was.
  Cube scratch(cube->shared_config());
  const Config& config = scratch.config();
  IngestStats stats;
  CubeBuilder builder(&scratch, options, &progress);
  for (const internal::InputInfo& in : inputs) {
    VIGIL_RETURN_IF_ERROR(ReadInput(in, config, options, &stats,
                                    [&](const char* data, size_t readable, size_t begin, size_t end,
                                        uint64_t first_line, const Format& format) {
                                      return builder.Parse(in.path, data, readable, begin, end,
                                                           first_line, format, &stats);
                                    }));
    VIGIL_RETURN_IF_ERROR(builder.Finish());
    progress.Report();
  }
  if (stats.events == 0) {
    std::string why = stats.lines == 0
                          ? "the input is empty"
                          : "every one of the " + std::to_string(stats.lines) + " lines was bad";
    if (!stats.first_bad_lines.empty()) {
      const BadLine& b = stats.first_bad_lines.front();
      why += " (first: " + b.file + ":" + std::to_string(b.line) + ": " + b.reason + ")";
    }
    for (size_t i = 0; i < stats.warnings.size() && i < 3; ++i) why += "; " + stats.warnings[i];
    return DataError("no events ingested: " + why);
  }
  if (cube->cell_count() == 0) {
    *cube = std::move(scratch);
  } else {
    VIGIL_RETURN_IF_ERROR(cube->Merge(scratch));
  }
  stats.seconds = std::chrono::duration<double>(Clock::now() - progress.start).count();
  return stats;
}

Result<IngestStats> ScanFiles(const std::vector<std::string>& paths, const Config& config,
                              const std::function<void(const Event&)>& visit) {
  auto start = Clock::now();
  VIGIL_ASSIGN_OR_RETURN(std::vector<internal::InputInfo> inputs, CheckInputs(paths));
  IngestStats stats;
  Progress progress;
  IngestOptions options;
  for (const internal::InputInfo& in : inputs) {
    if (!in.regular) {
      stats.warnings.push_back(in.path +
                               ": not a regular file, so it cannot be read a second time; "
                               "no examples are taken from it");
      continue;
    }
    VIGIL_RETURN_IF_ERROR(ReadInput(
        in, config, options, &stats,
        [&](const char* data, size_t readable, size_t begin, size_t end, uint64_t first_line,
            const Format& format) -> Result<BlockCounts> {
          (void)first_line;
          Shared shared{&config,   data, readable, format.json, format.csv ? &*format.csv : nullptr,
                        &progress, 0};
          Chunk chunk;
          chunk.begin = begin;
          chunk.end = end;
          ParseChunk(shared, &chunk, [&visit](const Event& e) {
            visit(e);
            return Status::Ok();
          });
          stats.lines += chunk.lines;
          stats.events += chunk.events;
          stats.bad_lines += chunk.bad;
          return BlockCounts{chunk.newlines, chunk.events};
        }));
  }
  stats.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return stats;
}

Result<IngestStats> IngestBuffer(std::string_view text, const std::string& origin, Cube* cube,
                                 const IngestOptions& options) {
  PaddedBuffer padded;
  padded.Append(text.data(), text.size());
  InputData buffer(std::move(padded));
  IngestStats stats;
  stats.files = 1;
  stats.bytes = text.size();
  Cube scratch(cube->shared_config());
  Progress progress;
  progress.options = &options;
  progress.bytes_total = text.size();
  Format format;
  VIGIL_ASSIGN_OR_RETURN(
      bool found, DetectFormat(origin, buffer.data(), buffer.size(), scratch.config(), &format));
  if (found) {
    NoteFormat(origin, scratch.config(), format, 1, &stats);
    CubeBuilder builder(&scratch, options, &progress);
    VIGIL_RETURN_IF_ERROR(builder
                              .Parse(origin, buffer.data(), buffer.readable(), format.body,
                                     buffer.size(), format.body_line, format, &stats)
                              .status());
    VIGIL_RETURN_IF_ERROR(builder.Finish());
  } else {
    stats.warnings.push_back(origin + ": no events (the file is empty)");
  }
  VIGIL_RETURN_IF_ERROR(cube->Merge(scratch));
  stats.seconds = std::chrono::duration<double>(Clock::now() - progress.start).count();
  return stats;
}

}  // namespace vigil
