// Elementwise kernels: fill, arange, binary, unary, copy/cast.
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "engine/cpu/kernels.h"
#include "engine/cpu/loops.h"

namespace tensord::engine::cpu {

namespace {

template <typename T>
T* As(char* p) { return reinterpret_cast<T*>(p); }

// out[i] = f(a[i], b[i]) with fast paths for contiguous and scalar-b runs.
template <typename Out, typename In, typename F>
void BinaryLoop(const Tensor& out, const Tensor& a, const Tensor& b, F f) {
  ForEach<3>(out.sizes(), {static_cast<char*>(out.raw_data()), static_cast<char*>(a.raw_data()),
                           static_cast<char*>(b.raw_data())},
             {out.strides(), a.strides(), b.strides()},
             {int(sizeof(Out)), int(sizeof(In)), int(sizeof(In))},
             [&](char** p, int64_t n, const int64_t* s) {
               Out* o = As<Out>(p[0]);
               const In* x = As<In>(p[1]);
               const In* y = As<In>(p[2]);
               if (s[0] == sizeof(Out) && s[1] == sizeof(In) && s[2] == sizeof(In)) {
                 for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], y[i]);
               } else if (s[0] == sizeof(Out) && s[1] == sizeof(In) && s[2] == 0) {
                 const In yv = *y;
                 for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], yv);
               } else if (s[0] == sizeof(Out) && s[1] == 0 && s[2] == sizeof(In)) {
                 const In xv = *x;
                 for (int64_t i = 0; i < n; ++i) o[i] = f(xv, y[i]);
               } else {
                 for (int64_t i = 0; i < n; ++i) {
                   *As<Out>(p[0] + i * s[0]) = f(*As<In>(p[1] + i * s[1]), *As<In>(p[2] + i * s[2]));
                 }
               }
             });
}

template <typename Out, typename In, typename F>
void UnaryLoop(const Tensor& out, const Tensor& a, F f) {
  ForEach<2>(out.sizes(), {static_cast<char*>(out.raw_data()), static_cast<char*>(a.raw_data())},
             {out.strides(), a.strides()}, {int(sizeof(Out)), int(sizeof(In))},
             [&](char** p, int64_t n, const int64_t* s) {
               if (s[0] == sizeof(Out) && s[1] == sizeof(In)) {
                 Out* o = As<Out>(p[0]);
                 const In* x = As<In>(p[1]);
                 for (int64_t i = 0; i < n; ++i) o[i] = f(x[i]);
               } else {
                 for (int64_t i = 0; i < n; ++i) *As<Out>(p[0] + i * s[0]) = f(*As<In>(p[1] + i * s[1]));
               }
             });
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

template <typename T>
bool HasZero(const Tensor& t) {
  bool zero = false;
  UnaryLoop<bool, T>(Tensor::Empty(t.sizes(), DType::kBool), t, [&](T y) { zero |= y == T(0); return false; });
  return zero;
}

// True if `t` is one value broadcast everywhere (a scalar operand).
bool IsBroadcastScalar(const Tensor& t) {
  for (int64_t s : t.strides()) if (s != 0) return false;
  return true;
}

}  // namespace

void FillContiguous(const Tensor& out, const Scalar& value) {
  DispatchAll(out.dtype(), [&]<typename T>() {
    T v = value.to<T>();
    T* p = out.data<T>();
    ParallelFor(out.numel(), kGrainSize, [&](int64_t b, int64_t e) { std::fill(p + b, p + e, v); });
  });
}

absl::Status FullKernel(const OpCall& call, std::vector<Tensor>& out) {
  FillContiguous(out[0], call.GetScalar(1));
  return absl::OkStatus();
}

absl::Status FillKernel(const OpCall& call, std::vector<Tensor>& out) {
  FillContiguous(out[0], call.GetScalar(0));
  return absl::OkStatus();
}

