// The wider op surface of tensord::Tensor: thin named wrappers over the
// server's registry (engine/ops/op_list.h; the names match ListOps), built on
// the public tensord::Call only.
#include <string>
#include <utility>

#include "tensord/tensord.h"

namespace tensord {

namespace {

Tensor Op1(std::string_view op, std::vector<Operand> inputs, Attrs attrs,
           const std::source_location& loc) {
  return Call(op, std::move(inputs), std::move(attrs), loc)[0];
}

// Reduction attributes: `dims` empty reduces over everything (attr omitted).
Attrs DimAttrs(std::vector<int64_t> dims, bool keepdim) {
  Attrs attrs{{"keepdim", keepdim}};
  if (!dims.empty()) attrs["dim"] = std::move(dims);
  return attrs;
}

AttrValue OptionalScalar(const std::optional<Scalar>& v) {
  return v.has_value() ? AttrValue(*v) : AttrValue(kNone);
}

std::vector<Operand> WithSelf(const Tensor& self, std::vector<Operand> rest) {
  std::vector<Operand> inputs;
  inputs.reserve(rest.size() + 1);
  inputs.emplace_back(self);
  for (Operand& o : rest) inputs.push_back(std::move(o));
  return inputs;
}

}  // namespace

// ------------------------------------------------------------------ unary

#define TENSORD_UNARY_(Name, op_name)                   \
  Tensor Tensor::Name(std::source_location loc) const { \
    return Op1(op_name, {*this}, {}, loc);              \
  }
TENSORD_UNARY_(Abs, "abs")
TENSORD_UNARY_(Sign, "sign")
TENSORD_UNARY_(Sqrt, "sqrt")
TENSORD_UNARY_(Rsqrt, "rsqrt")
TENSORD_UNARY_(Expm1, "expm1")
TENSORD_UNARY_(Log1p, "log1p")
TENSORD_UNARY_(Log2, "log2")
TENSORD_UNARY_(Tan, "tan")
TENSORD_UNARY_(Tanh, "tanh")
TENSORD_UNARY_(Erf, "erf")
TENSORD_UNARY_(Silu, "silu")
TENSORD_UNARY_(Floor, "floor")
TENSORD_UNARY_(Ceil, "ceil")
TENSORD_UNARY_(Round, "round")
TENSORD_UNARY_(Trunc, "trunc")
TENSORD_UNARY_(Reciprocal, "reciprocal")
TENSORD_UNARY_(LogicalNot, "logical_not")
TENSORD_UNARY_(BitwiseNot, "bitwise_not")
TENSORD_UNARY_(Isnan, "isnan")
TENSORD_UNARY_(Isinf, "isinf")
TENSORD_UNARY_(Isfinite, "isfinite")
TENSORD_UNARY_(Max, "max")
TENSORD_UNARY_(Min, "min")
TENSORD_UNARY_(Nonzero, "nonzero")
TENSORD_UNARY_(Bernoulli, "bernoulli")
#undef TENSORD_UNARY_

Tensor Tensor::Gelu(std::string_view approximate, std::source_location loc) const {
  return Op1("gelu", {*this}, {{"approximate", std::string(approximate)}}, loc);
}
Tensor Tensor::Softplus(Scalar beta, Scalar threshold, std::source_location loc) const {
  return Op1("softplus", {*this}, {{"beta", beta}, {"threshold", threshold}}, loc);
}
Tensor Tensor::Clamp(std::optional<Scalar> min, std::optional<Scalar> max,
                     std::source_location loc) const {
  return Op1("clamp", {*this}, {{"min", OptionalScalar(min)}, {"max", OptionalScalar(max)}},
             loc);
}
Tensor Tensor::NanToNum(std::optional<double> nan, std::optional<double> posinf,
                        std::optional<double> neginf, std::source_location loc) const {
  Attrs attrs;
  if (nan.has_value()) attrs["nan"] = *nan;
  if (posinf.has_value()) attrs["posinf"] = *posinf;
  if (neginf.has_value()) attrs["neginf"] = *neginf;
  return Op1("nan_to_num", {*this}, std::move(attrs), loc);
}

// ------------------------------------------------------------------ binary

Tensor Tensor::Div(const Operand& other, std::string_view rounding_mode,
                   std::source_location loc) const {
  Attrs attrs;
  if (!rounding_mode.empty()) attrs["rounding_mode"] = std::string(rounding_mode);
  return Op1("div", {*this, other}, std::move(attrs), loc);
}

#define TENSORD_BINARY_(Name, op_name)                                          \
  Tensor Tensor::Name(const Operand& other, std::source_location loc) const {   \
    return Op1(op_name, {*this, other}, {}, loc);                               \
  }
TENSORD_BINARY_(Remainder, "remainder")
TENSORD_BINARY_(Fmod, "fmod")
TENSORD_BINARY_(Eq, "eq")
TENSORD_BINARY_(Ne, "ne")
TENSORD_BINARY_(Lt, "lt")
TENSORD_BINARY_(Le, "le")
TENSORD_BINARY_(Gt, "gt")
TENSORD_BINARY_(Ge, "ge")
TENSORD_BINARY_(LogicalAnd, "logical_and")
TENSORD_BINARY_(LogicalOr, "logical_or")
TENSORD_BINARY_(LogicalXor, "logical_xor")
TENSORD_BINARY_(BitwiseAnd, "bitwise_and")
TENSORD_BINARY_(BitwiseOr, "bitwise_or")
TENSORD_BINARY_(BitwiseXor, "bitwise_xor")
#undef TENSORD_BINARY_

Tensor Tensor::Maximum(const Tensor& other, std::source_location loc) const {
  return Op1("maximum", {*this, other}, {}, loc);
}
Tensor Tensor::Minimum(const Tensor& other, std::source_location loc) const {
  return Op1("minimum", {*this, other}, {}, loc);
}

// ------------------------------------------------------------------ reductions

#define TENSORD_DIMS_REDUCTION_(Name, op_name)                                          \
  Tensor Tensor::Name(std::vector<int64_t> dims, bool keepdim, std::source_location loc) \
      const {                                                                           \
    return Op1(op_name, {*this}, DimAttrs(std::move(dims), keepdim), loc);              \
  }
TENSORD_DIMS_REDUCTION_(Prod, "prod")
TENSORD_DIMS_REDUCTION_(Amax, "amax")
TENSORD_DIMS_REDUCTION_(Amin, "amin")
TENSORD_DIMS_REDUCTION_(All, "all")
TENSORD_DIMS_REDUCTION_(Any, "any")
TENSORD_DIMS_REDUCTION_(Logsumexp, "logsumexp")
#undef TENSORD_DIMS_REDUCTION_

Tensor Tensor::Argmax(std::optional<int64_t> dim, bool keepdim,
                      std::source_location loc) const {
  Attrs attrs{{"keepdim", keepdim}};
  if (dim.has_value()) attrs["dim"] = *dim;
  return Op1("argmax", {*this}, std::move(attrs), loc);
}
Tensor Tensor::Argmin(std::optional<int64_t> dim, bool keepdim,
                      std::source_location loc) const {
  Attrs attrs{{"keepdim", keepdim}};
  if (dim.has_value()) attrs["dim"] = *dim;
  return Op1("argmin", {*this}, std::move(attrs), loc);
}
Tensor Tensor::Var(std::vector<int64_t> dims, Scalar correction, bool keepdim,
                   std::source_location loc) const {
  Attrs attrs = DimAttrs(std::move(dims), keepdim);
  attrs["correction"] = correction;
  return Op1("var", {*this}, std::move(attrs), loc);
}
Tensor Tensor::Std(std::vector<int64_t> dims, Scalar correction, bool keepdim,
                   std::source_location loc) const {
  Attrs attrs = DimAttrs(std::move(dims), keepdim);
  attrs["correction"] = correction;
  return Op1("std", {*this}, std::move(attrs), loc);
}
Tensor Tensor::Norm(Scalar p, std::vector<int64_t> dims, bool keepdim,
                    std::source_location loc) const {
  Attrs attrs = DimAttrs(std::move(dims), keepdim);
  attrs["p"] = p;
  return Op1("norm", {*this}, std::move(attrs), loc);
}

#define TENSORD_DIM_OP_(Name, op_name)                                     \
  Tensor Tensor::Name(int64_t dim, std::source_location loc) const {       \
    return Op1(op_name, {*this}, {{"dim", dim}}, loc);                     \
  }
TENSORD_DIM_OP_(Softmax, "softmax")
TENSORD_DIM_OP_(LogSoftmax, "log_softmax")
TENSORD_DIM_OP_(Cumsum, "cumsum")
TENSORD_DIM_OP_(Cumprod, "cumprod")
#undef TENSORD_DIM_OP_

// ------------------------------------------------------------------ linear algebra

Tensor Tensor::Outer(const Tensor& vec2, std::source_location loc) const {
  return Op1("outer", {*this, vec2}, {}, loc);
}
Tensor Tensor::Addmm(const Tensor& mat1, const Tensor& mat2, Scalar beta, Scalar alpha,
                     std::source_location loc) const {
  return Op1("addmm", {*this, mat1, mat2}, {{"beta", beta}, {"alpha", alpha}}, loc);
}
Tensor Tensor::Baddbmm(const Tensor& batch1, const Tensor& batch2, Scalar beta, Scalar alpha,
                       std::source_location loc) const {
  return Op1("baddbmm", {*this, batch1, batch2}, {{"beta", beta}, {"alpha", alpha}}, loc);
}

// ------------------------------------------------------------------ slicing, indexing

Tensor Tensor::Select(int64_t dim, int64_t index, std::source_location loc) const {
  return Op1("select", {*this}, {{"dim", dim}, {"index", index}}, loc);
}
Tensor Tensor::Slice(int64_t dim, std::optional<int64_t> start, std::optional<int64_t> end,
                     int64_t step, std::source_location loc) const {
  Attrs attrs{{"dim", dim}, {"step", step}};
  if (start.has_value()) attrs["start"] = *start;
  if (end.has_value()) attrs["end"] = *end;
  return Op1("slice", {*this}, std::move(attrs), loc);
}
Tensor Tensor::Narrow(int64_t dim, int64_t start, int64_t length,
                      std::source_location loc) const {
  return Op1("narrow", {*this}, {{"dim", dim}, {"start", start}, {"length", length}}, loc);
}
Tensor Tensor::Flatten(int64_t start_dim, int64_t end_dim, std::source_location loc) const {
  std::vector<int64_t> shape = Shape(loc);
  int64_t n = static_cast<int64_t>(shape.size());
  if (n == 0) return Reshape({1}, loc);
  int64_t s = start_dim < 0 ? start_dim + n : start_dim;
  int64_t e = end_dim < 0 ? end_dim + n : end_dim;
  if (s < 0 || s >= n || e < 0 || e >= n) {
    throw Error(3,
                "Dimension out of range (expected to be in range of [" + std::to_string(-n) +
                    ", " + std::to_string(n - 1) + "], but got " +
                    std::to_string(s < 0 || s >= n ? start_dim : end_dim) + ")",
                "flatten");
  }
  if (s > e) throw Error(3, "flatten() has invalid args: start_dim cannot come after end_dim",
                         "flatten");
  std::vector<int64_t> out(shape.begin(), shape.begin() + s);
  int64_t merged = 1;
  for (int64_t i = s; i <= e; ++i) merged *= shape[i];
  out.push_back(merged);
  out.insert(out.end(), shape.begin() + e + 1, shape.end());
  return Reshape(std::move(out), loc);
}
Tensor Tensor::SumToSize(std::vector<int64_t> size, std::source_location loc) const {
  return Op1("sum_to_size", {*this}, {{"size", std::move(size)}}, loc);
}
Tensor Tensor::Index(std::vector<Operand> indices, std::source_location loc) const {
  return Op1("index", WithSelf(*this, std::move(indices)), {}, loc);
}
Tensor Tensor::IndexPut(std::vector<Operand> indices, const Operand& values, bool accumulate,
                        std::source_location loc) const {
  indices.insert(indices.begin(), values);
  return Op1("index_put", WithSelf(*this, std::move(indices)), {{"accumulate", accumulate}},
             loc);
}
Tensor Tensor::IndexSelect(int64_t dim, const Tensor& index, std::source_location loc) const {
  return Op1("index_select", {*this, index}, {{"dim", dim}}, loc);
}
Tensor Tensor::Gather(int64_t dim, const Tensor& index, std::source_location loc) const {
  return Op1("gather", {*this, index}, {{"dim", dim}}, loc);
}
Tensor Tensor::Scatter(int64_t dim, const Tensor& index, const Operand& src,
                       std::source_location loc) const {
  if (src.is_tensor()) return Op1("scatter", {*this, index, src}, {{"dim", dim}}, loc);
  const auto* value = std::get_if<Scalar>(&src.value());
  return Op1("scatter", {*this, index, kNone},
             {{"dim", dim}, {"value", value != nullptr ? AttrValue(*value) : AttrValue(kNone)}},
             loc);
}
Tensor Tensor::ScatterAdd(int64_t dim, const Tensor& index, const Tensor& src,
                          std::source_location loc) const {
  return Op1("scatter_add", {*this, index, src}, {{"dim", dim}}, loc);
}
Tensor Tensor::MaskedFill(const Tensor& mask, Scalar value, std::source_location loc) const {
  return Op1("masked_fill", {*this, mask}, {{"value", value}}, loc);
}

// ------------------------------------------------------------------ in place

Tensor& Tensor::Add_(const Operand& other, Scalar alpha, std::source_location loc) {
  tensord::Call("add_", {*this, other}, {{"alpha", alpha}}, loc);
  return *this;
}
Tensor& Tensor::Sub_(const Operand& other, Scalar alpha, std::source_location loc) {
  tensord::Call("sub_", {*this, other}, {{"alpha", alpha}}, loc);
  return *this;
}
Tensor& Tensor::Mul_(const Operand& other, std::source_location loc) {
  tensord::Call("mul_", {*this, other}, {}, loc);
  return *this;
}
Tensor& Tensor::Div_(const Operand& other, std::source_location loc) {
  tensord::Call("div_", {*this, other}, {}, loc);
  return *this;
}
Tensor& Tensor::Pow_(const Operand& exponent, std::source_location loc) {
  tensord::Call("pow_", {*this, exponent}, {}, loc);
  return *this;
}

#define TENSORD_UNARY_INPLACE_(Name, op_name)            \
  Tensor& Tensor::Name(std::source_location loc) {       \
    tensord::Call(op_name, {*this}, {}, loc);            \
    return *this;                                        \
  }
TENSORD_UNARY_INPLACE_(Neg_, "neg_")
TENSORD_UNARY_INPLACE_(Exp_, "exp_")
TENSORD_UNARY_INPLACE_(Log_, "log_")
TENSORD_UNARY_INPLACE_(Sqrt_, "sqrt_")
TENSORD_UNARY_INPLACE_(Abs_, "abs_")
TENSORD_UNARY_INPLACE_(Relu_, "relu_")
TENSORD_UNARY_INPLACE_(Sigmoid_, "sigmoid_")
TENSORD_UNARY_INPLACE_(Tanh_, "tanh_")
TENSORD_UNARY_INPLACE_(Zero_, "zero_")
#undef TENSORD_UNARY_INPLACE_

Tensor& Tensor::Clamp_(std::optional<Scalar> min, std::optional<Scalar> max,
                       std::source_location loc) {
  tensord::Call("clamp_", {*this}, {{"min", OptionalScalar(min)}, {"max", OptionalScalar(max)}},
                loc);
  return *this;
}
Tensor& Tensor::Fill_(Scalar value, std::source_location loc) {
  tensord::Call("fill_", {*this}, {{"value", value}}, loc);
  return *this;
}
Tensor& Tensor::Copy_(const Tensor& src, std::source_location loc) {
  tensord::Call("copy_", {*this, src}, {}, loc);
  return *this;
}
Tensor& Tensor::MaskedFill_(const Tensor& mask, Scalar value, std::source_location loc) {
  tensord::Call("masked_fill_", {*this, mask}, {{"value", value}}, loc);
  return *this;
}
Tensor& Tensor::IndexPut_(std::vector<Operand> indices, const Operand& values,
                          bool accumulate, std::source_location loc) {
  indices.insert(indices.begin(), values);
  tensord::Call("index_put_", WithSelf(*this, std::move(indices)), {{"accumulate", accumulate}},
                loc);
  return *this;
}
Tensor& Tensor::Uniform_(double from, double to, std::source_location loc) {
  tensord::Call("uniform_", {*this}, {{"from", from}, {"to", to}}, loc);
  return *this;
}
Tensor& Tensor::Normal_(double mean, double std, std::source_location loc) {
  tensord::Call("normal_", {*this}, {{"mean", mean}, {"std", std}}, loc);
  return *this;
}
Tensor& Tensor::Bernoulli_(double p, std::source_location loc) {
  tensord::Call("bernoulli_", {*this}, {{"p", p}}, loc);
  return *this;
}

void Tensor::RetainGrad(std::source_location loc) const {
  tensord::Call("retain_grad", {*this}, {}, loc);
}

// ------------------------------------------------------------------ free functions

Tensor Tanh(const Tensor& x, std::source_location loc) { return x.Tanh(loc); }
Tensor Abs(const Tensor& x, std::source_location loc) { return x.Abs(loc); }
Tensor Sqrt(const Tensor& x, std::source_location loc) { return x.Sqrt(loc); }
Tensor Softmax(const Tensor& x, int64_t dim, std::source_location loc) {
  return x.Softmax(dim, loc);
}
Tensor LogSoftmax(const Tensor& x, int64_t dim, std::source_location loc) {
  return x.LogSoftmax(dim, loc);
}
Tensor Maximum(const Tensor& a, const Tensor& b, std::source_location loc) {
  return a.Maximum(b, loc);
}
Tensor Minimum(const Tensor& a, const Tensor& b, std::source_location loc) {
  return a.Minimum(b, loc);
}
Tensor Outer(const Tensor& a, const Tensor& b, std::source_location loc) {
  return a.Outer(b, loc);
}
Tensor Addmm(const Tensor& input, const Tensor& mat1, const Tensor& mat2, Scalar beta,
             Scalar alpha, std::source_location loc) {
  return input.Addmm(mat1, mat2, beta, alpha, loc);
}
Tensor Where(const Tensor& condition, const Operand& self, const Operand& other,
             std::source_location loc) {
  return Op1("where", {condition, self, other}, {}, loc);
}

namespace {
std::vector<Operand> Operands(const std::vector<Tensor>& tensors) {
  return std::vector<Operand>(tensors.begin(), tensors.end());
}
}  // namespace

Tensor Cat(const std::vector<Tensor>& tensors, int64_t dim, std::source_location loc) {
  return Op1("cat", Operands(tensors), {{"dim", dim}}, loc);
}
Tensor Stack(const std::vector<Tensor>& tensors, int64_t dim, std::source_location loc) {
  return Op1("stack", Operands(tensors), {{"dim", dim}}, loc);
}
Tensor Einsum(std::string_view equation, const std::vector<Tensor>& operands,
              std::source_location loc) {
  return Op1("einsum", Operands(operands), {{"equation", std::string(equation)}}, loc);
}

// ------------------------------------------------------------------ operators

Tensor operator%(const Tensor& a, client::SitedOperand b) {
  return Op1("remainder", {a, b.operand}, {}, b.loc);
}
Tensor operator<(const Tensor& a, client::SitedOperand b) {
  return Op1("lt", {a, b.operand}, {}, b.loc);
}
Tensor operator<=(const Tensor& a, client::SitedOperand b) {
  return Op1("le", {a, b.operand}, {}, b.loc);
}
Tensor operator>(const Tensor& a, client::SitedOperand b) {
  return Op1("gt", {a, b.operand}, {}, b.loc);
}
Tensor operator>=(const Tensor& a, client::SitedOperand b) {
  return Op1("ge", {a, b.operand}, {}, b.loc);
}
Tensor& operator+=(Tensor& a, client::SitedOperand b) { return a.Add_(b.operand, 1, b.loc); }
Tensor& operator-=(Tensor& a, client::SitedOperand b) { return a.Sub_(b.operand, 1, b.loc); }
Tensor& operator*=(Tensor& a, client::SitedOperand b) { return a.Mul_(b.operand, b.loc); }
Tensor& operator/=(Tensor& a, client::SitedOperand b) { return a.Div_(b.operand, b.loc); }

}  // namespace tensord
