// What every CUDA kernel source includes: portable element types, dtype
// dispatch, strided offsets and the launch loop.
//
// Note [One kernel source, two compilers]
//   Files in engine/cuda/kernels/ are compiled by nvcc into gpu:: (real
//   launches) and by g++ into emu:: (the host emulator, runtime.h). Kernel
//   bodies are lambdas marked TD_HD that compute ONE element (or one output
//   row); ParallelFor/launch helpers below decide how they run: a grid-stride
//   loop on the GPU, a plain loop on the host. So the emulator checks every
//   kernel's indexing and dtype logic on any machine; only the launch
//   configuration and device-only paths (warp reductions, atomics) wait for a
//   GPU. Rules for kernel code: C++20, no Abseil/engine headers, no host-only
//   library calls in TD_HD code (use the math wrappers here), enclosing
//   functions of TD_HD lambdas must not have a deduced return type, and a
//   TD_HD lambda must use a captured variable once outside any `if constexpr`
//   before using it inside one (nvcc refuses first captures there).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "engine/cuda/kernel_args.h"
#include "engine/cuda/launchers.h"

#if defined(__CUDACC__)
#include <cuda_runtime.h>
#define TD_HD __host__ __device__
#define TENSORD_KERNEL_NS gpu
#else
#define TD_HD
#define TENSORD_KERNEL_NS emu
#endif

