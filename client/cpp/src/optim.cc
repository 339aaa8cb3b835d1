// tensord::optim: fused server-side optimizer steps and LR schedulers
// (ports of client/python/tensord/optim, which port torch.optim).
#include "tensord/optim.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <set>
#include <string>
#include <utility>

namespace tensord::optim {

namespace {

[[noreturn]] void Invalid(const std::string& message) { throw Error(3, message, "optim"); }

template <typename Options>
std::vector<ParamGroup<Options>> OneGroup(std::vector<Tensor> params, Options options) {
  std::vector<ParamGroup<Options>> groups;
  groups.push_back({std::move(params), options});
  return groups;
}

void CheckSgd(const SGDOptions& o) {
  if (o.lr < 0) Invalid("Invalid learning rate: " + std::to_string(o.lr));
  if (o.momentum < 0) Invalid("Invalid momentum value: " + std::to_string(o.momentum));
  if (o.weight_decay < 0) Invalid("Invalid weight_decay value: " + std::to_string(o.weight_decay));
  if (o.nesterov && (o.momentum <= 0 || o.dampening != 0)) {
    Invalid("Nesterov momentum requires a momentum and zero dampening");
  }
}

void CheckAdam(const AdamOptions& o) {
  if (o.lr < 0) Invalid("Invalid learning rate: " + std::to_string(o.lr));
  if (o.eps < 0) Invalid("Invalid epsilon value: " + std::to_string(o.eps));
  if (o.beta1 < 0 || o.beta1 >= 1) {
    Invalid("Invalid beta parameter at index 0: " + std::to_string(o.beta1));
  }
  if (o.beta2 < 0 || o.beta2 >= 1) {
    Invalid("Invalid beta parameter at index 1: " + std::to_string(o.beta2));
  }
  if (o.weight_decay < 0) Invalid("Invalid weight_decay value: " + std::to_string(o.weight_decay));
}

// A zero tensor like p, without a round trip (the `fill` op keeps p's shape,
// dtype and device). Called under NoGradGuard.
Tensor ZerosLikeNoSync(const Tensor& p) { return Call("fill", {p}, {{"value", 0}})[0]; }

std::vector<Operand> AsOperands(const std::vector<Tensor>& tensors) {
  return std::vector<Operand>(tensors.begin(), tensors.end());
}

}  // namespace

// ------------------------------------------------------------------ Optimizer

void Optimizer::ZeroGrad(bool set_to_none) {
  for (size_t g = 0; g < NumGroups(); ++g) {
    for (const Tensor& p : Params(g)) {
      Tensor param = p;
      if (set_to_none) {
        param.SetGrad(Tensor());
        continue;
      }
      Tensor grad = param.Grad();
      if (grad.defined()) {
        NoGradGuard no_grad;
        grad.Zero_();
      }
    }
  }
}

template <typename Options>
OptimizerWithGroups<Options>::OptimizerWithGroups(std::vector<ParamGroup<Options>> groups)
    : groups_(std::move(groups)) {
  size_t total = 0;
  std::set<uint64_t> seen;
  for (const ParamGroup<Options>& g : groups_) {
    for (const Tensor& p : g.params) {
      if (!p.defined()) Invalid("optimizer got an undefined Tensor as a parameter");
      if (!seen.insert(p.handle()).second) {
        Invalid("some parameters appear more than once (in one or more parameter groups)");
      }
      ++total;
    }
  }
  if (total == 0) Invalid("optimizer got an empty parameter list");
}

template <typename Options>
void OptimizerWithGroups<Options>::AddParamGroup(ParamGroup<Options> group) {
  CheckOptions(group.options);
  std::set<uint64_t> seen;
  for (const ParamGroup<Options>& g : groups_) {
    for (const Tensor& p : g.params) seen.insert(p.handle());
  }
  for (const Tensor& p : group.params) {
    if (!p.defined()) Invalid("optimizer got an undefined Tensor as a parameter");
    if (!seen.insert(p.handle()).second) {
      Invalid("some parameters appear in more than one parameter group");
    }
  }
  groups_.push_back(std::move(group));
}

template class OptimizerWithGroups<SGDOptions>;
template class OptimizerWithGroups<AdamOptions>;

// ------------------------------------------------------------------ SGD

SGD::SGD(std::vector<Tensor> params, SGDOptions options)
    : SGD(OneGroup(std::move(params), options)) {}

SGD::SGD(std::vector<ParamGroup<SGDOptions>> groups) : OptimizerWithGroups(std::move(groups)) {
  for (const auto& g : groups_) CheckSgd(g.options);
}

void SGD::CheckOptions(const SGDOptions& options) const { CheckSgd(options); }

void SGD::Step() {
  NoGradGuard no_grad;
  for (const ParamGroup<SGDOptions>& group : groups_) {
    if (group.params.empty()) continue;
    const SGDOptions& o = group.options;
    Attrs attrs{{"lr", o.lr},
                {"momentum", o.momentum},
                {"dampening", o.dampening},
                {"weight_decay", o.weight_decay},
                {"nesterov", o.nesterov},
                {"maximize", o.maximize}};
    if (o.momentum == 0) {
      Call("_fused_sgd_", AsOperands(group.params), attrs);
      continue;
    }
    // Parameters whose buffer is new take the first-step rule (buf = grad).
    std::vector<Tensor> fresh, warm;
    for (const Tensor& p : group.params) {
      auto [it, inserted] = momentum_buffers_.try_emplace(p.handle());
      if (inserted) {
        it->second = ZerosLikeNoSync(p);
        fresh.push_back(p);
      } else {
        warm.push_back(p);
      }
    }
    for (auto* ps : {&fresh, &warm}) {
      if (ps->empty()) continue;
      std::vector<Operand> inputs = AsOperands(*ps);
      for (const Tensor& p : *ps) inputs.emplace_back(momentum_buffers_.at(p.handle()));
      Attrs a = attrs;
      a["first_step"] = (ps == &fresh);
      Call("_fused_sgd_", std::move(inputs), std::move(a));
    }
  }
}

Tensor SGD::MomentumBuffer(const Tensor& param) const {
  auto it = momentum_buffers_.find(param.handle());
  return it == momentum_buffers_.end() ? Tensor() : it->second;
}

// ------------------------------------------------------------------ Adam, AdamW

Adam::Adam(std::vector<Tensor> params, AdamOptions options)
    : Adam(OneGroup(std::move(params), options), false) {}

Adam::Adam(std::vector<ParamGroup<AdamOptions>> groups) : Adam(std::move(groups), false) {}

Adam::Adam(std::vector<ParamGroup<AdamOptions>> groups, bool decoupled_weight_decay)
    : OptimizerWithGroups(std::move(groups)), decoupled_weight_decay_(decoupled_weight_decay) {
  for (const auto& g : groups_) CheckAdam(g.options);
}

void Adam::CheckOptions(const AdamOptions& options) const { CheckAdam(options); }

void Adam::Step() {
  NoGradGuard no_grad;
  for (const ParamGroup<AdamOptions>& group : groups_) {
    if (group.params.empty()) continue;
    const AdamOptions& o = group.options;
    // Parameters are batched by their step count (bias correction differs).
    std::map<int64_t, std::vector<Tensor>> by_step;
    for (const Tensor& p : group.params) {
      State& st = state_[p.handle()];
      if (!st.exp_avg.defined()) {
        st.exp_avg = ZerosLikeNoSync(p);
        st.exp_avg_sq = ZerosLikeNoSync(p);
      }
      if (o.amsgrad && !st.max_exp_avg_sq.defined()) st.max_exp_avg_sq = ZerosLikeNoSync(p);
      ++st.step;
      by_step[st.step].push_back(p);
    }
    for (const auto& [step, ps] : by_step) {
      std::vector<Operand> inputs = AsOperands(ps);
      for (const Tensor& p : ps) inputs.emplace_back(state_.at(p.handle()).exp_avg);
      for (const Tensor& p : ps) inputs.emplace_back(state_.at(p.handle()).exp_avg_sq);
      if (o.amsgrad) {
        for (const Tensor& p : ps) inputs.emplace_back(state_.at(p.handle()).max_exp_avg_sq);
      }
      Call("_fused_adam_", std::move(inputs),
           {{"lr", o.lr},
            {"beta1", o.beta1},
            {"beta2", o.beta2},
            {"eps", o.eps},
            {"weight_decay", o.weight_decay},
            {"amsgrad", o.amsgrad},
            {"maximize", o.maximize},
            {"decoupled_weight_decay", decoupled_weight_decay_},
            {"step", step}});
    }
  }
}

int64_t Adam::StepCount(const Tensor& param) const {
  auto it = state_.find(param.handle());
  return it == state_.end() ? 0 : it->second.step;
}

AdamW::AdamW(std::vector<Tensor> params, AdamOptions options)
    : Adam(OneGroup(std::move(params), options), true) {}

AdamW::AdamW(std::vector<ParamGroup<AdamOptions>> groups) : Adam(std::move(groups), true) {}

// ------------------------------------------------------------------ schedulers

LRScheduler::LRScheduler(Optimizer& optimizer) : optimizer_(optimizer) {
  for (size_t g = 0; g < optimizer_.NumGroups(); ++g) base_lrs_.push_back(optimizer_.Lr(g));
}

void LRScheduler::Init() { Step(); }

void LRScheduler::Step() {
  ++step_count_;
  ++last_epoch_;
  std::vector<double> lrs = GetLr();
  for (size_t g = 0; g < lrs.size() && g < optimizer_.NumGroups(); ++g) {
    optimizer_.SetLr(g, lrs[g]);
  }
  last_lr_.clear();
  for (size_t g = 0; g < optimizer_.NumGroups(); ++g) last_lr_.push_back(optimizer_.Lr(g));
}

StepLR::StepLR(Optimizer& optimizer, int64_t step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
  if (step_size <= 0) Invalid("StepLR step_size must be positive");
  Init();
}

std::vector<double> StepLR::GetLr() {
  std::vector<double> lrs;
  bool decay = last_epoch_ != 0 && last_epoch_ % step_size_ == 0;
  for (size_t g = 0; g < optimizer_.NumGroups(); ++g) {
    lrs.push_back(decay ? optimizer_.Lr(g) * gamma_ : optimizer_.Lr(g));
  }
  return lrs;
}

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, int64_t t_max, double eta_min)
    : LRScheduler(optimizer), t_max_(t_max), eta_min_(eta_min) {
  if (t_max <= 0) Invalid("CosineAnnealingLR T_max must be positive");
  Init();
}

