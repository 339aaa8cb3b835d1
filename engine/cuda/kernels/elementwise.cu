// Elementwise math on the device: the CUDA side of engine/cpu/binary.cc,
// engine/cpu/unary.cc and WhereKernel (engine/cpu/copy.cc), element for
// element the same rules: same dtypes, same attrs, same edge cases.
//
// Note [One elementwise kernel per dtype]
//   One launcher, Elementwise, serves every elementwise op. The op is a
//   runtime value switched on per element (it is uniform across a launch, so
//   every thread of a warp takes the same branch); only the compute dtype is
//   a template parameter. That makes 3 families (binary, unary, where) x 10
//   dtypes kernels instead of ops x dtypes x output dtypes, which keeps nvcc's
//   time and the fatbinary small, for the price of one uniform switch per
//   element. The inputs arrive already cast to the compute dtype and expanded
//   to the output's shape (the op's prepare rule did it); the output holds the
//   compute dtype, or bool for comparisons, logical ops and predicates.
//
// Note [Domain errors on the device]
//   Integer division (div with a rounding mode, remainder, fmod) by zero and
//   integers to negative integer powers are errors on the CPU, raised before
//   anything is computed. A kernel cannot return a status: such an element
//   gets 0 and sets *args.error, which the host (engine/cuda/elementwise.cc)
//   reads back after the launch to return the CPU's error, dropping the
//   output. When the divisor is a host scalar the host checks it before the
//   launch and passes no flag. Division of INT_MIN by -1 wraps (the CPU's
//   `x / y` traps on x86 there; PyTorch's CUDA kernels wrap too).
//
// Math functions: float and double overloads calling libm's names (Note
// [Device math] below), so the emulator's results are bit-identical to the
// CPU kernels' std:: calls (which reach the same glibc functions) and the GPU
// uses CUDA's math library (within its documented ulp bounds of those).
#include "engine/cuda/kernels/common.cuh"
#include "engine/ops/op_list.h"

