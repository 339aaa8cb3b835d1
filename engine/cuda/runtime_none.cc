// The CUDA runtime of a build without the CUDA toolkit: no devices, and the
// reason says how to get them.
#include "engine/cuda/runtime.h"

#include <cstdlib>

namespace tensord::engine::cuda {

namespace {
absl::Status NoCuda() { return absl::FailedPreconditionError(UnavailableReason()); }
}  // namespace

bool CompiledWithCuda() { return false; }

const std::vector<DeviceProperties>& Devices() {
  static const std::vector<DeviceProperties> none;
  return none;
}

const std::string& UnavailableReason() {
  static const std::string reason =
      "this tensord was built without CUDA (no nvcc at build time; install the CUDA toolkit and rebuild)";
  return reason;
}

CachingAllocator& Allocator(int index) { std::abort(); }  // unreachable: there are no devices

absl::Status CopyToDevice(int, void*, const void*, size_t) { return NoCuda(); }
absl::Status CopyToHost(int, void*, const void*, size_t) { return NoCuda(); }
absl::Status CopyOnDevice(int, void*, const void*, size_t) { return NoCuda(); }
absl::Status Zero(int, void*, size_t) { return NoCuda(); }
absl::Status Fill(int, void*, int64_t, int, uint64_t) { return NoCuda(); }

}  // namespace tensord::engine::cuda