std::vector<double> CosineAnnealingLR::GetLr() {
  // torch/optim/lr_scheduler.py CosineAnnealingLR.get_lr, term for term.
  constexpr double kPi = std::numbers::pi;
  const double t_max = static_cast<double>(t_max_);
  const double epoch = static_cast<double>(last_epoch_);
  std::vector<double> lrs;
  for (size_t g = 0; g < optimizer_.NumGroups(); ++g) {
    double lr = optimizer_.Lr(g);
    double base = base_lrs_[g];
    if (last_epoch_ == 0) {
      lrs.push_back(lr);
    } else if (step_count_ == 1 && last_epoch_ > 0) {
      lrs.push_back(eta_min_ + (base - eta_min_) * (1 + std::cos(epoch * kPi / t_max)) / 2);
    } else if ((last_epoch_ - 1 - t_max_) % (2 * t_max_) == 0) {
      lrs.push_back(lr + (base - eta_min_) * (1 - std::cos(kPi / t_max)) / 2);
    } else {
      lrs.push_back((1 + std::cos(kPi * epoch / t_max)) /
                        (1 + std::cos(kPi * (epoch - 1) / t_max)) * (lr - eta_min_) +
                    eta_min_);
    }
  }
  return lrs;
}

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma)
    : LRScheduler(optimizer), gamma_(gamma) {
  Init();
}

