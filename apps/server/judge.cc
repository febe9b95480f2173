// The service's detection: each bucket is judged once it closes (event time, with a lateness
// allowance), and what it finds goes through the same pipeline and lifecycle as `vigil run`, so
// a stream and a batch over the same events give the same incidents and notifications.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "server/server.h"
#include "vigil/pipeline.h"

namespace vigil::server {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// How often a waiting round checks for buckets closed by the passing of time alone.
constexpr auto kIdleCheck = std::chrono::seconds(1);

}  // namespace

// The watermark is the newest bucket held less the lateness allowance. When no event has arrived
// for a while, event time moves on with the wall clock from the last ingest: a stream that stops
// altogether (an outage to zero) still closes buckets, and is judged as empty ones.
TimeMs Service::ClosedBeforeLocked(std::chrono::steady_clock::time_point now) {
  if (cube_.event_count() == 0) return 0;
  int64_t idle_ms = 0;
  {
    std::lock_guard lock(judge_mutex_);
    idle_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - last_ingest_).count();
  }
  const int64_t lateness = config_->server.lateness_ms;
  TimeMs watermark = cube_.last_bucket() - lateness + std::max<int64_t>(0, idle_ms - lateness);
  // One event stamped in the future (a device with a wrong clock) must not close every bucket
  // before it: the watermark never passes the wall clock.
  watermark = std::min(watermark, WallClockNow());
  return BucketStart(watermark, config_->granularity_ms);
}

TimeMs Service::ClosedBefore() {
  std::shared_lock lock(cube_mutex_);
  return ClosedBeforeLocked(std::chrono::steady_clock::now());
}

Result<std::optional<JudgeRound>> Service::JudgeClosedBuckets(const AlertOptions& alert) {
  std::lock_guard round_lock(round_mutex_);
  const auto start = std::chrono::steady_clock::now();
  JudgeRound round;
  Result<Investigation> search = Investigation{};
  {
    std::shared_lock cube_lock(cube_mutex_);
    round.closed = ClosedBeforeLocked(start);
    if (round.closed <= judged_before_.load() || round.closed <= cube_.first_bucket())
      return std::optional<JudgeRound>();
    {
      std::lock_guard lock(judge_mutex_);
      if (abandoned_) return std::optional<JudgeRound>();
      detecting_ = true;
    }
    // Detection carried from the last round reads only the buckets closed since; events that
    // arrived for buckets it had read make it read everything again.
    reading_before_ = round.closed;
    if (detection_stale_.exchange(false)) {
      detection_.Reset();
      evidence_.Clear();
    }
    InvestigateOptions investigate;
    investigate.data_end = round.closed;
    investigate.state = &detection_;
    investigate.evidence_cache = &evidence_;
    // What ended long ago was explained and told in earlier rounds: a round explains what is
    // still moving. Past twice alert.resolve_after (and a day), every incident is resolved.
    const int64_t settled = std::max<int64_t>(kDayMs, 2 * config_->alert.resolve_after_ms);
    investigate.settled_before = round.closed - settled;
    // Detection holds a day more than that of each series, so its cost and memory follow what
    // is still moving rather than the history the cube keeps (the cube has it all).
    detection_.set_horizon(settled + kDayMs);
    search = Investigate(cube_, investigate);
  }
  {
    std::lock_guard lock(judge_mutex_);
    if (abandoned_) return std::optional<JudgeRound>();  // the process is ending
    detecting_ = false;
  }
  if (!search.ok()) {
    ++judge_failures_;
    return search.status();
  }
  round.incidents = search->incidents.size();
  AlertOptions options = alert;
  options.data_end = round.closed;
  {
    std::lock_guard store_lock(store_mutex_);
    auto report = UpdateIncidents(store_.get(), *config_, search->incidents, options);
    if (!report.ok()) {
      ++judge_failures_;
      return report.status();
    }
    round.alerts = std::move(*report);
  }
  judged_before_ = round.closed;
  round.seconds = SecondsSince(start);
  {
    std::lock_guard lock(judge_mutex_);
    round.lag_seconds =
        newest_closed_ == round.closed ? SecondsSince(newest_closed_seen_) : round.seconds;
  }
  ++judge_rounds_;
  notifications_sent_ += round.alerts.sent;
  notifications_failed_ += round.alerts.failed;
  last_round_seconds_ = round.seconds;
  last_lag_seconds_ = round.lag_seconds;
  if (round.lag_seconds > max_lag_seconds_) max_lag_seconds_ = round.lag_seconds;
  return std::optional<JudgeRound>(std::move(round));
}

bool Service::AbandonRounds() {
  std::lock_guard lock(judge_mutex_);
  abandoned_ = true;
  return detecting_;
}

void Service::WakeJudging() {
  std::lock_guard lock(judge_mutex_);
  wake_ = true;
  judge_wake_.notify_all();
}

void Service::RunJudging(const std::atomic<bool>& stopping, std::ostream* out) {
  AlertOptions options;
  options.out = out;
  while (!stopping) {
    auto round = JudgeClosedBuckets(options);
    if (!round.ok()) {
      std::fprintf(stderr, "vigil: judging: %s\n", round.status().message().c_str());
    } else if (round->has_value()) {
      const JudgeRound& r = **round;
      if (out) out->flush();
      std::fprintf(stderr,
                   "vigil: judged buckets to %s in %.1f s: %zu incidents; %d opened, %d resolved; "
                   "%d notifications sent, %d failed\n",
                   FormatTimestamp(r.closed).c_str(), r.seconds, r.incidents, r.alerts.opened,
                   r.alerts.resolved, r.alerts.sent, r.alerts.failed);
      for (const std::string& problem : r.alerts.problems)
        std::fprintf(stderr, "vigil: %s\n", problem.c_str());
    }
    std::unique_lock lock(judge_mutex_);
    judge_wake_.wait_for(lock, kIdleCheck, [&] { return wake_ || stopping; });
    wake_ = false;
  }
}

}  // namespace vigil::server
