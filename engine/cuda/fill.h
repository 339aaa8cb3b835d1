// Launchers for the CUDA kernels, callable from plain C++ (runtime.cc): no
// CUDA or Abseil types cross this boundary, so .cu files stay small and nvcc
// never parses the engine's headers. Each returns a cudaError_t as int.
#pragma once

#include <cstdint>

namespace tensord::engine::cuda {

// dst[0..n) = pattern, for items of 1, 2, 4 or 8 bytes (a dtype's bit
// pattern: filling by bits makes one kernel serve every dtype exactly).
int LaunchFill(void* dst, int64_t n, int itemsize, uint64_t pattern, uintptr_t stream);

}  // namespace tensord::engine::cuda
