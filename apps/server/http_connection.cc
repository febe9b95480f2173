#include "server/http_connection.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace vigil::server::internal {
namespace {

// Waits are cut in slices this long so a stop is noticed promptly.
constexpr auto kStopCheck = std::chrono::milliseconds(100);
constexpr size_t kBufferBytes = 16 << 10;
// Writes may run this long past the exchange's deadline, so that the answer saying the body
// came too slowly still reaches its client.
constexpr auto kAnswerGrace = std::chrono::seconds(1);

void IpAndPort(const sockaddr_storage& addr, std::string& ip, int& port) {
  char host[NI_MAXHOST] = "";
  char serv[NI_MAXSERV] = "";
  socklen_t len = addr.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&addr), len, host, sizeof(host), serv,
                  sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
    ip = host;
    port = std::atoi(serv);
  }
}

}  // namespace

ConnectionStream::ConnectionStream(int fd, const ConnectionLimits& limits,
                                   std::function<bool()> stopping)
    : fd_(fd), limits_(limits), stopping_(std::move(stopping)), buffer_(kBufferBytes) {}

bool ConnectionStream::WaitUntil(short events, Clock::time_point deadline, bool stoppable) const {
  for (;;) {
    auto now = Clock::now();
    if (now >= deadline) return false;
    if (stoppable && (evicted_ || (stopping_ && stopping_()))) return false;
    auto slice = std::min<Clock::duration>(deadline - now, kStopCheck);
    pollfd p{fd_, events, 0};
    int ms = static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(slice).count());
    int rc = ::poll(&p, 1, ms);
    if (rc > 0) return true;  // ready, or an error the next read or write reports
    if (rc < 0 && errno != EINTR) return false;
  }
}

bool ConnectionStream::WaitForRequest() {
  waiting_since_ = Clock::now().time_since_epoch().count();
  if (buffer_begin_ < buffer_end_) return true;  // a pipelined request is already here
  if (!WaitUntil(POLLIN, Clock::now() + std::chrono::milliseconds(limits_.idle_timeout_ms), true))
    return false;
  // Readable with nothing to read: the client closed.
  char probe;
  ssize_t n = ::recv(fd_, &probe, 1, MSG_PEEK | MSG_DONTWAIT);
  return n > 0;
}

void ConnectionStream::BeginRequest() {
  in_head_ = true;
  head_error_ = HeadError::kNone;
  head_deadline_ = Clock::now() + std::chrono::milliseconds(limits_.header_timeout_ms);
  // Until the head ends, an answer (such as 408 or 431) may still be written this long.
  exchange_deadline_ = head_deadline_ + std::chrono::milliseconds(limits_.request_timeout_ms);
  head_bytes_ = head_lines_ = line_bytes_ = bytes_written_ = 0;
  line_is_cr_ = false;
}

Clock::time_point ConnectionStream::ReadDeadline() const {
  auto per_read = Clock::now() + std::chrono::milliseconds(limits_.read_timeout_ms);
  return std::min(per_read, in_head_ ? head_deadline_ : exchange_deadline_);
}

bool ConnectionStream::is_readable() const {
  return buffer_begin_ < buffer_end_ || WaitUntil(POLLIN, ReadDeadline(), in_head_);
}

bool ConnectionStream::is_writable() const {
  auto deadline = std::min(Clock::now() + std::chrono::milliseconds(limits_.write_timeout_ms),
                           exchange_deadline_ + kAnswerGrace);
  return WaitUntil(POLLOUT, deadline, false);
}

ssize_t ConnectionStream::TakeHeadBytes(size_t n) {
  const char* p = buffer_.data() + buffer_begin_;
  for (size_t i = 0; i < n; ++i) {
    if (++head_bytes_ > limits_.max_header_bytes) {
      head_error_ = HeadError::kTooLarge;
      return -1;
    }
    char c = p[i];
    if (c != '\n') {
      line_is_cr_ = line_bytes_ == 0 && c == '\r';
      ++line_bytes_;
      continue;
    }
    // A line "\r\n" after the request line ends the head (httplib's own rule).
    bool blank = head_lines_ > 0 && line_bytes_ == 1 && line_is_cr_;
    ++head_lines_;
    line_bytes_ = 0;
    line_is_cr_ = false;
    if (blank) {
      in_head_ = false;
      waiting_since_ = -1;
      exchange_deadline_ = Clock::now() + std::chrono::milliseconds(limits_.request_timeout_ms);
      return static_cast<ssize_t>(i + 1);
    }
    if (head_lines_ > limits_.max_headers + 1) {
      head_error_ = HeadError::kTooManyLines;
      return -1;
    }
  }
  return static_cast<ssize_t>(n);
}

void ConnectionStream::Evict() {
  evicted_ = true;
  // Wakes the connection's poll: reads see the end of the stream; the 503 can still be written.
  ::shutdown(fd_, SHUT_RD);
}

