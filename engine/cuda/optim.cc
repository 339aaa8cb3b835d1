// Host side of kernels/optim.cu: _fused_sgd_ and _fused_adam_ on cuda
// parameters, one launch per parameter, with cpu/optim.cc's attributes,
// constants (computed here in double, as PyTorch's Python scalars) and
// skipping rules. ops/optim.cc validated the tensor lists.
#include <cmath>

#include "absl/strings/str_cat.h"
#include "engine/cuda/kernels.h"
#include "engine/ops/optim_hparams.h"
#include "engine/cuda/runtime.h"
#include "engine/status.h"

namespace tensord::engine::cuda {

namespace {

// Launches one step over t[0] (param), t[1] (grad) and its state tensors
// (`args` carries the kind and constants), then bumps the versions of all
// but the gradient, as the CPU kernel.
absl::Status Step(absl::string_view op, OptimArgs a, const std::vector<Tensor>& t) {
  const Tensor& p = t[0];
  for (const Tensor& x : t) {
    if (x.device() != p.device()) {
      return absl::InvalidArgumentError(absl::StrCat("[", op, "] parameter on ", p.device().ToString(),
                                                     " has gradient or state on ", x.device().ToString()));
    }
  }
  a.dtype = static_cast<int8_t>(p.dtype());
  a.numel = p.numel();
  bool contiguous = true;
  for (const Tensor& x : t) contiguous = contiguous && x.is_contiguous();
  if (contiguous) {
    a.ndim = 1;
    a.sizes[0] = p.numel();
    for (size_t k = 0; k < t.size(); ++k) a.strides[k][0] = 1;
  } else {
    if (p.dim() > kMaxDims) {
      return absl::UnimplementedError(absl::StrCat("[", op, "] more than ", kMaxDims, " dimensions are not supported on cuda"));
    }
    a.ndim = static_cast<int>(p.dim());
    for (int64_t d = 0; d < p.dim(); ++d) a.sizes[d] = p.size(d);
    for (size_t k = 0; k < t.size(); ++k) {
      for (int64_t d = 0; d < p.dim(); ++d) a.strides[k][d] = t[k].strides()[d];
    }
  }
  for (size_t k = 0; k < t.size(); ++k) a.t[k] = static_cast<char*>(t[k].raw_data());
  // Unused slots (SGD without momentum, Adam without amsgrad) point at the
  // parameter with stride 0; the element updates never touch them.
  for (size_t k = t.size(); k < 5; ++k) a.t[k] = a.t[0];
  if (a.numel > 0) {
    TENSORD_ASSIGN_OR_RETURN(StreamId stream, StreamOf(p));
    TENSORD_RETURN_IF_ERROR(Launch(&Launchers::FusedOptim, a, stream, op));
  }
  for (size_t k = 0; k < t.size(); ++k) {
    if (k != 1) t[k].storage()->BumpVersion();
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status FusedSgdKernel(const OpCall& call, std::vector<Tensor>&) {
  const SgdHparams h = SgdHparamsOf(call);
  const double lr = h.lr, momentum = h.momentum, dampening = h.dampening, wd = h.weight_decay;
  const bool nesterov = h.nesterov, maximize = h.maximize, first = h.first;
  const size_t n = h.num_params;
  OptimArgs a;
  a.kind = kOptimSgd;
  a.lr = -lr;
  a.momentum = momentum;
  a.damp = 1 - dampening;
  a.wd = wd;
  a.has_wd = wd != 0;
  a.has_momentum = momentum != 0;
  a.nesterov = nesterov;
  a.maximize = maximize;
  a.first = first;
  for (size_t i = 0; i < n; ++i) {
    const Tensor& p = call.inputs[i];
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    std::vector<Tensor> t{p, g};
    if (momentum != 0) t.push_back(call.inputs[n + i]);
    TENSORD_RETURN_IF_ERROR(Step("_fused_sgd_", a, t));
  }
  return absl::OkStatus();
}

absl::Status FusedAdamKernel(const OpCall& call, std::vector<Tensor>&) {
  const AdamHparams h = AdamHparamsOf(call);
  const double lr = h.lr, beta1 = h.beta1, beta2 = h.beta2, eps = h.eps, wd = h.weight_decay;
  const double bias2_sqrt = h.bias2_sqrt, step_size = h.step_size;
  const bool amsgrad = h.amsgrad, maximize = h.maximize, decoupled = h.decoupled;
  const size_t n = h.num_params;
  OptimArgs a;
  a.kind = kOptimAdam;
  a.w1 = 1 - beta1;
  a.b2 = beta2;
  a.w2 = 1 - beta2;
  a.decay = 1 - lr * wd;
  a.wd = wd;
  a.bias2 = bias2_sqrt;
  a.eps = eps;
  a.step = -step_size;
  a.has_wd = wd != 0;
  a.decoupled = decoupled;
  a.amsgrad = amsgrad;
  a.maximize = maximize;
  for (size_t i = 0; i < n; ++i) {
    const Tensor& p = call.inputs[i];
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    std::vector<Tensor> t{p, g, call.inputs[n + i], call.inputs[2 * n + i]};
    if (amsgrad) t.push_back(call.inputs[3 * n + i]);
    TENSORD_RETURN_IF_ERROR(Step("_fused_adam_", a, t));
  }
  return absl::OkStatus();
}

}  // namespace tensord::engine::cuda
