#include "engine/cuda/fill.h"

#include <cuda_runtime.h>

namespace tensord::engine::cuda {

namespace {

template <typename W>
__global__ void FillKernel(W* dst, int64_t n, W value) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) dst[i] = value;
}

template <typename W>
int Launch(void* dst, int64_t n, uint64_t pattern, cudaStream_t stream) {
  constexpr int kThreads = 256;
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  const unsigned grid = static_cast<unsigned>(blocks < 65535 ? blocks : 65535);  // grid-stride beyond
  FillKernel<W><<<grid, kThreads, 0, stream>>>(static_cast<W*>(dst), n, static_cast<W>(pattern));
  return static_cast<int>(cudaGetLastError());
}

}  // namespace

int LaunchFill(void* dst, int64_t n, int itemsize, uint64_t pattern, uintptr_t stream) {
  if (n <= 0) return cudaSuccess;
  cudaStream_t s = reinterpret_cast<cudaStream_t>(stream);
  switch (itemsize) {
    case 1: return Launch<uint8_t>(dst, n, pattern, s);
    case 2: return Launch<uint16_t>(dst, n, pattern, s);
    case 4: return Launch<uint32_t>(dst, n, pattern, s);
    case 8: return Launch<uint64_t>(dst, n, pattern, s);
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace tensord::engine::cuda
