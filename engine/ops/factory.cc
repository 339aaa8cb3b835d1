// Factories: ops with no tensor inputs.
#include <cmath>

#include "engine/autograd.h"
#include "engine/autograd_internal.h"
#include "engine/ops/common.h"

namespace tensord::engine {
using namespace ops;

namespace {

const AttrSpec kSize = Required("size", AttrType::kInts);
const AttrSpec kDType = Optional("dtype", AttrType::kDType);
const AttrSpec kDevice = WithDefault("device", AttrType::kStr, std::string("cpu"));

// Validates size and device; the dtype is decided by the caller.
absl::StatusOr<TensorMeta> FactoryMeta(const OpCall& call, int size_attr, int device_attr, DType dtype) {
  const std::vector<int64_t>& size = *call.GetInts(size_attr);
  TENSORD_RETURN_IF_ERROR(CheckedNumel(call.def->name, size).status());
  TENSORD_RETURN_IF_ERROR(Device::Parse(*call.GetStr(device_attr)).status());
  return MetaOf(dtype, size);
}

absl::StatusOr<std::vector<TensorMeta>> FullPrepare(OpCall& call) {
  const Scalar& v = call.GetScalar(1);
  DType dtype = call.GetDType(2).value_or(v.is_floating() ? kDefaultFloat : v.dtype());
  TENSORD_ASSIGN_OR_RETURN(TensorMeta m, FactoryMeta(call, 0, 3, dtype));
  return std::vector<TensorMeta>{m};
}

// zeros / ones / empty: full with a fixed value (empty memory is zeroed too).
template <int kValue>
absl::StatusOr<std::vector<Tensor>> FilledForward(OpCall& call) {
  Attrs attrs{call.attrs[0], Scalar(kValue), call.GetDType(1) ? AttrValue(*call.GetDType(1)) : AttrValue(kDefaultFloat),
              call.attrs[2]};
  return Invoke(FullOp(), {}, std::move(attrs));
}

OpDef Filled(OpId id, absl::string_view name, ForwardFn forward, absl::string_view doc) {
  return {.id = id, .name = name, .attrs = {kSize, kDType, kDevice}, .doc = doc, .forward = forward};
}

absl::StatusOr<std::vector<TensorMeta>> ArangePrepare(OpCall& call) {
  const Scalar& start = call.GetScalar(0);
  const Scalar& end = call.GetScalar(1);
  const Scalar& step = call.GetScalar(2);
  bool floating = start.is_floating() || end.is_floating() || step.is_floating();
  DType dtype = call.GetDType(3).value_or(floating ? kDefaultFloat : DType::kInt64);
  double s = start.to_double(), e = end.to_double(), st = step.to_double();
  if (st == 0) return Error("arange", "step must be nonzero");
  if (!std::isfinite(s) || !std::isfinite(e)) return Error("arange", "unsupported range: start and end must be finite");
  if ((st > 0 && e < s) || (st < 0 && e > s)) return Error("arange", "upper bound and larger bound inconsistent with step sign");
  double n = floating || IsFloating(dtype) ? std::ceil((e - s) / st)
                                           : std::ceil(static_cast<double>(end.to_int() - start.to_int()) / step.to_int());
  if (n > 9.0e18) return Error("arange", "range is too large");
  std::vector<int64_t> size{static_cast<int64_t>(n)};
  TENSORD_RETURN_IF_ERROR(Device::Parse(*call.GetStr(4)).status());
  return std::vector<TensorMeta>{MetaOf(dtype, size)};
}

template <int kOpNameIndex>
absl::StatusOr<std::vector<TensorMeta>> RandomFloatPrepare(OpCall& call) {
  DType dtype = call.GetDType(1).value_or(kDefaultFloat);
  if (!IsFloating(dtype)) {
    return Error(call.def->name, absl::StrCat("expects a floating point dtype, got ", DTypeName(dtype)));
  }
  TENSORD_ASSIGN_OR_RETURN(TensorMeta m, FactoryMeta(call, 0, 2, dtype));
  return std::vector<TensorMeta>{m};
}

absl::StatusOr<std::vector<TensorMeta>> RandintPrepare(OpCall& call) {
  int64_t low = call.GetInt(0), high = call.GetInt(1);
  if (low >= high) {
    return Error("randint", absl::StrCat("random_ expects 'from' to be less than 'to', but got from=", low,
                                         " >= to=", high));
  }
  TENSORD_ASSIGN_OR_RETURN(TensorMeta m, FactoryMeta(call, 2, 4, call.GetDType(3).value_or(DType::kInt64)));
  return std::vector<TensorMeta>{m};
}

}  // namespace

const OpDef& FullOp() {
  static const OpDef d{.id = OpId::kFull, .name = "full",
                       .attrs = {kSize, Required("fill_value", AttrType::kScalar), kDType, kDevice},
                       .doc = "Tensor of `size` filled with `fill_value`.", .prepare = FullPrepare};
  return d;
}
const OpDef& ZerosOp() { static const OpDef d = Filled(OpId::kZeros, "zeros", FilledForward<0>, "Tensor of zeros."); return d; }
const OpDef& OnesOp() { static const OpDef d = Filled(OpId::kOnes, "ones", FilledForward<1>, "Tensor of ones."); return d; }
const OpDef& EmptyOp() {
  static const OpDef d = Filled(OpId::kEmpty, "empty", FilledForward<0>,
                                "Uninitialised tensor (tensord zero-fills: memory is never shared across sessions).");
  return d;
}
const OpDef& ArangeOp() {
  static const OpDef d{.id = OpId::kArange, .name = "arange",
                       .attrs = {WithDefault("start", AttrType::kScalar, Scalar(0)), Required("end", AttrType::kScalar),
                                 WithDefault("step", AttrType::kScalar, Scalar(1)), kDType, kDevice},
                       .doc = "Values from start to end (exclusive) by step.", .prepare = ArangePrepare};
  return d;
}
const OpDef& LinspaceOp() {
  // start + i * step with PyTorch's symmetric evaluation (from both ends) so
  // the last value is exactly `end`.
  static const OpDef d{.id = OpId::kLinspace, .name = "linspace",
                       .attrs = {Required("start", AttrType::kScalar), Required("end", AttrType::kScalar),
                                 Required("steps", AttrType::kInt), kDType, kDevice},
                       .doc = "`steps` values evenly spaced from start to end inclusive.",
                       .forward = [](OpCall& call) -> absl::StatusOr<std::vector<Tensor>> {
                         const int64_t steps = call.GetInt(2);
                         if (steps < 0) return Error("linspace", "number of steps must be non-negative");
                         TENSORD_ASSIGN_OR_RETURN(const Device device, Device::Parse(*call.GetStr(4)));
                         const double a = call.GetScalar(0).to_double(), b = call.GetScalar(1).to_double();
                         const DType dtype = call.GetDType(3).value_or(kDefaultFloat);
                         Tensor out = Tensor::Empty({steps}, kDefaultFloat == dtype ? DType::kFloat32 : DType::kFloat64);
                         const double step = steps > 1 ? (b - a) / static_cast<double>(steps - 1) : 0.0;
                         const int64_t half = steps == 1 ? 1 : steps / 2;  // one step is `start`
                         if (!out.is_meta()) DispatchFloating("linspace", out.dtype(), [&]<typename T>() {
                           T* p = out.data<T>();
                           const T ta = static_cast<T>(a), tb = static_cast<T>(b), ts = static_cast<T>(step);
                           for (int64_t i = 0; i < steps; ++i) {
                             p[i] = i < half ? ta + ts * static_cast<T>(i) : tb - ts * static_cast<T>(steps - i - 1);
                           }
                           return absl::OkStatus();
                         }).IgnoreError();
                         out = fn::To(out, dtype);  // computed on the host, then placed
                         return std::vector<Tensor>{device == kCPU ? out : fn::ToDevice(out, device)};
                       }};
  return d;
}
const OpDef& EyeOp() {
  static const OpDef d{.id = OpId::kEye, .name = "eye",
                       .attrs = {Required("n", AttrType::kInt), Optional("m", AttrType::kInt), kDType, kDevice},
                       .doc = "2-D identity (n x m, m defaults to n).",
                       .forward = [](OpCall& call) -> absl::StatusOr<std::vector<Tensor>> {
                         const int64_t n = call.GetInt(0), m = call.IsNone(1) ? n : call.GetInt(1);
                         if (n < 0 || m < 0) return Error("eye", absl::StrCat("n and m must be non-negative, got ", n, ", ", m));
                         TENSORD_ASSIGN_OR_RETURN(const Device device, Device::Parse(*call.GetStr(3)));
                         Tensor out = fn::Full(std::vector<int64_t>{n, m}, Scalar(0), call.GetDType(2).value_or(kDefaultFloat), device);
                         Tensor diag = MakeView(out, Shape{std::min(n, m)}, Shape{m + 1}, 0);
                         ThrowIfError(Invoke(Fill_Op(), {diag}, {Scalar(1)}).status());
                         return std::vector<Tensor>{out};
                       }};
  return d;
}

const OpDef& RandOp() {
  static const OpDef d{.id = OpId::kRand, .name = "rand", .attrs = {kSize, kDType, kDevice},
                       .doc = "Uniform samples in [0, 1) from the session generator.",
                       .prepare = RandomFloatPrepare<0>};
  return d;
}
const OpDef& RandnOp() {
  static const OpDef d{.id = OpId::kRandn, .name = "randn", .attrs = {kSize, kDType, kDevice},
                       .doc = "Standard normal samples from the session generator.",
                       .prepare = RandomFloatPrepare<1>};
  return d;
}
const OpDef& RandintOp() {
  static const OpDef d{.id = OpId::kRandint, .name = "randint",
                       .attrs = {WithDefault("low", AttrType::kInt, int64_t{0}), Required("high", AttrType::kInt),
                                 kSize, kDType, kDevice},
                       .doc = "Integers uniform in [low, high) from the session generator.",
                       .prepare = RandintPrepare};
  return d;
}

}  // namespace tensord::engine

