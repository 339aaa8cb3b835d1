// tensord::nn: modules, PyTorch's default initialisation, losses (ports of
// client/python/tensord/nn, which follow torch.nn and ATen's compositions).
#include "tensord/nn.h"

#include <cmath>
#include <ostream>
#include <sstream>

namespace tensord::nn {

// ------------------------------------------------------------------ Module

std::vector<std::pair<std::string, Tensor>> Module::NamedParameters() const {
  std::vector<std::pair<std::string, Tensor>> out = params_;
  for (const auto& [name, child] : children_) {
    for (auto& [sub, t] : child->NamedParameters()) out.emplace_back(name + "." + sub, t);
  }
  return out;
}

std::vector<Tensor> Module::Parameters() const {
  std::vector<Tensor> out;
  for (auto& [name, t] : NamedParameters()) out.push_back(t);
  return out;
}

void Module::ZeroGrad(bool set_to_none) {
  for (Tensor& p : Parameters()) {
    if (set_to_none) {
      p.SetGrad(Tensor());
      continue;
    }
    Tensor grad = p.Grad();
    if (grad.defined()) {
      NoGradGuard no_grad;
      grad.Zero_();
    }
  }
}

void Module::Train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->Train(on);
}

Tensor& Module::RegisterParameter(std::string name, Tensor tensor) {
  if (tensor.defined()) tensor.RequiresGrad_(true);
  params_.emplace_back(std::move(name), std::move(tensor));
  return params_.back().second;
}

std::string Module::Repr() const {
  std::string out = Name() + "(" + ExtraRepr();
  if (children_.empty()) return out + ")";
  out += "\n";
  for (const auto& [name, child] : children_) {
    std::string child_repr = child->Repr();
    std::string indented;
    for (char c : child_repr) {
      indented += c;
      if (c == '\n') indented += "  ";
    }
    out += "  (" + name + "): " + indented + "\n";
  }
  return out + ")";
}

std::ostream& operator<<(std::ostream& os, const Module& module) { return os << module.Repr(); }

// ------------------------------------------------------------------ Linear

Linear::Linear(Client& client, int64_t in_features, int64_t out_features, bool bias,
               TensorOptions options)
    : in_features_(in_features), out_features_(out_features) {
  options.requires_grad = false;
  weight_ = RegisterParameter("weight", client.Empty({out_features, in_features}, options));
  if (bias) bias_ = RegisterParameter("bias", client.Empty({out_features}, options));
  ResetParameters();
}

void Linear::ResetParameters() {
  // kaiming_uniform_(weight, a=sqrt(5)): gain = sqrt(2 / (1 + a^2)),
  // std = gain / sqrt(fan_in), bound = sqrt(3) * std (torch/nn/init.py).
  NoGradGuard no_grad;
  if (in_features_ * out_features_ == 0) return;  // torch warns and skips
  const double a = std::sqrt(5.0);
  const double gain = std::sqrt(2.0 / (1 + a * a));
  const double std = gain / std::sqrt(static_cast<double>(in_features_));
  const double bound = std::sqrt(3.0) * std;
  weight_.Uniform_(-bound, bound);
  if (bias_.defined()) {
    const double b = in_features_ > 0 ? 1 / std::sqrt(static_cast<double>(in_features_)) : 0;
    bias_.Uniform_(-b, b);
  }
}

Tensor Linear::Forward(const Tensor& input) { return functional::Linear(input, weight_, bias_); }

std::string Linear::ExtraRepr() const {
  return "in_features=" + std::to_string(in_features_) +
         ", out_features=" + std::to_string(out_features_) +
         ", bias=" + (bias_.defined() ? "True" : "False");
}

// ------------------------------------------------------------------ Sequential

Sequential::Sequential(std::vector<std::shared_ptr<Module>> modules) {
  for (auto& m : modules) Add(std::move(m));
}

Sequential& Sequential::Add(std::shared_ptr<Module> module) {
  if (module == nullptr) throw Error(3, "Sequential::Add got a null module", "nn");
  RegisterModule(std::to_string(modules_.size()), module);
  modules_.push_back(std::move(module));
  return *this;
}

Tensor Sequential::Forward(const Tensor& input) {
  Tensor x = input;
  for (auto& m : modules_) x = m->Forward(x);
  return x;
}

// ------------------------------------------------------------------ functional

namespace functional {

namespace {
Tensor Reduce(const Tensor& loss, Reduction reduction) {
  switch (reduction) {
    case Reduction::kMean: return loss.Mean();
    case Reduction::kSum: return loss.Sum();
    case Reduction::kNone: break;
  }
  return loss;
}
}  // namespace

Tensor Linear(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  Tensor wt = weight.T();
  if (bias.defined() && input.Dim() == 2) return Addmm(bias, input, wt);
  Tensor out = input.Matmul(wt);
  return bias.defined() ? out + bias : out;
}

Tensor MseLoss(const Tensor& input, const Tensor& target, Reduction reduction) {
  Tensor d = input - target;
  return Reduce(d * d, reduction);
}

Tensor NllLoss(const Tensor& input, const Tensor& target, Reduction reduction,
               int64_t ignore_index) {
  // mean = sum(-input[n, t_n]) / (number of targets != ignore_index), as ATen.
  int64_t ndim = input.Dim();
  if (ndim < 1) throw Error(3, "Expected 1 or more dimensions (got 0)", "nll_loss");
  if (target.DType() != DType::kInt64) {
    throw Error(3,
                "expected scalar type Long but found " + std::string(DTypeName(target.DType())),
                "nll_loss");
  }
  bool squeeze = ndim == 1;
  Tensor in = squeeze ? input.Unsqueeze(0) : input;
  Tensor tg = squeeze ? target.Reshape({1}) : target;
  Tensor ignored = tg.Eq(ignore_index);
  Tensor safe = tg.MaskedFill(ignored, 0);
  Tensor picked = in.Gather(1, safe.Unsqueeze(1)).Squeeze({1});
  Tensor w = ignored.Eq(false).To(in.DType());
  Tensor losses = (picked * w).Neg();
  switch (reduction) {
    case Reduction::kNone: return squeeze ? losses.Reshape({}) : losses;
    case Reduction::kSum: return losses.Sum();
    case Reduction::kMean: break;
  }
  return losses.Sum() / w.Sum();
}

Tensor CrossEntropy(const Tensor& input, const Tensor& target, Reduction reduction,
                    int64_t ignore_index) {
  int64_t ndim = input.Dim();
  int64_t class_dim = ndim == 1 ? 0 : 1;
  Tensor logp = input.LogSoftmax(class_dim);
  if (IsFloatingPoint(target.DType())) {  // class probabilities
    std::vector<int64_t> shape = input.Shape();
    if (target.Shape() != shape) {
      throw Error(3, "Expected target size to equal input size", "cross_entropy");
    }
    Tensor prod = logp * target;
    switch (reduction) {
      case Reduction::kMean: {
        int64_t n_classes = shape[class_dim];
        int64_t n = n_classes ? input.Numel() / n_classes : 0;
        return prod.Sum().Neg() / n;
      }
      case Reduction::kSum: return prod.Sum().Neg();
      case Reduction::kNone: break;
    }
    return prod.Sum({class_dim}).Neg();
  }
  return NllLoss(logp, target, reduction, ignore_index);
}

}  // namespace functional

}  // namespace tensord::nn
