// Random kernels, drawing from the session generator in PyTorch's CPU order
// (aten/src/ATen/core/DistributionsHelper.h, TransformationHelper.h,
// native/cpu/DistributionTemplates.h) so the same seed gives the same numbers.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>

#include "absl/strings/str_cat.h"
#include "engine/cpu/kernels.h"
#include "engine/cpu/loops.h"
#include "engine/random.h"
#include "engine/status.h"

namespace tensord::engine::cpu {

namespace {

template <typename T> constexpr int kDigits = std::numeric_limits<T>::digits;
template <> constexpr int kDigits<Half> = 11;
template <> constexpr int kDigits<BFloat16> = 8;

// uniform_real_distribution<T>(from, to): double draws use 64 bits, others 32;
// the value is computed in double (CPU acc type) and then cast.
// Non-double types compute in float, and PyTorch's AVX2 kernels contract
// x * (to - from) + from into one FMA: so do we, for bit-equal results.
template <typename T>
double UniformReal(Generator& g, double from, double to) {
  constexpr uint64_t kMask = (uint64_t{1} << kDigits<T>) - 1;
  if constexpr (std::is_same_v<T, double>) {
    constexpr double kDivisor = 1.0 / static_cast<double>(uint64_t{1} << kDigits<T>);
    return static_cast<double>(g.Random64() & kMask) * kDivisor * (to - from) + from;
  } else {
    constexpr float kDivisor = 1.0f / static_cast<float>(uint64_t{1} << kDigits<T>);
    const float f = static_cast<float>(static_cast<T>(static_cast<float>(from)));
    const float t = static_cast<float>(static_cast<T>(static_cast<float>(to)));
    const float x = static_cast<float>(g.Random() & kMask) * kDivisor;
    return std::fma(x, t - f, f);
  }
}

// normal_distribution<double>: Box-Muller on two 53-bit uniforms, caching the
// second value.
double NormalDouble(Generator& g, double mean, double stdv) {
  if (g.next_double_normal) {
    double r = *g.next_double_normal;
    g.next_double_normal.reset();
    return r * stdv + mean;
  }
  double u1 = UniformReal<double>(g, 0.0, 1.0);
  double u2 = UniformReal<double>(g, 0.0, 1.0);
  double r = std::sqrt(-2.0 * std::log1p(-u2));
  double theta = 2.0 * std::numbers::pi * u1;
  g.next_double_normal = r * std::sin(theta);
  return r * std::cos(theta) * stdv + mean;
}

// ---- Box-Muller over 16 uniforms, pairing (j, j + 8) (PyTorch's normal_fill_16).
//
// PyTorch's x86 builds run float32 through an AVX2 kernel whose log and
// sin/cos are Cephes-style float polynomials (aten/src/ATen/native/cpu/
// avx_mathfun.h), compiled with -mfma so that GCC contracts each
// multiply-add whose product has no other use into one FMA. The scalar code
// below evaluates the same polynomials in the same order, with std::fma
// exactly where those contractions happen, so float32 randn/normal_ agree
// with PyTorch bit for bit. (Explicit std::fma keeps the result independent
// of our own compiler flags; the fma clone below just makes it fast.)
namespace cephes {

constexpr float kSqrtHalf = 0.707106781186547524f;
constexpr float kLogP[9] = {7.0376836292e-2f,  -1.1514610310e-1f, 1.1676998740e-1f,
                            -1.2420140846e-1f, 1.4249322787e-1f,  -1.6668057665e-1f,
                            2.0000714765e-1f,  -2.4999993993e-1f, 3.3333331174e-1f};
constexpr float kLogQ1 = -2.12194440e-4f, kLogQ2 = 0.693359375f;

inline uint32_t Bits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
inline float FromBits(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }

// Natural log for x in (0, 1]: x = m * 2^e with m in [sqrt(1/2), sqrt(2)),
// log(x) = e*log(2) + log1p(m - 1) by a degree-9 polynomial.
inline float Log(float x) {
  const bool invalid = x <= 0.0f;
  x = std::max(x, FromBits(0x00800000u));  // smallest normal: no denormals
  float e = static_cast<float>(static_cast<int32_t>(Bits(x) >> 23) - 0x7f) + 1.0f;
  x = FromBits((Bits(x) & ~0x7f800000u) | Bits(0.5f));  // mantissa in [0.5, 1)
  const bool small = x < kSqrtHalf;
  const float tmp = small ? x : 0.0f;
  x = x - 1.0f;
  e = e - (small ? 1.0f : 0.0f);
  x = x + tmp;
  const float z = x * x;
  float y = kLogP[0];
  for (int k = 1; k < 9; ++k) y = std::fma(y, x, kLogP[k]);
  y = y * x;
  y = std::fma(y, z, e * kLogQ1);
  y = std::fma(-z, 0.5f, y);
  x = std::fma(e, kLogQ2, x + y);
  return invalid ? std::numeric_limits<float>::quiet_NaN() : x;
}

constexpr float kFourOverPi = 1.27323954473516f;
constexpr float kMinusDP1 = -0.78515625f, kMinusDP2 = -2.4187564849853515625e-4f, kMinusDP3 = -3.77489497744594108e-8f;
constexpr float kSinP[3] = {-1.9515295891e-4f, 8.3321608736e-3f, -1.6666654611e-1f};
constexpr float kCosP[3] = {2.443315711809948e-5f, -1.388731625493765e-3f, 4.166664568298827e-2f};

// sin and cos together: reduce to [-pi/4, pi/4] by octant (three-part pi/4),
// then a sine and a cosine polynomial, swapped and signed by octant.
inline void SinCos(float x, float* s, float* c) {
  const uint32_t sign_sin = Bits(x) & 0x80000000u;
  x = std::fabs(x);
  int32_t j = static_cast<int32_t>(x * kFourOverPi);  // truncates
  j = (j + 1) & ~1;
  const float y = static_cast<float>(j);
  const uint32_t swap_sin = static_cast<uint32_t>(j & 4) << 29;
  const bool sin_poly_is_sin = (j & 2) == 0;
  x = std::fma(y, kMinusDP1, x);
  x = std::fma(y, kMinusDP2, x);
  x = std::fma(y, kMinusDP3, x);
  const uint32_t sign_cos = static_cast<uint32_t>(~(j - 2) & 4) << 29;
  const float z = x * x;
  float yc = std::fma(kCosP[0], z, kCosP[1]);
  yc = std::fma(yc, z, kCosP[2]);
  yc = yc * z;
  yc = std::fma(yc, z, -(z * 0.5f));
  yc = yc + 1.0f;
  float ys = std::fma(kSinP[0], z, kSinP[1]);
  ys = std::fma(ys, z, kSinP[2]);
  ys = ys * z;
  ys = std::fma(ys, x, x);
  // Select with the kernel's masked arithmetic (it turns -0 into +0).
  const float sin_part = sin_poly_is_sin ? ys : 0.0f, cos_part = sin_poly_is_sin ? 0.0f : yc;
  const float sin_v = cos_part + sin_part, cos_v = (yc - cos_part) + (ys - sin_part);
  *s = FromBits(Bits(sin_v) ^ sign_sin ^ swap_sin);
  *c = FromBits(Bits(cos_v) ^ sign_cos);
}

}  // namespace cephes

// float32: the AVX2 kernel's arithmetic (see above).
__attribute__((target_clones("fma", "default"))) void NormalFill16(float* data, float mean, float stdv) {
  const float two_pi = static_cast<float>(2.0 * std::numbers::pi);
  for (int j = 0; j < 8; ++j) {
    const float radius = std::sqrt(-2.0f * cephes::Log(1.0f - data[j]));
    float sin_t, cos_t;
    cephes::SinCos(two_pi * data[j + 8], &sin_t, &cos_t);
    data[j] = std::fma(radius * cos_t, stdv, mean);
    data[j + 8] = std::fma(radius * sin_t, stdv, mean);
  }
}

// float64: the scalar template with libm; the final multiply-add contracts.
void NormalFill16(double* data, double mean, double stdv) {
  for (int j = 0; j < 8; ++j) {
    const double radius = std::sqrt(-2 * std::log(1 - data[j]));
    const double theta = 2.0 * std::numbers::pi * data[j + 8];
    data[j] = std::fma(radius * std::cos(theta), stdv, mean);
    data[j + 8] = std::fma(radius * std::sin(theta), stdv, mean);
  }
}

// float16: the scalar template in c10::Half arithmetic: every named
// intermediate rounds to half, libm runs in float, theta is formed in double.
template <typename T>
void NormalFill16(T* data, T mean, T stdv) {
  for (int j = 0; j < 8; ++j) {
    const T u1 = T(1.0f - static_cast<float>(data[j]));
    const T u2 = data[j + 8];
    const T radius = T(std::sqrt(-2.0f * std::log(static_cast<float>(u1))));
    const T theta = T(static_cast<float>(2.0 * std::numbers::pi * static_cast<double>(static_cast<float>(u2))));
    const float c = std::cos(static_cast<float>(theta)), s = std::sin(static_cast<float>(theta));
    data[j] = T(std::fma(static_cast<float>(radius) * c, static_cast<float>(stdv), static_cast<float>(mean)));
    data[j + 8] = T(std::fma(static_cast<float>(radius) * s, static_cast<float>(stdv), static_cast<float>(mean)));
  }
}

// bfloat16: as float16, except that c10's std:: math overloads for BFloat16
// (log, sqrt, cos, sin) and its BFloat16 x BFloat16 operators round every
// step to bfloat16, so nothing contracts.
template <>
void NormalFill16(BFloat16* data, BFloat16 mean, BFloat16 stdv) {
  using B = BFloat16;
  auto f = [](B x) { return static_cast<float>(x); };
  for (int j = 0; j < 8; ++j) {
    const B u1 = B(1.0f - f(data[j]));
    const B u2 = data[j + 8];
    const B radius = B(std::sqrt(f(B(-2.0f * f(B(std::log(f(u1))))))));
    const B theta = B(static_cast<float>(2.0 * std::numbers::pi * static_cast<double>(f(u2))));
    const B c = B(std::cos(f(theta))), s = B(std::sin(f(theta)));
    data[j] = B(f(B(f(B(f(radius) * f(c))) * f(stdv))) + f(mean));
    data[j + 8] = B(f(B(f(B(f(radius) * f(s))) * f(stdv))) + f(mean));
  }
}

absl::StatusOr<Generator*> Gen(absl::string_view op) {
  Generator* g = CurrentGenerator();
  if (g == nullptr) return absl::FailedPreconditionError(absl::StrCat("[", op, "] no random generator in this context"));
  return g;
}

}  // namespace

// Draws one value per element of `t` (any strides) in PyTorch's serial
// CPU order: TensorIterator's, which walks memory order (dims sorted by
// stride), so a transposed tensor is filled as its storage is laid out.
template <typename T, typename Draw>
void SerialFill(const Tensor& t, Draw&& draw) {
  ForEach<1>(t.sizes(), {static_cast<char*>(t.raw_data())}, {t.strides()}, {static_cast<int>(sizeof(T))},
             [&](char** p, int64_t n, const int64_t* s) {
               for (int64_t i = 0; i < n; ++i) *reinterpret_cast<T*>(p[0] + i * s[0]) = static_cast<T>(draw());
             },
             /*parallel=*/false);
}

void FillUniform(const Tensor& t, Generator& g, double from, double to) {
  DispatchAll(t.dtype(), [&]<typename T>() {
    if constexpr (!std::is_integral_v<T>) SerialFill<T>(t, [&] { return UniformReal<T>(g, from, to); });
  });
}

// normal_: contiguous tensors of >= 16 elements take PyTorch's normal_fill
// (all uniforms first, then Box-Muller 16 at a time, the last 16 redrawn when
// the size is not a multiple of 16); everything else draws serially from
// normal_distribution<double>.
void FillNormal(const Tensor& t, Generator& g, double mean, double stdv) {
  DispatchAll(t.dtype(), [&]<typename T>() {
    if constexpr (!std::is_integral_v<T>) {
      const int64_t n = t.numel();
      if (n < 16 || !t.is_contiguous()) {
        SerialFill<T>(t, [&] { return NormalDouble(g, mean, stdv); });
        return;
      }
      using Param = std::conditional_t<std::is_same_v<T, double>, double, T>;
      const Param m = static_cast<Param>(static_cast<OpMath<T>>(mean)), s = static_cast<Param>(static_cast<OpMath<T>>(stdv));
      T* p = t.data<T>();
      for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(UniformReal<T>(g, 0.0, 1.0));
      for (int64_t i = 0; i + 16 <= n; i += 16) NormalFill16(p + i, m, s);
      if (n % 16 != 0) {
        T* tail = p + n - 16;
        for (int j = 0; j < 16; ++j) tail[j] = static_cast<T>(UniformReal<T>(g, 0.0, 1.0));
        NormalFill16(tail, m, s);
      }
    }
  });
}

absl::Status RandKernel(const OpCall& call, std::vector<Tensor>& out) {
  TENSORD_ASSIGN_OR_RETURN(Generator * g, Gen("rand"));
  FillUniform(out[0], *g, 0.0, 1.0);
  return absl::OkStatus();
}

absl::Status RandnKernel(const OpCall& call, std::vector<Tensor>& out) {
  TENSORD_ASSIGN_OR_RETURN(Generator * g, Gen("randn"));
  FillNormal(out[0], *g, 0.0, 1.0);
  return absl::OkStatus();
}

absl::Status RandomFillKernel(const OpCall& call, std::vector<Tensor>& out) {
  // uniform_ / normal_ / bernoulli_ write into self (any strides).
  TENSORD_ASSIGN_OR_RETURN(Generator * g, Gen(call.def->name));
  const Tensor& self = call.in(0);
  switch (call.def->id) {
    case OpId::kUniform_: FillUniform(self, *g, call.GetFloat(0), call.GetFloat(1)); break;
    case OpId::kNormal_: FillNormal(self, *g, call.GetFloat(0), call.GetFloat(1)); break;
    default: {  // bernoulli_: uniform double draws < p
      const double p = call.GetFloat(0);
      DispatchAll(self.dtype(), [&]<typename T>() {
        SerialFill<T>(self, [&] { return UniformReal<double>(*g, 0.0, 1.0) < p ? 1.0f : 0.0f; });
      });
    }
  }
  self.storage()->BumpVersion();
  return absl::OkStatus();
}

absl::Status BernoulliKernel(const OpCall& call, std::vector<Tensor>& out) {
  // Probabilities from self (float draws), as bernoulli_tensor_cpu_kernel.
  TENSORD_ASSIGN_OR_RETURN(Generator * g, Gen("bernoulli"));
  const Tensor& probs = call.in(0);  // contiguous float64 (prepare)
  const double* p = probs.data<double>();
  // float64 probabilities draw 53-bit doubles; every other dtype 24-bit floats.
  const bool double_p = out[0].dtype() == DType::kFloat64;
  DispatchAll(out[0].dtype(), [&]<typename T>() {
    T* d = out[0].data<T>();
    for (int64_t i = 0, n = out[0].numel(); i < n; ++i) {
      const bool hit = double_p ? UniformReal<double>(*g, 0.0, 1.0) < p[i]
                                : UniformReal<float>(*g, 0.0, 1.0) < static_cast<float>(p[i]);
      d[i] = static_cast<T>(hit ? 1.0f : 0.0f);
    }
  });
  return absl::OkStatus();
}

absl::Status RandpermKernel(const OpCall& call, std::vector<Tensor>& out) {
  TENSORD_ASSIGN_OR_RETURN(Generator * g, Gen("randperm"));
  const int64_t n = out[0].numel();
  std::vector<int64_t> r(n);
  for (int64_t i = 0; i < n; ++i) r[i] = i;
  for (int64_t i = 0; i + 1 < n; ++i) {  // Fisher-Yates in PyTorch's draw order
    int64_t z = static_cast<int64_t>(g->Random() % static_cast<uint64_t>(n - i));
    std::swap(r[i], r[z + i]);
  }
  DispatchAll(out[0].dtype(), [&]<typename T>() {
    T* d = out[0].data<T>();
    for (int64_t i = 0; i < n; ++i) d[i] = static_cast<T>(static_cast<OpMath<T>>(r[i]));
  });
  return absl::OkStatus();
}

absl::Status RandintKernel(const OpCall& call, std::vector<Tensor>& out) {
  TENSORD_ASSIGN_OR_RETURN(Generator * g, Gen("randint"));
  const int64_t low = call.GetInt(0), high = call.GetInt(1);
  const uint64_t range = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
  DispatchAll(out[0].dtype(), [&]<typename T>() {
    T* p = out[0].data<T>();
    for (int64_t i = 0, n = out[0].numel(); i < n; ++i) {
      uint64_t v = range >= (uint64_t{1} << 32) ? g->Random64() : g->Random();
      int64_t r = static_cast<int64_t>(v % range + static_cast<uint64_t>(low));
      if constexpr (std::is_same_v<T, bool>) p[i] = r != 0;
      else p[i] = static_cast<T>(static_cast<OpMath<T>>(r));
    }
  });
  return absl::OkStatus();
}

}  // namespace tensord::engine::cpu
