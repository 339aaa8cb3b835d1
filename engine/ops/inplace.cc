// In-place ops (Note [In-place variants]).
//
// `x.op_(args)` runs `op(x, args)` out of place, then writes the result into
// x's storage and bumps its version. When autograd records, x takes over the
// result's grad_fn, so its history now ends in the op (PyTorch's rebase); if
// the op's backward may read its input, it is given a clone of x taken before
// the write, so the saved value is the original one. Anything else that saved x
// sees the version bump and refuses to run backward. A view is handled by
// rebasing its base's history (Note [In-place on views], engine/autograd.h).
#include "engine/autograd.h"
#include "engine/autograd_internal.h"
#include "engine/layout.h"
#include "engine/ops/common.h"

namespace tensord::engine {
using namespace ops;

namespace {

// PyTorch's canCast: no float -> integral, no non-bool -> bool.
bool CanCast(DType from, DType to) {
  if (IsFloating(from) && !IsFloating(to)) return false;
  if (from != DType::kBool && to == DType::kBool) return false;
  return true;
}

absl::Status CheckWritable(absl::string_view op, const Tensor& self, bool recording) {
  for (int64_t d = 0; d < self.dim(); ++d) {
    if (self.strides()[d] == 0 && self.size(d) > 1) {  // an expand()ed tensor
      return Error(op, "unsupported operation: more than one element of the written-to tensor refers to a single "
                       "memory location. Please clone() the tensor before performing the operation.");
    }
  }
  return recording ? CheckInplace(op, self) : absl::OkStatus();
}

// Whether `def`'s node for a call on `inputs` saves input 0 (Note [Saved for backward]).
bool SavesSelf(const OpDef& def, const std::vector<Tensor>& inputs) {
  GradMask wanted = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].defined() && inputs[i].requires_grad()) wanted |= SavedFor(static_cast<int>(i));
  }
  return def.saves.SavesInput(0, wanted);
}

// Writes `result` into `self` and moves self's history onto the result's
// (Note [In-place on views] when self is a view).
absl::Status WriteBack(absl::string_view op, const Tensor& self, const Tensor& result, bool recording) {
  if (!std::equal(result.sizes().begin(), result.sizes().end(), self.sizes().begin(), self.sizes().end())) {
    return Error(op, absl::StrCat("output with shape ", ShapeToString(self.sizes()),
                                  " doesn't match the broadcast shape ", ShapeToString(result.sizes())));
  }
  if (!CanCast(result.dtype(), self.dtype())) {
    return Error(op, absl::StrCat("result type ", DTypeName(result.dtype()), " can't be cast to the desired output type ",
                                  DTypeName(self.dtype())));
  }
  if (recording) TENSORD_RETURN_IF_ERROR(RebaseHistory(op, self, result));
  TENSORD_RETURN_IF_ERROR(CopyInto(result, self));
  self.storage()->BumpVersion();
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Tensor>> InplaceForward(OpCall& call) {
  const OpDef& base = *call.def->inplace_of;
  const Tensor self = call.in(0);
  const bool recording = GradModeEnabled() && AnyRequiresGrad(call.inputs);
  TENSORD_RETURN_IF_ERROR(CheckWritable(call.def->name, self, recording));
  std::vector<Tensor> inputs = call.inputs;
  // A composite may save self in an op inside it: clone unless the base is a
  // primitive that does not save self in this call (Note [Saved for backward]).
  if (recording && (base.prepare == nullptr || SavesSelf(base, call.inputs))) inputs[0] = fn::Clone(self);
  TENSORD_ASSIGN_OR_RETURN(std::vector<Tensor> out, Invoke(base, std::move(inputs), call.attrs));
  TENSORD_RETURN_IF_ERROR(WriteBack(call.def->name, self, out[0], recording));
  if (recording && out[0].dtype() == self.dtype()) SaveResultAsSelf(out[0], self);
  return std::vector<Tensor>{};
}

OpDef InplaceOf(OpId id, absl::string_view name) {
  const OpDef& base = DefinitionOfName(name.substr(0, name.size() - 1));
  return {.id = id, .name = name, .inputs = base.inputs, .attrs = base.attrs,
          .doc = "In-place form: writes the result into self.", .num_outputs = 0, .inplace = true,
          .forward = InplaceForward, .inplace_of = &base};
}

}  // namespace

