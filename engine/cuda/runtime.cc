// The real CUDA backend: device discovery, one caching allocator per device
// over cudaMalloc/cudaFree, streams, staged copies, cuBLAS. Compiled only
// where nvcc was found (runtime_none.cc otherwise).
#include "engine/cuda/runtime.h"

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tensord::engine::cuda {

namespace {

absl::Status CudaError(cudaError_t err, absl::string_view what) {
  if (err == cudaSuccess) return absl::OkStatus();
  cudaGetLastError();  // clear the error so the next call starts clean
  const auto code = err == cudaErrorMemoryAllocation ? absl::StatusCode::kResourceExhausted
                                                     : absl::StatusCode::kInternal;
  return absl::Status(code, absl::StrCat("CUDA error in ", what, ": ", cudaGetErrorString(err)));
}

#define TENSORD_CUDA_RETURN_IF_ERROR(expr, what)                          \
  do {                                                                    \
    if (absl::Status s_ = CudaError((expr), (what)); !s_.ok()) return s_; \
  } while (0)

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
    // cudaFree synchronizes the device: no kernel still uses the block. A
    // failure here has no caller to go to; clear it, or the next launch's
    // cudaGetLastError would report it as the launch's own error.
    if (cudaFree(p) != cudaSuccess) cudaGetLastError();
  }
  std::string Describe() const override {
    return absl::StrFormat("GPU %d; %.2f GiB total capacity", index_, static_cast<double>(total_) / (1 << 30));
  }

 private:
  int index_;
  int64_t total_;
};

// Pinned host buffers that host <-> device copies go through: pageable
// memory would make the driver stage (and block) on its own. Two buffers
// alternate, so filling one overlaps the DMA of the other. events_[b] is
// recorded after each DMA that touches buffers_[b]; a buffer is refilled
// (ToDevice) or its DMA re-queued (ToHost) only after its event completed.
class Staging {
 public:
  static constexpr size_t kChunk = size_t{8} << 20;

  ~Staging() {
    for (int i = 0; i < 2; ++i) {
      if (buffers_[i] != nullptr) cudaFreeHost(buffers_[i]);
      if (events_[i] != nullptr) cudaEventDestroy(events_[i]);
    }
  }

  // Allocates the buffers on first use, then waits for any DMA a previous
  // copy left in flight: a copy that returned early on an error may have
  // queued transfers that still read or write the buffers (every copy that
  // succeeds has waited for its own). An event never recorded counts as
  // complete, so this costs nothing in the common case.
  absl::Status Init() {
    if (events_[1] == nullptr) {  // the last made: a failed Init left some unmade (Init retries them)
      for (int i = 0; i < 2; ++i) {
        if (buffers_[i] == nullptr) {
          void* p = nullptr;  // kept only on success: a failed call leaves no half-made member
          TENSORD_CUDA_RETURN_IF_ERROR(cudaHostAlloc(&p, kChunk, cudaHostAllocDefault), "pinned staging buffer");
          buffers_[i] = p;
        }
        if (events_[i] == nullptr) {
          cudaEvent_t e = nullptr;
          TENSORD_CUDA_RETURN_IF_ERROR(cudaEventCreateWithFlags(&e, cudaEventDisableTiming), "staging event");
          events_[i] = e;
        }
      }
    }
    for (int i = 0; i < 2; ++i) TENSORD_CUDA_RETURN_IF_ERROR(cudaEventSynchronize(events_[i]), "staging buffer");
    return absl::OkStatus();
  }

