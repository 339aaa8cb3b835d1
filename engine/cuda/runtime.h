// The CUDA devices this process can use: device discovery, memory, streams,
// copies and the kernel launchers, behind one interface with two
// implementations.
//
// Note [CUDA emulator]
//   The real backend (runtime.cc) talks to the CUDA runtime and cuBLAS; it is
//   compiled wherever nvcc is found. The emulated backend (emulator.cc, always
//   compiled) offers `cuda:N` devices whose memory is host memory and whose
//   kernels are the same kernel sources compiled by g++ (Note [One kernel
//   source, two compilers], kernels/common.cuh). It exists for tests: every
//   device-routing, memory-accounting and kernel-indexing path runs on
//   machines without a GPU. It is chosen only by TENSORD_CUDA_EMULATOR=N[:MiB]
//   (N devices of MiB each, default 1024), and it says so in every device's
//   name; a server never picks it by itself.
//
// A build without the CUDA toolkit, or a machine without a visible GPU, has
// no devices and a reason (UnavailableReason) that "cuda:0" errors quote.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/cuda/caching_allocator.h"
#include "engine/cuda/kernel_args.h"
#include "engine/cuda/launchers.h"

namespace tensord::engine::cuda {

struct DeviceProperties {
  int index = 0;
  std::string name;           // "NVIDIA H100 80GB HBM3"
  int64_t total_memory = 0;   // bytes
  int major = 0, minor = 0;   // compute capability
};

// One process-wide backend: real or emulated.
class Backend {
 public:
  virtual ~Backend() = default;

  virtual bool emulated() const = 0;
  const std::vector<DeviceProperties>& devices() const { return devices_; }
  const std::string& unavailable_reason() const { return reason_; }
  CachingAllocator& allocator(int device) { return *allocators_.at(device); }
  virtual const Launchers& launchers() const = 0;

  // Streams: work queued on one stream runs in order (Note [Streams and
  // sessions], context.h). Stream 0 is the device's default stream.
  virtual absl::StatusOr<StreamId> NewStream(int device) = 0;
  virtual void DestroyStream(int device, StreamId stream) = 0;
  // Waits until everything queued on `stream` has run.
  virtual absl::Status Synchronize(int device, StreamId stream) = 0;

  // Host -> device and device -> host copies of `nbytes` ordered after the
  // work queued on `stream` and complete on return (the host buffer may be
  // reused at once).
  virtual absl::Status CopyToDevice(int device, void* dst, const void* src, size_t nbytes, StreamId stream) = 0;
  virtual absl::Status CopyToHost(int device, void* dst, const void* src, size_t nbytes, StreamId stream) = 0;
  // Device -> device (same device), queued on `stream`.
  virtual absl::Status CopyOnDevice(int device, void* dst, const void* src, size_t nbytes, StreamId stream) = 0;
  // Zero-fills device memory, queued on `stream`.
  virtual absl::Status Zero(int device, void* dst, size_t nbytes, StreamId stream) = 0;

  // GEMM on `stream` (cuBLAS; the emulator computes it on the host).
  virtual absl::Status Gemm(int device, const GemmArgs& args, StreamId stream) = 0;

  // A launcher's result as a status: "CUDA error in <what>: <message>".
  virtual absl::Status Check(int error, const char* what) const = 0;

 protected:
  std::vector<DeviceProperties> devices_;
  std::string reason_;
  std::vector<std::unique_ptr<CachingAllocator>> allocators_;
};

// The backend this process uses, chosen at first use (thread-safe).
Backend& Get();

// True when this build contains the real CUDA backend.
bool CompiledWithCuda();
// Shorthands for Get().
inline const std::vector<DeviceProperties>& Devices() { return Get().devices(); }
inline const std::string& UnavailableReason() { return Get().unavailable_reason(); }
inline CachingAllocator& Allocator(int device) { return Get().allocator(device); }

// The backends (the emulator's parameters come from TENSORD_CUDA_EMULATOR).
std::unique_ptr<Backend> MakeRealBackend();  // runtime.cc / runtime_none.cc
// `reason` is the unavailable_reason when num_devices is 0.
std::unique_ptr<Backend> MakeEmulatedBackend(int num_devices, int64_t bytes_per_device,
                                             std::string reason);  // emulator.cc

}  // namespace tensord::engine::cuda
