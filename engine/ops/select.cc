// Selection by condition, elementwise extrema and clamping.
#include "engine/ops/common.h"

namespace tensord::engine {
using namespace ops;

namespace {

std::vector<Tensor> One(Tensor t) { return {std::move(t)}; }
Tensor Zero(const Tensor& like) { return fn::Full({}, Scalar(0), like.dtype()); }
Tensor Where(const Tensor& c, const Tensor& a, const Tensor& b) { return fn::Call1(OpId::kWhere, {c, a, b}); }
Tensor AsDType(const Tensor& mask, const Tensor& like) { return fn::To(mask, like.dtype()); }

absl::StatusOr<std::vector<TensorMeta>> WherePrepare(OpCall& call) {
  const Tensor& cond = call.in(0);
  if (cond.dtype() != DType::kBool) {
    return Error("where", absl::StrCat("where expected condition to be a boolean tensor, but got a tensor with dtype ",
                                       DTypeName(cond.dtype())));
  }
  TENSORD_ASSIGN_OR_RETURN(Shape ab, BroadcastShapes("where", call.in(1).sizes(), call.in(2).sizes()));
  TENSORD_ASSIGN_OR_RETURN(Shape shape, BroadcastShapes("where", cond.sizes(), ab));
  DType dtype = ResultType({call.in(1), call.in(2)});
  call.inputs[0] = CastAndExpand(cond, DType::kBool, shape);
  call.inputs[1] = CastAndExpand(call.in(1), dtype, shape);
  call.inputs[2] = CastAndExpand(call.in(2), dtype, shape);
  return std::vector<TensorMeta>{MetaOf(dtype, shape)};
}

absl::StatusOr<std::vector<Tensor>> MaskedFillForward(OpCall& call) {
  const Tensor& self = call.in(0);
  const Tensor& mask = call.in(1);
  if (mask.dtype() != DType::kBool) {
    return Error("masked_fill", absl::StrCat("only supports boolean masks, but got mask with dtype ", DTypeName(mask.dtype())));
  }
  TENSORD_ASSIGN_OR_RETURN(Shape shape, BroadcastShapes("masked_fill", self.sizes(), mask.sizes()));
  if (!std::equal(shape.begin(), shape.end(), self.sizes().begin(), self.sizes().end())) {
    return Error("masked_fill", absl::StrCat("mask of shape ", ShapeToString(mask.sizes()),
                                             " cannot be broadcast to self of shape ", ShapeToString(self.sizes())));
  }
  return One(Where(mask, fn::Full({}, call.GetScalar(0), self.dtype()), self));
}

absl::StatusOr<std::vector<TensorMeta>> ClampPrepare(OpCall& call) {
  const Tensor& x = call.in(0);
  if (call.IsNone(0) && call.IsNone(1)) return Error("clamp", "At least one of 'min' or 'max' must not be None");
  std::vector<Tensor> operands{x};
  for (int i = 0; i < 2; ++i) {
    if (!call.IsNone(i)) operands.push_back(Tensor::WrappedScalar(call.GetScalar(i)));
  }
  DType dtype = ResultType(operands);
  if (dtype == DType::kBool) return Error("clamp", "not implemented for 'bool'");
  call.inputs[0] = CastAndExpand(x, dtype, x.sizes());
  return std::vector<TensorMeta>{MetaOf(dtype, x.sizes())};
}

// d clamp(x) = [min <= x <= max]
std::vector<Tensor> ClampBackward(const BackwardCtx& c) {
  const Tensor& x = c.in(0);
  Tensor keep = fn::OnesLike(c.grad());
  if (!std::holds_alternative<std::monostate>(c.attr(0))) {
    keep = fn::Mul(keep, AsDType(fn::Call1(OpId::kGe, {x, fn::S(std::get<Scalar>(c.attr(0)))}), keep));
  }
  if (!std::holds_alternative<std::monostate>(c.attr(1))) {
    keep = fn::Mul(keep, AsDType(fn::Call1(OpId::kLe, {x, fn::S(std::get<Scalar>(c.attr(1)))}), keep));
  }
  return One(fn::Mul(c.grad(), keep));
}

}  // namespace

const OpDef& WhereOp() {
  // d where(c, a, b) = (-, g where c, g where not c)
  static const OpDef d{.id = OpId::kWhere, .name = "where", .inputs = {{"condition"}, {"self"}, {"other"}},
                       .doc = "self where condition, else other (broadcast).", .prepare = WherePrepare,
                       .layout = OutputLayout::kElementwise,
                       .backward = [](const BackwardCtx& c) {
                         const Tensor& g = c.grad();
                         return std::vector<Tensor>{
                             Tensor(), c.needs_input_grad[1] ? Where(c.in(0), g, Zero(g)) : Tensor(),
                             c.needs_input_grad[2] ? Where(c.in(0), Zero(g), g) : Tensor()};
                       },
                       .backward_name = "WhereBackward0", .saves = {.inputs = {kSavedForAny, kSavedNever}}};
  return d;
}
const OpDef& MaskedFillOp() {
  static const OpDef d{.id = OpId::kMaskedFill, .name = "masked_fill", .inputs = {{"self"}, {"mask"}},
                       .attrs = {Required("value", AttrType::kScalar)},
                       .doc = "self with value where mask is true.", .forward = MaskedFillForward,
                       .differentiable_composite = true};
  return d;
}
const OpDef& ClampOp() {
  static const OpDef d{.id = OpId::kClamp, .name = "clamp", .inputs = {{"self"}},
                       .attrs = {Optional("min", AttrType::kScalar), Optional("max", AttrType::kScalar)},
                       .doc = "self limited to [min, max].", .prepare = ClampPrepare,
                       .layout = OutputLayout::kElementwise, .backward = ClampBackward,
                       .backward_name = "ClampBackward1", .saves = kSaveSelf};
  return d;
}

}  // namespace tensord::engine