#define TENSORD_INPLACE_DEF_(name, Camel)                                 \
  const OpDef& Camel##Op() {                                              \
    static const OpDef d = InplaceOf(OpId::k##Camel, #name);              \
    return d;                                                             \
  }
TENSORD_FORALL_INPLACE_OPS(TENSORD_INPLACE_DEF_)
#undef TENSORD_INPLACE_DEF_

const OpDef& FillOp() {
  // d fill(x, v)/dx = 0
  static const OpDef d{.id = OpId::kFill, .name = "fill", .inputs = {{"self"}},
                       .attrs = {Required("value", AttrType::kScalar)},
                       .doc = "A tensor like self filled with value.",
                       .prepare = [](OpCall& call) -> absl::StatusOr<std::vector<TensorMeta>> {
                         const Tensor& x = call.in(0);
                         return std::vector<TensorMeta>{
                             {x.dtype(), ToShape(x.sizes()), kCPU, PreservedStrides(x.sizes(), x.strides())}};
                       },
                       .backward = [](const BackwardCtx& c) { return std::vector<Tensor>{fn::ZerosLike(c.grad())}; },
                       .backward_name = "FillBackward0"};
  return d;
}

const OpDef& Zero_Op() {
  static const OpDef d{.id = OpId::kZero_, .name = "zero_", .inputs = {{"self"}},
                       .doc = "Fills self with zeros (in place).", .num_outputs = 0, .inplace = true,
                       .forward = [](OpCall& call) -> absl::StatusOr<std::vector<Tensor>> {
                         return Invoke(Fill_Op(), {call.in(0)}, {Scalar(0)});
                       }};
  return d;
}

// What copy_ writes, as a node of the graph: src broadcast and cast to
// self's shape and dtype. Its gradient is zero for the overwritten self and
// the (summed, cast back) incoming gradient for src, PyTorch's CopyBackwards.
const OpDef& OverwriteOp() {
  static const OpDef d{.id = OpId::kOverwrite, .name = "_overwrite", .inputs = {{"self"}, {"src"}},
                       .doc = "src broadcast and cast like self (the value copy_ writes; internal).",
                       .forward = [](OpCall& call) -> absl::StatusOr<std::vector<Tensor>> {
                         const Tensor& self = call.in(0);
                         return std::vector<Tensor>{
                             fn::Clone(CastAndExpand(call.in(1), self.dtype(), self.sizes()))};
                       },
                       .backward = [](const BackwardCtx& c) {
                         Tensor gs, gsrc;
                         if (c.needs_input_grad[0]) gs = fn::ZerosLike(c.grad());
                         if (c.needs_input_grad[1]) {
                           gsrc = fn::SumToSize(c.grad(), c.in_sizes(1));
                           if (gsrc.dtype() != c.in_dtype(1)) gsrc = fn::To(gsrc, c.in_dtype(1));
                         }
                         return std::vector<Tensor>{gs, gsrc};
                       },
                       .backward_name = "CopyBackwards"};
  return d;
}

