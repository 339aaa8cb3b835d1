// Host side of kernels/optim.cu: _fused_sgd_ and _fused_adam_ on cuda
// parameters, one launch per parameter, with cpu/optim.cc's attributes,
// constants (computed here in double, as PyTorch's Python scalars) and
// skipping rules. ops/optim.cc validated the tensor lists.
#include <cmath>

#include "absl/strings/str_cat.h"
#include "engine/cuda/kernels.h"
#include "engine/cuda/runtime.h"
#include "engine/status.h"

namespace tensord::engine::cuda {

namespace {

Backend& B() { return Get(); }

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
    TENSORD_RETURN_IF_ERROR(B().Check(B().launchers().FusedOptim(a, stream), std::string(op).c_str()));
  }
  for (size_t k = 0; k < t.size(); ++k) {
    if (k != 1) t[k].storage()->BumpVersion();
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status FusedSgdKernel(const OpCall& call, std::vector<Tensor>&) {
  const double lr = call.GetFloat(0), momentum = call.GetFloat(1), dampening = call.GetFloat(2),
               wd = call.GetFloat(3);
  const bool nesterov = call.GetBool(4), maximize = call.GetBool(5), first = call.GetBool(6);
  const size_t n = momentum != 0 ? call.inputs.size() / 2 : call.inputs.size();
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
  const double lr = call.GetFloat(0), beta1 = call.GetFloat(1), beta2 = call.GetFloat(2), eps = call.GetFloat(3),
               wd = call.GetFloat(4);
  const bool amsgrad = call.GetBool(5), maximize = call.GetBool(6);
  const int64_t step = call.GetInt(7);
  const bool decoupled = call.GetBool(8);
  const size_t n = call.inputs.size() / (amsgrad ? 4 : 3);
  // Scalars as PyTorch computes them, in Python (double) arithmetic.
  const double bias1 = 1 - std::pow(beta1, static_cast<double>(step));
  const double bias2_sqrt = std::sqrt(1 - std::pow(beta2, static_cast<double>(step)));
  const double step_size = lr / bias1;
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
