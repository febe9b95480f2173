// Row-parallel loops for scoring: [0, rows) cut into contiguous blocks, one std::thread each.
// Each row's result is computed by one thread in a fixed order, so results do not depend on
// the number of threads.
#pragma once

#include <cstddef>
#include <functional>

namespace vigil::internal {

/// The thread count to use for `work_items`: `threads` (0: the hardware's), at most one per
/// item and at least 1.
int EffectiveThreads(int threads, size_t work_items);

/// Calls body(begin, end) on contiguous blocks covering [0, n), on up to `threads` threads
/// (0: one per hardware thread); the calling thread takes the first block.
void ParallelFor(size_t n, int threads, const std::function<void(size_t, size_t)>& body);

}  // namespace vigil::internal
