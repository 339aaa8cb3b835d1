// Unary elementwise kernels: math, predicates, clamp.
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "engine/cpu/elementwise_loops.h"
#include "engine/cpu/kernels.h"

namespace tensord::engine::cpu {

absl::Status UnaryKernel(const OpCall& call, std::vector<Tensor>& outputs) {
  const Tensor& out = outputs[0];
  const Tensor& a = call.in(0);
  const OpId id = call.def->id;
  absl::Status status;
  DispatchAll(a.dtype(), [&]<typename T>() {
    using M = OpMath<T>;
    switch (id) {  // ops defined for every dtype
      case OpId::kLogicalNot: UnaryLoop<bool, T>(out, a, [](T x) { return M(x) == M(0); }); return;
      case OpId::kIsnan: UnaryLoop<bool, T>(out, a, [](T x) { return M(x) != M(x); }); return;
      case OpId::kIsinf: UnaryLoop<bool, T>(out, a, [](T x) { return std::isinf(static_cast<double>(M(x))); }); return;
      case OpId::kIsfinite: UnaryLoop<bool, T>(out, a, [](T x) { return std::isfinite(static_cast<double>(M(x))); }); return;
      case OpId::kBitwiseNot:
        if constexpr (std::is_same_v<T, bool>) UnaryLoop<T, T>(out, a, [](T x) -> T { return !x; });
        else if constexpr (std::is_integral_v<T>) UnaryLoop<T, T>(out, a, [](T x) -> T { return static_cast<T>(~x); });
        return;
      case OpId::kNanToNum:
        if constexpr (std::is_integral_v<T>) {
          UnaryLoop<T, T>(out, a, [](T x) { return x; });
        } else {
          const M nan = static_cast<M>(call.GetFloat(0));
          const M hi = call.IsNone(1) ? static_cast<M>(std::numeric_limits<T>::max()) : static_cast<M>(call.GetFloat(1));
          const M lo = call.IsNone(2) ? static_cast<M>(std::numeric_limits<T>::lowest()) : static_cast<M>(call.GetFloat(2));
          UnaryLoop<T, T>(out, a, [=](T x) -> T {
            M v = M(x);
            return static_cast<T>(v != v ? nan : v == std::numeric_limits<M>::infinity() ? hi : v == -std::numeric_limits<M>::infinity() ? lo : v);
          });
        }
        return;
      default: break;
    }
    if constexpr (!std::is_same_v<T, bool>) {
      if (id == OpId::kClamp) {  // NaN stays NaN; min > max gives max, as in PyTorch
        const bool has_lo = !call.IsNone(0), has_hi = !call.IsNone(1);
        const M lo = has_lo ? call.GetScalar(0).to<M>() : M(0), hi = has_hi ? call.GetScalar(1).to<M>() : M(0);
        UnaryLoop<T, T>(out, a, [=](T x) -> T {
          M v = M(x);
          if (v != v) return x;
          if (has_lo && v < lo) v = lo;
          if (has_hi && v > hi) v = hi;
          return static_cast<T>(v);
        });
        return;
      }
    }
    if constexpr (std::is_same_v<T, bool>) {
      if (id == OpId::kSign) {
        UnaryLoop<T, T>(out, a, [](T x) -> T { return x; });
      } else {
        status = absl::InternalError("unary kernel on bool");  // prepare rejects the others
      }
    } else if constexpr (std::is_integral_v<T>) {
      switch (id) {
        case OpId::kNeg: UnaryLoop<T, T>(out, a, [](T x) -> T { return static_cast<T>(-x); }); break;
        case OpId::kRelu: UnaryLoop<T, T>(out, a, [](T x) -> T { return x > 0 ? x : T(0); }); break;
        case OpId::kAbs: UnaryLoop<T, T>(out, a, [](T x) -> T { return static_cast<T>(x < 0 ? -x : x); }); break;
        case OpId::kSign: UnaryLoop<T, T>(out, a, [](T x) -> T { return static_cast<T>((T(0) < x) - (x < T(0))); }); break;
        case OpId::kFloor:
        case OpId::kCeil:
        case OpId::kRound:
        case OpId::kTrunc: UnaryLoop<T, T>(out, a, [](T x) { return x; }); break;
        default: status = absl::InternalError("integral unary kernel");  // prepare casts to float
      }
    } else {
      switch (id) {
        case OpId::kNeg: UnaryLoop<T, T>(out, a, [](T x) -> T { return static_cast<T>(-M(x)); }); break;
        case OpId::kExp: UnaryLoop<T, T>(out, a, [](T x) -> T { return static_cast<T>(std::exp(M(x))); }); break;
        case OpId::kLog: UnaryLoop<T, T>(out, a, [](T x) -> T { return static_cast<T>(std::log(M(x))); }); break;
        case OpId::kSin: UnaryLoop<T, T>(out, a, [](T x) -> T { return static_cast<T>(std::sin(M(x))); }); break;
        case OpId::kCos: UnaryLoop<T, T>(out, a, [](T x) -> T { return static_cast<T>(std::cos(M(x))); }); break;
        case OpId::kRelu:
          UnaryLoop<T, T>(out, a, [](T x) -> T { M v = M(x); return static_cast<T>(v < M(0) ? M(0) : v); });
          break;
        case OpId::kSigmoid:
          UnaryLoop<T, T>(out, a, [](T x) -> T { return static_cast<T>(M(1) / (M(1) + std::exp(-M(x)))); });
          break;
        case OpId::kAbs: UnaryLoop<T, T>(out, a, [](T x) -> T { return static_cast<T>(std::abs(M(x))); }); break;
        case OpId::kSign:
          UnaryLoop<T, T>(out, a, [](T x) -> T { M v = M(x); return static_cast<T>(M((M(0) < v) - (v < M(0)))); });
          break;
        case OpId::kSqrt: UnaryLoop<T, T>(out, a, [](T x) -> T { return static_cast<T>(std::sqrt(M(x))); }); break;
        case OpId::kRsqrt: UnaryLoop<T, T>(out, a, [](T x) -> T { return static_cast<T>(M(1) / std::sqrt(M(x))); }); break;
        case OpId::kExpm1: UnaryLoop<T, T>(out, a, [](T x) -> T { return static_cast<T>(std::expm1(M(x))); }); break;
        case OpId::kLog1p: UnaryLoop<T, T>(out, a, [](T x) -> T { return static_cast<T>(std::log1p(M(x))); }); break;
        case OpId::kLog2: UnaryLoop<T, T>(out, a, [](T x) -> T { return static_cast<T>(std::log2(M(x))); }); break;
        case OpId::kTan: UnaryLoop<T, T>(out, a, [](T x) -> T { return static_cast<T>(std::tan(M(x))); }); break;
        case OpId::kTanh: UnaryLoop<T, T>(out, a, [](T x) -> T { return static_cast<T>(std::tanh(M(x))); }); break;
        case OpId::kErf: UnaryLoop<T, T>(out, a, [](T x) -> T { return static_cast<T>(std::erf(M(x))); }); break;
        case OpId::kGelu:
          if (*call.GetStr(0) == "tanh") {
            UnaryLoop<T, T>(out, a, [](T x) -> T {
              const M v = M(x), k = M(0.7978845608028654), c = M(0.044715);
              return static_cast<T>(M(0.5) * v * (M(1) + std::tanh(k * (v + c * v * v * v))));
            });
          } else {
            UnaryLoop<T, T>(out, a, [](T x) -> T {
              const M v = M(x);
              return static_cast<T>(v * M(0.5) * (M(1) + std::erf(v * M(0.7071067811865476))));
            });
          }
          break;
        case OpId::kSilu:
          UnaryLoop<T, T>(out, a, [](T x) -> T { M v = M(x); return static_cast<T>(v / (M(1) + std::exp(-v))); });
          break;
        case OpId::kSoftplus: {
          const M beta = call.GetScalar(0).to<M>(), threshold = call.GetScalar(1).to<M>();
          UnaryLoop<T, T>(out, a, [=](T x) -> T {
            M v = M(x);
            return static_cast<T>(v * beta > threshold ? v : std::log1p(std::exp(v * beta)) / beta);
          });
          break;
        }
        case OpId::kFloor: UnaryLoop<T, T>(out, a, [](T x) -> T { return static_cast<T>(std::floor(M(x))); }); break;
        case OpId::kCeil: UnaryLoop<T, T>(out, a, [](T x) -> T { return static_cast<T>(std::ceil(M(x))); }); break;
        case OpId::kRound: UnaryLoop<T, T>(out, a, [](T x) -> T { return static_cast<T>(std::nearbyint(M(x))); }); break;
        case OpId::kTrunc: UnaryLoop<T, T>(out, a, [](T x) -> T { return static_cast<T>(std::trunc(M(x))); }); break;
        case OpId::kReciprocal: UnaryLoop<T, T>(out, a, [](T x) -> T { return static_cast<T>(M(1) / M(x)); }); break;
        default: status = absl::InternalError(absl::StrCat("[", call.def->name, "] is not a unary kernel op"));
      }
    }
  });
  return status;
}

}  // namespace tensord::engine::cpu