absl::Status ArangeKernel(const OpCall& call, std::vector<Tensor>& out) {
  const Scalar& start = call.GetScalar(0);
  const Scalar& step = call.GetScalar(2);
  DispatchAll(out[0].dtype(), [&]<typename T>() {
    T* p = out[0].data<T>();
    const int64_t n = out[0].numel();
    if constexpr (std::is_integral_v<T>) {
      int64_t s0 = start.to_int(), st = step.to_int();
      for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(s0 + i * st);
    } else {
      double s0 = start.to_double(), st = step.to_double();
      for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(s0 + static_cast<double>(i) * st);
    }
  });
  return absl::OkStatus();
}

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
            T q = static_cast<T>(x / y);
            if (floor && (x % y != 0) && ((x < 0) != (y < 0))) --q;
            return q;
          });
        } else {
          BinaryLoop<T, T>(out, a, b, [=](T x, T y) -> T {
            M u = M(x), v = M(y);
            if (!floor) return static_cast<T>(std::trunc(u / v));
            if (v == M(0)) return static_cast<T>(u / v);
            M mod = std::fmod(u, v), div = (u - mod) / v;  // PyTorch's div_floor_floating
            if (mod != M(0) && ((v < M(0)) != (mod < M(0)))) div -= M(1);
            M fl = div != M(0) ? std::floor(div) : std::copysign(M(0), u / v);
            if (div != M(0) && div - fl > M(0.5)) fl += M(1);
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
      status = absl::InternalError("unary kernel on bool");  // prepare rejects these
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
          UnaryLoop<T, T>(out, a, [](T x) -> T { M v = M(x); return static_cast<T>(v > M(0) || std::isnan(v) ? v : M(0)); });
          break;
        case OpId::kSigmoid:
          UnaryLoop<T, T>(out, a, [](T x) -> T { return static_cast<T>(M(1) / (M(1) + std::exp(-M(x)))); });
          break;
        case OpId::kAbs: UnaryLoop<T, T>(out, a, [](T x) -> T { return static_cast<T>(std::abs(M(x))); }); break;
        case OpId::kSign:
          UnaryLoop<T, T>(out, a, [](T x) -> T { M v = M(x); return static_cast<T>(std::isnan(v) ? v : M((M(0) < v) - (v < M(0)))); });
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

absl::Status WhereKernel(const OpCall& call, std::vector<Tensor>& outputs) {
  const Tensor& out = outputs[0];
  const Tensor& c = call.in(0);
  const Tensor& a = call.in(1);
  const Tensor& b = call.in(2);
  DispatchAll(out.dtype(), [&]<typename T>() {
    ForEach<4>(out.sizes(),
               {static_cast<char*>(out.raw_data()), static_cast<char*>(c.raw_data()),
                static_cast<char*>(a.raw_data()), static_cast<char*>(b.raw_data())},
               {out.strides(), c.strides(), a.strides(), b.strides()},
               {int(sizeof(T)), 1, int(sizeof(T)), int(sizeof(T))},
               [&](char** p, int64_t n, const int64_t* s) {
                 for (int64_t i = 0; i < n; ++i) {
                   *As<T>(p[0] + i * s[0]) = *As<bool>(p[1] + i * s[1]) ? *As<T>(p[2] + i * s[2]) : *As<T>(p[3] + i * s[3]);
                 }
               });
  });
  return absl::OkStatus();
}

absl::Status CatKernel(const OpCall& call, std::vector<Tensor>& outputs) {
  const Tensor& out = outputs[0];
  if (out.dim() == 1 && out.numel() == 0) return absl::OkStatus();
  const int64_t d = call.GetInt(0);
  int64_t offset = 0;
  for (const Tensor& t : call.inputs) {
    if (t.dim() == 1 && t.size(0) == 0 && out.dim() != 1) continue;  // legacy empty inputs
    Shape sizes(out.sizes().begin(), out.sizes().end());
    sizes[d] = t.size(d);
    Tensor part = MakeView(out, sizes, Shape(out.strides().begin(), out.strides().end()),
                           out.storage_offset() + offset * out.strides()[d]);
    CopyCast(t, part);
    offset += t.size(d);
  }
  return absl::OkStatus();
}

void CopyCast(const Tensor& src, const Tensor& dst) {
  DispatchAll(dst.dtype(), [&]<typename D>() {
    DispatchAll(src.dtype(), [&]<typename S>() {
      if constexpr (std::is_same_v<D, S>) {
        UnaryLoop<D, S>(dst, src, [](S x) { return x; });
      } else if constexpr (std::is_same_v<D, bool>) {
        UnaryLoop<D, S>(dst, src, [](S x) { return static_cast<OpMath<S>>(x) != OpMath<S>(0); });
      } else {
        UnaryLoop<D, S>(dst, src, [](S x) { return static_cast<D>(static_cast<OpMath<D>>(static_cast<OpMath<S>>(x))); });
      }
    });
  });
}

void CopyToContiguous(const Tensor& src, void* dst) {
  const Shape dst_strides = ContiguousStrides(src.sizes());
  const int item = ItemSize(src.dtype());
  ForEach<2>(src.sizes(), {static_cast<char*>(dst), static_cast<char*>(src.raw_data())},
             {IntSpan(dst_strides), src.strides()}, {item, item},
             [&](char** p, int64_t n, const int64_t* s) {
               if (s[0] == item && s[1] == item) {
                 std::memcpy(p[0], p[1], n * item);
               } else {
                 for (int64_t i = 0; i < n; ++i) std::memcpy(p[0] + i * s[0], p[1] + i * s[1], item);
               }
             });
}

absl::Status CopyKernel(const OpCall& call, std::vector<Tensor>& outputs) {
  CopyCast(call.in(0), outputs[0]);
  return absl::OkStatus();
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
