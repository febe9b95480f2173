// `vigil serve --config C [--listen 127.0.0.1:8080]`: the service, until SIGINT or SIGTERM. It
// ingests (POST /api/ingest, the followed files of server.follow, standard input with --stdin),
// judges each bucket as it closes and notifies the sinks (server.detect), and answers the JSON
// API and the web dashboard over the stored cube and incidents.
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "command.h"
#include "common.h"
#include "server/follow.h"
#include "server/server.h"

namespace vigil::cli {
namespace {

struct Options {
  std::string config;
  std::string listen = "127.0.0.1:8080";
  int threads = 8;
  bool stdin_events = false;
};

// `--stdin`: JSON Lines from standard input, ingested in batches of whole lines: when a batch
// reaches kBatchBytes, or input has paused for kBatchWait, or at the end of input. Each batch is
// written to the store before the next is read, so `producer | vigil serve --stdin` loses at
// most the batch being read when the server is killed, and a slow producer's events are
// queryable within a second.
constexpr size_t kBatchBytes = 4 << 20;
constexpr int kBatchWaitMs = 1000;

void FollowStdin(server::Service* service, const std::atomic<bool>& stopping) {
  std::string pending;  // read, not yet a whole line or not yet flushed
  uint64_t first_line = 1, lines_in_batch = 0, events = 0, bad = 0;
  auto flush = [&](size_t upto) {
    if (upto == 0) return;
    std::string origin = "stdin (lines " + std::to_string(first_line) + "-" +
                         std::to_string(first_line + lines_in_batch - 1) + ")";
    auto stats = service->IngestStream(std::string_view(pending.data(), upto), origin);
    if (!stats.ok()) {
      Warn(origin + ": " + stats.status().message() + "; these lines were not ingested");
    } else {
      events += stats->events;
      bad += stats->bad_lines;
      for (const BadLine& b : stats->first_bad_lines)  // numbered in the stream, not the batch
        Warn("stdin:" + std::to_string(first_line + b.line - 1) + ": " + b.reason);
    }
    pending.erase(0, upto);
    first_line += lines_in_batch;
    lines_in_batch = 0;
  };
  // A line longer than limits.max_line_bytes is dropped as it arrives (bounded memory, as for
  // files), counted as a bad line; reading resumes after its newline.
  const size_t max_line = static_cast<size_t>(service->config().limits.max_line_bytes);
  bool skipping = false;
  std::vector<char> block(1 << 16);
  bool open = true;
  while (open && !stopping) {
    pollfd p{STDIN_FILENO, POLLIN, 0};
    int ready = ::poll(&p, 1, kBatchWaitMs);
    size_t whole = pending.rfind('\n');
    whole = whole == std::string::npos ? 0 : whole + 1;
    if (ready == 0) {  // a pause: what is whole goes in now
      flush(whole);
      continue;
    }
    if (ready < 0 && errno == EINTR) continue;
    ssize_t n = ready < 0 ? -1 : ::read(STDIN_FILENO, block.data(), block.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n < 0) Warn(std::string("stdin: ") + std::strerror(errno));
      open = false;
      if (!pending.empty() && pending.back() != '\n') {  // a last line without its newline
        pending += '\n';
        ++lines_in_batch;
      }
      flush(pending.size());
      break;
    }
    const char* data = block.data();
    size_t length = static_cast<size_t>(n);
    if (skipping) {
      const char* end = static_cast<const char*>(std::memchr(data, '\n', length));
      if (!end) continue;
      length -= end + 1 - data;
      data = end + 1;
      skipping = false;
      ++first_line;
    }
    lines_in_batch += std::count(data, data + length, '\n');
    pending.append(data, length);
    // Every counted newline is in a flushed part; an unended tail waits for its newline.
    whole = pending.rfind('\n');
    whole = whole == std::string::npos ? 0 : whole + 1;
    if (pending.size() >= kBatchBytes) {
      flush(whole);
      whole = 0;
    }
    if (pending.size() - whole > max_line) {
      flush(whole);
      Warn("stdin:" + std::to_string(first_line) + ": line of more than " +
           std::to_string(max_line) + " bytes (limits.max_line_bytes); dropped");
      ++bad;
      pending.clear();
      skipping = true;
    }
  }
  std::fprintf(stderr, "vigil: stdin ended: %s events ingested from it (%s bad lines)\n",
               Thousands(events).c_str(), Thousands(bad).c_str());
}

Action Setup(CLI::App* app) {
  auto o = std::make_shared<Options>();
  app->add_option("--config", o->config, "The YAML config")->required();
  app->add_option("--listen", o->listen, "HOST:PORT to listen on (port 0 picks a free one)")
      ->capture_default_str();
  app->add_option(
         "--threads", o->threads,
         "Threads kept ready for connections (more start on demand, one per connection, up to "
         "server.max_connections)")
      ->capture_default_str();
  app->add_flag("--stdin", o->stdin_events,
                "Also ingest JSON Lines events from standard input as they arrive "
                "(`producer | vigil serve --stdin`); the server keeps serving after it ends");
  return [o]() -> int {
    auto listen = server::ParseListen(o->listen);
    if (!listen.ok()) return ReportError(listen.status());
    if (o->threads < 1) return ReportError(InvalidArgument("--threads must be 1 or more"));
    auto service = server::Service::Open(o->config);
    if (!service.ok()) return ReportError(service.status());

    // Signals are taken by one thread with sigwait, never by a handler: the stop runs as ordinary
    // code, after the worker threads (which inherit the blocked mask) stopped seeing them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    server::ConnectionLimits limits =
        server::ConnectionLimits::FromConfig((*service)->config().server);
    limits.spare_threads = o->threads;
    server::HttpServer http((*service).get(), limits);
    auto port = http.Bind(listen->first, listen->second);
    if (!port.ok()) return ReportError(port.status());
    if (!(*service)->writes_enabled()) {
      Warn("server.token is not set: POST /api/ingest and feedback are refused (403)");
    }
    std::printf("vigil: serving %s events on http://%s:%d/ (API under /api; Ctrl-C stops)\n",
                Thousands((*service)->event_count()).c_str(), listen->first.c_str(), *port);
    std::fflush(stdout);

    std::atomic<bool> done{false};
    std::atomic<int> received{0};
    std::thread watcher([&] {
      int sig = 0;
      sigwait(&signals, &sig);
      received = sig;
      // Stop until Run returns: a signal that lands before the listener started is not lost.
      while (!done) {
        http.Stop();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
    std::atomic<bool> stopping{false};
    std::vector<std::thread> workers;
    server::Service* svc = (*service).get();
    const Config& config = svc->config();
    if (o->stdin_events) workers.emplace_back(FollowStdin, svc, std::cref(stopping));
    if (!config.server.follow.empty()) {
      std::vector<std::string> paths;
      for (const std::string& p : config.server.follow) paths.push_back(config.ResolvePath(p));
      workers.emplace_back([svc, paths, &stopping] { server::Follower(svc, paths).Run(stopping); });
    }
    // Stdout sinks write to the server's standard output, one notification per line.
    std::thread judge;
    if (config.server.detect)
      judge = std::thread([svc, &stopping] { svc->RunJudging(stopping, &std::cout); });
    Status ran = http.Run();
    done = true;
    stopping = true;
    svc->WakeJudging();
    // Each worker notices within one wait; a producer that is still writing is cut there.
    for (std::thread& w : workers) w.join();
    if (judge.joinable()) {
      if (svc->AbandonRounds()) {
        // A round in its detection step has written nothing: end now rather than wait for it
        // (the next start judges again). Every accepted write is already committed.
        std::fprintf(stderr, "vigil: stopped (%s)\n",
                     received == SIGINT    ? "SIGINT"
                     : received == SIGTERM ? "SIGTERM"
                                           : "done");
        std::fflush(nullptr);
        std::_Exit(ran.ok() ? 0 : 1);
      }
      judge.join();  // a round that is notifying finishes, so its deliveries are stored
    }
    int signalled = received;
    // Wakes the watcher from sigwait (the signal is blocked, so it ends nothing).
    // NOLINTNEXTLINE(bugprone-bad-signal-to-kill-thread)
    if (signalled == 0) pthread_kill(watcher.native_handle(), SIGTERM);
    watcher.join();
    if (signalled == 0) return ran.ok() ? 0 : ReportError(ran);
    std::fprintf(stderr, "vigil: stopped (%s)\n", signalled == SIGINT ? "SIGINT" : "SIGTERM");
    return 0;
  };
}

const bool kRegistered =
    RegisterCommand({"serve", "Serve the JSON API and the web dashboard", 65, Setup});

}  // namespace
}  // namespace vigil::cli
