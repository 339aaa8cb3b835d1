// The CUDA runtime side of the backend: device discovery, one caching
// allocator per device over cudaMalloc/cudaFree, and copies.
#include "engine/cuda/runtime.h"

#include <cuda_runtime_api.h>

#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/cuda/fill.h"

namespace tensord::engine::cuda {

namespace {

absl::Status CudaError(cudaError_t err, absl::string_view what) {
  if (err == cudaSuccess) return absl::OkStatus();
  cudaGetLastError();  // clear the sticky-free error state for the next call
  const auto code = err == cudaErrorMemoryAllocation ? absl::StatusCode::kResourceExhausted
                                                     : absl::StatusCode::kInternal;
  return absl::Status(code, absl::StrCat("CUDA error in ", what, ": ", cudaGetErrorString(err)));
}

class DeviceMemory : public RawMemory {
 public:
  DeviceMemory(int index, int64_t total) : index_(index), total_(total) {}
  void* Malloc(size_t nbytes) override {
    void* p = nullptr;
    if (cudaSetDevice(index_) != cudaSuccess || cudaMalloc(&p, nbytes) != cudaSuccess) {
      cudaGetLastError();
      return nullptr;
    }
    return p;
  }
  void Free(void* p) override {
    cudaSetDevice(index_);
    cudaFree(p);  // synchronizes the device: no kernel still uses the block
  }
  std::string Describe() const override {
    return absl::StrFormat("GPU %d; %.2f GiB total capacity", index_, static_cast<double>(total_) / (1 << 30));
  }

 private:
  int index_;
  int64_t total_;
};

struct Runtime {
  std::vector<DeviceProperties> devices;
  std::string reason;
  std::vector<std::unique_ptr<CachingAllocator>> allocators;
};

const Runtime& Get() {
  static const Runtime* const runtime = [] {
    auto* r = new Runtime;
    int count = 0;
    cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
      r->reason = absl::StrCat("no CUDA device is visible (", cudaGetErrorString(err), ")");
      cudaGetLastError();
      return r;
    }
    for (int i = 0; i < count; ++i) {
      cudaDeviceProp prop;
      if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
      r->devices.push_back({i, prop.name, static_cast<int64_t>(prop.totalGlobalMem), prop.major, prop.minor});
      r->allocators.push_back(
          std::make_unique<CachingAllocator>(std::make_unique<DeviceMemory>(i, prop.totalGlobalMem)));
    }
    if (r->devices.empty()) r->reason = "no CUDA device is visible";
    return r;
  }();
  return *runtime;
}

}  // namespace

bool CompiledWithCuda() { return true; }
const std::vector<DeviceProperties>& Devices() { return Get().devices; }
const std::string& UnavailableReason() { return Get().reason; }
CachingAllocator& Allocator(int index) { return *Get().allocators.at(index); }

absl::Status CopyToDevice(int index, void* dst, const void* src, size_t nbytes) {
  if (nbytes == 0) return absl::OkStatus();
  if (auto s = CudaError(cudaSetDevice(index), "cudaSetDevice"); !s.ok()) return s;
  return CudaError(cudaMemcpy(dst, src, nbytes, cudaMemcpyHostToDevice), "copy to device");
}

absl::Status CopyToHost(int index, void* dst, const void* src, size_t nbytes) {
  if (nbytes == 0) return absl::OkStatus();
  if (auto s = CudaError(cudaSetDevice(index), "cudaSetDevice"); !s.ok()) return s;
  return CudaError(cudaMemcpy(dst, src, nbytes, cudaMemcpyDeviceToHost), "copy to host");
}

absl::Status CopyOnDevice(int index, void* dst, const void* src, size_t nbytes) {
  if (nbytes == 0) return absl::OkStatus();
  if (auto s = CudaError(cudaSetDevice(index), "cudaSetDevice"); !s.ok()) return s;
  return CudaError(cudaMemcpy(dst, src, nbytes, cudaMemcpyDeviceToDevice), "copy on device");
}

absl::Status Zero(int index, void* dst, size_t nbytes) {
  if (nbytes == 0) return absl::OkStatus();
  if (auto s = CudaError(cudaSetDevice(index), "cudaSetDevice"); !s.ok()) return s;
  return CudaError(cudaMemset(dst, 0, nbytes), "zero fill");
}

absl::Status Fill(int index, void* dst, int64_t n, int itemsize, uint64_t pattern) {
  if (auto s = CudaError(cudaSetDevice(index), "cudaSetDevice"); !s.ok()) return s;
  if (auto s = CudaError(static_cast<cudaError_t>(LaunchFill(dst, n, itemsize, pattern, 0)), "fill"); !s.ok()) return s;
  return CudaError(cudaDeviceSynchronize(), "fill");
}

}  // namespace tensord::engine::cuda
