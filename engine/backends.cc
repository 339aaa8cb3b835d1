// The cpu and cuda backends handed to the op contract (Note [Backend
// registration], backend.h). The one file of tensord_engine that names both.
#include <algorithm>

#include "engine/backend.h"
#include "engine/cpu/kernels.h"
#include "engine/cuda/context.h"
#include "engine/cuda/kernels.h"
#include "engine/cuda/runtime.h"
#include "engine/functional.h"
#include "engine/status.h"

namespace tensord::engine {

namespace {

// Device memory from the device's caching allocator, charged to the current
// context's account and zeroed on its stream (Note [Streams and sessions]).
void* CudaAllocate(Device device, size_t nbytes) {
  const int index = device.index;
  absl::StatusOr<cuda::StreamId> stream = cuda::CurrentStream(index);
  if (!stream.ok()) throw EngineError(stream.status());
  absl::StatusOr<void*> p =
      cuda::Allocator(index).Allocate(std::max<size_t>(nbytes, 1), *stream, cuda::CurrentAccount());
  if (!p.ok()) throw EngineError(p.status());
  if (absl::Status s = cuda::Get().Zero(index, *p, nbytes, *stream); !s.ok()) {
    cuda::Allocator(index).Free(*p);
    throw EngineError(s);
  }
  return *p;
}

void CudaDeallocate(Device device, void* p) { cuda::Allocator(device.index).Free(p); }

absl::Status CudaCopyOnDevice(Device device, void* dst, const void* src, size_t nbytes) {
  TENSORD_ASSIGN_OR_RETURN(cuda::StreamId stream, cuda::CurrentStream(device.index));
  return cuda::Get().CopyOnDevice(device.index, dst, src, nbytes, stream);
}

const Backend& CpuBackend() {
  static const Backend b{
      .kernels = cpu::KernelTable(),
      .copy_cast = [](const Tensor& src, const Tensor& dst) {
        cpu::CopyCast(src, dst);
        return absl::OkStatus();
      },
      .add_in_place = [](const Tensor& dst, const Tensor& src) {
        cpu::AddInPlace(dst, src);
        return absl::OkStatus();
      },
      .to_host_contiguous = [](const Tensor& src, void* dst) {
        cpu::CopyToContiguous(src, dst);
        return absl::OkStatus();
      },
      .nonzero = [](const Tensor& self) -> absl::StatusOr<Tensor> { return cpu::Nonzero(self); },
  };
  return b;
}

const Backend& CudaBackend() {
  static const Backend b{
      .kernels = cuda::KernelTable(),
      .allocate = CudaAllocate,
      .deallocate = CudaDeallocate,
      .copy_on_device = CudaCopyOnDevice,
      .copy_cast = cuda::CopyCast,
      .add_in_place = cuda::AddInPlace,
      .to_host_contiguous = cuda::CopyToHostContiguous,
      .from_host = cuda::CopyFromHost,
      .nonzero = cuda::Nonzero,
      .device_count = [] { return static_cast<int>(cuda::Devices().size()); },
      .unavailable_reason = [] { return cuda::UnavailableReason(); },
  };
  return b;
}

}  // namespace

void RegisterBackends() {
  static const bool once = [] {
    RegisterBackend(DeviceType::kCPU, &CpuBackend());
    RegisterBackend(DeviceType::kCUDA, &CudaBackend());
    return true;
  }();
  (void)once;
}

}  // namespace tensord::engine
