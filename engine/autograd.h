// Autograd: the dynamic graph and the iterative backward engine.
//
// Note [Autograd graph]
//   When grad mode is on and any input of a differentiable op requires grad,
//   the op's outputs get a grad_fn Node that saves what the op's backward
//   rule needs (with the storage version at save time) and has one Edge per
//   input to that input's grad_fn (or to a leaf's AccumulateGrad). Backward
//   walks the graph in topological order with an explicit worklist (no
//   recursion: million-node chains are fine), sums gradients arriving at the
//   same input, and accumulates into leaf .grad. Without retain_graph the saved
//   tensors are freed as each node runs; running it again is an error.
//
// Note [In-place on views]
//   A view op's output (view, select, slice, expand, transpose, ...) records
//   the root base it aliases (AutogradMeta::view_base). An in-place op on a
//   view while autograd records is, for gradients, an out-of-place op on the
//   base: base' = base with the view's elements replaced by op(view, ...). So
//   the base's grad_fn becomes CopySlices with two inputs, the base's previous
//   history (gradient: g with the view's elements zeroed) and the op's result
//   (gradient: g at the view's elements); the op's own node still reaches the
//   view's old history, so the old values get their share. Every view of the
//   base sees the version bump and, when next used, regenerates its grad_fn as
//   AsStridedBackward0 of the base's current history (as PyTorch does). The
//   view's place in its base is an int64 index of base elements, so both
//   rules are index/index_put and stay differentiable (create_graph).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "engine/tensor.h"

namespace tensord::engine {

// Thread-local grad mode (torch.is_grad_enabled / no_grad).
bool GradModeEnabled();
class GradModeGuard {
 public:
  explicit GradModeGuard(bool enabled);
  ~GradModeGuard();
  GradModeGuard(const GradModeGuard&) = delete;
  GradModeGuard& operator=(const GradModeGuard&) = delete;

 private:
  bool prev_;
};

// torch.autograd.backward(roots, grads). grads[i] undefined = implicit ones
// (roots[i] must then have one element). Errors: FAILED_PRECONDITION if a root
// does not require grad or the graph was already freed; INVALID_ARGUMENT on a
// gradient of the wrong shape/dtype or an implicit gradient for a non-scalar.
absl::Status Backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grads,
                      bool retain_graph, bool create_graph);

// torch.autograd.grad: the gradients of roots with respect to `inputs`
// (undefined where an input is unused and allow_unused), without touching any
// .grad. With create_graph the results are themselves differentiable.
absl::StatusOr<std::vector<Tensor>> Grad(const std::vector<Tensor>& roots, const std::vector<Tensor>& grads,
                                         const std::vector<Tensor>& inputs, bool retain_graph, bool create_graph,
                                         bool allow_unused);

// Sets requires_grad on a leaf (tensor.requires_grad_()). Only floating leaves
// may require grad; a non-leaf may only be switched on.
absl::Status SetRequiresGrad(const Tensor& t, bool requires_grad);

// tensor.retain_grad(): a non-leaf gets its gradient in .grad at the next
// backward() (a no-op for leaves). FAILED_PRECONDITION if t needs no grad.
absl::Status RetainGrad(const Tensor& t);

// A new tensor sharing storage and version counter, outside the graph.
Tensor Detach(const Tensor& t);

}  // namespace tensord::engine
