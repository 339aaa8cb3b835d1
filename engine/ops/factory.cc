// Factories: ops with no tensor inputs.
#include <cmath>

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
