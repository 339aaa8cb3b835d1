// tensord::nn: a small torch.nn for the C++ client — modules holding server
// tensors as parameters, PyTorch's default initialisation, common losses.
//
//   tensord::Client client;
//   client.ManualSeed(0);
//   tensord::nn::Sequential model;            // examples/train_mlp.cc has a whole loop
//   model.Add(std::make_shared<tensord::nn::Linear>(client, 2, 16));
//   model.Add(std::make_shared<tensord::nn::ReLU>());
//   model.Add(std::make_shared<tensord::nn::Linear>(client, 16, 3));
//   tensord::nn::CrossEntropyLoss loss_fn;
//   auto loss = loss_fn(model(x), y);
//
// Note [Seeded initialisation]
//   Linear draws its weight, then its bias, from the session generator with
//   the same distribution and arithmetic as torch.nn.Linear
//   (kaiming_uniform_(a=sqrt(5)) = uniform(-1/sqrt(in), 1/sqrt(in)), then the
//   bias in the same bound), so after the same ManualSeed a model built layer
//   by layer in the same order has PyTorch's parameters exactly.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tensord/tensord.h"

namespace tensord::nn {

// Base class of layers (torch.nn.Module): parameters and child modules in
// registration order, train/eval mode. A model of one's own:
//
//   class Net : public tensord::nn::Module {
//    public:
//     explicit Net(tensord::Client& c)
//         : fc1_(RegisterModule("fc1", std::make_shared<nn::Linear>(c, 2, 16))),
//           fc2_(RegisterModule("fc2", std::make_shared<nn::Linear>(c, 16, 1))) {}
//     tensord::Tensor Forward(const tensord::Tensor& x) override {
//       return fc2_->Forward(fc1_->Forward(x).Relu());
//     }
//    protected:
//     std::string Name() const override { return "Net"; }
//    private:
//     std::shared_ptr<nn::Linear> fc1_, fc2_;
//   };
class Module {
 public:
  virtual ~Module() = default;

  // The layer's computation on one input.
  virtual Tensor Forward(const Tensor& input) = 0;
  Tensor operator()(const Tensor& input) { return Forward(input); }

  // Own parameters first, then children's, in registration order (torch's
  // `parameters()`), as handles sharing the module's tensors.
  std::vector<Tensor> Parameters() const;
  // ("0.weight", tensor), ... dotted names as torch's named_parameters().
  std::vector<std::pair<std::string, Tensor>> NamedParameters() const;
  // Drops (default) or zeroes every parameter's .grad.
  void ZeroGrad(bool set_to_none = true);
  // Training mode (affects only modules that care, none here yet).
  void Train(bool on = true);
  void Eval() { Train(false); }
  bool is_training() const { return training_; }
  // "Linear(in_features=2, out_features=3, bias=True)" style, as torch prints.
  virtual std::string Repr() const;
  // The parameters by dotted name (torch's state_dict() of a module without
  // buffers), as detached aliases of the module's tensors.
  std::vector<std::pair<std::string, Tensor>> StateDict() const;
  // Copies values into the parameters of the same names (under no_grad).
  // With `strict`, missing or unexpected names are an error, as in torch.
  void LoadStateDict(const std::vector<std::pair<std::string, Tensor>>& state,
                     bool strict = true);

 protected:
  // Registers a leaf tensor as a parameter (sets requires_grad); returns it
  // (a handle shared with the module).
  Tensor RegisterParameter(std::string name, Tensor tensor);
  // Registers a child module; returns it.
  template <typename M>
  std::shared_ptr<M> RegisterModule(std::string name, std::shared_ptr<M> module) {
    children_.emplace_back(std::move(name), module);
    return module;
  }
  // The class name Repr prints (torch prints the Python class name).
  virtual std::string Name() const { return "Module"; }
  virtual std::string ExtraRepr() const { return ""; }

 private:
  std::vector<std::pair<std::string, Tensor>> params_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;

};

// y = x @ weight.T + bias (torch.nn.Linear); weight is (out, in).
// See Note [Seeded initialisation].
class Linear : public Module {
 public:
  Linear(Client& client, int64_t in_features, int64_t out_features, bool bias = true,
         TensorOptions options = {});
  Tensor Forward(const Tensor& input) override;
  // Re-draws weight and bias as torch's reset_parameters does.
  void ResetParameters();

  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }  // undefined without bias
  int64_t in_features() const { return in_features_; }
  int64_t out_features() const { return out_features_; }

