// The CUDA devices this process can use, and their memory.
//
// Always compiled: a build without the CUDA toolkit (or a machine without a
// visible GPU) reports no devices and says why, so "cuda:0" fails with a
// clear message instead of a crash. With the toolkit, runtime.cc talks to
// the CUDA runtime; kernels live beside it in engine/cuda/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "engine/cuda/caching_allocator.h"

namespace tensord::engine::cuda {

struct DeviceProperties {
  int index = 0;
  std::string name;           // "NVIDIA H100 80GB HBM3"
  int64_t total_memory = 0;   // bytes
  int major = 0, minor = 0;   // compute capability
};

// True when this build contains the CUDA backend.
bool CompiledWithCuda();
// The visible devices, discovered once (thread-safe).
const std::vector<DeviceProperties>& Devices();
// Why Devices() is empty ("" when it is not).
const std::string& UnavailableReason();

// The caching allocator of device `index` (< Devices().size()).
CachingAllocator& Allocator(int index);

// Host <-> device and device <-> device copies of `nbytes`, complete on
// return (the caller's host buffers may be reused at once).
absl::Status CopyToDevice(int index, void* dst, const void* src, size_t nbytes);
absl::Status CopyToHost(int index, void* dst, const void* src, size_t nbytes);
absl::Status CopyOnDevice(int index, void* dst, const void* src, size_t nbytes);
// Zero-fills device memory (fresh storage never shows another session's data).
absl::Status Zero(int index, void* dst, size_t nbytes);
// dst[0..n) = pattern: n items of `itemsize` bytes (1, 2, 4, 8) holding one
// dtype's bit pattern; complete on return.
absl::Status Fill(int index, void* dst, int64_t n, int itemsize, uint64_t pattern);

}  // namespace tensord::engine::cuda
