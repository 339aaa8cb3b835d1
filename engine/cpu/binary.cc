// Binary elementwise kernels: arithmetic, comparisons, logical and bitwise
// ops, and gradient accumulation.
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "engine/cpu/elementwise_loops.h"
#include "engine/cpu/kernels.h"

namespace tensord::engine::cpu {

namespace {

// -x in two's complement without overflow (the minimum maps to itself), as
// PyTorch's CUDA kernels give for minimum / -1.
template <typename T>
T WrappingNegate(T x) {
  return static_cast<T>(static_cast<std::make_unsigned_t<T>>(0) - static_cast<std::make_unsigned_t<T>>(x));
}

template <typename T>
T IntPow(T base, T exp) {
  T result = 1;
  while (exp) {
    if (exp & 1) result *= base;
    exp >>= 1;
    base *= base;
  }
  return result;
}

// True if `t` is one value broadcast everywhere (a scalar operand).
bool IsBroadcastScalar(const Tensor& t) {
  for (int64_t s : t.strides()) if (s != 0) return false;
  return true;
}

}  // namespace

absl::Status BinaryKernel(const OpCall& call, std::vector<Tensor>& outputs) {
  const Tensor& out = outputs[0];
  const Tensor& a = call.in(0);
  const Tensor& b = call.in(1);
  const OpId id = call.def->id;
  absl::Status status;
  DispatchAll(a.dtype(), [&]<typename T>() {
    using M = OpMath<T>;
    switch (id) {
      case OpId::kAdd:
      case OpId::kSub:
      case OpId::kRsub: {  // rsub's inputs arrive swapped
        M alpha = call.GetScalar(0).to<M>();
        if (id != OpId::kAdd) alpha = static_cast<M>(-alpha);
        if constexpr (std::is_same_v<T, bool>) {
          BinaryLoop<T, T>(out, a, b, [=](T x, T y) -> T { return x || (alpha && y); });
        } else if (alpha == M(1)) {
          BinaryLoop<T, T>(out, a, b, [](T x, T y) -> T { return static_cast<T>(M(x) + M(y)); });
        } else {
          BinaryLoop<T, T>(out, a, b, [=](T x, T y) -> T { return static_cast<T>(M(x) + alpha * M(y)); });
        }
        break;
      }
      case OpId::kMul:
        if constexpr (std::is_same_v<T, bool>) BinaryLoop<T, T>(out, a, b, [](T x, T y) -> T { return x && y; });
        else BinaryLoop<T, T>(out, a, b, [](T x, T y) -> T { return static_cast<T>(M(x) * M(y)); });
        break;
      case OpId::kDiv: {
        const std::string* mode = call.GetStr(0);
        if (mode == nullptr) {
          if constexpr (std::is_floating_point_v<M>) {
            BinaryLoop<T, T>(out, a, b, [](T x, T y) -> T { return static_cast<T>(M(x) / M(y)); });
          }
          break;  // prepare casts integer true division to float
        }
        const bool floor = *mode == "floor";
        if constexpr (std::is_same_v<T, bool>) {
          status = absl::InvalidArgumentError("[div] rounding division is not supported for bool");
        } else if constexpr (std::is_integral_v<T>) {
          if (HasZero<T>(b)) { status = absl::InvalidArgumentError("[div] ZeroDivisionError"); return; }
          BinaryLoop<T, T>(out, a, b, [=](T x, T y) -> T {
            if (y == T(-1)) return WrappingNegate(x);  // x / -1 traps for the minimum (SIGFPE)
            T q = static_cast<T>(x / y);
            if (floor && (x % y != 0) && ((x < 0) != (y < 0))) --q;
            return q;
          });
        } else {
          BinaryLoop<T, T>(out, a, b, [=](T x, T y) -> T {
            // float16/bfloat16: PyTorch rounds every intermediate to the dtype
            auto r = [](M w) -> M { return static_cast<M>(static_cast<T>(w)); };
            M u = M(x), v = M(y);
            if (!floor) return static_cast<T>(std::trunc(r(u / v)));
            if (v == M(0)) return static_cast<T>(u / v);
            M mod = r(std::fmod(u, v)), div = r(r(u - mod) / v);  // PyTorch's div_floor_floating
            if (mod != M(0) && ((v < M(0)) != (mod < M(0)))) div = r(div - M(1));
            M fl = div != M(0) ? std::floor(div) : std::copysign(M(0), u / v);
            if (div != M(0) && r(div - fl) > M(0.5)) fl = r(fl + M(1));
            return static_cast<T>(fl);
          });
        }
        break;
      }
      case OpId::kRemainder:
      case OpId::kFmod: {
        const bool python = id == OpId::kRemainder;
        if constexpr (std::is_same_v<T, bool>) {
          status = absl::InvalidArgumentError(absl::StrCat("[", call.def->name, "] not implemented for 'Bool'"));
        } else if constexpr (std::is_integral_v<T>) {
          if (HasZero<T>(b)) { status = absl::InvalidArgumentError(absl::StrCat("[", call.def->name, "] ZeroDivisionError")); return; }
          BinaryLoop<T, T>(out, a, b, [=](T x, T y) -> T {
            if (y == T(-1)) return T(0);  // x % -1 traps for the minimum (SIGFPE)
            T r = static_cast<T>(x % y);
            if (python && r != 0 && ((r < 0) != (y < 0))) r = static_cast<T>(r + y);
            return r;
          });
        } else {
          BinaryLoop<T, T>(out, a, b, [=](T x, T y) -> T {
            M u = M(x), v = M(y), r = std::fmod(u, v);
            if (python && r != M(0) && ((r < M(0)) != (v < M(0)))) r += v;
            return static_cast<T>(r);
          });
        }
        break;
      }
      case OpId::kLogicalAnd: BinaryLoop<bool, T>(out, a, b, [](T x, T y) { return M(x) != M(0) && M(y) != M(0); }); break;
      case OpId::kLogicalOr: BinaryLoop<bool, T>(out, a, b, [](T x, T y) { return M(x) != M(0) || M(y) != M(0); }); break;
      case OpId::kLogicalXor: BinaryLoop<bool, T>(out, a, b, [](T x, T y) { return (M(x) != M(0)) != (M(y) != M(0)); }); break;
      case OpId::kBitwiseAnd:
      case OpId::kBitwiseOr:
      case OpId::kBitwiseXor:
        if constexpr (std::is_integral_v<T>) {
          if (id == OpId::kBitwiseAnd) BinaryLoop<T, T>(out, a, b, [](T x, T y) -> T { return static_cast<T>(x & y); });
          else if (id == OpId::kBitwiseOr) BinaryLoop<T, T>(out, a, b, [](T x, T y) -> T { return static_cast<T>(x | y); });
          else BinaryLoop<T, T>(out, a, b, [](T x, T y) -> T { return static_cast<T>(x ^ y); });
        }
        break;
      case OpId::kPow:
        if constexpr (std::is_same_v<T, bool>) {
          BinaryLoop<T, T>(out, a, b, [](T x, T y) -> T { return x || !y; });
        } else if constexpr (std::is_integral_v<T>) {
          bool negative = false;
          UnaryLoop<bool, T>(Tensor::Empty(b.sizes(), DType::kBool), b, [&](T y) { negative |= y < 0; return false; });
          if (negative) {
            status = absl::InvalidArgumentError("[pow] Integers to negative integer powers are not allowed.");
            return;
          }
          BinaryLoop<T, T>(out, a, b, [](T x, T y) -> T { return IntPow<T>(x, y); });
        } else {
          if (IsBroadcastScalar(b)) {  // PyTorch's exact special cases for scalar exponents
            M e = static_cast<M>(*b.data<T>());
            if (e == M(2)) { UnaryLoop<T, T>(out, a, [](T x) -> T { return static_cast<T>(M(x) * M(x)); }); break; }
            if (e == M(3)) { UnaryLoop<T, T>(out, a, [](T x) -> T { return static_cast<T>(M(x) * M(x) * M(x)); }); break; }
            if (e == M(0.5)) { UnaryLoop<T, T>(out, a, [](T x) -> T { return static_cast<T>(std::sqrt(M(x))); }); break; }
            if (e == M(-1)) { UnaryLoop<T, T>(out, a, [](T x) -> T { return static_cast<T>(M(1) / M(x)); }); break; }
          }
          BinaryLoop<T, T>(out, a, b, [](T x, T y) -> T { return static_cast<T>(std::pow(M(x), M(y))); });
        }
        break;
      case OpId::kMaximum:
        if constexpr (std::is_same_v<T, bool>) BinaryLoop<T, T>(out, a, b, [](T x, T y) -> T { return x || y; });
        else BinaryLoop<T, T>(out, a, b, [](T x, T y) -> T { M u = M(x), v = M(y); return static_cast<T>(u != u ? u : v != v ? v : (u > v ? u : v)); });
        break;
      case OpId::kMinimum:
        if constexpr (std::is_same_v<T, bool>) BinaryLoop<T, T>(out, a, b, [](T x, T y) -> T { return x && y; });
        else BinaryLoop<T, T>(out, a, b, [](T x, T y) -> T { M u = M(x), v = M(y); return static_cast<T>(u != u ? u : v != v ? v : (u < v ? u : v)); });
        break;
      case OpId::kEq: BinaryLoop<bool, T>(out, a, b, [](T x, T y) { return M(x) == M(y); }); break;
      case OpId::kNe: BinaryLoop<bool, T>(out, a, b, [](T x, T y) { return M(x) != M(y); }); break;
      case OpId::kLt: BinaryLoop<bool, T>(out, a, b, [](T x, T y) { return M(x) < M(y); }); break;
      case OpId::kLe: BinaryLoop<bool, T>(out, a, b, [](T x, T y) { return M(x) <= M(y); }); break;
      case OpId::kGt: BinaryLoop<bool, T>(out, a, b, [](T x, T y) { return M(x) > M(y); }); break;
      case OpId::kGe: BinaryLoop<bool, T>(out, a, b, [](T x, T y) { return M(x) >= M(y); }); break;
      default:
        status = absl::InternalError(absl::StrCat("[", call.def->name, "] is not a binary kernel op"));
    }
  });
  return status;
}

void AddInPlace(const Tensor& dst, const Tensor& src) {
  DispatchAll(dst.dtype(), [&]<typename T>() {
    using M = OpMath<T>;
    if constexpr (std::is_same_v<T, bool>) {
      BinaryLoop<T, T>(dst, dst, src, [](T x, T y) -> T { return x || y; });
    } else {
      BinaryLoop<T, T>(dst, dst, src, [](T x, T y) -> T { return static_cast<T>(M(x) + M(y)); });
    }
  });
}

}  // namespace tensord::engine::cpu
