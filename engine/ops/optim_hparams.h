// The fused optimizer ops' hyperparameters as every backend's kernel reads
// them: attribute positions of ops/optim.cc, how many parameters the tensor
// list holds, and Adam's bias corrections computed in double, as PyTorch's
// torch.optim does in Python.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "engine/ops/op_def.h"

namespace tensord::engine {

struct SgdHparams {
  double lr, momentum, dampening, weight_decay;
  bool nesterov, maximize, first;  // first: momentum buffers are fresh
  size_t num_params;               // inputs: params, then momentum buffers
};

inline SgdHparams SgdHparamsOf(const OpCall& call) {
  SgdHparams h{call.GetFloat(0), call.GetFloat(1), call.GetFloat(2), call.GetFloat(3),
               call.GetBool(4),  call.GetBool(5),  call.GetBool(6),  0};
  h.num_params = h.momentum != 0 ? call.inputs.size() / 2 : call.inputs.size();
  return h;
}

struct AdamHparams {
  double lr, beta1, beta2, eps, weight_decay;
  bool amsgrad, maximize;
  int64_t step;
  bool decoupled;     // AdamW
  size_t num_params;  // inputs: params, exp_avgs, exp_avg_sqs (, max_exp_avg_sqs)
  double bias1, bias2_sqrt, step_size;
};

inline AdamHparams AdamHparamsOf(const OpCall& call) {
  AdamHparams h{call.GetFloat(0), call.GetFloat(1), call.GetFloat(2), call.GetFloat(3), call.GetFloat(4),
                call.GetBool(5),  call.GetBool(6),  call.GetInt(7),   call.GetBool(8),  0, 0, 0, 0};
  h.num_params = call.inputs.size() / (h.amsgrad ? 4 : 3);
  h.bias1 = 1 - std::pow(h.beta1, static_cast<double>(h.step));
  h.bias2_sqrt = std::sqrt(1 - std::pow(h.beta2, static_cast<double>(h.step)));
  h.step_size = h.lr / h.bias1;
  return h;
}

}  // namespace tensord::engine
