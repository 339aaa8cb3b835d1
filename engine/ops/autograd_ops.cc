// Autograd accessors exposed as ops, so clients reach them by name.
#include "engine/autograd.h"
#include "engine/ops/common.h"

namespace tensord::engine {
using namespace ops;

const OpDef& RequiresGradOp() {
  static const OpDef d{.id = OpId::kRequiresGrad, .name = "requires_grad_", .inputs = {{"self"}},
                       .attrs = {WithDefault("requires_grad", AttrType::kBool, true)},
                       .doc = "Sets requires_grad of a leaf (in place).", .num_outputs = 0, .inplace = true,
                       .forward = [](OpCall& call) -> absl::StatusOr<std::vector<Tensor>> {
                         TENSORD_RETURN_IF_ERROR(SetRequiresGrad(call.in(0), call.GetBool(0)));
                         return std::vector<Tensor>{};
                       }};
  return d;
}

const OpDef& RetainGradOp() {
  static const OpDef d{.id = OpId::kRetainGrad, .name = "retain_grad", .inputs = {{"self"}},
                       .doc = "A non-leaf keeps its gradient in .grad at the next backward() (in place).",
                       .num_outputs = 0, .inplace = true,
                       .forward = [](OpCall& call) -> absl::StatusOr<std::vector<Tensor>> {
                         TENSORD_RETURN_IF_ERROR(RetainGrad(call.in(0)));
                         return std::vector<Tensor>{};
                       }};
  return d;
}

const OpDef& GradOp() {
  static const OpDef d{.id = OpId::kGrad, .name = "grad", .inputs = {{"self"}},
                       .doc = "The tensor's .grad (an alias: later accumulation shows through).",
                       .forward = [](OpCall& call) -> absl::StatusOr<std::vector<Tensor>> {
                         Tensor g = call.in(0).grad();
                         if (!g.defined()) return absl::FailedPreconditionError("[grad] tensor has no .grad (it is None)");
                         return std::vector<Tensor>{g};
                       }};
  return d;
}

const OpDef& SetGrad_Op() {
  static const OpDef d{.id = OpId::kSetGrad_, .name = "set_grad_", .inputs = {{"self"}, {"grad", true}},
                       .doc = "x.grad = grad (None clears it); grad must match x's shape and dtype.",
                       .num_outputs = 0, .inplace = true,
                       .forward = [](OpCall& call) -> absl::StatusOr<std::vector<Tensor>> {
                         const Tensor& self = call.in(0);
                         const Tensor& g = call.in(1);
                         if (g.defined()) {
                           if (!std::equal(g.sizes().begin(), g.sizes().end(), self.sizes().begin(), self.sizes().end())) {
                             return Error("set_grad_", absl::StrCat("assigned grad has data of a different size: ",
                                                                    ShapeToString(g.sizes()), " vs ", ShapeToString(self.sizes())));
                           }
                           if (g.dtype() != self.dtype()) {
                             return Error("set_grad_", absl::StrCat("assigned grad has data of a different type: ",
                                                                    DTypeName(g.dtype()), " vs ", DTypeName(self.dtype())));
                           }
                         }
                         self.impl()->mutable_autograd().grad = g;
                         return std::vector<Tensor>{};
                       }};
  return d;
}

}  // namespace tensord::engine