const OpDef& Copy_Op() {
  // self <- src broadcast and cast to self; the gradient flows to src.
  static const OpDef d{.id = OpId::kCopy_, .name = "copy_", .inputs = {{"self"}, {"src"}},
                       .doc = "Copies src (broadcast, cast) into self (in place).", .num_outputs = 0,
                       .inplace = true,
                       .forward = [](OpCall& call) -> absl::StatusOr<std::vector<Tensor>> {
                         const Tensor self = call.in(0);
                         const Tensor& src = call.in(1);
                         const bool recording = GradModeEnabled() && AnyRequiresGrad(call.inputs);
                         TENSORD_RETURN_IF_ERROR(CheckWritable("copy_", self, recording));
                         TENSORD_RETURN_IF_ERROR(BroadcastShapes("copy_", self.sizes(), src.sizes()).status());
                         if (src.dim() > self.dim()) {
                           return Error("copy_", absl::StrCat("source shape ", ShapeToString(src.sizes()),
                                                              " cannot be broadcast to ", ShapeToString(self.sizes())));
                         }
                         Tensor value;
                         if (recording) {
                           TENSORD_ASSIGN_OR_RETURN(std::vector<Tensor> v, Invoke(OverwriteOp(), {self, src}, {}));
                           value = v[0];
                         } else {
                           value = CastAndExpand(src, self.dtype(), self.sizes());
                         }
                         TENSORD_RETURN_IF_ERROR(WriteBack("copy_", self, value, recording));
                         return std::vector<Tensor>{};
                       }};
  return d;
}

const OpDef& Resize_Op() {
  // Contiguous geometry of `size` over self's storage, enlarged if needed
  // (new elements are zero here; PyTorch leaves them uninitialised).
  static const OpDef d{.id = OpId::kResize_, .name = "resize_", .inputs = {{"self"}},
                       .attrs = {Required("size", AttrType::kInts)},
                       .doc = "Reshapes self in place to a contiguous `size`, growing its storage if needed.",
                       .num_outputs = 0, .inplace = true,
                       .forward = [](OpCall& call) -> absl::StatusOr<std::vector<Tensor>> {
                         const Tensor self = call.in(0);
                         if (GradModeEnabled() && self.requires_grad()) {
                           return Error("resize_", "cannot resize variables that require grad");
                         }
                         const std::vector<int64_t>& size = *call.GetInts(0);
                         TENSORD_ASSIGN_OR_RETURN(int64_t numel, CheckedNumel("resize_", size));
                         if (numel > MaxTensorElements()) {
                           return absl::ResourceExhaustedError(absl::StrCat("[resize_] ", numel, " elements exceed the limit of ",
                                                                            MaxTensorElements(), " per tensor"));
                         }
                         const size_t needed = static_cast<size_t>(self.storage_offset() + numel) * ItemSize(self.dtype());
                         self.storage()->Grow(needed);
                         self.impl()->SetGeometry(ToShape(size), ContiguousStrides(size), self.storage_offset());
                         return std::vector<Tensor>{};
                       }};
  return d;
}

const OpDef& T_Op() {
  // Transposes self's geometry in place; autograd sees a t().
  static const OpDef d{.id = OpId::kT_, .name = "t_", .inputs = {{"self"}},
                       .doc = "Transposes a <= 2-D tensor in place (metadata only).", .num_outputs = 0,
                       .inplace = true,
                       .forward = [](OpCall& call) -> absl::StatusOr<std::vector<Tensor>> {
                         const Tensor self = call.in(0);
                         const bool recording = GradModeEnabled() && self.requires_grad();
                         if (recording && self.is_leaf()) {
                           return Error("t_", "a leaf Variable that requires grad is being used in an in-place operation.");
                         }
                         TENSORD_ASSIGN_OR_RETURN(std::vector<Tensor> out, Invoke(TOp(), {self}, {}));
                         const Tensor& t = out[0];
                         self.impl()->SetGeometry(ToShape(t.sizes()), ToShape(t.strides()), t.storage_offset());
                         if (recording) {
                           AutogradMeta& m = self.impl()->mutable_autograd();
                           m.grad_fn = t.grad_fn();
                           m.output_nr = t.output_nr();
                         }
                         return std::vector<Tensor>{};
                       }};
  return d;
}

}  // namespace tensord::engine