 protected:
  std::string Name() const override { return "Linear"; }
  std::string ExtraRepr() const override;

 private:
  int64_t in_features_;
  int64_t out_features_;
  Tensor weight_;
  Tensor bias_;
};

// Runs its modules in order (torch.nn.Sequential); children are named "0", "1", ...
class Sequential : public Module {
 public:
  Sequential() = default;
  explicit Sequential(std::vector<std::shared_ptr<Module>> modules);
  // Appends a module; returns *this for chaining.
  Sequential& Add(std::shared_ptr<Module> module);
  Tensor Forward(const Tensor& input) override;
  size_t size() const { return modules_.size(); }
  const std::shared_ptr<Module>& operator[](size_t i) const { return modules_.at(i); }

 protected:
  std::string Name() const override { return "Sequential"; }

 private:
  std::vector<std::shared_ptr<Module>> modules_;
};

// Elementwise activations.
class ReLU : public Module {
 public:
  Tensor Forward(const Tensor& input) override { return input.Relu(); }

 protected:
  std::string Name() const override { return "ReLU"; }
};
class Tanh : public Module {
 public:
  Tensor Forward(const Tensor& input) override { return input.Tanh(); }

 protected:
  std::string Name() const override { return "Tanh"; }
};
class Sigmoid : public Module {
 public:
  Tensor Forward(const Tensor& input) override { return input.Sigmoid(); }

 protected:
  std::string Name() const override { return "Sigmoid"; }
};
class GELU : public Module {
 public:
  Tensor Forward(const Tensor& input) override { return input.Gelu(); }

 protected:
  std::string Name() const override { return "GELU"; }
};

// Zeroes each element with probability p in training mode and scales the
// rest by 1/(1-p) (the same draws as torch: bernoulli_(1-p) on the session
// generator); the identity in eval mode.
class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5);
  Tensor Forward(const Tensor& input) override;

 protected:
  std::string Name() const override { return "Dropout"; }
  std::string ExtraRepr() const override;

 private:
  double p_;
};

// Flattens dims start_dim..end_dim into one (default: all but the batch dim).
class Flatten : public Module {
 public:
  explicit Flatten(int64_t start_dim = 1, int64_t end_dim = -1)
      : start_dim_(start_dim), end_dim_(end_dim) {}
  Tensor Forward(const Tensor& input) override { return input.Flatten(start_dim_, end_dim_); }

 protected:
  std::string Name() const override { return "Flatten"; }
  std::string ExtraRepr() const override {
    return "start_dim=" + std::to_string(start_dim_) + ", end_dim=" + std::to_string(end_dim_);
  }

 private:
  int64_t start_dim_;
  int64_t end_dim_;
};

class Softmax : public Module {
 public:
  explicit Softmax(int64_t dim) : dim_(dim) {}
  Tensor Forward(const Tensor& input) override { return input.Softmax(dim_); }

 protected:
  std::string Name() const override { return "Softmax"; }
  std::string ExtraRepr() const override { return "dim=" + std::to_string(dim_); }

 private:
  int64_t dim_;
};

class LogSoftmax : public Module {
 public:
  explicit LogSoftmax(int64_t dim) : dim_(dim) {}
  Tensor Forward(const Tensor& input) override { return input.LogSoftmax(dim_); }

 protected:
  std::string Name() const override { return "LogSoftmax"; }
  std::string ExtraRepr() const override { return "dim=" + std::to_string(dim_); }

 private:
  int64_t dim_;
};

// How a loss reduces its per-element values.
enum class Reduction { kMean, kSum, kNone };

namespace functional {
// input @ weight.T + bias (addmm for 2-D input, as PyTorch; bias may be undefined).
Tensor Linear(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor());
// mean((input - target)^2) (or sum / per element).
Tensor MseLoss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::kMean);
// Negative log likelihood of int64 class indices under log-probabilities
// `input` ((N, C) or (C)); targets equal to ignore_index do not count.
Tensor NllLoss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::kMean,
               int64_t ignore_index = -100);
// log_softmax over the class dimension, then NllLoss (int64 `target`), or,
// for a floating `target` of input's shape, the cross entropy with those
// class probabilities. As torch.nn.functional.cross_entropy.
Tensor CrossEntropy(const Tensor& input, const Tensor& target,
                    Reduction reduction = Reduction::kMean, int64_t ignore_index = -100);