namespace tensord::engine::cuda::TENSORD_KERNEL_NS {

namespace {

// ---------------------------------------------------------------- device math

// Note [Device math]
//   `::expf(x)` is glibc's expf in g++ and CUDA's device expf under nvcc; the
//   std:: overloads would need --expt-relaxed-constexpr and are not all
//   declared for device code. One macro row per function keeps the float and
//   double spellings side by side.
#define TD_MATH1_(Name, fn)                               \
  TD_HD inline float Name(float x) { return ::fn##f(x); } \
  TD_HD inline double Name(double x) { return ::fn(x); }
#define TD_MATH2_(Name, fn)                                        \
  TD_HD inline float Name(float x, float y) { return ::fn##f(x, y); } \
  TD_HD inline double Name(double x, double y) { return ::fn(x, y); }
TD_MATH1_(Exp, exp)
TD_MATH1_(Log, log)
TD_MATH1_(Sin, sin)
TD_MATH1_(Cos, cos)
TD_MATH1_(Tan, tan)
TD_MATH1_(Tanh, tanh)
TD_MATH1_(Sqrt, sqrt)
TD_MATH1_(Expm1, expm1)
TD_MATH1_(Log1p, log1p)
TD_MATH1_(Log2, log2)
TD_MATH1_(Erf, erf)
TD_MATH1_(Fabs, fabs)
TD_MATH1_(Floor, floor)
TD_MATH1_(Ceil, ceil)
TD_MATH1_(Trunc, trunc)
TD_MATH1_(Nearbyint, nearbyint)  // half to even in the default rounding mode, as std::nearbyint
TD_MATH2_(Fmod, fmod)
TD_MATH2_(Pow, pow)
TD_MATH2_(Copysign, copysign)
#undef TD_MATH1_
#undef TD_MATH2_

template <typename M> TD_HD inline M Inf() { return static_cast<M>(INFINITY); }
TD_HD inline bool IsInf(double v) { return v == Inf<double>() || v == -Inf<double>(); }
TD_HD inline bool IsFinite(double v) { return v == v && !IsInf(v); }

// ---------------------------------------------------------------- operands

// Element offsets of the first N operands at row-major index `linear`, in
// one pass over the dims (common.cuh's Offset walks them once per operand).
template <int N>
TD_HD inline void Offsets(const Iter& it, int64_t linear, int64_t (&off)[N]) {
  for (int k = 0; k < N; ++k) off[k] = it.contiguous ? linear : 0;
  if (it.contiguous) return;
  for (int d = it.ndim - 1; d >= 0; --d) {
    const int64_t size = it.sizes[d];
    const int64_t idx = linear % size;
    linear /= size;
    for (int k = 0; k < N; ++k) off[k] += idx * it.op[k].strides[d];
  }
}

// An operand's element at element offset `off` (its by-value scalar when it
// has no data: a CPU 0-dim tensor or a Python number, kernel_args.h).
template <typename T>
TD_HD inline T Load(const Operand& o, int64_t off) {
  if (o.data == nullptr) {
    if constexpr (kIsFloating<T>) return FromMath<T>(static_cast<OpMath<T>>(o.scalar_f));
    else return static_cast<T>(o.scalar_i);
  }
  return *reinterpret_cast<const T*>(o.data + off * static_cast<int64_t>(sizeof(T)));
}
template <typename T>
TD_HD inline void Store(const Operand& o, int64_t off, T v) {
  *reinterpret_cast<T*>(o.data + off * static_cast<int64_t>(sizeof(T))) = v;
}

// Note [Domain errors on the device]: flags the launch, the element gets 0.
TD_HD inline void RaiseDomainError(int32_t* error) {
  if (error != nullptr) *error = 1;  // every writer stores the same value: no atomics needed
}

// ---------------------------------------------------------------- binary ops

TD_HD inline bool BinaryWritesBool(OpId op) {
  switch (op) {
    case OpId::kEq: case OpId::kNe: case OpId::kLt: case OpId::kLe: case OpId::kGt: case OpId::kGe:
    case OpId::kLogicalAnd: case OpId::kLogicalOr: case OpId::kLogicalXor:
      return true;
    default:
      return false;
  }
}

// Comparisons and logical ops, in the compute dtype's math type.
template <typename M>
TD_HD inline bool BinaryTest(OpId op, M u, M v) {
  switch (op) {
    case OpId::kEq: return u == v;
    case OpId::kNe: return u != v;
    case OpId::kLt: return u < v;
    case OpId::kLe: return u <= v;
    case OpId::kGt: return u > v;
    case OpId::kGe: return u >= v;
    case OpId::kLogicalAnd: return u != M(0) && v != M(0);
    case OpId::kLogicalOr: return u != M(0) || v != M(0);
    case OpId::kLogicalXor: return (u != M(0)) != (v != M(0));
    default: return false;
  }
}

// Repeated squaring in T's own (wrapping) arithmetic; exp >= 0.
template <typename T>
TD_HD inline T IntPow(T base, T exp) {
  T result = 1;
  while (exp) {
    if (exp & 1) result = static_cast<T>(result * base);
    exp = static_cast<T>(exp >> 1);
    base = static_cast<T>(base * base);
  }
  return result;
}

// x / y rounded toward zero, or toward -inf when `floor` (y != 0 checked).
template <typename T>
TD_HD inline T IntDiv(T x, T y, bool floor, int32_t* error) {
  if (y == 0) {
    RaiseDomainError(error);
    return 0;
  }
  if constexpr (std::is_signed_v<T>) {
    // -x, wrapping at the minimum (INT_MIN / -1 is undefined in C++ and traps on x86).
    if (y == T(-1)) return static_cast<T>(uint64_t{0} - static_cast<uint64_t>(x));
  }
  T q = static_cast<T>(x / y);
  if constexpr (std::is_signed_v<T>) {
    if (floor && (x % y != 0) && ((x < 0) != (y < 0))) --q;
  }
  return q;
}

// C's % (fmod), or Python's % (remainder: the sign of y) when `python`.
template <typename T>
TD_HD inline T IntMod(T x, T y, bool python, int32_t* error) {
  if (y == 0) {
    RaiseDomainError(error);
    return 0;
  }
  if constexpr (std::is_signed_v<T>) {
    if (y == T(-1)) return 0;  // INT_MIN % -1 traps on x86
  }
  T r = static_cast<T>(x % y);
  if constexpr (std::is_signed_v<T>) {
    if (python && r != 0 && ((r < 0) != (y < 0))) r = static_cast<T>(r + y);
  }
  return r;
}

TD_HD inline bool BoolBinary(const ElementwiseArgs& e, OpId op, bool x, bool y) {
  switch (op) {
    case OpId::kAdd: case OpId::kSub: case OpId::kRsub: return x || (e.i[0] != 0 && y);  // i[0]: alpha as bool
    case OpId::kMul: return x && y;
    case OpId::kBitwiseAnd: return x && y;
    case OpId::kBitwiseOr: return x || y;
    case OpId::kBitwiseXor: return x != y;
    case OpId::kPow: return x || !y;
    case OpId::kMaximum: return x || y;
    case OpId::kMinimum: return x && y;
    default: return false;
  }
}

template <typename T>
TD_HD inline T IntBinary(const ElementwiseArgs& e, OpId op, T x, T y) {
  switch (op) {
    case OpId::kAdd: case OpId::kSub: case OpId::kRsub:  // i[0]: alpha, negated for sub/rsub
      return static_cast<T>(x + static_cast<T>(e.i[0]) * y);
    case OpId::kMul: return static_cast<T>(x * y);
    case OpId::kDiv: return IntDiv<T>(x, y, e.i[0] == kRoundFloor, e.error);  // i[0]: the rounding mode
    case OpId::kRemainder: return IntMod<T>(x, y, true, e.error);
    case OpId::kFmod: return IntMod<T>(x, y, false, e.error);
    case OpId::kBitwiseAnd: return static_cast<T>(x & y);
    case OpId::kBitwiseOr: return static_cast<T>(x | y);
    case OpId::kBitwiseXor: return static_cast<T>(x ^ y);
    case OpId::kPow:
      if constexpr (std::is_signed_v<T>) {
        if (y < 0) {
          RaiseDomainError(e.error);
          return 0;
        }
      }
      return IntPow<T>(x, y);
    case OpId::kMaximum: return x > y ? x : y;
    case OpId::kMinimum: return x < y ? x : y;
    default: return 0;
  }
}

// w rounded to T and back: PyTorch rounds every intermediate of a rounding
// division to the dtype (a no-op for float and double).
template <typename T>
TD_HD inline OpMath<T> RoundTo(OpMath<T> w) { return ToMath(FromMath<T>(w)); }

// Floating division with a rounding mode, PyTorch's div_trunc / div_floor_floating.
template <typename T>
TD_HD inline OpMath<T> RoundingDiv(OpMath<T> u, OpMath<T> v, int64_t mode) {
  using M = OpMath<T>;
  if (mode == kRoundTrunc) return Trunc(RoundTo<T>(u / v));
  if (v == M(0)) return u / v;
  const M mod = RoundTo<T>(Fmod(u, v));
  M div = RoundTo<T>(RoundTo<T>(u - mod) / v);
  if (mod != M(0) && ((v < M(0)) != (mod < M(0)))) div = RoundTo<T>(div - M(1));
  M fl = div != M(0) ? Floor(div) : Copysign(M(0), u / v);
  if (div != M(0) && RoundTo<T>(div - fl) > M(0.5)) fl = RoundTo<T>(fl + M(1));
  return fl;
}

template <typename T>
TD_HD inline OpMath<T> FloatBinary(const ElementwiseArgs& e, OpId op, OpMath<T> u, OpMath<T> v) {
  using M = OpMath<T>;
  switch (op) {
    case OpId::kAdd: case OpId::kSub: case OpId::kRsub: return u + static_cast<M>(e.f[0]) * v;  // f[0]: alpha
    case OpId::kMul: return u * v;
    case OpId::kDiv: return e.i[0] == kRoundNone ? u / v : RoundingDiv<T>(u, v, e.i[0]);
    case OpId::kRemainder: {
      M r = Fmod(u, v);
      if (r != M(0) && ((r < M(0)) != (v < M(0)))) r += v;
      return r;
    }
    case OpId::kFmod: return Fmod(u, v);
    case OpId::kPow:
      if (e.i[0] != 0) {  // the exponent is one broadcast value: PyTorch's exact special cases
        if (v == M(2)) return u * u;
        if (v == M(3)) return u * u * u;
        if (v == M(0.5)) return Sqrt(u);
        if (v == M(-1)) return M(1) / u;
      }
      return Pow(u, v);
    case OpId::kMaximum: return u != u ? u : v != v ? v : (u > v ? u : v);  // NaN propagates
    case OpId::kMinimum: return u != u ? u : v != v ? v : (u < v ? u : v);
    default: return M(0);
  }
}

template <typename T>
TD_HD inline void BinaryAt(const ElementwiseArgs& e, int64_t i) {
  int64_t off[3];
  Offsets(e.it, i, off);
  const T x = Load<T>(e.it.op[1], off[1]), y = Load<T>(e.it.op[2], off[2]);
  const OpId op = static_cast<OpId>(e.op);
  if (BinaryWritesBool(op)) {
    Store<bool>(e.it.op[0], off[0], BinaryTest(op, ToMath(x), ToMath(y)));
  } else if constexpr (std::is_same_v<T, bool>) {
    Store<bool>(e.it.op[0], off[0], BoolBinary(e, op, x, y));
  } else if constexpr (std::is_integral_v<T>) {
    Store<T>(e.it.op[0], off[0], IntBinary<T>(e, op, x, y));
  } else {
    Store<T>(e.it.op[0], off[0], FromMath<T>(FloatBinary<T>(e, op, ToMath(x), ToMath(y))));
  }
}

// ---------------------------------------------------------------- unary ops

TD_HD inline bool UnaryWritesBool(OpId op) {
  return op == OpId::kLogicalNot || op == OpId::kIsnan || op == OpId::kIsinf || op == OpId::kIsfinite;
}

template <typename M>
TD_HD inline bool UnaryTest(OpId op, M v) {
  switch (op) {
    case OpId::kLogicalNot: return v == M(0);
    case OpId::kIsnan: return v != v;
    case OpId::kIsinf: return IsInf(static_cast<double>(v));
    case OpId::kIsfinite: return IsFinite(static_cast<double>(v));
    default: return false;
  }
}

// bool: sign and nan_to_num are the identity (prepare refuses the rest).
TD_HD inline bool BoolUnary(OpId op, bool x) { return op == OpId::kBitwiseNot ? !x : x; }

template <typename T>
TD_HD inline T IntUnary(const ElementwiseArgs& e, OpId op, T x) {
  switch (op) {
    case OpId::kNeg: return static_cast<T>(-x);
    case OpId::kRelu: return x > 0 ? x : T(0);
    case OpId::kAbs:
      if constexpr (std::is_signed_v<T>) return static_cast<T>(x < 0 ? -x : x);
      else return x;
    case OpId::kSign:
      if constexpr (std::is_signed_v<T>) return static_cast<T>((T(0) < x) - (x < T(0)));
      else return static_cast<T>(T(0) < x);
    case OpId::kBitwiseNot: return static_cast<T>(~x);
    case OpId::kClamp: {  // i[0], i[1]: has min, has max; i[2], i[3]: min, max in T
      T v = x;
      if (e.i[0] != 0 && v < static_cast<T>(e.i[2])) v = static_cast<T>(e.i[2]);
      if (e.i[1] != 0 && v > static_cast<T>(e.i[3])) v = static_cast<T>(e.i[3]);
      return v;
    }
    default: return x;  // floor, ceil, round, trunc, nan_to_num
  }
}

template <typename T>
TD_HD inline OpMath<T> FloatUnary(const ElementwiseArgs& e, OpId op, OpMath<T> v) {
  using M = OpMath<T>;
  switch (op) {
    case OpId::kNeg: return -v;
    case OpId::kExp: return Exp(v);
    case OpId::kLog: return Log(v);
    case OpId::kSin: return Sin(v);
    case OpId::kCos: return Cos(v);
    case OpId::kRelu: return v < M(0) ? M(0) : v;
    case OpId::kSigmoid: return M(1) / (M(1) + Exp(-v));
    case OpId::kAbs: return Fabs(v);
    case OpId::kSign: return M((M(0) < v) - (v < M(0)));
    case OpId::kSqrt: return Sqrt(v);
    case OpId::kRsqrt: return M(1) / Sqrt(v);
    case OpId::kExpm1: return Expm1(v);
    case OpId::kLog1p: return Log1p(v);
    case OpId::kLog2: return Log2(v);
    case OpId::kTan: return Tan(v);
    case OpId::kTanh: return Tanh(v);
    case OpId::kErf: return Erf(v);
    case OpId::kGelu:
      if (e.i[0] != 0) {  // approximate='tanh'
        const M k = M(0.7978845608028654), c = M(0.044715);
        return M(0.5) * v * (M(1) + Tanh(k * (v + c * v * v * v)));
      }
      return v * M(0.5) * (M(1) + Erf(v * M(0.7071067811865476)));
    case OpId::kSilu: return v / (M(1) + Exp(-v));
    case OpId::kSoftplus: {  // f[0]: beta, f[1]: threshold
      const M beta = static_cast<M>(e.f[0]), threshold = static_cast<M>(e.f[1]);
      return v * beta > threshold ? v : Log1p(Exp(v * beta)) / beta;
    }
    case OpId::kFloor: return Floor(v);
    case OpId::kCeil: return Ceil(v);
    case OpId::kRound: return Nearbyint(v);
    case OpId::kTrunc: return Trunc(v);
    case OpId::kReciprocal: return M(1) / v;
    case OpId::kClamp: {  // NaN stays NaN; min > max gives max. i[0], i[1]: has min, max; f[0], f[1]: them
      if (v != v) return v;
      if (e.i[0] != 0 && v < static_cast<M>(e.f[0])) v = static_cast<M>(e.f[0]);
      if (e.i[1] != 0 && v > static_cast<M>(e.f[1])) v = static_cast<M>(e.f[1]);
      return v;
    }
    case OpId::kNanToNum:  // f[0]: nan, f[1]: posinf, f[2]: neginf replacements
      return v != v ? static_cast<M>(e.f[0]) : v == Inf<M>() ? static_cast<M>(e.f[1]) : v == -Inf<M>() ? static_cast<M>(e.f[2]) : v;
    default: return v;
  }
}

template <typename T>
TD_HD inline void UnaryAt(const ElementwiseArgs& e, int64_t i) {
  int64_t off[2];
  Offsets(e.it, i, off);
  const T x = Load<T>(e.it.op[1], off[1]);
  const OpId op = static_cast<OpId>(e.op);
  if (UnaryWritesBool(op)) {
    Store<bool>(e.it.op[0], off[0], UnaryTest(op, ToMath(x)));
  } else if constexpr (std::is_same_v<T, bool>) {
    Store<bool>(e.it.op[0], off[0], BoolUnary(op, x));
  } else if constexpr (std::is_integral_v<T>) {
    Store<T>(e.it.op[0], off[0], IntUnary<T>(e, op, x));
  } else {
    // A float16 NaN clamped stays the very NaN it was (the CPU returns x itself).
    if (op == OpId::kClamp && ToMath(x) != ToMath(x)) {
      Store<T>(e.it.op[0], off[0], x);
    } else {
      Store<T>(e.it.op[0], off[0], FromMath<T>(FloatUnary<T>(e, op, ToMath(x))));
    }
  }
}

// ---------------------------------------------------------------- where

template <typename T>
TD_HD inline void WhereAt(const Iter& it, int64_t i) {
  int64_t off[4];
  Offsets(it, i, off);
  Store<T>(it.op[0], off[0], Load<bool>(it.op[1], off[1]) ? Load<T>(it.op[2], off[2]) : Load<T>(it.op[3], off[3]));
}

// ---------------------------------------------------------------- launches

template <typename T>
int BinaryAs(const ElementwiseArgs& args, StreamId stream) {
  const ElementwiseArgs e = args;
  return ParallelFor(e.it.numel, stream, [=] TD_HD(int64_t i) { BinaryAt<T>(e, i); });
}

template <typename T>
int UnaryAs(const ElementwiseArgs& args, StreamId stream) {
  const ElementwiseArgs e = args;
  return ParallelFor(e.it.numel, stream, [=] TD_HD(int64_t i) { UnaryAt<T>(e, i); });
}

template <typename T>
int WhereAs(const ElementwiseArgs& args, StreamId stream) {
  const Iter it = args.it;
  return ParallelFor(it.numel, stream, [=] TD_HD(int64_t i) { WhereAt<T>(it, i); });
}

enum class Family { kBinary, kUnary, kWhere, kNone };

Family FamilyOf(OpId op) {
  switch (op) {
    case OpId::kAdd: case OpId::kSub: case OpId::kRsub: case OpId::kMul: case OpId::kDiv: case OpId::kPow:
    case OpId::kEq: case OpId::kNe: case OpId::kLt: case OpId::kLe: case OpId::kGt: case OpId::kGe:
    case OpId::kMaximum: case OpId::kMinimum: case OpId::kRemainder: case OpId::kFmod:
    case OpId::kLogicalAnd: case OpId::kLogicalOr: case OpId::kLogicalXor:
    case OpId::kBitwiseAnd: case OpId::kBitwiseOr: case OpId::kBitwiseXor:
      return Family::kBinary;
    case OpId::kNeg: case OpId::kExp: case OpId::kLog: case OpId::kSin: case OpId::kCos: case OpId::kRelu:
    case OpId::kSigmoid: case OpId::kAbs: case OpId::kSign: case OpId::kSqrt: case OpId::kRsqrt:
    case OpId::kExpm1: case OpId::kLog1p: case OpId::kLog2: case OpId::kTan: case OpId::kTanh: case OpId::kErf:
    case OpId::kGelu: case OpId::kSilu: case OpId::kSoftplus: case OpId::kFloor: case OpId::kCeil:
    case OpId::kRound: case OpId::kTrunc: case OpId::kReciprocal: case OpId::kClamp: case OpId::kLogicalNot:
    case OpId::kBitwiseNot: case OpId::kIsnan: case OpId::kIsinf: case OpId::kIsfinite: case OpId::kNanToNum:
      return Family::kUnary;
    case OpId::kWhere:
      return Family::kWhere;
    default:
      return Family::kNone;
  }
}

}  // namespace

int Elementwise(const ElementwiseArgs& a, StreamId stream) {
  int err = 1;  // cudaErrorInvalidValue: an op or dtype this launcher does not serve
  switch (FamilyOf(static_cast<OpId>(a.op))) {
    case Family::kBinary: TD_DISPATCH_ALL(a.it.op[1].dtype, err = BinaryAs<TD_T_>(a, stream);) break;
    case Family::kUnary: TD_DISPATCH_ALL(a.it.op[1].dtype, err = UnaryAs<TD_T_>(a, stream);) break;
    case Family::kWhere: TD_DISPATCH_ALL(a.it.op[0].dtype, err = WhereAs<TD_T_>(a, stream);) break;
    case Family::kNone: break;
  }
  return err;
}

}  // namespace tensord::engine::cuda::TENSORD_KERNEL_NS
