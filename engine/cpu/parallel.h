// The shared intra-op thread pool.
//
// Note [Thread budget]
//   One pool for the whole process, sized to the machine (SetNumThreads).
//   OpenBLAS gets the same number of threads and is never called from inside
//   a pool task, so the two pools never stack on the same cores. A
//   ParallelFor that finds the pool busy (another session's kernel) runs
//   inline on its caller: concurrent sessions share cores instead of queueing.
#pragma once

#include <cstdint>
#include <functional>

namespace tensord::engine::cpu {

// Calls fn(begin, end) over [0, n) in chunks of at least `grain` elements.
void ParallelFor(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace tensord::engine::cpu
