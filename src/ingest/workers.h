// Running parsing work on a few threads and collecting how each one ended.
#pragma once

#include <functional>
#include <string>

#include "vigil/status.h"

namespace vigil::internal {

/// Runs `work()` and returns its Status; an exception it throws becomes an error Status that
/// names `what` (kLimitExceeded for std::bad_alloc, kInternal otherwise) instead of escaping.
Status Guarded(const std::string& what, const std::function<Status()>& work);

/// Runs `work(i)` for i in [0, n) on n threads and waits for every one, calling `while_waiting`
/// (when set) on the calling thread about every 200 ms meanwhile. Returns the first failure in
/// worker order, exceptions included (see Guarded); Ok when all succeeded.
Status RunWorkers(int n, const std::string& what, const std::function<Status(int)>& work,
                  const std::function<void()>& while_waiting = {});

}  // namespace vigil::internal
