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

Tensor Module::RegisterParameter(std::string name, Tensor tensor) {
  if (tensor.defined()) tensor.RequiresGrad_(true);
  params_.emplace_back(std::move(name), tensor);
  return tensor;
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

std::vector<std::pair<std::string, Tensor>> Module::StateDict() const {
  std::vector<std::pair<std::string, Tensor>> out;
  for (auto& [name, t] : NamedParameters()) {
    out.emplace_back(name, t.defined() ? t.Detach() : t);
  }
  return out;
}

void Module::LoadStateDict(const std::vector<std::pair<std::string, Tensor>>& state,
                           bool strict) {
  std::vector<std::pair<std::string, Tensor>> params = NamedParameters();
  std::vector<std::string> missing, unexpected;
  for (const auto& [name, value] : state) {
    bool found = false;
    for (const auto& [pname, p] : params) found = found || pname == name;
    if (!found) unexpected.push_back(name);
  }
  for (const auto& [pname, p] : params) {
    bool found = false;
    for (const auto& [name, value] : state) found = found || pname == name;
    if (!found) missing.push_back(pname);
  }
  if (strict && (!missing.empty() || !unexpected.empty())) {
    auto join = [](const std::vector<std::string>& names) {
      std::string out;
      for (const std::string& n : names) out += (out.empty() ? "\"" : ", \"") + n + "\"";
      return out;
    };
    std::string message = "Error(s) in loading state_dict for " + Name() + ":";
    if (!missing.empty()) message += " Missing key(s) in state_dict: " + join(missing) + ".";
    if (!unexpected.empty()) {
      message += " Unexpected key(s) in state_dict: " + join(unexpected) + ".";
    }
    throw Error(3, message, "load_state_dict");
  }
  NoGradGuard no_grad;
  for (auto& [pname, p] : params) {
    for (const auto& [name, value] : state) {
      if (name != pname || !p.defined()) continue;
      if (value.Shape() != p.Shape()) {
        throw Error(3,
                    "size mismatch for " + name + ": copying a param of another shape "
                    "(shapes differ from the current model's)",
                    "load_state_dict");
      }
      p.Copy_(value);
    }
  }
}

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

// ------------------------------------------------------------------ Dropout

Dropout::Dropout(double p) : p_(p) {
  if (p < 0 || p > 1) {
    throw Error(3, "dropout probability has to be between 0 and 1, but got " + std::to_string(p),
                "dropout");
  }
}

Tensor Dropout::Forward(const Tensor& input) {
  return functional::Dropout(input, p_, is_training());
}

std::string Dropout::ExtraRepr() const {
  std::ostringstream os;
  os << "p=" << p_ << ", inplace=False";
  return os.str();
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

Tensor L1Loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  return Reduce((input - target).Abs(), reduction);
}

Tensor BinaryCrossEntropy(const Tensor& input, const Tensor& target, Reduction reduction) {
  if (target.Shape() != input.Shape()) {
    throw Error(3, "Using a target size that is different to the input size is deprecated. "
                   "Please ensure they have the same size.", "binary_cross_entropy");
  }
  Tensor log_x = input.Log().Clamp(-100);
  Tensor log_1mx = input.Call("rsub", {1})[0].Log().Clamp(-100);
  Tensor t_1m = target.Call("rsub", {1})[0];
  return Reduce((target * log_x + t_1m * log_1mx).Neg(), reduction);
}

Tensor BinaryCrossEntropyWithLogits(const Tensor& input, const Tensor& target,
                                    Reduction reduction) {
  // (1 - t) * x + log(exp(-m) + exp(-x - m)) + m, m = max(-x, 0) (ATen).
  if (target.Shape() != input.Shape()) {
    throw Error(3, "Target size must be the same as input size",
                "binary_cross_entropy_with_logits");
  }
  Tensor neg_x = input.Neg();
  Tensor m = neg_x.Clamp(0);
  Tensor lse = (m.Neg().Exp() + (neg_x - m).Exp()).Log() + m;
  Tensor base = target.Call("rsub", {1})[0] * input;
  return Reduce(base + lse, reduction);
}

Tensor Dropout(const Tensor& input, double p, bool training) {
  // As ATen on CPU: noise = empty_like(input).bernoulli_(1 - p).div_(1 - p).
  if (p < 0 || p > 1) {
    throw Error(3, "dropout probability has to be between 0 and 1, but got " + std::to_string(p),
                "dropout");
  }
  if (!training || p == 0) return input;
  Tensor noise;
  {
    NoGradGuard no_grad;
    if (p == 1) {
      noise = ZerosLike(input);
    } else {
      noise = EmptyLike(input);
      noise.Bernoulli_(1 - p).Div_(1 - p);
    }
  }
  return input * noise;
}

}  // namespace functional

