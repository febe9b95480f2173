#include "ingest/workers.h"

#include <chrono>
#include <exception>
#include <future>
#include <new>
#include <vector>

namespace vigil::internal {

Status Guarded(const std::string& what, const std::function<Status()>& work) {
  try {
    return work();
  } catch (const std::bad_alloc&) {
    return LimitExceeded(what + ": out of memory");
  } catch (const std::exception& e) {
    return Internal(what + ": " + e.what());
  } catch (...) {
    return Internal(what + ": unknown exception");
  }
}

Status RunWorkers(int n, const std::string& what, const std::function<Status(int)>& work,
                  const std::function<void()>& while_waiting) {
  std::vector<std::future<Status>> futures;
  futures.reserve(n);
  for (int i = 0; i < n; ++i) {
    futures.push_back(std::async(
        std::launch::async, [&what, &work, i] { return Guarded(what, [&] { return work(i); }); }));
  }
  for (auto& f : futures) {
    while (f.wait_for(std::chrono::milliseconds(200)) != std::future_status::ready) {
      if (while_waiting) while_waiting();
    }
  }
  // get() on every future: a worker's failure is never dropped.
  Status first;
  for (auto& f : futures) {
    Status s = f.get();
    if (first.ok() && !s.ok()) first = std::move(s);
  }
  return first;
}

}  // namespace vigil::internal
