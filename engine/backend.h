// Device backends as the op contract sees them: kernel tables and the few
// memory entry points the core calls, registered at run time.
//
// Note [Backend registration]
//   The op contract (tensord_contract: tensors, dtypes, devices, the op list,
//   every op's definition, dispatch and autograd) has no kernels, no BLAS and
//   no CUDA, so a client links it to infer what the server will compute
//   (Note [Metadata-only execution], engine/meta.h). The kernels live in the
//   backends (engine/cpu, engine/cuda) of tensord_engine, whose
//   RegisterBackends() hands their tables to the contract: an explicit call,
//   never static self-registration (a static library drops unreferenced
//   registrars at link time). A program that links tensord_engine calls it
//   once before running ops (the server's Executor and the engine tests do);
//   without it every kernel, device allocation and "cuda" device is refused
//   with an error that says so. Host (cpu) memory needs no backend: wrapped
//   Python numbers are real host tensors even in a client.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/device.h"
#include "engine/ops/op_def.h"
#include "engine/tensor.h"

namespace tensord::engine {

// One device type's entry points. Allocation returns zero-filled memory and
// throws EngineError when it cannot.
struct Backend {
  const KernelFn* kernels = nullptr;  // indexed by OpId; see Note [Kernel tables]
  void* (*allocate)(Device device, size_t nbytes) = nullptr;  // null for cpu (host memory)
  void (*deallocate)(Device device, void* p) = nullptr;
  absl::Status (*copy_on_device)(Device device, void* dst, const void* src, size_t nbytes) = nullptr;
  // dst[...] = cast(src[...]), same shape; for cuda either side may be cpu.
  absl::Status (*copy_cast)(const Tensor& src, const Tensor& dst) = nullptr;
  absl::Status (*add_in_place)(const Tensor& dst, const Tensor& src) = nullptr;
  absl::Status (*to_host_contiguous)(const Tensor& src, void* dst) = nullptr;
  absl::Status (*from_host)(const Tensor& dst, const void* src, size_t nbytes) = nullptr;
  // Row-major indices [N, ndim] of the nonzero elements.
  absl::StatusOr<Tensor> (*nonzero)(const Tensor& self) = nullptr;
  // The devices of this type the process offers, and why none when 0.
  int (*device_count)() = nullptr;
  std::string (*unavailable_reason)() = nullptr;
};

// What "cuda:N" may name: the device count and, when it is 0, why.
struct DeviceCatalog {
  int cuda_devices = 0;
  std::string cuda_unavailable_reason;
};

// Installs a backend; the pointer must outlive every op call.
void RegisterBackend(DeviceType type, const Backend* backend);
// The registered backend; an error naming the device type when there is none.
absl::StatusOr<const Backend*> BackendFor(DeviceType type);
// The catalog in force: a meta scope's (engine/meta.h), else the registered
// cuda backend's, else none with a reason saying no backend was registered.
DeviceCatalog CurrentDeviceCatalog();

// Defined by tensord_engine (engine/backends.cc), not by the contract:
// registers the cpu and cuda backends and the CUDA runtime's catalog.
// Idempotent and thread-safe.
void RegisterBackends();

}  // namespace tensord::engine
