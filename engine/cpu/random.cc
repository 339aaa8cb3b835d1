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
template <typename T>
double UniformReal(Generator& g, double from, double to) {
  constexpr uint64_t kMask = (uint64_t{1} << kDigits<T>) - 1;
  constexpr double kDivisor = 1.0 / static_cast<double>(uint64_t{1} << kDigits<T>);
  uint64_t v = std::is_same_v<T, double> ? g.Random64() : g.Random();
  return static_cast<double>(v & kMask) * kDivisor * (to - from) + from;
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

absl::Status RandKernel(const OpCall& call, std::vector<Tensor>& out) {
  TENSORD_ASSIGN_OR_RETURN(Generator * g, Gen("rand"));
  DispatchAll(out[0].dtype(), [&]<typename T>() {
    if constexpr (!std::is_integral_v<T>) {
      T* p = out[0].data<T>();
      for (int64_t i = 0, n = out[0].numel(); i < n; ++i) p[i] = static_cast<T>(UniformReal<T>(*g, 0.0, 1.0));
    }
  });
  return absl::OkStatus();
}

absl::Status RandnKernel(const OpCall& call, std::vector<Tensor>& out) {
  TENSORD_ASSIGN_OR_RETURN(Generator * g, Gen("randn"));
  const double mean = 0.0, stdv = 1.0;
  DispatchAll(out[0].dtype(), [&]<typename T>() {
    if constexpr (!std::is_integral_v<T>) {
      T* p = out[0].data<T>();
      const int64_t n = out[0].numel();
      if (n >= 16) {  // normal_fill: uniforms first, then 16 at a time
        for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(UniformReal<T>(*g, 0.0, 1.0));
        for (int64_t i = 0; i + 16 <= n; i += 16) NormalFill16(p + i, mean, stdv);
        if (n % 16 != 0) {  // recompute the last 16 with fresh uniforms
          T* tail = p + n - 16;
          for (int j = 0; j < 16; ++j) tail[j] = static_cast<T>(UniformReal<T>(*g, 0.0, 1.0));
          NormalFill16(tail, mean, stdv);
        }
      } else {
        for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(NormalDouble(*g, mean, stdv));
      }
    }
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
