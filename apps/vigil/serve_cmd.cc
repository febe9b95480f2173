// `vigil serve --config C [--listen 127.0.0.1:8080]`: the JSON API and the web dashboard over the
// stored cube and incidents, until SIGINT or SIGTERM.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "command.h"
#include "common.h"
#include "server/server.h"

namespace vigil::cli {
namespace {

struct Options {
  std::string config;
  std::string listen = "127.0.0.1:8080";
  int threads = 8;
};

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
    Status ran = http.Run();
    done = true;
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
