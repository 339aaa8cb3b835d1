// Random fills: uniform, normal (Box-Muller), bernoulli (scalar p or a
// tensor of probabilities), randint. Host side: engine/cuda/random.cc
// (Note [CUDA random numbers]).
//
// Element i takes Philox block offset + i (philox.cuh) and uses as many of its
// four words as it needs, so a value depends only on (seed, offset, i): never
// on the grid, and the same on the GPU and in the emulator. The arithmetic
// after the draw keeps that promise too (Note [Same bits on GPU and
// emulator], fp.cuh): Box-Muller's log, sin and cos are computed here from
// correctly rounded operations instead of calling libdevice / libm.
#include "engine/cuda/kernels/common.cuh"
#include "engine/cuda/kernels/fp.cuh"
#include "engine/cuda/kernels/philox.cuh"

namespace tensord::engine::cuda::TENSORD_KERNEL_NS {

namespace {

// Significand bits of each floating type: uniforms are multiples of
// 2^-digits in [0, 1), so they are exact in the type (as the CPU generator).
template <typename T> inline constexpr int kDigits = 24;
template <> inline constexpr int kDigits<Half16> = 11;
template <> inline constexpr int kDigits<BF16> = 8;
template <> inline constexpr int kDigits<double> = 53;

TD_HD inline uint64_t Word64(uint32_t hi, uint32_t lo) { return (static_cast<uint64_t>(hi) << 32) | lo; }
// Uniform in [0, 1) with 24 / 53 random bits.
TD_HD inline float Unit24(uint32_t w) { return static_cast<float>(w >> 8) * 5.9604644775390625e-8f; }
TD_HD inline double Unit53(uint64_t w) { return static_cast<double>(w >> 11) * 1.1102230246251565404e-16; }

// ---------------------------------------------------------------- float Box-Muller
// Cephes' single-precision log and sincos (as cpu/random.cc uses them), with
// every product through Mul.

// log(x) for x in (0, 1].
TD_HD inline float LogF(float x) {
  constexpr float kSqrtHalf = 0.707106781186547524f;
  constexpr float kP[9] = {7.0376836292e-2f,  -1.1514610310e-1f, 1.1676998740e-1f,
                           -1.2420140846e-1f, 1.4249322787e-1f,  -1.6668057665e-1f,
                           2.0000714765e-1f,  -2.4999993993e-1f, 3.3333331174e-1f};
  constexpr float kQ1 = -2.12194440e-4f, kQ2 = 0.693359375f;
  const uint32_t bits = FloatBits(x);  // x >= 2^-24: normal
  float e = static_cast<float>(static_cast<int32_t>(bits >> 23) - 0x7f) + 1.0f;
  x = BitsFloat((bits & ~0x7f800000u) | 0x3f000000u);  // mantissa in [0.5, 1)
  if (x < kSqrtHalf) {
    e = e - 1.0f;
    x = (x - 1.0f) + x;
  } else {
    x = x - 1.0f;
  }
  const float z = Mul(x, x);
  float y = kP[0];
  for (int k = 1; k < 9; ++k) y = Fma(y, x, kP[k]);
  y = Mul(y, x);
  y = Fma(y, z, Mul(e, kQ1));
  y = Fma(-z, 0.5f, y);
  return Fma(e, kQ2, x + y);
}

// sin and cos of x >= 0 (reduced by octant with a three-part pi/4).
TD_HD inline void SinCosF(float x, float* s, float* c) {
  constexpr float kFourOverPi = 1.27323954473516f;
  constexpr float kDP1 = -0.78515625f, kDP2 = -2.4187564849853515625e-4f, kDP3 = -3.77489497744594108e-8f;
  constexpr float kSinP[3] = {-1.9515295891e-4f, 8.3321608736e-3f, -1.6666654611e-1f};
  constexpr float kCosP[3] = {2.443315711809948e-5f, -1.388731625493765e-3f, 4.166664568298827e-2f};
  int32_t j = static_cast<int32_t>(Mul(x, kFourOverPi));
  j = (j + 1) & ~1;
  const float y = static_cast<float>(j);
  x = Fma(y, kDP1, x);
  x = Fma(y, kDP2, x);
  x = Fma(y, kDP3, x);
  const float z = Mul(x, x);
  float yc = Fma(kCosP[0], z, kCosP[1]);
  yc = Fma(yc, z, kCosP[2]);
  yc = Mul(yc, z);
  yc = Fma(yc, z, -Mul(z, 0.5f));
  yc = yc + 1.0f;
  float ys = Fma(kSinP[0], z, kSinP[1]);
  ys = Fma(ys, z, kSinP[2]);
  ys = Mul(ys, z);
  ys = Fma(ys, x, x);
  const bool swap = (j & 2) != 0;  // octants 2, 3 (mod 4): sin and cos trade places
  const float sin_v = swap ? yc : ys, cos_v = swap ? ys : yc;
  *s = (j & 4) ? -sin_v : sin_v;
  *c = ((j + 2) & 4) ? -cos_v : cos_v;
}

// ---------------------------------------------------------------- double Box-Muller

// log(x) for x in [2^-53, 1]: x = m * 2^e with m in [sqrt(1/2), sqrt(2)),
// log(m) = 2 atanh(f), f = (m - 1) / (m + 1), |f| < 0.172: the odd series to
// f^25 is below double rounding.
TD_HD inline double LogD(double x) {
  constexpr double kLn2Hi = 6.93147180369123816490e-01, kLn2Lo = 1.90821492927058770002e-10;  // fdlibm's split
  uint64_t bits;
#if defined(__CUDA_ARCH__)
  bits = static_cast<uint64_t>(__double_as_longlong(x));
#else
  std::memcpy(&bits, &x, 8);
#endif
  int64_t e = static_cast<int64_t>((bits >> 52) & 0x7ff) - 1023;
  uint64_t mbits = (bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull;  // m in [1, 2)
  if (mbits > 0x3ff6a09e667f3bcdull) {  // m > sqrt(2): halve it
    mbits -= 0x0010000000000000ull;
    ++e;
  }
  double m;
#if defined(__CUDA_ARCH__)
  m = __longlong_as_double(static_cast<long long>(mbits));
#else
  std::memcpy(&m, &mbits, 8);
#endif
  const double f = Div(m - 1.0, m + 1.0);
  const double s = Mul(f, f);
  constexpr double kInvOdd[13] = {1.0,        1.0 / 3,  1.0 / 5,  1.0 / 7,  1.0 / 9,  1.0 / 11, 1.0 / 13,
                                  1.0 / 15,   1.0 / 17, 1.0 / 19, 1.0 / 21, 1.0 / 23, 1.0 / 25};
  double p = kInvOdd[12];
  for (int k = 11; k >= 1; --k) p = Fma(p, s, kInvOdd[k]);
  const double log_m = Fma(Mul(2.0 * f, s), p, 2.0 * f);  // 2f (1 + s p)
  const double de = static_cast<double>(e);
  return Fma(de, kLn2Hi, Fma(de, kLn2Lo, log_m));
}

// sin and cos of x in [0, 2 pi]: reduced by quadrant with a three-part
// pi/2 (fdlibm's), then Taylor series to degree 19 / 18 on [-pi/4, pi/4].
TD_HD inline void SinCosD(double x, double* s, double* c) {
  constexpr double kTwoOverPi = 6.36619772367581382433e-01;
  constexpr double kPio2_1 = 1.57079632673412561417e+00, kPio2_2 = 6.07710050630396597660e-11,
                   kPio2_3 = 2.02226624879595063154e-21;
  const int j = static_cast<int>(Fma(x, kTwoOverPi, 0.5));
  const double dj = static_cast<double>(j);
  double r = Fma(-dj, kPio2_1, x);
  r = Fma(-dj, kPio2_2, r);
  r = Fma(-dj, kPio2_3, r);
  const double z = Mul(r, r);
  // (-1)^k / (2k+1)! and (-1)^k / (2k)!, k = 1..9.
  constexpr double kSin[10] = {1.0, -1.0 / 6, 1.0 / 120, -1.0 / 5040, 1.0 / 362880, -1.0 / 39916800,
                               1.0 / 6227020800.0, -1.0 / 1307674368000.0, 1.0 / 355687428096000.0,
                               -1.0 / 121645100408832000.0};
  constexpr double kCos[10] = {1.0, -1.0 / 2, 1.0 / 24, -1.0 / 720, 1.0 / 40320, -1.0 / 3628800,
                               1.0 / 479001600.0, -1.0 / 87178291200.0, 1.0 / 20922789888000.0,
                               -1.0 / 6402373705728000.0};
  double ps = kSin[9], pc = kCos[9];
  for (int k = 8; k >= 1; --k) {
    ps = Fma(ps, z, kSin[k]);
    pc = Fma(pc, z, kCos[k]);
  }
  const double sin_r = Fma(Mul(r, z), ps, r);
  const double cos_r = Fma(z, pc, 1.0);
  switch (j & 3) {
    case 0: *s = sin_r; *c = cos_r; break;
    case 1: *s = cos_r; *c = -sin_r; break;
    case 2: *s = -sin_r; *c = -cos_r; break;
    default: *s = -cos_r; *c = sin_r; break;
  }
}

// ---------------------------------------------------------------- per-element draws

// One uniform in [from, to) from block w, as the CPU's uniform_real: doubles
// from 53 bits as x * (to - from) + from; the other types from kDigits bits,
// with from and to rounded to the type, as one fma in float.
template <typename T>
TD_HD inline OpMath<T> UniformOf(const Philox4x32& w, double from, double to) {
  if constexpr (std::is_same_v<T, double>) {
    return Mul(Unit53(Word64(w.v[0], w.v[1])), to - from) + from;
  } else {
    const float x = static_cast<float>(w.v[0] >> (32 - kDigits<T>)) * (1.0f / static_cast<float>(1u << kDigits<T>));
    const float f = ToMath(FromMath<T>(static_cast<float>(from)));
    const float t = ToMath(FromMath<T>(static_cast<float>(to)));
    return Fma(x, t - f, f);
  }
}

// One normal(mean, std) from block w: Box-Muller's cosine branch,
// radius = sqrt(-2 log(1 - u1)), angle = 2 pi u2.
template <typename T>
TD_HD inline OpMath<T> NormalOf(const Philox4x32& w, double mean, double stdv) {
  if constexpr (std::is_same_v<T, double>) {
    const double u1 = Unit53(Word64(w.v[0], w.v[1])), u2 = Unit53(Word64(w.v[2], w.v[3]));
    const double radius = Sqrt(-2.0 * LogD(1.0 - u1));
    double s, c;
    SinCosD(Mul(6.28318530717958647693, u2), &s, &c);
    return Fma(Mul(radius, c), stdv, mean);
  } else {
    const float u1 = Unit24(w.v[0]), u2 = Unit24(w.v[1]);
    const float radius = Sqrt(-2.0f * LogF(1.0f - u1));
    float s, c;
    SinCosF(Mul(6.28318530717958647693f, u2), &s, &c);
    return Fma(Mul(radius, c), static_cast<float>(stdv), static_cast<float>(mean));
  }
}

template <typename T>
int RandomAs(const RandomArgs& a, StreamId stream) {
  T* out = reinterpret_cast<T*>(a.out);
  const uint64_t seed = a.seed, offset = a.offset;
  const int kind = a.kind;
  const double x = a.a, y = a.b;
  const double* probs = a.probs;
  const int64_t low = a.low;
  const uint64_t range = a.range;
  return ParallelFor(a.numel, stream, [=] TD_HD(int64_t i) {
    const Philox4x32 w = PhiloxBlock(seed, offset + static_cast<uint64_t>(i));
    T* dst = out + StridedOffset(a.ndim, a.sizes, a.strides, i);
    const double p0 = x, p1 = y;  // first uses outside `if constexpr` (common.cuh's rule)
    if (kind == kRandBernoulli || kind == kRandBernoulliTensor) {
      bool hit;
      if (kind == kRandBernoulli) {
        hit = Unit53(Word64(w.v[0], w.v[1])) < p0;
      } else if (std::is_same_v<T, double>) {  // float64 probabilities draw doubles, the rest floats
        hit = Unit53(Word64(w.v[0], w.v[1])) < probs[i];
      } else {
        hit = Unit24(w.v[0]) < static_cast<float>(probs[i]);
      }
      *dst = Narrow<T>(Wide{false, 0.0, hit ? 1 : 0});
      return;
    }
    if (kind == kRandInt) {
      const uint64_t v = range >= (uint64_t{1} << 32) ? Word64(w.v[0], w.v[1]) : w.v[0];
      *dst = Narrow<T>(Wide{false, 0.0, static_cast<int64_t>(v % range + static_cast<uint64_t>(low))});
      return;
    }
    if constexpr (kIsFloating<T>) {
      *dst = FromMath<T>(kind == kRandNormal ? NormalOf<T>(w, p0, p1) : UniformOf<T>(w, p0, p1));
    }
  });
}

}  // namespace

int RandomFill(const RandomArgs& a, StreamId stream) {
  if (a.numel == 0) return 0;
  if ((a.kind == kRandUniform || a.kind == kRandNormal) &&
      !(a.dtype == kFloat16 || a.dtype == kBFloat16 || a.dtype == kFloat32 || a.dtype == kFloat64)) {
    return 1;  // cudaErrorInvalidValue: prepare admits floating dtypes only
  }
  if (a.kind == kRandInt && a.range == 0) return 1;
  int err = 0;
  TD_DISPATCH_ALL(a.dtype, err = RandomAs<TD_T_>(a, stream);)
  return err;
}

}  // namespace tensord::engine::cuda::TENSORD_KERNEL_NS
