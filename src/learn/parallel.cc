#include "learn/parallel.h"

#include <algorithm>
#include <thread>
#include <vector>

namespace vigil::internal {

int EffectiveThreads(int threads, size_t work_items) {
  size_t t = threads > 0 ? static_cast<size_t>(threads)
                         : std::max<size_t>(1, std::thread::hardware_concurrency());
  return static_cast<int>(std::max<size_t>(1, std::min(t, work_items)));
}

void ParallelFor(size_t n, int threads, const std::function<void(size_t, size_t)>& body) {
  if (n == 0) return;
  const size_t t = static_cast<size_t>(EffectiveThreads(threads, n));
  if (t == 1) {
    body(0, n);
    return;
  }
  std::vector<std::thread> workers;
  workers.reserve(t - 1);
  for (size_t k = 1; k < t; ++k) {
    workers.emplace_back([&body, n, t, k] { body(n * k / t, n * (k + 1) / t); });
  }
  body(0, n / t);
  for (std::thread& w : workers) w.join();
}

}  // namespace vigil::internal