  absl::Status ToDevice(char* dst, const char* src, size_t nbytes, cudaStream_t stream) {
    if (absl::Status s = Init(); !s.ok()) return s;
    for (size_t done = 0, k = 0; done < nbytes; done += kChunk, ++k) {
      const size_t n = std::min(kChunk, nbytes - done);
      const int b = static_cast<int>(k % 2);
      if (k >= 2) TENSORD_CUDA_RETURN_IF_ERROR(cudaEventSynchronize(events_[b]), "copy to device");
      std::memcpy(buffers_[b], src + done, n);
      TENSORD_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(dst + done, buffers_[b], n, cudaMemcpyHostToDevice, stream),
                                   "copy to device");
      TENSORD_CUDA_RETURN_IF_ERROR(cudaEventRecord(events_[b], stream), "copy to device");
    }
    return CudaError(cudaStreamSynchronize(stream), "copy to device");
  }

  absl::Status ToHost(char* dst, const char* src, size_t nbytes, cudaStream_t stream) {
    if (absl::Status s = Init(); !s.ok()) return s;
    // Queue chunk k+1's DMA before copying chunk k out of its buffer.
    const size_t chunks = (nbytes + kChunk - 1) / kChunk;
    auto issue = [&](size_t k) -> absl::Status {
      const size_t off = k * kChunk, n = std::min(kChunk, nbytes - off);
      const int b = static_cast<int>(k % 2);
      TENSORD_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(buffers_[b], src + off, n, cudaMemcpyDeviceToHost, stream),
                                   "copy to host");
      return CudaError(cudaEventRecord(events_[b], stream), "copy to host");
    };
    if (chunks > 0) {
      if (absl::Status s = issue(0); !s.ok()) return s;
    }
    for (size_t k = 0; k < chunks; ++k) {
      if (k + 1 < chunks) {
        if (absl::Status s = issue(k + 1); !s.ok()) return s;
      }
      const int b = static_cast<int>(k % 2);
      TENSORD_CUDA_RETURN_IF_ERROR(cudaEventSynchronize(events_[b]), "copy to host");
      const size_t off = k * kChunk;
      std::memcpy(dst + off, buffers_[b], std::min(kChunk, nbytes - off));
    }
    return absl::OkStatus();
  }

 private:
  void* buffers_[2] = {nullptr, nullptr};
  cudaEvent_t events_[2] = {nullptr, nullptr};
};

// Note [Launch on the stream's device]
//   A kernel launch goes to the calling thread's current device, and a launch
//   onto a stream of another device fails (invalid resource handle). The
//   backend's own calls make their device current and leave it so, and the
//   launchers take only a stream: with two GPUs, a launch for cuda:0 after a
//   copy for cuda:1 on the same thread would fail. So with more than one
//   device every launcher first makes its stream's device current. Stream 0
//   (work without a Context) is the current device's default stream and
//   names no device: it is left as it is. One device: nothing to do.
bool multi_device = false;  // set once, before the first launch (Get() builds the backend first)

template <typename Args, int (*Launch)(const Args&, StreamId)>
int OnStreamDevice(const Args& args, StreamId stream) {
  if (multi_device && stream != 0) {
    int device = 0;
    cudaError_t err = cudaStreamGetDevice(reinterpret_cast<cudaStream_t>(stream), &device);
    if (err == cudaSuccess) err = cudaSetDevice(device);
    if (err != cudaSuccess) {
      cudaGetLastError();  // reported here, not again by the next launch
      return static_cast<int>(err);
    }
  }
  return Launch(args, stream);
}

struct PerDevice {
  std::mutex staging_mu;
  Staging staging;
  std::mutex blas_mu;
  cublasHandle_t blas = nullptr;
};

bool CublasType(int8_t dtype, cudaDataType_t* type, cublasComputeType_t* compute) {
  switch (dtype) {
    case kFloat32: *type = CUDA_R_32F; *compute = CUBLAS_COMPUTE_32F; return true;  // no TF32, as PyTorch's default
    case kFloat64: *type = CUDA_R_64F; *compute = CUBLAS_COMPUTE_64F; return true;
    case kFloat16: *type = CUDA_R_16F; *compute = CUBLAS_COMPUTE_32F; return true;
    case kBFloat16: *type = CUDA_R_16BF; *compute = CUBLAS_COMPUTE_32F; return true;
    default: return false;
  }
}