std::vector<double> ExponentialLR::GetLr() {
  std::vector<double> lrs;
  for (size_t g = 0; g < optimizer_.NumGroups(); ++g) {
    lrs.push_back(last_epoch_ == 0 ? optimizer_.Lr(g) : optimizer_.Lr(g) * gamma_);
  }
  return lrs;
}

MultiStepLR::MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma)
    : LRScheduler(optimizer), milestones_(std::move(milestones)), gamma_(gamma) {
  Init();
}

std::vector<double> MultiStepLR::GetLr() {
  int64_t hits = std::count(milestones_.begin(), milestones_.end(), last_epoch_);
  std::vector<double> lrs;
  for (size_t g = 0; g < optimizer_.NumGroups(); ++g) {
    double lr = optimizer_.Lr(g);
    lrs.push_back(hits == 0 ? lr : lr * std::pow(gamma_, static_cast<double>(hits)));
  }
  return lrs;
}

LambdaLR::LambdaLR(Optimizer& optimizer, std::function<double(int64_t)> lr_lambda)
    : LRScheduler(optimizer), lr_lambda_(std::move(lr_lambda)) {
  if (!lr_lambda_) Invalid("LambdaLR needs a function");
  Init();
}

std::vector<double> LambdaLR::GetLr() {
  std::vector<double> lrs;
  for (double base : base_lrs_) lrs.push_back(base * lr_lambda_(last_epoch_));
  return lrs;
}

}  // namespace tensord::optim
