// Fused optimizer steps (torch.optim on the server, one command per step).
//
// _fused_sgd_(tensors...): tensors = params, then (when momentum != 0) one
//   momentum buffer per param. first_step initialises the buffers.
// _fused_adam_(tensors...): tensors = params, exp_avgs, exp_avg_sqs, and
//   max_exp_avg_sqs when amsgrad; `step` is the step count after this
//   update; decoupled_weight_decay selects AdamW.
// Params without a .grad are skipped, as PyTorch does.
#include "engine/autograd.h"
#include "engine/ops/common.h"

namespace tensord::engine {
using namespace ops;

namespace {

absl::StatusOr<std::vector<TensorMeta>> CheckGroups(OpCall& call, size_t groups) {
  const absl::string_view op = call.def->name;
  if (call.inputs.size() % groups != 0) {
    return Error(op, absl::StrCat("expected ", groups, " lists of equal length, got ", call.inputs.size(), " tensors"));
  }
  const size_t n = call.inputs.size() / groups;
  for (size_t i = 0; i < n; ++i) {
    const Tensor& p = call.inputs[i];
    if (!IsFloating(p.dtype())) return Error(op, absl::StrCat("parameter ", i, " is not floating point"));
    if (p.grad().defined() && !std::equal(p.grad().sizes().begin(), p.grad().sizes().end(), p.sizes().begin(), p.sizes().end())) {
      return Error(op, absl::StrCat("parameter ", i, " has a .grad of another shape"));
    }
    for (size_t k = 1; k < groups; ++k) {
      const Tensor& s = call.inputs[k * n + i];
      if (s.dtype() != p.dtype() || !std::equal(s.sizes().begin(), s.sizes().end(), p.sizes().begin(), p.sizes().end())) {
        return Error(op, absl::StrCat("state tensor ", k, " of parameter ", i, " must match its shape ",
                                      ShapeToString(p.sizes()), " and dtype ", DTypeName(p.dtype())));
      }
    }
  }
  return std::vector<TensorMeta>{};
}

}  // namespace

const OpDef& FusedSgd_Op() {
  static const OpDef d{
      .id = OpId::kFusedSgd_, .name = "_fused_sgd_", .inputs = {{"tensors", false, true}},
      .attrs = {Required("lr", AttrType::kFloat), WithDefault("momentum", AttrType::kFloat, 0.0),
                WithDefault("dampening", AttrType::kFloat, 0.0), WithDefault("weight_decay", AttrType::kFloat, 0.0),
                WithDefault("nesterov", AttrType::kBool, false), WithDefault("maximize", AttrType::kBool, false),
                WithDefault("first_step", AttrType::kBool, false)},
      .doc = "One SGD step over params (+ momentum buffers), in place.", .num_outputs = 0, .inplace = true,
      .prepare = [](OpCall& call) { return CheckGroups(call, call.GetFloat(1) != 0 ? 2 : 1); }};
  return d;
}

const OpDef& FusedAdam_Op() {
  static const OpDef d{
      .id = OpId::kFusedAdam_, .name = "_fused_adam_", .inputs = {{"tensors", false, true}},
      .attrs = {Required("lr", AttrType::kFloat), WithDefault("beta1", AttrType::kFloat, 0.9),
                WithDefault("beta2", AttrType::kFloat, 0.999), WithDefault("eps", AttrType::kFloat, 1e-8),
                WithDefault("weight_decay", AttrType::kFloat, 0.0), WithDefault("amsgrad", AttrType::kBool, false),
                WithDefault("maximize", AttrType::kBool, false), Required("step", AttrType::kInt),
                WithDefault("decoupled_weight_decay", AttrType::kBool, false)},
      .doc = "One Adam (AdamW when decoupled_weight_decay) step over params and state, in place.",
      .num_outputs = 0, .inplace = true,
      .prepare = [](OpCall& call) -> absl::StatusOr<std::vector<TensorMeta>> {
        if (call.GetInt(7) < 1) return Error("_fused_adam_", "step must be >= 1");
        return CheckGroups(call, call.GetBool(5) ? 4 : 3);
      }};
  return d;
}

}  // namespace tensord::engine
