// Random kernels, drawing from the session generator in PyTorch's CPU order
// (aten/src/ATen/core/DistributionsHelper.h, TransformationHelper.h,
// native/cpu/DistributionTemplates.h) so the same seed gives the same numbers.
#include <cmath>
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

// Box-Muller over 16 uniforms, pairing (j, j + 8) (normal_fill_16).
template <typename T>
void NormalFill16(T* data, double mean, double stdv) {
  using M = OpMath<T>;
  for (int j = 0; j < 8; ++j) {
    const M u1 = M(1) - static_cast<M>(data[j]);
    const M u2 = static_cast<M>(data[j + 8]);
    const M radius = std::sqrt(M(-2) * std::log(u1));
    const M theta = M(2.0f * std::numbers::pi) * u2;
    data[j] = static_cast<T>(radius * std::cos(theta) * static_cast<M>(stdv) + static_cast<M>(mean));
    data[j + 8] = static_cast<T>(radius * std::sin(theta) * static_cast<M>(stdv) + static_cast<M>(mean));
  }
}

absl::StatusOr<Generator*> Gen(absl::string_view op) {
  Generator* g = CurrentGenerator();
  if (g == nullptr) return absl::FailedPreconditionError(absl::StrCat("[", op, "] no random generator in this context"));
  return g;
}

}  // namespace

// Fills a contiguous floating tensor in place. The draw order is the
// element order, as PyTorch's serial CPU kernels.
void FillUniform(const Tensor& t, Generator& g, double from, double to) {
  DispatchAll(t.dtype(), [&]<typename T>() {
    if constexpr (!std::is_integral_v<T>) {
      T* p = t.data<T>();
      for (int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = static_cast<T>(UniformReal<T>(g, from, to));
    }
  });
}

void FillNormal(const Tensor& t, Generator& g, double mean, double stdv) {
  DispatchAll(t.dtype(), [&]<typename T>() {
    if constexpr (!std::is_integral_v<T>) {
      T* p = t.data<T>();
      const int64_t n = t.numel();
      if (n >= 16) {  // normal_fill: uniforms first, then 16 at a time
        for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(UniformReal<T>(g, 0.0, 1.0));
        for (int64_t i = 0; i + 16 <= n; i += 16) NormalFill16(p + i, mean, stdv);
        if (n % 16 != 0) {  // recompute the last 16 with fresh uniforms
          T* tail = p + n - 16;
          for (int j = 0; j < 16; ++j) tail[j] = static_cast<T>(UniformReal<T>(g, 0.0, 1.0));
          NormalFill16(tail, mean, stdv);
        }
      } else {
        for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(NormalDouble(g, mean, stdv));
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
  // uniform_ / normal_ / bernoulli_ write into self (contiguous, prepare).
  TENSORD_ASSIGN_OR_RETURN(Generator * g, Gen(call.def->name));
  const Tensor& self = call.in(0);
  switch (call.def->id) {
    case OpId::kUniform_: FillUniform(self, *g, call.GetFloat(0), call.GetFloat(1)); break;
    case OpId::kNormal_: FillNormal(self, *g, call.GetFloat(0), call.GetFloat(1)); break;
    default: {  // bernoulli_: uniform double draws < p
      const double p = call.GetFloat(0);
      DispatchAll(self.dtype(), [&]<typename T>() {
        T* d = self.data<T>();
        for (int64_t i = 0, n = self.numel(); i < n; ++i) d[i] = static_cast<T>(UniformReal<double>(*g, 0.0, 1.0) < p ? 1.0f : 0.0f);
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
  DispatchAll(out[0].dtype(), [&]<typename T>() {
    T* d = out[0].data<T>();
    for (int64_t i = 0, n = out[0].numel(); i < n; ++i) {
      d[i] = static_cast<T>(UniformReal<float>(*g, 0.0, 1.0) < static_cast<float>(p[i]) ? 1.0f : 0.0f);
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
