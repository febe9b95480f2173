// The threads that compute answers (cache misses) for all connections. Private to apps/server.
#pragma once

#include <pthread.h>
#include <signal.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace vigil::server::internal {

/// A fixed set of threads that run the expensive computations of every connection: at most
/// `threads` run at once, and their temporaries (a series over months is tens of MB) are
/// allocated in those threads' malloc arenas only. Computed on the connection's own thread,
/// each of hundreds of connection threads would keep an arena at its peak size.
class ComputePool {
 public:
  explicit ComputePool(size_t threads) {
    for (size_t i = 0; i < std::max<size_t>(threads, 1); ++i)
      workers_.emplace_back([this] { Work(); });
  }
  ~ComputePool() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    ready_.notify_all();
    for (std::thread& t : workers_) t.join();
  }
  ComputePool(const ComputePool&) = delete;
  ComputePool& operator=(const ComputePool&) = delete;

  /// Runs `fn` on a pool thread and waits for its result; its exception, if any, is rethrown.
  /// `fn` must not itself wait for the pool.
  template <typename F>
  std::invoke_result_t<F> Run(F&& fn) {
    auto task =
        std::make_shared<std::packaged_task<std::invoke_result_t<F>()>>(std::forward<F>(fn));
    auto result = task->get_future();
    {
      std::lock_guard lock(mutex_);
      jobs_.emplace_back([task] { (*task)(); });
    }
    ready_.notify_one();
    return result.get();
  }

 private:
  void Work() {
    // Signals are for the program's own threads to take (`vigil serve` waits for SIGTERM in
    // one); a pool made before they were blocked must not take them instead, and die of them.
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    std::unique_lock lock(mutex_);
    for (;;) {
      ready_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      std::function<void()> job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      job();
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace vigil::server::internal
