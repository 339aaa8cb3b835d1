// Floating-point operations that round the same on the GPU and in the host
// emulator (used where kernels promise identical bits on both: random
// numbers, fused optimizer steps).
//
// Note [Same bits on GPU and emulator]
//   IEEE +, -, *, / and sqrt are correctly rounded on both sides (nvcc's
//   defaults, -prec-div and -prec-sqrt, keep them so), and fma is exact by
//   definition. What differs is contraction: nvcc fuses a * b + c into one
//   FMA by default, while the host build (ISO C++, -ffp-contract=off, no
//   -mfma) never does. So products that feed a sum go through Mul, which is
//   __fmul_rn/__dmul_rn on the device (never contracted), and fusion happens
//   only where the code says Fma. Library transcendentals (log, sin, ...) are
//   not correctly rounded and differ between CUDA's libdevice and glibc: code
//   wanting identical bits builds them from these operations.
#pragma once

#include "engine/cuda/kernels/common.cuh"

namespace tensord::engine::cuda::TENSORD_KERNEL_NS {

TD_HD inline float Mul(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
TD_HD inline double Mul(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}
TD_HD inline float Fma(float a, float b, float c) {
#if defined(__CUDA_ARCH__)
  return fmaf(a, b, c);
#else
  return std::fma(a, b, c);
#endif
}
TD_HD inline double Fma(double a, double b, double c) {
#if defined(__CUDA_ARCH__)
  return fma(a, b, c);
#else
  return std::fma(a, b, c);
#endif
}
TD_HD inline float Sqrt(float a) {
#if defined(__CUDA_ARCH__)
  return __fsqrt_rn(a);
#else
  return std::sqrt(a);
#endif
}
TD_HD inline double Sqrt(double a) {
#if defined(__CUDA_ARCH__)
  return __dsqrt_rn(a);
#else
  return std::sqrt(a);
#endif
}
TD_HD inline float Div(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fdiv_rn(a, b);
#else
  return a / b;
#endif
}
TD_HD inline double Div(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __ddiv_rn(a, b);
#else
  return a / b;
#endif
}

}  // namespace tensord::engine::cuda::TENSORD_KERNEL_NS