// ------------------------------------------------------------------ init

namespace init {

namespace {
std::pair<int64_t, int64_t> Fans(const Tensor& t) {
  std::vector<int64_t> shape = t.Shape();
  if (shape.size() < 2) {
    throw Error(3,
                "Fan in and fan out can not be computed for tensor with fewer than 2 "
                "dimensions",
                "init");
  }
  int64_t receptive = 1;
  for (size_t i = 2; i < shape.size(); ++i) receptive *= shape[i];
  return {shape[1] * receptive, shape[0] * receptive};
}

int64_t CorrectFan(const Tensor& t, std::string_view mode) {
  auto [fan_in, fan_out] = Fans(t);
  if (mode == "fan_in") return fan_in;
  if (mode == "fan_out") return fan_out;
  throw Error(3, "Mode " + std::string(mode) + " not supported, please use one of fan_in, fan_out",
              "init");
}
}  // namespace

double CalculateGain(std::string_view nonlinearity, std::optional<double> param) {
  for (std::string_view linear : {"linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                                  "conv_transpose2d", "conv_transpose3d", "sigmoid"}) {
    if (nonlinearity == linear) return 1;
  }
  if (nonlinearity == "tanh") return 5.0 / 3;
  if (nonlinearity == "relu") return std::sqrt(2.0);
  if (nonlinearity == "leaky_relu") {
    double slope = param.value_or(0.01);
    return std::sqrt(2.0 / (1 + slope * slope));
  }
  if (nonlinearity == "selu") return 3.0 / 4;
  throw Error(3, "Unsupported nonlinearity " + std::string(nonlinearity), "init");
}

Tensor& Uniform_(Tensor& tensor, double a, double b) {
  NoGradGuard no_grad;
  return tensor.Uniform_(a, b);
}
Tensor& Normal_(Tensor& tensor, double mean, double std) {
  NoGradGuard no_grad;
  return tensor.Normal_(mean, std);
}
Tensor& Constant_(Tensor& tensor, Scalar value) {
  NoGradGuard no_grad;
  return tensor.Fill_(value);
}
Tensor& Zeros_(Tensor& tensor) {
  NoGradGuard no_grad;
  return tensor.Zero_();
}
Tensor& Ones_(Tensor& tensor) { return Constant_(tensor, 1.0); }

Tensor& XavierUniform_(Tensor& tensor, double gain) {
  auto [fan_in, fan_out] = Fans(tensor);
  double std = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  double a = std::sqrt(3.0) * std;
  return Uniform_(tensor, -a, a);
}
Tensor& XavierNormal_(Tensor& tensor, double gain) {
  auto [fan_in, fan_out] = Fans(tensor);
  double std = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  return Normal_(tensor, 0.0, std);
}
Tensor& KaimingUniform_(Tensor& tensor, double a, std::string_view mode,
                        std::string_view nonlinearity) {
  if (tensor.Numel() == 0) return tensor;  // torch warns: a no-op
  int64_t fan = CorrectFan(tensor, mode);
  double std = CalculateGain(nonlinearity, a) / std::sqrt(static_cast<double>(fan));
  double bound = std::sqrt(3.0) * std;
  return Uniform_(tensor, -bound, bound);
}
Tensor& KaimingNormal_(Tensor& tensor, double a, std::string_view mode,
                       std::string_view nonlinearity) {
  if (tensor.Numel() == 0) return tensor;
  int64_t fan = CorrectFan(tensor, mode);
  double std = CalculateGain(nonlinearity, a) / std::sqrt(static_cast<double>(fan));
  return Normal_(tensor, 0.0, std);
}

}  // namespace init

}  // namespace tensord::nn
