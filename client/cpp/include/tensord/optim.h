// tensord::optim: torch.optim for the C++ client. Each Step() is one fused
// server command per parameter group (`_fused_sgd_` / `_fused_adam_`, the
// commands the Python client sends): the server reads every parameter's .grad
// and updates parameters and optimizer state in place with PyTorch's float
// arithmetic, so a step costs no round trip and equals torch.optim's step.
//
//   tensord::optim::Adam opt(model.Parameters(), {.lr = 1e-2});
//   tensord::optim::StepLR sched(opt, /*step_size=*/10, /*gamma=*/0.5);
//   for (...) { opt.ZeroGrad(); loss_fn(model(x), y).Backward(); opt.Step(); }
//   sched.Step();   // once per epoch
//
// As in the Python client (Note [Fused optimizer steps] there), state
// advances for every parameter of a group at each Step(), also for a
// parameter that has no .grad at that step (the server skips its update).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "tensord/tensord.h"

namespace tensord::optim {

// Base of the optimizers: parameter groups with a learning rate each.
class Optimizer {
 public:
  virtual ~Optimizer() = default;

  // One update of every parameter group (pipelined; nothing is fetched).
  virtual void Step() = 0;
  // Drops (default, torch's set_to_none=True) or zeroes every parameter's .grad.
  void ZeroGrad(bool set_to_none = true);

  virtual size_t NumGroups() const = 0;
  virtual const std::vector<Tensor>& Params(size_t group) const = 0;
  // The learning rate of a group (what LR schedulers read and write).
  virtual double Lr(size_t group) const = 0;
  virtual void SetLr(size_t group, double lr) = 0;
};

struct SGDOptions {
  double lr = 1e-3;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
  bool maximize = false;
};

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;  // AdamW: decoupled, and its default is 1e-2
  bool amsgrad = false;
  bool maximize = false;
};

// A parameter group with its own options (torch's param_groups entries).
template <typename Options>
struct ParamGroup {
  std::vector<Tensor> params;
  Options options;
};

// Shared group bookkeeping of the concrete optimizers.
template <typename Options>
class OptimizerWithGroups : public Optimizer {
 public:
  size_t NumGroups() const override { return groups_.size(); }
  const std::vector<Tensor>& Params(size_t group) const override {
    return groups_.at(group).params;
  }
  double Lr(size_t group) const override { return groups_.at(group).options.lr; }
  void SetLr(size_t group, double lr) override { groups_.at(group).options.lr = lr; }
  std::vector<ParamGroup<Options>>& param_groups() { return groups_; }
  const std::vector<ParamGroup<Options>>& param_groups() const { return groups_; }
  // Adds a group (torch's add_param_group, e.g. to fine-tune more layers);
  // its parameters must not be in another group.
  void AddParamGroup(ParamGroup<Options> group);

 protected:
  // Validates (non-empty, defined leaves) and stores the groups; throws
  // tensord::Error (INVALID_ARGUMENT) like torch's ValueError.
  explicit OptimizerWithGroups(std::vector<ParamGroup<Options>> groups);
  // Checks a group's options (the concrete optimizer's rules).
  virtual void CheckOptions(const Options& options) const = 0;
  std::vector<ParamGroup<Options>> groups_;
};

// torch.optim.SGD: momentum, dampening, Nesterov, weight decay, maximize.
class SGD : public OptimizerWithGroups<SGDOptions> {
 public:
  SGD(std::vector<Tensor> params, SGDOptions options);
  explicit SGD(std::vector<ParamGroup<SGDOptions>> groups);
  void Step() override;
  // The momentum buffer of a parameter (undefined before its first step
  // with momentum).
  Tensor MomentumBuffer(const Tensor& param) const;

 protected:
  void CheckOptions(const SGDOptions& options) const override;

 private:
  std::map<uint64_t, Tensor> momentum_buffers_;  // by parameter handle
};

// torch.optim.Adam (amsgrad, maximize, L2 weight decay).
class Adam : public OptimizerWithGroups<AdamOptions> {
 public:
  Adam(std::vector<Tensor> params, AdamOptions options);
  explicit Adam(std::vector<ParamGroup<AdamOptions>> groups);
  void Step() override;
  // Steps taken by a parameter (0 before the first).
  int64_t StepCount(const Tensor& param) const;

 protected:
  Adam(std::vector<ParamGroup<AdamOptions>> groups, bool decoupled_weight_decay);
  void CheckOptions(const AdamOptions& options) const override;

 private:
  struct State {
    int64_t step = 0;
    Tensor exp_avg;
    Tensor exp_avg_sq;
    Tensor max_exp_avg_sq;
  };
  bool decoupled_weight_decay_;
  std::map<uint64_t, State> state_;  // by parameter handle
};

// torch.optim.AdamW: Adam with decoupled weight decay. Note its default
// weight_decay is 1e-2: use AdamW::DefaultOptions() as the starting point.
class AdamW : public Adam {
 public:
  AdamW(std::vector<Tensor> params, AdamOptions options = DefaultOptions());
  explicit AdamW(std::vector<ParamGroup<AdamOptions>> groups);
  static AdamOptions DefaultOptions() {
    AdamOptions o;
    o.weight_decay = 1e-2;
    return o;
  }
};

// ------------------------------------------------------------------ LR schedulers

// torch.optim.lr_scheduler.LRScheduler: constructing one performs the
// initial step (epoch 0); call Step() once per epoch after the optimizer's
// steps. The lr sequence equals PyTorch's (same recursive formulas).
class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  void Step();
  // The lrs set by the latest Step (torch's get_last_lr()).
  const std::vector<double>& GetLastLr() const { return last_lr_; }
  int64_t last_epoch() const { return last_epoch_; }

 protected:
  explicit LRScheduler(Optimizer& optimizer);
  // Call at the end of the derived constructor (performs the initial step).
  void Init();
  virtual std::vector<double> GetLr() = 0;

  Optimizer& optimizer_;
  std::vector<double> base_lrs_;
  int64_t last_epoch_ = -1;
  int64_t step_count_ = 0;

 private:
  std::vector<double> last_lr_;
};

// Multiplies each lr by gamma every step_size epochs.
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, int64_t step_size, double gamma = 0.1);

 protected:
  std::vector<double> GetLr() override;

 private:
  int64_t step_size_;
  double gamma_;
};

// Cosine annealing from the initial lr to eta_min over t_max epochs.
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, int64_t t_max, double eta_min = 0);

 protected:
  std::vector<double> GetLr() override;

 private:
  int64_t t_max_;
  double eta_min_;
};

// Multiplies each lr by gamma every epoch.
class ExponentialLR : public LRScheduler {
 public:
  ExponentialLR(Optimizer& optimizer, double gamma);

 protected:
  std::vector<double> GetLr() override;

 private:
  double gamma_;
};

// Multiplies each lr by gamma at each milestone epoch (repeats count twice).
class MultiStepLR : public LRScheduler {
 public:
  MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma = 0.1);

 protected:
  std::vector<double> GetLr() override;

 private:
  std::vector<int64_t> milestones_;
  double gamma_;
};

// lr = initial lr * lr_lambda(epoch).
class LambdaLR : public LRScheduler {
 public:
  LambdaLR(Optimizer& optimizer, std::function<double(int64_t)> lr_lambda);

 protected:
  std::vector<double> GetLr() override;

 private:
  std::function<double(int64_t)> lr_lambda_;
};

}  // namespace tensord::optim