ssize_t ConnectionStream::read(char* ptr, size_t size) {
  if (in_head_ && evicted_) head_error_ = HeadError::kEvicted;
  if (head_error_ != HeadError::kNone) return -1;
  if (buffer_begin_ == buffer_end_) {
    Clock::time_point deadline = ReadDeadline();
    if (!WaitUntil(POLLIN, deadline, in_head_)) {
      if (in_head_ && evicted_)
        head_error_ = HeadError::kEvicted;
      else if (in_head_ && Clock::now() >= head_deadline_)
        head_error_ = HeadError::kTimeout;
      return -1;
    }
    ssize_t n;
    do {
      n = ::recv(fd_, buffer_.data(), buffer_.size(), MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (in_head_ && evicted_) {
      head_error_ = HeadError::kEvicted;
      return -1;
    }
    if (n <= 0) return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? -1 : n;
    buffer_begin_ = 0;
    buffer_end_ = static_cast<size_t>(n);
  }
  size_t n = std::min(size, buffer_end_ - buffer_begin_);
  if (in_head_) {
    ssize_t taken = TakeHeadBytes(n);
    if (taken < 0) return -1;
    n = static_cast<size_t>(taken);
  }
  std::memcpy(ptr, buffer_.data() + buffer_begin_, n);
  buffer_begin_ += n;
  return static_cast<ssize_t>(n);
}

ssize_t ConnectionStream::write(const char* ptr, size_t size) {
  if (!is_writable()) return -1;
  ssize_t n;
  do {
    n = ::send(fd_, ptr, size, MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;  // the caller writes again
  if (n > 0) bytes_written_ += n;
  return n;
}

void ConnectionStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (getpeername(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) IpAndPort(addr, ip, port);
}

void ConnectionStream::get_local_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) IpAndPort(addr, ip, port);
}

// ---------------------------------------------------------------------------------------------

bool ConnectionRegistry::Admit() {
  std::lock_guard lock(mutex_);
  if (open_ < max_) {
    ++open_;
    return true;
  }
  // Full: the connection waiting longest for a request or its head gives way, and the newcomer
  // comes in at once (the count is over the limit until the evicted one has closed, which its
  // shut read side makes immediate). A newcomer never waits: waiting newcomers would queue
  // behind an attacker's reconnections.
  ConnectionStream* victim = nullptr;
  for (ConnectionStream* s : streams_) {
    int64_t since = s->waiting_since();
    if (since < 0 || s->evicted()) continue;
    if (!victim || since < victim->waiting_since()) victim = s;
  }
  if (!victim) return false;
  victim->Evict();
  ++open_;
  return true;
}

void ConnectionRegistry::Add(ConnectionStream* stream) {
  std::lock_guard lock(mutex_);
  streams_.push_back(stream);
}

void ConnectionRegistry::Remove(ConnectionStream* stream) {
  std::lock_guard lock(mutex_);
  --open_;
  auto it = std::find(streams_.begin(), streams_.end(), stream);
  if (it != streams_.end()) streams_.erase(it);
}

// ---------------------------------------------------------------------------------------------

ConnectionThreads::ConnectionThreads(size_t max_threads, size_t spare_threads)
    : max_threads_(std::max<size_t>(max_threads, 1)), spare_threads_(spare_threads) {}

ConnectionThreads::~ConnectionThreads() { shutdown(); }

void ConnectionThreads::enqueue(std::function<void()> fn) {
  std::lock_guard lock(mutex_);
  JoinExited();
  jobs_.push_back(std::move(fn));
  if (idle_ >= jobs_.size() || threads_.size() >= max_threads_) {
    ready_.notify_one();
    return;
  }
  threads_.emplace_back();
  auto self = std::prev(threads_.end());
  *self = std::thread([this, self] { Work(self); });
}

void ConnectionThreads::Work(std::list<std::thread>::iterator self) {
  std::unique_lock lock(mutex_);
  for (;;) {
    ++idle_;
    bool woken =
        ready_.wait_for(lock, std::chrono::minutes(1), [&] { return shutdown_ || !jobs_.empty(); });
    --idle_;
    if (jobs_.empty()) {
      if (shutdown_) return;
      if (!woken && threads_.size() - exited_.size() > spare_threads_) {
        exited_.push_back(self);  // joined by the next enqueue or by shutdown
        return;
      }
      continue;
    }
    std::function<void()> job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job();
    job = nullptr;
    lock.lock();
  }
}

void ConnectionThreads::JoinExited() {
  for (auto it : exited_) {
    if (it->joinable()) it->join();
    threads_.erase(it);
  }
  exited_.clear();
}

void ConnectionThreads::shutdown() {
  std::list<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    if (shutdown_ && threads_.empty()) return;
    shutdown_ = true;
    ready_.notify_all();
    threads.swap(threads_);
    exited_.clear();
  }
  // Workers finish the connections they hold (bounded by the timeouts) and the queued ones.
  for (std::thread& t : threads) {
    if (t.joinable()) t.join();
  }
}

// ---------------------------------------------------------------------------------------------

void SendRaw(int fd, const std::string& response, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  size_t sent = 0;
  while (sent < response.size()) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return;
    pollfd p{fd, POLLOUT, 0};
    int rc = ::poll(&p, 1, static_cast<int>(left));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) return;
    ssize_t n =
        ::send(fd, response.data() + sent, response.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

void CloseLingering(int fd, std::chrono::milliseconds linger) {
  ::shutdown(fd, SHUT_WR);
  auto deadline = Clock::now() + linger;
  char sink[16 << 10];
  for (;;) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    int rc = ::poll(&p, 1, static_cast<int>(left));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) break;
    ssize_t n = ::recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)) break;
  }
  ::close(fd);
}

}  // namespace vigil::server::internal