// ---------------------------------------------------------------- random fills

namespace tensord::engine {
namespace {

// In-place random fills of self. Under autograd a leaf that requires grad
// (or a view of one) is refused as for any in-place op (nn.init fills under
// no_grad); a non-leaf is filled and its history rebased onto a zero
// gradient (dispatch.cc, Note [Random fills under autograd]).
absl::Status CheckRandomFill(const OpCall& call) {
  const Tensor& self = call.in(0);
  if (GradModeEnabled() && self.requires_grad()) TENSORD_RETURN_IF_ERROR(CheckInplace(call.def->name, self));
  for (size_t d = 0; d < self.sizes().size(); ++d) {
    if (self.strides()[d] == 0 && self.sizes()[d] > 1) {  // an expand()ed tensor
      return Error(call.def->name,
                   "unsupported operation: more than one element of the written-to tensor refers to a single memory "
                   "location. Please clone() the tensor before performing the operation.");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<TensorMeta>> FloatFillPrepare(OpCall& call) {
  TENSORD_RETURN_IF_ERROR(CheckRandomFill(call));
  if (!IsFloating(call.in(0).dtype())) {
    return Error(call.def->name, absl::StrCat("expects a floating point tensor, got ", DTypeName(call.in(0).dtype())));
  }
  if (call.def->id == OpId::kUniform_ && call.GetFloat(0) > call.GetFloat(1)) {
    return Error("uniform_", absl::StrCat("expects to return a [from, to) range, but found from=", call.GetFloat(0),
                                          " > to=", call.GetFloat(1)));
  }
  if (call.def->id == OpId::kNormal_ && call.GetFloat(1) < 0) {
    return Error("normal_", absl::StrCat("expects std >= 0.0, but found std ", call.GetFloat(1)));
  }
  return std::vector<TensorMeta>{};
}

absl::Status CheckProbability(absl::string_view op, double p) {
  if (!(p >= 0 && p <= 1)) return Error(op, absl::StrCat("expects 0 <= p <= 1, but got p=", p));
  return absl::OkStatus();
}

}  // namespace

const OpDef& Uniform_Op() {
  static const OpDef d{.id = OpId::kUniform_, .name = "uniform_", .inputs = {{"self"}},
                       .attrs = {WithDefault("from", AttrType::kFloat, 0.0), WithDefault("to", AttrType::kFloat, 1.0)},
                       .doc = "Fills self with uniform samples in [from, to).", .num_outputs = 0, .inplace = true,
                       .prepare = FloatFillPrepare, .overwrites_self = true};
  return d;
}
const OpDef& Normal_Op() {
  static const OpDef d{.id = OpId::kNormal_, .name = "normal_", .inputs = {{"self"}},
                       .attrs = {WithDefault("mean", AttrType::kFloat, 0.0), WithDefault("std", AttrType::kFloat, 1.0)},
                       .doc = "Fills self with normal samples.", .num_outputs = 0, .inplace = true,
                       .prepare = FloatFillPrepare, .overwrites_self = true};
  return d;
}
const OpDef& Bernoulli_Op() {
  static const OpDef d{.id = OpId::kBernoulli_, .name = "bernoulli_", .inputs = {{"self"}},
                       .attrs = {WithDefault("p", AttrType::kFloat, 0.5)},
                       .doc = "Fills self with 1 (probability p) or 0.", .num_outputs = 0, .inplace = true,
                       .prepare = [](OpCall& call) -> absl::StatusOr<std::vector<TensorMeta>> {
                         TENSORD_RETURN_IF_ERROR(CheckRandomFill(call));
                         TENSORD_RETURN_IF_ERROR(CheckProbability("bernoulli_", call.GetFloat(0)));
                         return std::vector<TensorMeta>{};
                       },
                       .overwrites_self = true};
  return d;
}
const OpDef& BernoulliOp() {
  static const OpDef d{.id = OpId::kBernoulli, .name = "bernoulli", .inputs = {{"self"}},
                       .doc = "1 with probability self[i], else 0 (self holds probabilities).",
                       .prepare = [](OpCall& call) -> absl::StatusOr<std::vector<TensorMeta>> {
                         const Tensor x = call.in(0);  // a copy: inputs[0] is rewritten below
                         if (!IsFloating(x.dtype())) return Error("bernoulli", "expects a floating point tensor of probabilities");
                         call.inputs[0] = fn::Contiguous(fn::To(x, DType::kFloat64));
                         return std::vector<TensorMeta>{MetaOf(x.dtype(), x.sizes())};
                       }};
  return d;
}
const OpDef& RandpermOp() {
  static const OpDef d{.id = OpId::kRandperm, .name = "randperm",
                       .attrs = {Required("n", AttrType::kInt), kDType, kDevice},
                       .doc = "A random permutation of 0..n-1.",
                       .prepare = [](OpCall& call) -> absl::StatusOr<std::vector<TensorMeta>> {
                         const int64_t n = call.GetInt(0);
                         if (n < 0) return Error("randperm", absl::StrCat("n must be non-negative, got ", n));
                         TENSORD_RETURN_IF_ERROR(Device::Parse(*call.GetStr(2)).status());
                         return std::vector<TensorMeta>{MetaOf(call.GetDType(1).value_or(DType::kInt64), {n})};
                       }};
  return d;
}

}  // namespace tensord::engine
