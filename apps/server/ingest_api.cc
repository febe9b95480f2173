// The ingest resource: POST /api/ingest adds a body of JSON Lines events to the cube and the
// store, all or nothing.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

#include "server/api_common.h"
#include "server/server.h"
#include "vigil/ingest.h"

namespace vigil::server {

using internal::Dump;
using internal::Json;
using internal::JsonResponse;

HttpResponse Service::Ingest(const HttpRequest& r) {
  if (auto refused = CheckToken(r)) return *refused;
  if (static_cast<int64_t>(r.body.size()) > config_->server.max_body_bytes) {
    ++rejected_bodies_;
    return ErrorResponse(
        413, fmt::format("the body has {} bytes; the limit is {} (server.max_body_bytes)",
                         r.body.size(), config_->server.max_body_bytes));
  }
  // A retry of a body the store holds is answered from the ledger, not counted again.
  constexpr size_t kMaxKeyBytes = 256;
  if (r.idempotency_key.size() > kMaxKeyBytes ||
      std::any_of(r.idempotency_key.begin(), r.idempotency_key.end(),
                  [](unsigned char c) { return c < 0x21 || c > 0x7e; })) {
    ++rejected_bodies_;
    return ErrorResponse(400, fmt::format("the Idempotency-Key header must be 1-{} printable "
                                          "ASCII characters without spaces",
                                          kMaxKeyBytes));
  }
  const std::string ledger_key = r.idempotency_key.empty() ? "" : "key:" + r.idempotency_key;
  if (r.body.find_first_not_of(" \t\r\n") == std::string::npos) {
    ++rejected_bodies_;
    return ErrorResponse(400, "the body is empty; send JSON Lines, one event per line");
  }
  // Parse into a scratch cube first: a body with any bad line is refused whole, so a client can
  // fix and resend it without counting the good lines twice.
  Cube scratch(config_);
  IngestOptions options;
  options.threads = 1;
  auto stats = IngestBuffer(r.body, "body", &scratch, options);
  if (!stats.ok()) {
    ++rejected_bodies_;
    return ErrorResponse(HttpStatusFor(stats.status().code()), stats.status().message());
  }
  bad_lines_ += stats->bad_lines;
  if (stats->bad_lines > 0) {
    ++rejected_bodies_;
    const BadLine& first = stats->first_bad_lines.front();
    HttpResponse out = ErrorResponse(
        400,
        fmt::format("line {}: {} ({} bad line{} of {}; nothing was ingested)", first.line,
                    first.reason, stats->bad_lines, stats->bad_lines == 1 ? "" : "s", stats->lines),
        static_cast<int64_t>(first.line));
    Json body = Json::parse(out.body);
    Json lines = Json::array();
    for (const BadLine& b : stats->first_bad_lines)
      lines.push_back({{"line", b.line}, {"reason", b.reason}});
    body["error"]["bad_lines"] = lines;
    out.body = Dump(body) + "\n";
    return out;
  }
  if (stats->events == 0) {
    ++rejected_bodies_;
    return ErrorResponse(400, "the body holds no events");
  }
  std::unique_lock cube_lock(cube_mutex_);
  {
    // All or nothing, in memory and in the store alike: a body past limits.max_cells, or one
    // whose save fails, leaves both as they were.
    std::lock_guard store_lock(store_mutex_);
    std::vector<IngestedInput> ledger;
    if (!ledger_key.empty()) {
      auto known = store_->cube().FindIngested(ledger_key);
      if (!known.ok())
        return ErrorResponse(HttpStatusFor(known.status().code()), known.status().message());
      if (known->has_value()) {
        ++repeated_bodies_;
        return JsonResponse({{"events", (*known)->events},
                             {"lines", stats->lines},
                             {"cube_events", cube_.event_count()},
                             {"repeated", true},
                             {"first_ingested", FormatTimestamp((*known)->at)}});
      }
      ledger.push_back(
          {ledger_key, "POST /api/ingest", r.body.size(), stats->events, WallClockNow()});
    }
    Status saved = CommitLocked(scratch, *stats, ledger);
    if (!saved.ok()) {
      ++rejected_bodies_;
      std::string message = saved.message();
      if (saved.code() != StatusCode::kLimitExceeded) message += "; nothing was ingested";
      return ErrorResponse(HttpStatusFor(saved.code()), message);
    }
  }
  return JsonResponse({{"events", stats->events},
                       {"lines", stats->lines},
                       {"cube_events", cube_.event_count()},
                       {"from", FormatTimestamp(scratch.first_bucket())},
                       {"to", FormatTimestamp(scratch.last_bucket() + config_->granularity_ms)}});
}

Result<IngestStats> Service::IngestStream(std::string_view lines, const std::string& origin,
                                          const std::vector<IngestedInput>& ledger) {
  Cube scratch(config_);
  IngestOptions options;
  // A follower's batch of megabytes is parsed on every core (0: the config's threads); a
  // trickle is not worth the threads.
  constexpr size_t kParallelBatchBytes = 1 << 20;
  options.threads = lines.size() >= kParallelBatchBytes ? 0 : 1;
  IngestStats stats;
  if (!lines.empty()) {
    Result<IngestStats> parsed = IngestBuffer(lines, origin, &scratch, options);
    if (parsed.ok()) {
      stats = std::move(*parsed);
    } else if (parsed.status().code() == StatusCode::kDataError) {
      // A batch that reads as no format at all is a batch of bad lines: counted, reported and
      // passed over, so a stream does not stall on it.
      for (size_t at = 0; at < lines.size();) {
        size_t end = std::min(lines.find('\n', at), lines.size());
        if (lines.substr(at, end - at).find_first_not_of(" \t\r") != std::string_view::npos)
          ++stats.lines;
        at = end + 1;
      }
      stats.bad_lines = stats.lines;
      stats.first_bad_lines.push_back({origin, 1, parsed.status().message()});
    } else {
      return parsed.status();
    }
  }
  bad_lines_ += stats.bad_lines;
  std::vector<IngestedInput> entries = ledger;
  for (IngestedInput& e : entries) e.events += stats.events;
  std::unique_lock cube_lock(cube_mutex_);
  std::lock_guard store_lock(store_mutex_);
  if (stats.events == 0) {
    // Nothing to merge, but a followed file's offset still moves past its bad lines.
    if (!entries.empty()) VIGIL_RETURN_IF_ERROR(store_->cube().Save(&cube_, entries));
    return stats;
  }
  VIGIL_RETURN_IF_ERROR(CommitLocked(scratch, stats, entries));
  return stats;
}

Result<std::optional<IngestedInput>> Service::LedgerEntry(const std::string& key) {
  std::lock_guard store_lock(store_mutex_);
  return store_->cube().FindIngested(key);
}

// The one way an addition enters: the store and the cube both or neither (SaveMerged), then the
// counters. The caller holds cube_mutex_ and store_mutex_ (the HTTP path reads the ledger under
// the same locks, so a retry racing its first delivery is still counted once).
Status Service::CommitLocked(const Cube& addition, const IngestStats& stats,
                             const std::vector<IngestedInput>& ledger) {
  VIGIL_RETURN_IF_ERROR(store_->cube().SaveMerged(&cube_, addition, ledger));
  // The addition is committed whatever happens to the retention step (retried on the next one).
  if (Result<uint64_t> expired = store_->cube().ApplyRetention(&cube_); expired.ok()) {
    expired_events_ += *expired;
  } else {
    std::fprintf(stderr, "vigil: cube.retention: %s\n", expired.status().message().c_str());
  }
  ++cube_version_;
  cube_events_ = cube_.event_count();
  ingested_events_ += stats.events;
  ingested_lines_ += stats.lines;
  // Events for buckets already judged (or being judged) are kept and counted as late; the next
  // round reads every bucket again, so it sees them.
  if (const uint64_t late =
          addition.EventsBefore(std::max(judged_before_.load(), reading_before_.load()));
      late > 0) {
    late_events_ += late;
    detection_stale_ = true;
  }
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(judge_mutex_);
    last_ingest_ = now;
  }
  TimeMs closed = ClosedBeforeLocked(now);
  std::lock_guard lock(judge_mutex_);
  if (closed > newest_closed_) {
    newest_closed_ = closed;
    newest_closed_seen_ = now;
    wake_ = true;
    judge_wake_.notify_all();
  }
  return Status::Ok();
}

}  // namespace vigil::server
