// Elementwise ops: binary arithmetic and comparisons, unary math.
#include "engine/layout.h"
#include "engine/ops/common.h"

namespace tensord::engine {
using namespace ops;

namespace {

const std::vector<InputSpec> kBinaryInputs = {{"self"}, {"other"}};
const std::vector<InputSpec> kUnaryInputs = {{"self"}};

enum class BinaryKind { kArith, kTrueDiv, kCompare, kBitwise };

// Shape/dtype rule of every binary op: broadcast, promote (PyTorch's
// result_type), then feed the kernel same-dtype, same-shape inputs.
template <BinaryKind kKind>
absl::StatusOr<std::vector<TensorMeta>> BinaryPrepare(OpCall& call) {
  const absl::string_view op = call.def->name;
  const Tensor& a = call.in(0);
  const Tensor& b = call.in(1);
  TENSORD_ASSIGN_OR_RETURN(Shape shape, BroadcastShapes(op, a.sizes(), b.sizes()));
  DType common = ResultType(call.inputs);
  if (kKind == BinaryKind::kTrueDiv && !IsFloating(common) && call.IsNone(0)) common = kDefaultFloat;
  if (kKind == BinaryKind::kBitwise && IsFloating(common)) {
    return Error(op, absl::StrCat("\"", op, "_cpu\" not implemented for '", ScalarTypeName(common), "'"));
  }
  if (kKind == BinaryKind::kTrueDiv && !call.IsNone(0)) {
    const std::string& mode = *call.GetStr(0);
    if (mode != "trunc" && mode != "floor") {
      return Error(op, absl::StrCat("div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '", mode, "'"));
    }
  }
  const OpId id = call.def->id;
  if (id == OpId::kSub || id == OpId::kRsub) {
    if (common == DType::kBool) {
      return Error(op, "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                       "`logical_xor()` operator instead.");
    }
    if (a.dtype() == DType::kBool || b.dtype() == DType::kBool) {
      return Error(op, "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to "
                       "invert a mask, use the `~` or `logical_not()` operator instead.");
    }
  }
  if (id == OpId::kPow && !IsFloating(common) && b.is_wrapped_number() && b.dtype() == DType::kInt64 &&
      *b.data<int64_t>() < 0) {
    return Error(op, "Integers to negative integer powers are not allowed.");
  }
  if (id == OpId::kRsub) std::swap(call.inputs[0], call.inputs[1]);  // other - alpha * self
  if ((id == OpId::kAdd || id == OpId::kSub || id == OpId::kRsub) && !IsFloating(common) &&
      call.GetScalar(0).is_floating()) {
    return Error(op, "For integral input tensors, argument alpha must not be a floating point number.");
  }
  call.inputs[0] = CastAndExpand(call.inputs[0], common, shape);
  call.inputs[1] = CastAndExpand(call.inputs[1], common, shape);
  const bool logical = id == OpId::kLogicalAnd || id == OpId::kLogicalOr || id == OpId::kLogicalXor;
  return std::vector<TensorMeta>{MetaOf(kKind == BinaryKind::kCompare || logical ? DType::kBool : common, shape)};
}

// d(a + alpha*b) = (g, alpha*g); sub is add with -alpha.
std::vector<Tensor> AddSubBackward(const BackwardCtx& ctx, double sign) {
  const Tensor& g = ctx.grad();
  Scalar alpha = std::get<Scalar>(ctx.attr(0));
  double a = alpha.to_double() * sign;
  Tensor gb;
  if (ctx.needs_input_grad[1]) gb = a == 1.0 ? g : a == -1.0 ? fn::Neg(g) : fn::Mul(g, Scalar(a));
  return {g, gb};
}
std::vector<Tensor> AddBackward(const BackwardCtx& ctx) { return AddSubBackward(ctx, 1.0); }
std::vector<Tensor> SubBackward(const BackwardCtx& ctx) { return AddSubBackward(ctx, -1.0); }

// d(a*b) = (g*b, g*a)
std::vector<Tensor> MulBackward(const BackwardCtx& ctx) {
  const Tensor& g = ctx.grad();
  return {ctx.needs_input_grad[0] ? fn::Mul(g, ctx.in(1)) : Tensor(),
          ctx.needs_input_grad[1] ? fn::Mul(g, ctx.in(0)) : Tensor()};
}

// d(a/b) = (g/b, -g*a/b^2)
std::vector<Tensor> DivBackward(const BackwardCtx& ctx) {
  const Tensor& g = ctx.grad();
  const Tensor& a = ctx.in(0);
  const Tensor& b = ctx.in(1);
  return {ctx.needs_input_grad[0] ? fn::Div(g, b) : Tensor(),
          ctx.needs_input_grad[1] ? fn::Neg(fn::Div(fn::Mul(g, a), fn::Mul(b, b))) : Tensor()};
}

// d(a^b) = (g * b * a^(b-1), g * a^b * log(a))
std::vector<Tensor> PowBackward(const BackwardCtx& ctx) {
  const Tensor& g = ctx.grad();
  const Tensor& a = ctx.in(0);
  const Tensor& b = ctx.in(1);
  Tensor ga, gb;
  if (ctx.needs_input_grad[0]) ga = fn::Mul(g, fn::Mul(b, fn::Pow(a, fn::Sub(b, fn::S(Scalar(1))))));
  if (ctx.needs_input_grad[1]) gb = fn::Mul(g, fn::Mul(ctx.out(), fn::Log(a)));
  return {ga, gb};
}

// pow with a Python-number operand is PyTorch's pow.Tensor_Scalar /
// pow.Scalar, a unary TensorIterator: the number takes no part in the
// result's layout (Note [Memory layouts]).
absl::StatusOr<std::vector<TensorMeta>> PowPrepare(OpCall& call) {
  TENSORD_ASSIGN_OR_RETURN(std::vector<TensorMeta> metas, BinaryPrepare<BinaryKind::kArith>(call));
  if (call.scalar_inputs == 1u || call.scalar_inputs == 2u) {
    const Tensor& t = call.in(call.scalar_inputs == 1u ? 1 : 0);
    const Shape strides = ElementwiseStrides(metas[0].sizes, {ToShape(t.strides())});
    metas[0].strides = strides.empty() ? ContiguousStrides(metas[0].sizes) : strides;
  }
  return metas;
}

absl::string_view PowName(const OpCall& call) {
  if (call.scalar_inputs & 2u) return "PowBackward0";  // tensor ** number
  if (call.scalar_inputs & 1u) return "PowBackward2";  // number ** tensor
  return "PowBackward1";
}

// Elementwise max/min: ties split the gradient evenly, as PyTorch does.
template <bool kMax>
std::vector<Tensor> ExtremumBackward(const BackwardCtx& c) {
  const Tensor& a = c.in(0);
  const Tensor& b = c.in(1);
  const Tensor& g = c.grad();
  Tensor a_wins = fn::To(fn::Call1(kMax ? OpId::kGt : OpId::kLt, {a, b}), g.dtype());
  Tensor tie = fn::Mul(fn::To(fn::Call1(OpId::kEq, {a, b}), g.dtype()), Scalar(0.5));
  Tensor share_a = fn::Add(a_wins, tie);
  return {c.needs_input_grad[0] ? fn::Mul(g, share_a) : Tensor(),
          c.needs_input_grad[1] ? fn::Mul(g, fn::Sub(fn::S(Scalar(1)), share_a)) : Tensor()};
}

OpDef Binary(OpId id, absl::string_view name, PrepareFn prepare, absl::string_view doc, BackwardFn backward = nullptr,
             absl::string_view backward_name = {}, SaveSpec saves = {}) {
  return {.id = id, .name = name, .inputs = kBinaryInputs, .doc = doc, .prepare = prepare,
          .layout = OutputLayout::kElementwise, .backward = backward,
          .backward_name = backward_name, .saves = std::move(saves)};
}

// Unary ops: the math ones compute in floating point (int -> float32).
template <bool kFloatMath>
absl::StatusOr<std::vector<TensorMeta>> UnaryPrepare(OpCall& call) {
  const Tensor& a = call.in(0);
  const OpId id = call.def->id;
  if (a.dtype() == DType::kBool && id == OpId::kNeg) {
    return Error("neg", "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert "
                        "a mask, use the `~` or `logical_not()` operator instead.");
  }
  if (a.dtype() == DType::kBool && !kFloatMath && id != OpId::kSign) {
    return Error(call.def->name, "not implemented for 'bool'");
  }
  DType dtype = kFloatMath && !IsFloating(a.dtype()) ? kDefaultFloat : a.dtype();
  call.inputs[0] = CastAndExpand(a, dtype, a.sizes());
  return std::vector<TensorMeta>{MetaOf(dtype, a.sizes())};
}

OpDef Unary(OpId id, absl::string_view name, bool float_math, absl::string_view doc, BackwardFn backward,
            absl::string_view backward_name, SaveSpec saves) {
  return {.id = id, .name = name, .inputs = kUnaryInputs, .doc = doc,
          .prepare = float_math ? UnaryPrepare<true> : UnaryPrepare<false>,
          .layout = OutputLayout::kElementwise, .backward = backward,
          .backward_name = backward_name, .saves = std::move(saves)};
}

}  // namespace

const OpDef& AddOp() {
  static const OpDef d = [] {
    OpDef d = Binary(OpId::kAdd, "add", BinaryPrepare<BinaryKind::kArith>, "self + alpha * other.", AddBackward,
                     "AddBackward0");
    d.attrs = {WithDefault("alpha", AttrType::kScalar, Scalar(1))};
    return d;
  }();
  return d;
}
const OpDef& SubOp() {
  static const OpDef d = [] {
    OpDef d = Binary(OpId::kSub, "sub", BinaryPrepare<BinaryKind::kArith>, "self - alpha * other.", SubBackward,
                     "SubBackward0");
    d.attrs = {WithDefault("alpha", AttrType::kScalar, Scalar(1))};
    return d;
  }();
  return d;
}
const OpDef& RsubOp() {
  // rsub(self, other) = other - alpha * self; prepare swaps the inputs, so
  // the kernel and the gradient are sub's.
  static const OpDef d = [] {
    OpDef d = Binary(OpId::kRsub, "rsub", BinaryPrepare<BinaryKind::kArith>, "other - alpha * self (for `2 - x`).",
                     SubBackward);
    d.attrs = {WithDefault("alpha", AttrType::kScalar, Scalar(1))};
    d.backward_name_fn = [](const OpCall& call) -> absl::string_view {
      return (call.scalar_inputs & 2u) ? "RsubBackward1" : "RsubBackward0";
    };
    return d;
  }();
  return d;
}
const OpDef& MulOp() {
  static const OpDef d = Binary(OpId::kMul, "mul", BinaryPrepare<BinaryKind::kArith>, "self * other.", MulBackward,
                                "MulBackward0", {.inputs = {SavedFor(1), SavedFor(0)}});
  return d;
}
const OpDef& DivOp() {
  static const OpDef d = [] {
    OpDef d = Binary(OpId::kDiv, "div", BinaryPrepare<BinaryKind::kTrueDiv>,
                     "self / other; true division (integers give floats) unless rounding_mode is 'trunc' or 'floor'.",
                     [](const BackwardCtx& c) {
                       if (!std::holds_alternative<std::monostate>(c.attr(0))) {  // rounded: piecewise constant
                         return std::vector<Tensor>{fn::ZerosLike(c.grad()), fn::ZerosLike(c.grad())};
                       }
                       return DivBackward(c);
                     },
                     {}, {.inputs = {SavedFor(1), SavedFor(0) | SavedFor(1)}});
    d.attrs = {Optional("rounding_mode", AttrType::kStr)};
    d.backward_name_fn = [](const OpCall& call) -> absl::string_view {
      return call.IsNone(0) ? "DivBackward0" : "DivBackward2";
    };
    return d;
  }();
  return d;
}
const OpDef& RemainderOp() {
  // d (a - floor(a/b) b) = (g, -g floor(a/b))
  static const OpDef d = Binary(OpId::kRemainder, "remainder", BinaryPrepare<BinaryKind::kArith>,
                                "Python's %: the result has the sign of other.",
                                [](const BackwardCtx& c) {
                                  if (!c.needs_input_grad[1]) return std::vector<Tensor>{c.grad(), Tensor()};
                                  Tensor q = fn::Call1(OpId::kDiv, {c.in(0), c.in(1)}, {std::string("floor")});
                                  return std::vector<Tensor>{c.grad(), fn::Neg(fn::Mul(c.grad(), q))};
                                },
                                "RemainderBackward0", {.inputs = {SavedFor(1)}});
  return d;
}
const OpDef& FmodOp() {
  // d (a - trunc(a/b) b) = (g, -g trunc(a/b))
  static const OpDef d = Binary(OpId::kFmod, "fmod", BinaryPrepare<BinaryKind::kArith>,
                                "C's fmod: the result has the sign of self.",
                                [](const BackwardCtx& c) {
                                  if (!c.needs_input_grad[1]) return std::vector<Tensor>{c.grad(), Tensor()};
                                  Tensor q = fn::Call1(OpId::kDiv, {c.in(0), c.in(1)}, {std::string("trunc")});
                                  return std::vector<Tensor>{c.grad(), fn::Neg(fn::Mul(c.grad(), q))};
                                },
                                "FmodBackward0", {.inputs = {SavedFor(1)}});
  return d;
}
#define TENSORD_LOGICAL_(Camel, name, kind, doc)                                              \
  const OpDef& Camel##Op() {                                                                 \
    static const OpDef d = Binary(OpId::k##Camel, name, BinaryPrepare<BinaryKind::kind>, doc); \
    return d;                                                                                \
  }
TENSORD_LOGICAL_(LogicalAnd, "logical_and", kArith, "Elementwise (self != 0) and (other != 0).")
TENSORD_LOGICAL_(LogicalOr, "logical_or", kArith, "Elementwise (self != 0) or (other != 0).")
TENSORD_LOGICAL_(LogicalXor, "logical_xor", kArith, "Elementwise (self != 0) xor (other != 0).")
TENSORD_LOGICAL_(BitwiseAnd, "bitwise_and", kBitwise, "Bitwise and of integers (logical for bool).")
TENSORD_LOGICAL_(BitwiseOr, "bitwise_or", kBitwise, "Bitwise or of integers (logical for bool).")
TENSORD_LOGICAL_(BitwiseXor, "bitwise_xor", kBitwise, "Bitwise xor of integers (logical for bool).")
#undef TENSORD_LOGICAL_
const OpDef& PowOp() {
  static const OpDef d = [] {
    OpDef d = Binary(OpId::kPow, "pow", PowPrepare, "self ** exponent.", PowBackward, {},
                     {.inputs = {kSavedForAny}, .outputs = {SavedFor(1)}});
    d.inputs = {{"self"}, {"exponent"}};
    d.backward_name_fn = PowName;
    return d;
  }();
  return d;
}

const OpDef& MaximumOp() {
  static const OpDef d{.id = OpId::kMaximum, .name = "maximum", .inputs = {{"self"}, {"other"}},
                       .doc = "Elementwise maximum (NaN propagates).",
                       .prepare = BinaryPrepare<BinaryKind::kArith>, .layout = OutputLayout::kElementwise,
                       .backward = ExtremumBackward<true>,
                       .backward_name = "MaximumBackward0", .saves = {.inputs = {kSavedForAny}}};
  return d;
}
const OpDef& MinimumOp() {
  static const OpDef d{.id = OpId::kMinimum, .name = "minimum", .inputs = {{"self"}, {"other"}},
                       .doc = "Elementwise minimum (NaN propagates).",
                       .prepare = BinaryPrepare<BinaryKind::kArith>, .layout = OutputLayout::kElementwise,
                       .backward = ExtremumBackward<false>,
                       .backward_name = "MinimumBackward0", .saves = {.inputs = {kSavedForAny}}};
  return d;
}
#define TENSORD_COMPARISON_(Camel, name, symbol)                                                       \
  const OpDef& Camel##Op() {                                                                          \
    static const OpDef d = Binary(OpId::k##Camel, name, BinaryPrepare<BinaryKind::kCompare>,          \
                                  "self " symbol " other, elementwise (bool result).");               \
    return d;                                                                                         \
  }
TENSORD_COMPARISON_(Eq, "eq", "==")
TENSORD_COMPARISON_(Ne, "ne", "!=")
TENSORD_COMPARISON_(Lt, "lt", "<")
TENSORD_COMPARISON_(Le, "le", "<=")
TENSORD_COMPARISON_(Gt, "gt", ">")
TENSORD_COMPARISON_(Ge, "ge", ">=")
#undef TENSORD_COMPARISON_

const OpDef& NegOp() {
  // d(-x) = -g
  static const OpDef d = Unary(OpId::kNeg, "neg", false, "-self.",
                               [](const BackwardCtx& c) { return std::vector<Tensor>{fn::Neg(c.grad())}; },
                               "NegBackward0", {});
  return d;
}
const OpDef& ExpOp() {
  // d/dx exp(x) = exp(x) = out
  static const OpDef d = Unary(OpId::kExp, "exp", true, "e ** self.",
                               [](const BackwardCtx& c) { return std::vector<Tensor>{fn::Mul(c.grad(), c.out())}; },
                               "ExpBackward0", kSaveResult);
  return d;
}
const OpDef& LogOp() {
  // d/dx log(x) = 1/x
  static const OpDef d = Unary(OpId::kLog, "log", true, "Natural logarithm.",
                               [](const BackwardCtx& c) { return std::vector<Tensor>{fn::Div(c.grad(), c.in(0))}; },
                               "LogBackward0", kSaveSelf);
  return d;
}
const OpDef& SinOp() {
  // d/dx sin(x) = cos(x)
  static const OpDef d = Unary(OpId::kSin, "sin", true, "Sine.",
                               [](const BackwardCtx& c) { return std::vector<Tensor>{fn::Mul(c.grad(), fn::Cos(c.in(0)))}; },
                               "SinBackward0", kSaveSelf);
  return d;
}
const OpDef& CosOp() {
  // d/dx cos(x) = -sin(x)
  static const OpDef d = Unary(OpId::kCos, "cos", true, "Cosine.",
                               [](const BackwardCtx& c) {
                                 return std::vector<Tensor>{fn::Mul(c.grad(), fn::Neg(fn::Sin(c.in(0))))};
                               },
                               "CosBackward0", kSaveSelf);
  return d;
}
const OpDef& ReluOp() {
  // d/dx relu(x) = [x > 0] = [out > 0]: threshold_backward(g, out, 0), which
  // keeps out in the gradient's graph (double backward: a zero second
  // derivative, as PyTorch's).
  static const OpDef d = Unary(OpId::kRelu, "relu", false, "max(self, 0).",
                               [](const BackwardCtx& c) {
                                 return std::vector<Tensor>{
                                     fn::Call1(OpId::kThresholdBackward, {c.grad(), c.out()}, {Scalar(0)})};
                               },
                               "ReluBackward0", kSaveResult);
  return d;
}
const OpDef& ThresholdBackwardOp() {
  // d/d grad_output = threshold_backward(gg, self); d/d self = 0 (piecewise constant)
  static const OpDef d{
      .id = OpId::kThresholdBackward, .name = "threshold_backward", .inputs = {{"grad_output"}, {"self"}},
      .attrs = {Required("threshold", AttrType::kScalar)},
      .doc = "grad_output where self > threshold, else 0 (relu's gradient, differentiable).",
      .forward = [](OpCall& call) -> absl::StatusOr<std::vector<Tensor>> {
        const Tensor& g = call.in(0);
        const Tensor& x = call.in(1);
        if (g.sizes() != x.sizes()) {
          return Error("threshold_backward", absl::StrCat("grad_output of shape ", ShapeToString(g.sizes()),
                                                          " does not match self of shape ", ShapeToString(x.sizes())));
        }
        Tensor keep = fn::Call1(OpId::kGt, {x, fn::S(call.GetScalar(0))});
        return std::vector<Tensor>{fn::Call1(OpId::kWhere, {keep, g, fn::Full({}, Scalar(0), g.dtype())})};
      },
      .backward = [](const BackwardCtx& c) {
        return std::vector<Tensor>{
            c.needs_input_grad[0] ? fn::Call1(OpId::kThresholdBackward, {c.grad(), c.in(1)}, {c.attr(0)}) : Tensor(),
            c.needs_input_grad[1] ? fn::ZerosLike(c.grad()) : Tensor()};
      },
      .backward_name = "ThresholdBackwardBackward0", .saves = {.inputs = {kSavedNever, SavedFor(0)}}};
  return d;
}
const OpDef& SigmoidOp() {
  // d/dx sigmoid(x) = out * (1 - out)
  static const OpDef d = Unary(OpId::kSigmoid, "sigmoid", true, "1 / (1 + e ** -self).",
                               [](const BackwardCtx& c) {
                                 const Tensor& y = c.out();
                                 return std::vector<Tensor>{fn::Mul(c.grad(), fn::Mul(y, fn::Sub(fn::S(Scalar(1)), y)))};
                               },
                               "SigmoidBackward0", kSaveResult);
  return d;
}

}  // namespace tensord::engine