// mean(|input - target|).
Tensor L1Loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::kMean);
// -(t * log(x) + (1 - t) * log(1 - x)) with each log clamped at -100 (ATen).
Tensor BinaryCrossEntropy(const Tensor& input, const Tensor& target,
                          Reduction reduction = Reduction::kMean);
// Sigmoid + binary cross entropy in ATen's stable form, on logits `input`.
Tensor BinaryCrossEntropyWithLogits(const Tensor& input, const Tensor& target,
                                    Reduction reduction = Reduction::kMean);
// See Dropout; `training` false (or p = 0) returns input.
Tensor Dropout(const Tensor& input, double p = 0.5, bool training = true);
}  // namespace functional

// nn.init: in-place initialisers drawing from the session generator with
// torch's formulas (so seeded results equal torch's). `tensor` is at least
// 2-D for the fan-based ones; fans as torch: fan_in = size(1) * receptive field.
namespace init {
double CalculateGain(std::string_view nonlinearity, std::optional<double> param = std::nullopt);
Tensor& Uniform_(Tensor& tensor, double a = 0, double b = 1);
Tensor& Normal_(Tensor& tensor, double mean = 0, double std = 1);
Tensor& Constant_(Tensor& tensor, Scalar value);
Tensor& Zeros_(Tensor& tensor);
Tensor& Ones_(Tensor& tensor);
Tensor& XavierUniform_(Tensor& tensor, double gain = 1);
Tensor& XavierNormal_(Tensor& tensor, double gain = 1);
// mode "fan_in" or "fan_out"; nonlinearity as CalculateGain ("leaky_relu" uses a).
Tensor& KaimingUniform_(Tensor& tensor, double a = 0, std::string_view mode = "fan_in",
                        std::string_view nonlinearity = "leaky_relu");
Tensor& KaimingNormal_(Tensor& tensor, double a = 0, std::string_view mode = "fan_in",
                       std::string_view nonlinearity = "leaky_relu");
}  // namespace init

// Loss modules (callable as loss(input, target)).
class MSELoss {
 public:
  explicit MSELoss(Reduction reduction = Reduction::kMean) : reduction_(reduction) {}
  Tensor operator()(const Tensor& input, const Tensor& target) const {
    return functional::MseLoss(input, target, reduction_);
  }

 private:
  Reduction reduction_;
};

class CrossEntropyLoss {
 public:
  explicit CrossEntropyLoss(Reduction reduction = Reduction::kMean, int64_t ignore_index = -100)
      : reduction_(reduction), ignore_index_(ignore_index) {}
  Tensor operator()(const Tensor& input, const Tensor& target) const {
    return functional::CrossEntropy(input, target, reduction_, ignore_index_);
  }

 private:
  Reduction reduction_;
  int64_t ignore_index_;
};

class L1Loss {
 public:
  explicit L1Loss(Reduction reduction = Reduction::kMean) : reduction_(reduction) {}
  Tensor operator()(const Tensor& input, const Tensor& target) const {
    return functional::L1Loss(input, target, reduction_);
  }

 private:
  Reduction reduction_;
};

class NLLLoss {
 public:
  explicit NLLLoss(Reduction reduction = Reduction::kMean, int64_t ignore_index = -100)
      : reduction_(reduction), ignore_index_(ignore_index) {}
  Tensor operator()(const Tensor& input, const Tensor& target) const {
    return functional::NllLoss(input, target, reduction_, ignore_index_);
  }

 private:
  Reduction reduction_;
  int64_t ignore_index_;
};

class BCELoss {
 public:
  explicit BCELoss(Reduction reduction = Reduction::kMean) : reduction_(reduction) {}
  Tensor operator()(const Tensor& input, const Tensor& target) const {
    return functional::BinaryCrossEntropy(input, target, reduction_);
  }

 private:
  Reduction reduction_;
};

class BCEWithLogitsLoss {
 public:
  explicit BCEWithLogitsLoss(Reduction reduction = Reduction::kMean) : reduction_(reduction) {}
  Tensor operator()(const Tensor& input, const Tensor& target) const {
    return functional::BinaryCrossEntropyWithLogits(input, target, reduction_);
  }

 private:
  Reduction reduction_;
};

// Prints a module as torch does (nested, one child per line).
std::ostream& operator<<(std::ostream& os, const Module& module);

}  // namespace tensord::nn