namespace tensord::engine::cuda::TENSORD_KERNEL_NS {

// ---------------------------------------------------------------- bit casts

TD_HD inline uint32_t FloatBits(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
#endif
}
TD_HD inline float BitsFloat(uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float f;
  std::memcpy(&f, &u, 4);
  return f;
#endif
}

// ---------------------------------------------------------------- 16-bit floats
// Storage types with c10's rounding (round to nearest even), bit-identical to
// engine/half.h; arithmetic happens in float (OpMath).

struct Half16 {
  uint16_t bits;
  TD_HD static uint16_t FromFloat(float f) {
    uint32_t x = FloatBits(f);
    const uint32_t sign = (x >> 16) & 0x8000u;
    x &= 0x7fffffffu;
    if (x >= 0x7f800000u) return static_cast<uint16_t>(sign | (x > 0x7f800000u ? 0x7e00u : 0x7c00u));
    if (x >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);
    if (x < 0x38800000u) {
      const float v = BitsFloat(x) + 0.5f;
      return static_cast<uint16_t>(sign | (FloatBits(v) - 0x3f000000u));
    }
    const uint32_t mant_odd = (x >> 13) & 1u;
    x += 0xc8000fffu + mant_odd;
    return static_cast<uint16_t>(sign | (x >> 13));
  }
  TD_HD static float ToFloat(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
    if (exp == 0) return BitsFloat(FloatBits(static_cast<float>(mant) * 5.9604644775390625e-8f) | sign);
    if (exp == 31) return BitsFloat(sign | 0x7f800000u | (mant << 13));
    return BitsFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }
};

struct BF16 {
  uint16_t bits;
  TD_HD static uint16_t FromFloat(float f) {
    uint32_t u = FloatBits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fc0;
    u += 0x7fffu + ((u >> 16) & 1u);
    return static_cast<uint16_t>(u >> 16);
  }
  TD_HD static float ToFloat(uint16_t b) { return BitsFloat(static_cast<uint32_t>(b) << 16); }
};

// The type arithmetic runs in: float for the 16-bit floats, the type itself otherwise.
template <typename T> struct OpMathT { using type = T; };
template <> struct OpMathT<Half16> { using type = float; };
template <> struct OpMathT<BF16> { using type = float; };
template <typename T> using OpMath = typename OpMathT<T>::type;

template <typename T> inline constexpr bool kIsFloat16 = std::is_same_v<T, Half16> || std::is_same_v<T, BF16>;
template <typename T> inline constexpr bool kIsFloating = kIsFloat16<T> || std::is_floating_point_v<T>;

// Element <-> math value.
template <typename T> TD_HD inline OpMath<T> ToMath(T v) {
  if constexpr (kIsFloat16<T>) return T::ToFloat(v.bits);
  else return v;
}
template <typename T> TD_HD inline T FromMath(OpMath<T> v) {
  if constexpr (kIsFloat16<T>) return T{T::FromFloat(v)};
  else return v;
}

// ---------------------------------------------------------------- dtype dispatch

// TD_DISPATCH_ALL(dtype, T, body): runs body with T the element type of dtype.
#define TD_DTYPE_CASE_(code, Type, ...) \
  case code: {                          \
    using TD_T_ = Type;                 \
    __VA_ARGS__                         \
  } break;
#define TD_DISPATCH_ALL(dtype, ...)                       \
  switch (dtype) {                                        \
    TD_DTYPE_CASE_(kBool, bool, __VA_ARGS__)              \
    TD_DTYPE_CASE_(kUInt8, uint8_t, __VA_ARGS__)          \
    TD_DTYPE_CASE_(kInt8, int8_t, __VA_ARGS__)            \
    TD_DTYPE_CASE_(kInt16, int16_t, __VA_ARGS__)          \
    TD_DTYPE_CASE_(kInt32, int32_t, __VA_ARGS__)          \
    TD_DTYPE_CASE_(kInt64, int64_t, __VA_ARGS__)          \
    TD_DTYPE_CASE_(kFloat16, Half16, __VA_ARGS__)         \
    TD_DTYPE_CASE_(kBFloat16, BF16, __VA_ARGS__)          \
    TD_DTYPE_CASE_(kFloat32, float, __VA_ARGS__)          \
    TD_DTYPE_CASE_(kFloat64, double, __VA_ARGS__)         \
    default: break;                                       \
  }
// Inside a TD_DISPATCH_ALL body the element type is spelled TD_T_. The body
// is not a template, so `if constexpr` there discards nothing: call a
// function template (`err = RunAs<TD_T_>(args, stream);`) instead.

// Any dtype's value widened without loss for casting: integral and bool in
// int64 (exact), floating in double (exact for every narrower float).
struct Wide {
  bool floating;
  double f;
  int64_t i;
};
template <typename T> TD_HD inline Wide Widen(T v) {
  if constexpr (kIsFloating<T>) return {true, static_cast<double>(ToMath(v)), 0};
  else return {false, 0.0, static_cast<int64_t>(v)};
}
// C++ static_cast semantics from the source type, as the CPU kernels: the
// 16-bit floats are reached through float (as c10's constructors do).
template <typename T> TD_HD inline T Narrow(Wide w) {
  if constexpr (std::is_same_v<T, bool>) return w.floating ? w.f != 0 : w.i != 0;
  else if constexpr (kIsFloat16<T>) return T{T::FromFloat(w.floating ? static_cast<float>(w.f) : static_cast<float>(w.i))};
  else if constexpr (std::is_floating_point_v<T>) return w.floating ? static_cast<T>(w.f) : static_cast<T>(w.i);
  else return w.floating ? static_cast<T>(w.f) : static_cast<T>(w.i);
}
TD_HD inline Wide LoadWide(const char* p, int dtype) {
  Wide w{false, 0.0, 0};
  TD_DISPATCH_ALL(dtype, w = Widen(*reinterpret_cast<const TD_T_*>(p));)
  return w;
}
TD_HD inline void StoreWide(char* p, int dtype, Wide w) {
  TD_DISPATCH_ALL(dtype, *reinterpret_cast<TD_T_*>(p) = Narrow<TD_T_>(w);)
}

TD_HD inline int ItemSize(int dtype) {
  constexpr int kSizes[kNumKDTypes] = {1, 1, 1, 2, 4, 8, 2, 2, 4, 8};
  return kSizes[dtype];
}

// ---------------------------------------------------------------- strided offsets

// Element offset of row-major position `linear` over `ndim` dims of the
// given sizes, with the given element strides.
TD_HD inline int64_t StridedOffset(int ndim, const int64_t* sizes, const int64_t* strides, int64_t linear) {
  if (ndim == 1) return linear * strides[0];
  int64_t off = 0;
  for (int d = ndim - 1; d >= 0; --d) {
    off += (linear % sizes[d]) * strides[d];
    linear /= sizes[d];
  }
  return off;
}

// Element offset of operand k at row-major linear index `linear` of `it`.
TD_HD inline int64_t Offset(const Iter& it, int k, int64_t linear) {
  return it.contiguous ? linear : StridedOffset(it.ndim, it.sizes, it.op[k].strides, linear);
}

// Address of operand k's element at `linear` (nullptr for a by-value scalar).
TD_HD inline char* Address(const Iter& it, int k, int64_t linear) {
  const Operand& o = it.op[k];
  if (o.data == nullptr) return nullptr;
  return o.data + Offset(it, k, linear) * ItemSize(o.dtype);
}

// Operand k's element at `linear` as T (its dtype must be T's).
template <typename T> TD_HD inline T LoadAs(const Iter& it, int k, int64_t linear) {
  const Operand& o = it.op[k];
  if (o.data == nullptr) {
    if constexpr (kIsFloating<T>) return FromMath<T>(static_cast<OpMath<T>>(o.scalar_f));
    else return static_cast<T>(o.scalar_i);
  }
  return *reinterpret_cast<const T*>(o.data + Offset(it, k, linear) * static_cast<int64_t>(sizeof(T)));
}

// ---------------------------------------------------------------- launching

#if defined(__CUDACC__)
inline constexpr int kBlockSize = 256;

template <typename F>
__global__ void ParallelForKernel(int64_t n, F f) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) f(i);
}

// f(i) for i in [0, n) on `stream`; returns the launch's cudaError_t.
template <typename F>
int ParallelFor(int64_t n, StreamId stream, F f) {
  if (n <= 0) return 0;
  const int64_t blocks = (n + kBlockSize - 1) / kBlockSize;
  const unsigned grid = static_cast<unsigned>(blocks < (1 << 20) ? blocks : (1 << 20));  // grid-stride beyond
  ParallelForKernel<<<grid, kBlockSize, 0, reinterpret_cast<cudaStream_t>(stream)>>>(n, f);
  return static_cast<int>(cudaGetLastError());
}
#else
template <typename F>
int ParallelFor(int64_t n, StreamId, F f) {
  for (int64_t i = 0; i < n; ++i) f(i);
  return 0;
}
#endif

}  // namespace tensord::engine::cuda::TENSORD_KERNEL_NS
