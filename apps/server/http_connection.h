// The connection side of `vigil serve` under cpp-httplib: a socket stream that bounds the request
// head (a deadline for the whole head, a byte and a line budget) and the rest of the exchange (a
// deadline), and a task queue that gives every connection a thread of its own up to the
// connection limit, so slow clients hold their own threads and never starve the others.
// Private to apps/server.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/server.h"

namespace vigil::server::internal {

using Clock = std::chrono::steady_clock;

/// Why a request head was cut short.
enum class HeadError {
  kNone,
  kTooLarge,      ///< over ConnectionLimits::max_header_bytes
  kTooManyLines,  ///< over ConnectionLimits::max_headers
  kTimeout,       ///< not complete within ConnectionLimits::header_timeout_ms
  kEvicted,       ///< the server was full and this head had waited longest
};

/// An httplib::Stream over one accepted socket. Reads are buffered; while a request head is
/// being read, every byte handed out counts against the head's budget and deadline, and the head
/// ends at its blank line (so bytes of a pipelined next request are not taken for it). After the
/// head, reads and writes share one deadline for the rest of the exchange.
class ConnectionStream final : public httplib::Stream {
 public:
  /// `stopping` is polled while waiting, so a stop never waits for a slow client.
  ConnectionStream(int fd, const ConnectionLimits& limits, std::function<bool()> stopping);

  /// Waits up to the idle timeout for the first byte of a request; false on timeout, end of
  /// stream, error or stop.
  bool WaitForRequest();
  /// Starts reading a request head: resets its budget and starts its deadline.
  void BeginRequest();
  HeadError head_error() const { return head_error_; }
  /// True while the head of the current request has not been read completely.
  bool in_head() const { return in_head_; }

  /// Since when the connection waits for a request or its head (steady-clock nanoseconds), or
  /// -1 while a request is being answered. Read by other threads (ConnectionRegistry).
  int64_t waiting_since() const { return waiting_since_.load(std::memory_order_relaxed); }
  /// Makes the connection close now if it waits for a request or a head (from any thread; its
  /// socket must still be open): its reads end, and a head being read is answered 503.
  void Evict();
  bool evicted() const { return evicted_; }
  /// Bytes written since BeginRequest.
  int64_t bytes_written() const { return bytes_written_; }

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return fd_; }

 private:
  /// Waits until the socket is ready for `events` (POLLIN or POLLOUT) or `deadline`; false on
  /// timeout, or on a stop when `stoppable` (a stop ends the wait for a request or its head, not
  /// an exchange in progress).
  bool WaitUntil(short events, Clock::time_point deadline, bool stoppable) const;
  Clock::time_point ReadDeadline() const;
  /// How many of the `n` buffered bytes may be handed out as part of the head; -1 when the head
  /// breaks a limit.
  ssize_t TakeHeadBytes(size_t n);

  int fd_;
  const ConnectionLimits& limits_;
  std::function<bool()> stopping_;
  std::vector<char> buffer_;
  size_t buffer_begin_ = 0, buffer_end_ = 0;

  bool in_head_ = false;
  HeadError head_error_ = HeadError::kNone;
  Clock::time_point head_deadline_{}, exchange_deadline_{};
  int64_t head_bytes_ = 0;
  int64_t head_lines_ = 0;   ///< complete lines of the head so far (the request line is the first)
  int64_t line_bytes_ = 0;   ///< bytes of the current line before its '\n'
  bool line_is_cr_ = false;  ///< the current line so far is exactly "\r"
  int64_t bytes_written_ = 0;
  std::atomic<int64_t> waiting_since_{-1};
  std::atomic<bool> evicted_{false};
};

/// The open connections, so that when all `max_connections` are open a new one can take the
/// place of the one that has waited longest for a request or its head (a slow or idle client)
/// instead of being refused. Thread-safe.
class ConnectionRegistry {
 public:
  explicit ConnectionRegistry(int64_t max_connections) : max_(max_connections) {}
  /// Counts a new connection in: true when there is room, or when room is made by evicting the
  /// connection that has waited longest for a request or its head; false when every connection
  /// is busy answering or receiving a body.
  bool Admit();
  /// Lists `stream` among the evictable connections (after Admit).
  void Add(ConnectionStream* stream);
  /// Counts `stream` out (it may never have been added).
  void Remove(ConnectionStream* stream);

 private:
  const int64_t max_;
  std::mutex mutex_;
  int64_t open_ = 0;  // admitted, not yet removed
  std::vector<ConnectionStream*> streams_;
};

/// A TaskQueue that runs each accepted connection on a thread of its own: idle threads are
/// reused, new ones start on demand up to `max_threads` (past it, connections wait in line), and
/// threads idle for a minute end, down to `spare_threads`.
class ConnectionThreads final : public httplib::TaskQueue {
 public:
  ConnectionThreads(size_t max_threads, size_t spare_threads);
  ~ConnectionThreads() override;

  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

 private:
  void Work(std::list<std::thread>::iterator self);
  void JoinExited();  // with mutex_ held

  const size_t max_threads_, spare_threads_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  std::list<std::thread> threads_;
  std::vector<std::list<std::thread>::iterator> exited_;
  size_t idle_ = 0;
  bool shutdown_ = false;
};

/// Sends `response` on a socket that no request is being read from (a refusal before any
/// request), within `timeout`.
void SendRaw(int fd, const std::string& response, std::chrono::milliseconds timeout);

/// Closes a socket after a response that left request bytes unread: stops sending, then reads
/// and drops what the client still sends for up to `linger` (so the client reads the response
/// rather than a reset).
void CloseLingering(int fd, std::chrono::milliseconds linger);

}  // namespace vigil::server::internal
