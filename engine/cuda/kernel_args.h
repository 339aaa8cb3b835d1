// What the engine hands a CUDA kernel: plain structs of pointers, shapes and
// numbers. No CUDA, Abseil or engine types appear here, so nvcc compiles the
// kernels without parsing the engine's headers, and g++ compiles the very same
// kernel sources for the host emulator (Note [CUDA emulator], runtime.h).
//
// Dtype codes are engine::DType's values (kernel_table.cc checks they agree).
#pragma once

#include <cstdint>

namespace tensord::engine::cuda {

using StreamId = uintptr_t;  // a cudaStream_t as an integer (0: the default stream)

// Dimensions after coalescing (kernel_table.cc merges contiguous dims first);
// a tensor needing more is refused with an error, never truncated.
inline constexpr int kMaxDims = 16;
inline constexpr int kMaxOperands = 4;

enum KDType : int8_t {
  kBool = 0, kUInt8, kInt8, kInt16, kInt32, kInt64, kFloat16, kBFloat16, kFloat32, kFloat64, kNumKDTypes
};

// One operand of an elementwise walk: a device pointer and element strides
// (0 where broadcast), or a host scalar passed by value (data == nullptr:
// CPU 0-dim tensors and Python numbers beside cuda tensors, as PyTorch allows).
struct Operand {
  char* data = nullptr;
  int8_t dtype = kFloat32;
  double scalar_f = 0;    // the scalar when data == nullptr (floating dtypes)
  int64_t scalar_i = 0;   // the scalar when data == nullptr (bool/integral dtypes)
  int64_t strides[kMaxDims] = {};
};

// N operands (output first) walked over one shape, row-major linear index.
struct Iter {
  int ndim = 0;
  int nops = 0;
  int64_t numel = 0;
  int64_t sizes[kMaxDims] = {};
  Operand op[kMaxOperands];
  bool contiguous = false;  // every array operand dense row-major: offset = index
};

// Elementwise math: out = f(in...), `op` an engine OpId value. The inputs
// already have the compute dtype (the op's prepare rule cast them); the
// output's dtype may differ (comparisons write bool). Extra parameters of the
// op (clamp bounds, softplus beta, ...) travel in f[] / i[].
struct ElementwiseArgs {
  Iter it;
  int op = 0;
  double f[4] = {};
  int64_t i[4] = {};
};

// dst = cast(src), any strides and dtypes (copies, casts, cat, contiguous).
struct CopyArgs {
  Iter it;  // op[0] = dst, op[1] = src
};

// dst[0..n) = pattern: items of 1, 2, 4 or 8 bytes holding one dtype's bits.
struct FillArgs {
  void* dst = nullptr;
  int64_t n = 0;
  int itemsize = 4;
  uint64_t pattern = 0;
};

// out[i] = start + i * step, contiguous, in out's dtype (integral dtypes in
// int64 arithmetic, floating in double, as the CPU kernel).
struct ArangeArgs {
  void* out = nullptr;
  int8_t dtype = kFloat32;
  int64_t n = 0;
  double start_f = 0, step_f = 0;
  int64_t start_i = 0, step_i = 0;
};

// Column-major GEMM in cuBLAS's terms (the engine passes row-major operands
// as their transposes): C = alpha * op(A) * op(B) + beta * C, `batch` times
// with element strides between the matrices (0: shared).
struct GemmArgs {  // (the Gemm launcher: any dtype, used where cuBLAS has none)
  int8_t dtype = kFloat32;  // of A, B and C
  bool trans_a = false, trans_b = false;
  int64_t m = 0, n = 0, k = 0;
  const void* a = nullptr;
  int64_t lda = 0, stride_a = 0;
  const void* b = nullptr;
  int64_t ldb = 0, stride_b = 0;
  void* c = nullptr;
  int64_t ldc = 0, stride_c = 0;
  int64_t batch = 1;
  double alpha = 1, beta = 0;
};

}  // namespace tensord::engine::cuda