class RealBackend : public Backend {
 public:
  RealBackend() {
    int count = 0;
    cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
      reason_ = absl::StrCat("no CUDA device is visible (", cudaGetErrorString(err), ")");
      cudaGetLastError();
      return;
    }
    for (int i = 0; i < count; ++i) {
      cudaDeviceProp prop;
      if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) {
        cudaGetLastError();  // or the first launch's cudaGetLastError reports it
        continue;
      }
      devices_.push_back({i, prop.name, static_cast<int64_t>(prop.totalGlobalMem), prop.major, prop.minor});
      allocators_.push_back(std::make_unique<CachingAllocator>(std::make_unique<DeviceMemory>(i, prop.totalGlobalMem)));
      per_device_.push_back(std::make_unique<PerDevice>());
    }
    if (devices_.empty()) reason_ = "no CUDA device is visible";
    multi_device = devices_.size() > 1;
  }

  bool emulated() const override { return false; }
  const Launchers& launchers() const override {
    static const Launchers table = {
#define TENSORD_GPU_LAUNCHER_(name, Args) OnStreamDevice<Args, gpu::name>,
        TENSORD_FORALL_CUDA_LAUNCHERS(TENSORD_GPU_LAUNCHER_)
#undef TENSORD_GPU_LAUNCHER_
    };
    return table;
  }

  absl::StatusOr<StreamId> NewStream(int device) override {
    TENSORD_CUDA_RETURN_IF_ERROR(cudaSetDevice(device), "cudaSetDevice");
    cudaStream_t stream = nullptr;
    TENSORD_CUDA_RETURN_IF_ERROR(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreate");
    return reinterpret_cast<StreamId>(stream);
  }
  void DestroyStream(int device, StreamId stream) override {
    if (stream == 0) return;
    if (cudaSetDevice(device) != cudaSuccess || cudaStreamDestroy(reinterpret_cast<cudaStream_t>(stream)) != cudaSuccess) {
      cudaGetLastError();  // nobody to report to: keep it out of the next launch's check
    }
  }
  absl::Status Synchronize(int device, StreamId stream) override {
    TENSORD_CUDA_RETURN_IF_ERROR(cudaSetDevice(device), "cudaSetDevice");
    return CudaError(cudaStreamSynchronize(reinterpret_cast<cudaStream_t>(stream)), "synchronize");
  }

  absl::Status CopyToDevice(int device, void* dst, const void* src, size_t nbytes, StreamId stream) override {
    if (nbytes == 0) return absl::OkStatus();
    TENSORD_CUDA_RETURN_IF_ERROR(cudaSetDevice(device), "cudaSetDevice");
    PerDevice& d = *per_device_.at(device);
    // The copy waits for the work queued before it anyway; waiting here,
    // before taking the device's one staging pair, keeps a session with a
    // long queue from holding every other session's copies behind it.
    TENSORD_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(reinterpret_cast<cudaStream_t>(stream)), "copy to device");
    std::lock_guard<std::mutex> lock(d.staging_mu);
    return d.staging.ToDevice(static_cast<char*>(dst), static_cast<const char*>(src), nbytes,
                              reinterpret_cast<cudaStream_t>(stream));
  }
  absl::Status CopyToHost(int device, void* dst, const void* src, size_t nbytes, StreamId stream) override {
    if (nbytes == 0) return absl::OkStatus();
    TENSORD_CUDA_RETURN_IF_ERROR(cudaSetDevice(device), "cudaSetDevice");
    PerDevice& d = *per_device_.at(device);
    // The copy waits for the work queued before it anyway; waiting here,
    // before taking the device's one staging pair, keeps a session with a
    // long queue from holding every other session's copies behind it.
    TENSORD_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(reinterpret_cast<cudaStream_t>(stream)), "copy to host");
    std::lock_guard<std::mutex> lock(d.staging_mu);
    return d.staging.ToHost(static_cast<char*>(dst), static_cast<const char*>(src), nbytes,
                            reinterpret_cast<cudaStream_t>(stream));
  }
  absl::Status CopyOnDevice(int device, void* dst, const void* src, size_t nbytes, StreamId stream) override {
    if (nbytes == 0) return absl::OkStatus();
    TENSORD_CUDA_RETURN_IF_ERROR(cudaSetDevice(device), "cudaSetDevice");
    return CudaError(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToDevice, reinterpret_cast<cudaStream_t>(stream)),
                     "copy on device");
  }
  absl::Status Zero(int device, void* dst, size_t nbytes, StreamId stream) override {
    if (nbytes == 0) return absl::OkStatus();
    TENSORD_CUDA_RETURN_IF_ERROR(cudaSetDevice(device), "cudaSetDevice");
    return CudaError(cudaMemsetAsync(dst, 0, nbytes, reinterpret_cast<cudaStream_t>(stream)), "zero fill");
  }

  absl::Status Gemm(int device, const GemmArgs& g, StreamId stream) override {
    TENSORD_CUDA_RETURN_IF_ERROR(cudaSetDevice(device), "cudaSetDevice");
    cudaDataType_t type;
    cublasComputeType_t compute;
    // cuBLAS takes sizes, leading dimensions and the batch count as int (the
    // batch strides are int64): anything larger, and the integer dtypes, go
    // to the plain kernel rather than being truncated.
    if (!CublasType(g.dtype, &type, &compute) || g.m > INT32_MAX || g.n > INT32_MAX || g.k > INT32_MAX ||
        g.batch > INT32_MAX || g.lda > INT32_MAX || g.ldb > INT32_MAX || g.ldc > INT32_MAX) {
      return Check(gpu::Gemm(g, stream), "gemm");
    }
    PerDevice& d = *per_device_.at(device);
    std::lock_guard<std::mutex> lock(d.blas_mu);
    if (d.blas == nullptr && cublasCreate(&d.blas) != CUBLAS_STATUS_SUCCESS) {
      d.blas = nullptr;
      return absl::InternalError("CUDA error in gemm: cublasCreate failed");
    }
    // Never the handle's default (NULL) stream: the session streams are
    // non-blocking and would not wait for it.
    if (const cublasStatus_t st = cublasSetStream(d.blas, reinterpret_cast<cudaStream_t>(stream));
        st != CUBLAS_STATUS_SUCCESS) {
      return absl::InternalError(absl::StrCat("CUDA error in gemm: cublasSetStream: cuBLAS status ", static_cast<int>(st)));
    }
    const float alpha_f = static_cast<float>(g.alpha), beta_f = static_cast<float>(g.beta);
    const double alpha_d = g.alpha, beta_d = g.beta;
    const void* alpha = g.dtype == kFloat64 ? static_cast<const void*>(&alpha_d) : &alpha_f;
    const void* beta = g.dtype == kFloat64 ? static_cast<const void*>(&beta_d) : &beta_f;
    const cublasOperation_t ta = g.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, tb = g.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
    cublasStatus_t st;
    if (g.batch == 1) {
      st = cublasGemmEx(d.blas, ta, tb, static_cast<int>(g.m), static_cast<int>(g.n), static_cast<int>(g.k), alpha,
                        g.a, type, static_cast<int>(g.lda), g.b, type, static_cast<int>(g.ldb), beta, g.c, type,
                        static_cast<int>(g.ldc), compute, CUBLAS_GEMM_DEFAULT);
    } else {
      st = cublasGemmStridedBatchedEx(d.blas, ta, tb, static_cast<int>(g.m), static_cast<int>(g.n),
                                      static_cast<int>(g.k), alpha, g.a, type, static_cast<int>(g.lda), g.stride_a,
                                      g.b, type, static_cast<int>(g.ldb), g.stride_b, beta, g.c, type,
                                      static_cast<int>(g.ldc), g.stride_c, static_cast<int>(g.batch), compute,
                                      CUBLAS_GEMM_DEFAULT);
    }
    if (st != CUBLAS_STATUS_SUCCESS) {
      return absl::InternalError(absl::StrCat("CUDA error in gemm: cuBLAS status ", static_cast<int>(st), " (",
                                              cublasGetStatusString(st), ")"));
    }
    return absl::OkStatus();
  }

  absl::Status Check(int error, const char* what) const override {
    return CudaError(static_cast<cudaError_t>(error), what);
  }

 private:
  std::vector<std::unique_ptr<PerDevice>> per_device_;
};

}  // namespace

bool CompiledWithCuda() { return true; }
std::unique_ptr<Backend> MakeRealBackend() { return std::make_unique<RealBackend>(); }

}  // namespace tensord::engine::cuda