namespace tensord::engine {
namespace {

// Shorthands for the backward rules below.
using fn::Add;
using fn::Div;
using fn::Mul;
using fn::Neg;
using fn::S;
using fn::Sub;
std::vector<Tensor> One(Tensor t) { return {std::move(t)}; }
Tensor Sigmoid(const Tensor& x) { return fn::Call1(OpId::kSigmoid, {x}); }
// The gradient of a piecewise-constant function.
std::vector<Tensor> ZeroGrad(const BackwardCtx& c) { return One(fn::ZerosLike(c.grad())); }

OpDef UnaryWithAttrs(OpDef d, std::vector<AttrSpec> attrs) {
  d.attrs = std::move(attrs);
  return d;
}

}  // namespace

const OpDef& AbsOp() {
  // d|x| = sign(x)
  static const OpDef d = Unary(OpId::kAbs, "abs", false, "|self|.",
                               [](const BackwardCtx& c) { return One(Mul(c.grad(), fn::Call1(OpId::kSign, {c.in(0)}))); },
                               "AbsBackward0", kSaveSelf);
  return d;
}
const OpDef& SignOp() {
  static const OpDef d = Unary(OpId::kSign, "sign", false, "-1, 0 or 1 by the sign of self.", ZeroGrad,
                               "SignBackward0", {});
  return d;
}
const OpDef& SqrtOp() {
  // d sqrt(x) = 1 / (2 sqrt(x)) = 1 / (2 out)
  static const OpDef d = Unary(OpId::kSqrt, "sqrt", true, "Square root.",
                               [](const BackwardCtx& c) { return One(Div(c.grad(), Mul(c.out(), Scalar(2.0)))); },
                               "SqrtBackward0", kSaveResult);
  return d;
}
const OpDef& RsqrtOp() {
  // d x^-1/2 = -1/2 x^-3/2 = -out^3 / 2
  static const OpDef d = Unary(OpId::kRsqrt, "rsqrt", true, "1 / sqrt(self).",
                               [](const BackwardCtx& c) {
                                 const Tensor& y = c.out();
                                 return One(Mul(c.grad(), Mul(Mul(y, Mul(y, y)), Scalar(-0.5))));
                               },
                               "RsqrtBackward0", kSaveResult);
  return d;
}
const OpDef& Expm1Op() {
  // d (e^x - 1) = e^x = out + 1
  static const OpDef d = Unary(OpId::kExpm1, "expm1", true, "e ** self - 1, accurate near 0.",
                               [](const BackwardCtx& c) { return One(Mul(c.grad(), Add(c.out(), S(1)))); },
                               "Expm1Backward0", kSaveResult);
  return d;
}
const OpDef& Log1pOp() {
  // d log(1 + x) = 1 / (1 + x)
  static const OpDef d = Unary(OpId::kLog1p, "log1p", true, "log(1 + self), accurate near 0.",
                               [](const BackwardCtx& c) { return One(Div(c.grad(), Add(c.in(0), S(1)))); },
                               "Log1PBackward0", kSaveSelf);
  return d;
}
const OpDef& Log2Op() {
  // d log2(x) = 1 / (x ln 2)
  static const OpDef d = Unary(OpId::kLog2, "log2", true, "Base-2 logarithm.",
                               [](const BackwardCtx& c) { return One(Div(c.grad(), Mul(c.in(0), Scalar(0.6931471805599453)))); },
                               "Log2Backward0", kSaveSelf);
  return d;
}
const OpDef& TanOp() {
  // d tan(x) = 1 + tan^2(x) = 1 + out^2
  static const OpDef d = Unary(OpId::kTan, "tan", true, "Tangent.",
                               [](const BackwardCtx& c) { return One(Mul(c.grad(), Add(Mul(c.out(), c.out()), S(1)))); },
                               "TanBackward0", kSaveResult);
  return d;
}
const OpDef& TanhOp() {
  // d tanh(x) = 1 - out^2
  static const OpDef d = Unary(OpId::kTanh, "tanh", true, "Hyperbolic tangent.",
                               [](const BackwardCtx& c) { return One(Mul(c.grad(), Sub(S(1), Mul(c.out(), c.out())))); },
                               "TanhBackward0", kSaveResult);
  return d;
}
const OpDef& ErfOp() {
  // d erf(x) = 2/sqrt(pi) e^(-x^2)
  static const OpDef d = Unary(OpId::kErf, "erf", true, "Gauss error function.",
                               [](const BackwardCtx& c) {
                                 const Tensor& x = c.in(0);
                                 return One(Mul(c.grad(), Mul(fn::Exp(Neg(Mul(x, x))), Scalar(1.1283791670955126))));
                               },
                               "ErfBackward0", kSaveSelf);
  return d;
}
const OpDef& GeluOp() {
  // exact: d x*Phi(x) = Phi(x) + x*phi(x); tanh form differentiated as written
  static const OpDef d = UnaryWithAttrs(
      Unary(OpId::kGelu, "gelu", true, "x * Phi(x) (approximate='tanh': the tanh form).",
            [](const BackwardCtx& c) {
              const Tensor& x = c.in(0);
              if (std::get<std::string>(c.attr(0)) == "tanh") {
                const Scalar k(0.7978845608028654), a(0.044715);
                Tensor x2 = Mul(x, x);
                Tensor t = fn::Call1(OpId::kTanh, {Mul(Mul(x, Add(Mul(x2, a), S(1))), k)});
                Tensor dinner = Mul(Add(Mul(x2, Scalar(3 * 0.044715)), S(1)), k);
                Tensor dt = Mul(Sub(S(1), Mul(t, t)), dinner);
                return One(Mul(c.grad(), Mul(Add(Add(t, S(1)), Mul(x, dt)), Scalar(0.5))));
              }
              Tensor cdf = Mul(Add(fn::Call1(OpId::kErf, {Mul(x, Scalar(0.7071067811865476))}), S(1)), Scalar(0.5));
              Tensor pdf = Mul(fn::Exp(Mul(Mul(x, x), Scalar(-0.5))), Scalar(0.3989422804014327));
              return One(Mul(c.grad(), Add(cdf, Mul(x, pdf))));
            },
            "GeluBackward0", kSaveSelf),
      {WithDefault("approximate", AttrType::kStr, std::string("none"))});
  return d;
}
const OpDef& SiluOp() {
  // d x*s(x) = s(x) * (1 + x * (1 - s(x)))
  static const OpDef d = Unary(OpId::kSilu, "silu", true, "x * sigmoid(x).",
                               [](const BackwardCtx& c) {
                                 const Tensor& x = c.in(0);
                                 Tensor s = Sigmoid(x);
                                 return One(Mul(c.grad(), Mul(s, Add(Mul(x, Sub(S(1), s)), S(1)))));
                               },
                               "SiluBackward0", kSaveSelf);
  return d;
}
const OpDef& SoftplusOp() {
  // d log(1 + e^(b x)) / b = sigmoid(b x), and 1 above the threshold
  static const OpDef d = UnaryWithAttrs(
      Unary(OpId::kSoftplus, "softplus", true, "log(1 + e^(beta x)) / beta; x where beta x > threshold.",
            [](const BackwardCtx& c) {
              const Tensor& x = c.in(0);
              Scalar beta = std::get<Scalar>(c.attr(0)), threshold = std::get<Scalar>(c.attr(1));
              Tensor bx = Mul(x, beta);
              Tensor above = fn::To(fn::Gt(bx, threshold), x.dtype());
              Tensor s = Sigmoid(bx);
              return One(Mul(c.grad(), Add(Mul(s, Sub(S(1), above)), above)));
            },
            "SoftplusBackward0", kSaveSelf),
      {WithDefault("beta", AttrType::kScalar, Scalar(1)), WithDefault("threshold", AttrType::kScalar, Scalar(20))});
  return d;
}
const OpDef& FloorOp() {
  static const OpDef d = Unary(OpId::kFloor, "floor", false, "Round down.", ZeroGrad, "FloorBackward0", {});
  return d;
}
const OpDef& CeilOp() {
  static const OpDef d = Unary(OpId::kCeil, "ceil", false, "Round up.", ZeroGrad, "CeilBackward0", {});
  return d;
}
const OpDef& RoundOp() {
  static const OpDef d = Unary(OpId::kRound, "round", false, "Round half to even.", ZeroGrad, "RoundBackward0", {});
  return d;
}
const OpDef& TruncOp() {
  static const OpDef d = Unary(OpId::kTrunc, "trunc", false, "Round toward zero.", ZeroGrad, "TruncBackward0", {});
  return d;
}
const OpDef& ReciprocalOp() {
  // d 1/x = -1/x^2 = -out^2
  static const OpDef d = Unary(OpId::kReciprocal, "reciprocal", true, "1 / self.",
                               [](const BackwardCtx& c) { return One(Neg(Mul(c.grad(), Mul(c.out(), c.out())))); },
                               "ReciprocalBackward0", kSaveResult);
  return d;
}

}  // namespace tensord::engine

namespace tensord::engine {
namespace {

enum class PredicateKind { kLogicalNot, kBitwiseNot, kTest };

template <PredicateKind kKind>
absl::StatusOr<std::vector<TensorMeta>> PredicatePrepare(OpCall& call) {
  const Tensor& a = call.in(0);
  if (kKind == PredicateKind::kBitwiseNot && IsFloating(a.dtype())) {
    return Error("bitwise_not", absl::StrCat("\"bitwise_not_cpu\" not implemented for '", ScalarTypeName(a.dtype()), "'"));
  }
  call.inputs[0] = CastAndExpand(a, a.dtype(), a.sizes());
  return std::vector<TensorMeta>{MetaOf(kKind == PredicateKind::kBitwiseNot ? a.dtype() : DType::kBool, a.sizes())};
}

OpDef Predicate(OpId id, absl::string_view name, PrepareFn prepare, absl::string_view doc) {
  return {.id = id, .name = name, .inputs = {{"self"}}, .doc = doc, .prepare = prepare,
          .layout = OutputLayout::kElementwise};
}

}  // namespace

const OpDef& LogicalNotOp() {
  static const OpDef d = Predicate(OpId::kLogicalNot, "logical_not", PredicatePrepare<PredicateKind::kLogicalNot>,
                                   "self == 0, elementwise (bool).");
  return d;
}
const OpDef& BitwiseNotOp() {
  static const OpDef d = Predicate(OpId::kBitwiseNot, "bitwise_not", PredicatePrepare<PredicateKind::kBitwiseNot>,
                                   "~self for integers and bool.");
  return d;
}
const OpDef& IsnanOp() {
  static const OpDef d = Predicate(OpId::kIsnan, "isnan", PredicatePrepare<PredicateKind::kTest>, "self != self.");
  return d;
}
const OpDef& IsinfOp() {
  static const OpDef d = Predicate(OpId::kIsinf, "isinf", PredicatePrepare<PredicateKind::kTest>, "|self| == inf.");
  return d;
}
const OpDef& IsfiniteOp() {
  static const OpDef d = Predicate(OpId::kIsfinite, "isfinite", PredicatePrepare<PredicateKind::kTest>,
                                   "Neither inf nor NaN.");
  return d;
}
const OpDef& NanToNumOp() {
  // d nan_to_num(x) = [x is finite]
  static const OpDef d{.id = OpId::kNanToNum, .name = "nan_to_num", .inputs = {{"self"}},
                       .attrs = {WithDefault("nan", AttrType::kFloat, 0.0), Optional("posinf", AttrType::kFloat),
                                 Optional("neginf", AttrType::kFloat)},
                       .doc = "NaN -> nan, +inf -> posinf (default: dtype max), -inf -> neginf (dtype lowest).",
                       .prepare = [](OpCall& call) -> absl::StatusOr<std::vector<TensorMeta>> {
                         return std::vector<TensorMeta>{MetaOf(call.in(0).dtype(), call.in(0).sizes())};
                       },
                       .layout = OutputLayout::kElementwise,
                       .backward = [](const BackwardCtx& c) {
                         Tensor finite = fn::To(fn::Call1(OpId::kIsfinite, {c.in(0)}), c.grad().dtype());
                         return std::vector<Tensor>{fn::Mul(c.grad(), finite)};
                       },
                       .backward_name = "NanToNumBackward0", .saves = kSaveSelf};
  return d;
}

}  // namespace tensord::engine
