// Reductions. Attribute layout of the dim reductions: dim, keepdim, dtype
// (whichever the op has); prepare appends the normalised, sorted list of
// reduced dims as attrs[kReducedDims] for the kernel and the backward rule.
#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/autograd.h"
#include "engine/cpu/kernels.h"
#include "engine/ops/common.h"

namespace tensord::engine {
using namespace ops;

namespace {

constexpr int kDim = 0, kKeepdim = 1, kDTypeAttr = 2, kReducedDims = cpu::kReducedDimsAttr;

enum class OutRule { kSumLike, kMean, kSame, kBool };

bool Has(const OpCall& call, int i) {
  return static_cast<int>(call.attrs.size()) > i && !std::holds_alternative<std::monostate>(call.attrs[i]);
}
// keepdim as recorded for backward (absent for the all-element ops).
bool Has(const BackwardCtx& c, int i) {
  return static_cast<int>(c.attrs->size()) > i && std::holds_alternative<bool>(c.attr(i)) && std::get<bool>(c.attr(i));
}

template <OutRule kRule>
absl::StatusOr<std::vector<TensorMeta>> ReducePrepare(OpCall& call) {
  const absl::string_view op = call.def->name;
  const Tensor& x = call.in(0);
  const int64_t nd = x.dim();
  std::vector<int64_t> dims;
  const std::vector<int64_t>* given = Has(call, kDim) ? call.GetInts(kDim) : nullptr;
  if (given == nullptr || given->empty()) {
    for (int64_t d = 0; d < nd; ++d) dims.push_back(d);
  } else {
    std::vector<bool> seen(std::max<int64_t>(nd, 1), false);
    for (int64_t d : *given) {
      TENSORD_ASSIGN_OR_RETURN(int64_t w, WrapDim(op, d, nd));
      if (seen[w]) return Error(op, absl::StrCat("dim ", w, " appears multiple times in the list of dims"));
      seen[w] = true;
      if (nd > 0) dims.push_back(w);
    }
    std::sort(dims.begin(), dims.end());
  }
  std::optional<DType> dtype = Has(call, kDTypeAttr) ? call.GetDType(kDTypeAttr) : std::nullopt;
  DType out_dtype = dtype.value_or(x.dtype());
  switch (kRule) {
    case OutRule::kSumLike:
      if (!dtype && IsIntegral(x.dtype(), /*include_bool=*/true)) out_dtype = DType::kInt64;
      break;
    case OutRule::kMean:
      if (!IsFloating(out_dtype)) {
        return Error(op, absl::StrCat("mean(): could not infer output dtype. Input dtype must be either a floating "
                                      "point or complex dtype. Got: ", ScalarTypeName(out_dtype)));
      }
      break;
    case OutRule::kSame:  // max-like: no identity, so nothing may be reduced over an empty dim
      if (x.numel() == 0 && (given == nullptr || given->empty())) {
        return Error(op, "Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim "
                         "with the 'dim' argument.");
      }
      for (int64_t d : dims) {
        if (x.size(d) == 0) return Error(op, absl::StrCat("Expected reduction dim ", d, " to have non-zero size."));
      }
      break;
    case OutRule::kBool: out_dtype = x.dtype() == DType::kUInt8 ? DType::kUInt8 : DType::kBool; break;  // as PyTorch
  }
  const bool keepdim = Has(call, kKeepdim) && call.GetBool(kKeepdim);
  Shape shape;
  for (int64_t d = 0; d < nd; ++d) {
    if (!std::binary_search(dims.begin(), dims.end(), d)) shape.push_back(x.size(d));
    else if (keepdim) shape.push_back(1);
  }
  if (dtype) call.inputs[0] = CastAndExpand(x, *dtype, x.sizes());
  call.attrs.resize(kReducedDims);
  call.attrs.push_back(dims);
  return std::vector<TensorMeta>{MetaOf(out_dtype, shape)};
}

// `t` (a reduced result or its gradient) spread back over the reduced dims.
Tensor Unreduce(const BackwardCtx& ctx, Tensor t) {
  const auto& dims = std::get<std::vector<int64_t>>(ctx.attr(kReducedDims));
  const AttrValue& keep = ctx.attr(kKeepdim);
  if (!(std::holds_alternative<bool>(keep) && std::get<bool>(keep))) {
    for (int64_t d : dims) t = fn::Unsqueeze(t, d);
  }
  return fn::Expand(t, ctx.in_sizes(0));
}
Tensor Unreduce(const BackwardCtx& ctx) { return Unreduce(ctx, ctx.grad()); }

int64_t ReducedCount(const BackwardCtx& ctx) {
  int64_t n = 1;
  for (int64_t d : std::get<std::vector<int64_t>>(ctx.attr(kReducedDims))) n *= ctx.in_sizes(0)[d];
  return n;
}

// The gradient of max/min: shared evenly by the elements equal to the result.
std::vector<Tensor> ExtremumBackward(const BackwardCtx& c) {
  const Tensor& x = c.in(0);
  Tensor hit = fn::To(fn::Call1(OpId::kEq, {x, Unreduce(c, c.out())}), c.grad().dtype());
  const auto& dims = std::get<std::vector<int64_t>>(c.attr(kReducedDims));
  Tensor count = Unreduce(c, fn::Sum(hit, dims, std::holds_alternative<bool>(c.attr(kKeepdim)) &&
                                                    std::get<bool>(c.attr(kKeepdim))));
  return {fn::Div(fn::Mul(Unreduce(c), hit), count)};
}

std::vector<AttrSpec> ReduceAttrs(bool with_dtype) {
  std::vector<AttrSpec> a{Optional("dim", AttrType::kInts), WithDefault("keepdim", AttrType::kBool, false)};
  if (with_dtype) a.push_back(Optional("dtype", AttrType::kDType));
  return a;
}

absl::string_view SumName(const OpCall& call) { return call.IsNone(kDim) ? "SumBackward0" : "SumBackward1"; }
absl::string_view MeanName(const OpCall& call) { return call.IsNone(kDim) ? "MeanBackward0" : "MeanBackward1"; }

// ---- along one dim (softmax, cumsum, argmax)

absl::StatusOr<int64_t> OneDim(OpCall& call, int attr) {
  const Tensor& x = call.in(0);
  TENSORD_ASSIGN_OR_RETURN(int64_t d, WrapDim(call.def->name, call.GetInt(attr), x.dim()));
  call.attrs[attr] = d;
  return d;
}

absl::StatusOr<std::vector<TensorMeta>> SoftmaxPrepare(OpCall& call) {
  TENSORD_RETURN_IF_ERROR(OneDim(call, 0).status());
  const Tensor& x = call.in(0);
  DType dtype = call.GetDType(1).value_or(x.dtype());
  if (!IsFloating(dtype)) {  // PyTorch names its kernel: "softmax_lastdim_kernel_impl" not implemented for 'Long'
    const bool last = x.dim() == 0 || call.GetInt(0) == x.dim() - 1;
    return Error(call.def->name, absl::StrCat("\"", call.def->name, last ? "_lastdim" : "", "_kernel_impl\" not implemented for '",
                                              ScalarTypeName(dtype), "'"));
  }
  call.inputs[0] = fn::Contiguous(CastAndExpand(x, dtype, x.sizes()));
  return std::vector<TensorMeta>{MetaOf(dtype, x.sizes())};
}

absl::StatusOr<std::vector<TensorMeta>> CumPrepare(OpCall& call) {
  TENSORD_RETURN_IF_ERROR(OneDim(call, 0).status());
  const Tensor& x = call.in(0);
  DType dtype = call.GetDType(1).value_or(IsIntegral(x.dtype(), true) ? DType::kInt64 : x.dtype());
  call.inputs[0] = fn::Contiguous(CastAndExpand(x, dtype, x.sizes()));
  return std::vector<TensorMeta>{MetaOf(dtype, x.sizes())};
}

absl::StatusOr<std::vector<TensorMeta>> ArgPrepare(OpCall& call) {
  const Tensor& x = call.in(0);
  if (x.numel() == 0 && call.IsNone(0)) {
    return Error(call.def->name, "Expected reduction dim to be specified for input.numel() == 0.");
  }
  const bool keepdim = call.GetBool(1);
  Shape shape;
  int64_t dim = -1;
  if (!call.IsNone(0)) {
    TENSORD_ASSIGN_OR_RETURN(dim, WrapDim(call.def->name, call.GetInt(0), x.dim()));
    if (x.dim() > 0 && x.size(dim) == 0) {
      return Error(call.def->name, absl::StrCat("Expected reduction dim ", dim, " to have non-zero size."));
    }
    for (int64_t d = 0; d < x.dim(); ++d) {
      if (d != dim) shape.push_back(x.size(d));
      else if (keepdim) shape.push_back(1);
    }
    if (x.dim() == 0) dim = -1;
  } else if (keepdim) {
    shape.assign(x.dim(), 1);
  }
  call.inputs[0] = fn::Contiguous(x);
  call.attrs.resize(kReducedDims);
  call.attrs.push_back(dim);
  return std::vector<TensorMeta>{MetaOf(DType::kInt64, shape)};
}

Tensor CumsumOf(const Tensor& t, int64_t dim) { return fn::Call1(OpId::kCumsum, {t}, {dim}); }
// sum_{j >= i} v_j along dim
Tensor ReverseCumsum(const Tensor& v, int64_t dim) {
  return fn::Add(fn::Sub(fn::Expand(fn::Sum(v, std::vector<int64_t>{dim}, true), v.sizes()), CumsumOf(v, dim)), v);
}

// ---- composites

// The reduced element count for var/std/norm style composites.
absl::StatusOr<std::pair<std::vector<int64_t>, int64_t>> DimsAndCount(const OpCall& call, const Tensor& x) {
  std::vector<int64_t> dims;
  int64_t n = 1;
  if (const std::vector<int64_t>* given = call.GetInts(0); given && !given->empty()) {
    for (int64_t d : *given) {
      TENSORD_ASSIGN_OR_RETURN(int64_t w, WrapDim(call.def->name, d, x.dim()));
      dims.push_back(w);
      n *= x.dim() == 0 ? 1 : x.size(w);
    }
  } else {
    for (int64_t d = 0; d < x.dim(); ++d) dims.push_back(d);
    n = x.numel();
  }
  return std::make_pair(dims, n);
}

// sqrt whose gradient at 0 is 0 rather than NaN (std of a constant, norm of
// the zero vector): the sqrt only ever sees positive values.
Tensor SafeSqrt(const Tensor& v) {
  Tensor zero = fn::Call1(OpId::kEq, {v, fn::S(Scalar(0))});
  Tensor safe = fn::Call1(OpId::kWhere, {zero, fn::S(Scalar(1.0)), v});
  return fn::Call1(OpId::kWhere, {zero, fn::S(Scalar(0.0)), fn::Call1(OpId::kSqrt, {safe})});
}

// float16/bfloat16 reductions that square or power their input accumulate
// in float and round once at the end, as PyTorch's CPU kernels (their
// acc_type) do: in 16 bits a sum of squares overflows or loses the small terms.
bool Is16Bit(DType t) { return t == DType::kFloat16 || t == DType::kBFloat16; }
Tensor Widened(const Tensor& x) { return Is16Bit(x.dtype()) ? fn::To(x, DType::kFloat32) : x; }
Tensor Narrowed(const Tensor& r, DType like) { return r.dtype() == like ? r : fn::To(r, like); }

double VarCorrection(const Attrs& a) {
  double correction = 1;
  if (const bool* unbiased = std::get_if<bool>(&a[1])) correction = *unbiased ? 1 : 0;
  if (const Scalar* c = std::get_if<Scalar>(&a[2])) correction = c->to_double();  // correction wins
  return correction;
}

absl::StatusOr<Tensor> Variance(OpCall& call) {
  const Tensor x = Widened(call.in(0));
  if (!IsFloating(x.dtype())) {
    return Error(call.def->name, absl::StrCat("could not infer output dtype. Input dtype must be either a floating "
                                              "point or complex dtype. Got: ", ScalarTypeName(x.dtype())));
  }
  TENSORD_ASSIGN_OR_RETURN(auto dc, DimsAndCount(call, x));
  const double correction = VarCorrection(call.attrs);
  const bool keepdim = call.GetBool(3);
  Tensor mean = fn::Call1(OpId::kMean, {x}, {dc.first, true});
  Tensor d = fn::Sub(x, mean);
  Tensor ss = fn::Sum(fn::Mul(d, d), dc.first, keepdim);
  return fn::Div(ss, Scalar(std::max(0.0, static_cast<double>(dc.second) - correction)));  // widened
}

// PyTorch's var_backward: (2 / (n - correction)) * g * (x - mean), and, over
// all elements (dim=None) with n == correction, inf * g. `g` is the
// gradient of the variance.
Tensor VarianceBackward(const BackwardCtx& c, Tensor g) {
  const Tensor& x = c.in(0);
  const int64_t nd = x.dim();
  std::vector<int64_t> dims;
  const auto* given = std::get_if<std::vector<int64_t>>(&c.attr(0));
  if (given != nullptr && !given->empty() && nd > 0) {
    for (int64_t d : *given) dims.push_back(d < 0 ? d + nd : d);
    std::sort(dims.begin(), dims.end());
  } else {
    for (int64_t d = 0; d < nd; ++d) dims.push_back(d);
  }
  int64_t n = 1;
  for (int64_t d : dims) n *= x.size(d);
  const double dof = static_cast<double>(n) - VarCorrection(*c.attrs);
  if (!std::get<bool>(c.attr(3))) {
    for (int64_t d : dims) g = fn::Unsqueeze(g, d);
  }
  g = fn::Expand(g, x.sizes());
  if (given == nullptr && dof == 0) return fn::Mul(g, Scalar(INFINITY));
  Tensor mean = fn::Call1(OpId::kMean, {x}, {dims, true});
  return fn::Mul(fn::Mul(g, fn::Sub(x, mean)), Scalar(2.0 / dof));
}

std::vector<AttrSpec> VarAttrs() {
  return {Optional("dim", AttrType::kInts), Optional("unbiased", AttrType::kBool),
          Optional("correction", AttrType::kScalar), WithDefault("keepdim", AttrType::kBool, false)};
}

}  // namespace

const OpDef& SumOp() {
  // d/dx sum(x) = 1, broadcast back over the reduced dims
  static const OpDef d{.id = OpId::kSum, .name = "sum", .inputs = {{"self"}}, .attrs = ReduceAttrs(true),
                       .doc = "Sum over `dim` (all dims if None).", .prepare = ReducePrepare<OutRule::kSumLike>,
                       .backward = [](const BackwardCtx& c) { return std::vector<Tensor>{Unreduce(c)}; },
                       .backward_name_fn = SumName};
  return d;
}
const OpDef& MeanOp() {
  // d/dx mean(x) = 1/n over the reduced dims
  static const OpDef d{.id = OpId::kMean, .name = "mean", .inputs = {{"self"}}, .attrs = ReduceAttrs(true),
                       .doc = "Mean over `dim` (all dims if None).", .prepare = ReducePrepare<OutRule::kMean>,
                       .backward = [](const BackwardCtx& c) {
                         return std::vector<Tensor>{fn::Div(Unreduce(c), Scalar(ReducedCount(c)))};
                       },
                       .backward_name_fn = MeanName};
  return d;
}
// d prod / dx_i = product of the other elements. Without zeros that is
// out / x_i; with exactly one zero only that element gets a gradient (the
// product of the rest); with two or more, none does.
std::vector<Tensor> ProdBackward(const BackwardCtx& c) {
  const Tensor& x = c.in(0);
  const auto& dims = std::get<std::vector<int64_t>>(c.attr(kReducedDims));
  Tensor is_zero = fn::Call1(OpId::kEq, {x, fn::S(Scalar(0))});
  Tensor nonzero_x = fn::Call1(OpId::kWhere, {is_zero, fn::S(Scalar(1.0)), x});
  Tensor zeros = Unreduce(c, fn::Sum(fn::To(is_zero, DType::kInt64), dims, Has(c, kKeepdim)));
  Tensor rest = Unreduce(c, fn::Call1(OpId::kProd, {nonzero_x}, {dims, Has(c, kKeepdim)}));  // product of the nonzeros
  Tensor no_zero = fn::Call1(OpId::kEq, {zeros, fn::S(Scalar(0))});
  Tensor the_zero = fn::Call1(OpId::kLogicalAnd, {fn::Call1(OpId::kEq, {zeros, fn::S(Scalar(1))}), is_zero});
  Tensor others = fn::Call1(OpId::kWhere, {no_zero, fn::Div(Unreduce(c, c.out()), nonzero_x),
                                           fn::Call1(OpId::kWhere, {the_zero, rest, fn::S(Scalar(0.0))})});
  return {fn::Mul(Unreduce(c), others)};
}

const OpDef& ProdOp() {
  static const OpDef d{.id = OpId::kProd, .name = "prod", .inputs = {{"self"}}, .attrs = ReduceAttrs(true),
                       .doc = "Product over `dim` (all dims if None).", .prepare = ReducePrepare<OutRule::kSumLike>,
                       .backward = ProdBackward, .backward_name = "ProdBackward0",
                       .saves = kSaveSelfAndResult};
  return d;
}
const OpDef& AmaxOp() {
  static const OpDef d{.id = OpId::kAmax, .name = "amax", .inputs = {{"self"}}, .attrs = ReduceAttrs(false),
                       .doc = "Maximum over `dim` (all dims if None); ties share the gradient.",
                       .prepare = ReducePrepare<OutRule::kSame>, .backward = ExtremumBackward,
                       .backward_name = "AmaxBackward0", .saves = kSaveSelfAndResult};
  return d;
}
const OpDef& AminOp() {
  static const OpDef d{.id = OpId::kAmin, .name = "amin", .inputs = {{"self"}}, .attrs = ReduceAttrs(false),
                       .doc = "Minimum over `dim` (all dims if None); ties share the gradient.",
                       .prepare = ReducePrepare<OutRule::kSame>, .backward = ExtremumBackward,
                       .backward_name = "AminBackward0", .saves = kSaveSelfAndResult};
  return d;
}
const OpDef& MaxOp() {
  static const OpDef d{.id = OpId::kMax, .name = "max", .inputs = {{"self"}},
                       .doc = "Maximum of all elements (see amax/argmax for a dim).",
                       .prepare = ReducePrepare<OutRule::kSame>, .backward = ExtremumBackward,
                       .backward_name = "MaxBackward1", .saves = kSaveSelfAndResult};
  return d;
}
const OpDef& MinOp() {
  static const OpDef d{.id = OpId::kMin, .name = "min", .inputs = {{"self"}},
                       .doc = "Minimum of all elements (see amin/argmin for a dim).",
                       .prepare = ReducePrepare<OutRule::kSame>, .backward = ExtremumBackward,
                       .backward_name = "MinBackward1", .saves = kSaveSelfAndResult};
  return d;
}
const OpDef& AllOp() {
  static const OpDef d{.id = OpId::kAll, .name = "all", .inputs = {{"self"}}, .attrs = ReduceAttrs(false),
                       .doc = "True if every element is nonzero.", .prepare = ReducePrepare<OutRule::kBool>};
  return d;
}
const OpDef& AnyOp() {
  static const OpDef d{.id = OpId::kAny, .name = "any", .inputs = {{"self"}}, .attrs = ReduceAttrs(false),
                       .doc = "True if any element is nonzero.", .prepare = ReducePrepare<OutRule::kBool>};
  return d;
}
const OpDef& ArgmaxOp() {
  static const OpDef d{.id = OpId::kArgmax, .name = "argmax", .inputs = {{"self"}},
                       .attrs = {Optional("dim", AttrType::kInt), WithDefault("keepdim", AttrType::kBool, false)},
                       .doc = "Index of the first maximum (of the flattened tensor if dim is None).",
                       .prepare = ArgPrepare};
  return d;
}
const OpDef& ArgminOp() {
  static const OpDef d{.id = OpId::kArgmin, .name = "argmin", .inputs = {{"self"}},
                       .attrs = {Optional("dim", AttrType::kInt), WithDefault("keepdim", AttrType::kBool, false)},
                       .doc = "Index of the first minimum (of the flattened tensor if dim is None).",
                       .prepare = ArgPrepare};
  return d;
}
const OpDef& SoftmaxOp() {
  // d softmax = out * (g - sum(g * out))
  static const OpDef d{.id = OpId::kSoftmax, .name = "softmax", .inputs = {{"self"}},
                       .attrs = {Required("dim", AttrType::kInt), Optional("dtype", AttrType::kDType)},
                       .doc = "exp(x) / sum(exp(x)) along dim (max-shifted).", .prepare = SoftmaxPrepare,
                       .backward = [](const BackwardCtx& c) {
                         const int64_t dim = std::get<int64_t>(c.attr(0));
                         const Tensor& y = c.out();
                         Tensor dot = fn::Sum(fn::Mul(c.grad(), y), std::vector<int64_t>{dim}, true);
                         return std::vector<Tensor>{fn::Mul(y, fn::Sub(c.grad(), dot))};
                       },
                       .backward_name = "SoftmaxBackward0", .saves = kSaveResult};
  return d;
}
const OpDef& LogSoftmaxOp() {
  // d log_softmax = g - exp(out) * sum(g)
  static const OpDef d{.id = OpId::kLogSoftmax, .name = "log_softmax", .inputs = {{"self"}},
                       .attrs = {Required("dim", AttrType::kInt), Optional("dtype", AttrType::kDType)},
                       .doc = "x - logsumexp(x) along dim.", .prepare = SoftmaxPrepare,
                       .backward = [](const BackwardCtx& c) {
                         const int64_t dim = std::get<int64_t>(c.attr(0));
                         Tensor total = fn::Sum(c.grad(), std::vector<int64_t>{dim}, true);
                         return std::vector<Tensor>{fn::Sub(c.grad(), fn::Mul(fn::Exp(c.out()), total))};
                       },
                       .backward_name = "LogSoftmaxBackward0", .saves = kSaveResult};
  return d;
}
const OpDef& CumsumOp() {
  // d cumsum: each input feeds every later output: reverse cumsum of g
  static const OpDef d{.id = OpId::kCumsum, .name = "cumsum", .inputs = {{"self"}},
                       .attrs = {Required("dim", AttrType::kInt), Optional("dtype", AttrType::kDType)},
                       .doc = "Running sum along dim.", .prepare = CumPrepare,
                       .backward = [](const BackwardCtx& c) {
                         return std::vector<Tensor>{ReverseCumsum(c.grad(), std::get<int64_t>(c.attr(0)))};
                       },
                       .backward_name = "CumsumBackward0"};
  return d;
}
// d cumprod_j / dx_i = prod_{k <= j, k != i} x_k for j >= i, summed against
// g_j: grad_i = sum_{j >= i} g_j * prod_{k < i} x_k * prod_{i < k <= j} x_k,
// built slice by slice (O(n^2) along dim, but its own derivative is right
// where x has zeros: used for create_graph).
Tensor CumprodGradByOmittedProducts(const Tensor& g, const Tensor& x, int64_t dim) {
  const int64_t n = x.size(dim);
  Shape one_shape = ToShape(x.sizes());
  one_shape[dim] = 1;
  Tensor ones = fn::Full(one_shape, Scalar(1), x.dtype(), x.device());
  auto slice = [&](const Tensor& t, int64_t start, int64_t end) {
    return fn::Call1(OpId::kSlice, {t}, {dim, start, end, int64_t{1}});
  };
  std::vector<Tensor> parts;
  for (int64_t i = 0; i < n; ++i) {
    Tensor after = ones;  // prod_{i < k <= j} x_k for j = i, i + 1, ...
    if (i + 1 < n) after = fn::Call1(OpId::kCat, {ones, fn::Call1(OpId::kCumprod, {slice(x, i + 1, n)}, {dim})}, {dim});
    Tensor omitted = after;
    if (i > 0) omitted = fn::Mul(fn::Call1(OpId::kProd, {slice(x, 0, i)}, {std::vector<int64_t>{dim}, true}), after);
    parts.push_back(fn::Sum(fn::Mul(slice(g, i, n), omitted), std::vector<int64_t>{dim}, false));
  }
  return fn::Call1(OpId::kStack, std::move(parts), {dim});
}

// Without zeros, grad_i = sum_{j >= i} g_j cumprod_j / x_i. Along a line
// whose first zero is at z: for i < z that still holds (cumprod_j = 0 from z
// on); for i = z it is the same sum with the cumprod of x where x_z reads 1;
// after z it is 0 (x_z is a factor), but its derivative is not: with
// create_graph, the omitted-products form above.
std::vector<Tensor> CumprodBackward(const BackwardCtx& c) {
  const int64_t dim = std::get<int64_t>(c.attr(0));
  const Tensor& x = c.in(0);
  const Tensor& g = c.grad();
  if (x.dim() == 0) return {g};
  Tensor is_zero = fn::Call1(OpId::kEq, {x, fn::S(Scalar(0))});
  Tensor plain = ReverseCumsum(fn::Mul(g, c.out()), dim);
  if (fn::Call1(OpId::kAny, {is_zero}).item().to_double() == 0) return {fn::Div(plain, x)};
  if (GradModeEnabled()) return {CumprodGradByOmittedProducts(g, x, dim)};
  Tensor zeros_so_far = CumsumOf(is_zero, dim);
  Tensor before_zero = fn::Call1(OpId::kEq, {zeros_so_far, fn::S(Scalar(0))});
  Tensor first_zero = fn::Call1(OpId::kLogicalAnd, {is_zero, fn::Call1(OpId::kEq, {zeros_so_far, fn::S(Scalar(1))})});
  Tensor zero = fn::Full({}, Scalar(0), x.dtype());
  Tensor one = fn::Full({}, Scalar(1), x.dtype());
  Tensor safe_x = fn::Call1(OpId::kWhere, {is_zero, one, x});
  Tensor before = fn::Call1(OpId::kWhere, {before_zero, fn::Div(plain, safe_x), zero});
  Tensor skipping_zero = fn::Call1(OpId::kCumprod, {fn::Call1(OpId::kWhere, {first_zero, one, x})}, {dim});
  Tensor at = fn::Call1(OpId::kWhere, {first_zero, ReverseCumsum(fn::Mul(g, skipping_zero), dim), zero});
  return {fn::Add(before, at)};
}

// torch.max(x, dim, keepdim) / torch.min: (values, indices), the index of the
// first extremum (NaN counts as the maximum and the minimum), as PyTorch. The
// gradient goes to that index alone (value_selecting_reduction_backward),
// where amax/amin share it between ties.
template <bool kMax>
absl::StatusOr<std::vector<Tensor>> ExtremumDimForward(OpCall& call) {
  const absl::string_view name = call.def->name;
  const Tensor& x = call.in(0);
  TENSORD_ASSIGN_OR_RETURN(int64_t dim, WrapDim(name, call.GetInt(0), x.dim()));
  if (x.dim() > 0 && x.size(dim) == 0) {
    return Error(name, absl::StrCat("Expected reduction dim ", dim, " to have non-zero size."));
  }
  call.attrs[0] = dim;  // wrapped, for backward
  Tensor index = fn::Call1(kMax ? OpId::kArgmax : OpId::kArgmin, {x}, {dim, true});
  Tensor values = x.dim() == 0 ? fn::Clone(x) : fn::Call1(OpId::kGather, {x, index}, {dim});
  if (x.dim() == 0) index = fn::View(index, std::vector<int64_t>{});
  if (!call.GetBool(1) && x.dim() > 0) {
    index = fn::Squeeze(index, dim);
    values = fn::Squeeze(values, dim);
  }
  return std::vector<Tensor>{values, index};
}

std::vector<Tensor> ExtremumDimBackward(const BackwardCtx& c) {
  const int64_t dim = std::get<int64_t>(c.attr(0));
  Tensor grad = c.grad(), index = c.out(1);
  if (c.in_sizes(0).empty()) return {grad};
  if (!std::get<bool>(c.attr(1))) {
    grad = fn::Unsqueeze(grad, dim);
    index = fn::Unsqueeze(index, dim);
  }
  return {fn::Call1(OpId::kScatter, {fn::Full(c.in_sizes(0), Scalar(0), grad.dtype(), grad.device()), index, grad}, {dim, AttrValue{}})};
}

template <bool kMax>
OpDef MakeExtremumDimOp() {
  return OpDef{.id = kMax ? OpId::kMaxDim : OpId::kMinDim, .name = kMax ? "max_dim" : "min_dim",
               .inputs = {{"self"}},
               .attrs = {Required("dim", AttrType::kInt), WithDefault("keepdim", AttrType::kBool, false)},
               .doc = kMax ? "torch.max(x, dim, keepdim) -> (values, indices of the first maximum)"
                           : "torch.min(x, dim, keepdim) -> (values, indices of the first minimum)",
               .num_outputs = 2, .forward = ExtremumDimForward<kMax>, .backward = ExtremumDimBackward,
               .backward_name = kMax ? "MaxBackward0" : "MinBackward0",
               .saves = {.outputs = {kSavedNever, kSavedForAny}}};
}
const OpDef& MaxDimOp() {
  static const OpDef d = MakeExtremumDimOp<true>();
  return d;
}
const OpDef& MinDimOp() {
  static const OpDef d = MakeExtremumDimOp<false>();
  return d;
}

const OpDef& CumprodOp() {
  static const OpDef d{.id = OpId::kCumprod, .name = "cumprod", .inputs = {{"self"}},
                       .attrs = {Required("dim", AttrType::kInt), Optional("dtype", AttrType::kDType)},
                       .doc = "Running product along dim.", .prepare = CumPrepare, .backward = CumprodBackward,
                       .backward_name = "CumprodBackward0", .saves = kSaveSelfAndResult};
  return d;
}
const OpDef& VarOp() {
  static const OpDef d{.id = OpId::kVar, .name = "var", .inputs = {{"self"}}, .attrs = VarAttrs(),
                       .doc = "Variance over dim with `correction` (default 1, Bessel).",
                       .forward = [](OpCall& call) -> absl::StatusOr<std::vector<Tensor>> {
                         TENSORD_ASSIGN_OR_RETURN(Tensor v, Variance(call));
                         return std::vector<Tensor>{Narrowed(v, call.in(0).dtype())};
                       },
                       .backward = [](const BackwardCtx& c) {
                         return std::vector<Tensor>{VarianceBackward(c, c.grad())};
                       },
                       .backward_name = "VarBackward0", .saves = kSaveSelf};
  return d;
}
const OpDef& StdOp() {
  static const OpDef d{.id = OpId::kStd, .name = "std", .inputs = {{"self"}}, .attrs = VarAttrs(),
                       .doc = "Standard deviation: sqrt(var).",
                       .forward = [](OpCall& call) -> absl::StatusOr<std::vector<Tensor>> {
                         TENSORD_ASSIGN_OR_RETURN(Tensor v, Variance(call));
                         return std::vector<Tensor>{Narrowed(SafeSqrt(v), call.in(0).dtype())};
                       },
                       // PyTorch's std_backward: var's with g / (2 std), 0 where std is 0.
                       .backward = [](const BackwardCtx& c) {
                         const Tensor& r = c.out();
                         Tensor gv = fn::Div(c.grad(), fn::Mul(r, Scalar(2)));
                         gv = fn::Call1(OpId::kWhere, {fn::Call1(OpId::kEq, {r, fn::S(Scalar(0))}),
                                                       fn::S(Scalar(0.0)), gv});
                         return std::vector<Tensor>{VarianceBackward(c, gv)};
                       },
                       .backward_name = "StdBackward0", .saves = kSaveSelfAndResult};
  return d;
}
const OpDef& LogsumexpOp() {
  static const OpDef d{.id = OpId::kLogsumexp, .name = "logsumexp", .inputs = {{"self"}},
                       .attrs = {Required("dim", AttrType::kInts), WithDefault("keepdim", AttrType::kBool, false)},
                       .doc = "log(sum(exp(x))) over dim, max-shifted for stability.",
                       .forward = [](OpCall& call) -> absl::StatusOr<std::vector<Tensor>> {
                         const Tensor& x = call.in(0);
                         Tensor xf = IsFloating(x.dtype()) ? x : fn::To(x, kDefaultFloat);
                         TENSORD_ASSIGN_OR_RETURN(auto dc, DimsAndCount(call, xf));
                         if (dc.second == 0) {  // an empty reduction: log(0) = -inf, no max to shift by
                           return std::vector<Tensor>{fn::Log(fn::Sum(fn::Exp(xf), dc.first, call.GetBool(1)))};
                         }
                         // The shift is a constant: detached, and 0 where the max is infinite.
                         Tensor m = fn::Call1(OpId::kDetach, {fn::Call1(OpId::kAmax, {xf}, {dc.first, true})});
                         Tensor finite = fn::Call1(OpId::kLt, {fn::Call1(OpId::kAbs, {m}), fn::S(Scalar(INFINITY))});
                         m = fn::Call1(OpId::kWhere, {finite, m, fn::S(Scalar(0.0))});
                         Tensor s = fn::Sum(fn::Exp(fn::Sub(xf, m)), dc.first, true);
                         Tensor r = fn::Add(fn::Log(s), m);
                         if (!call.GetBool(1)) r = fn::Call1(OpId::kSqueeze, {r}, {dc.first});
                         return std::vector<Tensor>{r};
                       },
                       .differentiable_composite = true};
  return d;
}
const OpDef& NormOp() {
  static const OpDef d{.id = OpId::kNorm, .name = "norm", .inputs = {{"self"}},
                       .attrs = {WithDefault("p", AttrType::kScalar, Scalar(2)), Optional("dim", AttrType::kInts),
                                 WithDefault("keepdim", AttrType::kBool, false)},
                       .doc = "Vector p-norm over dim (all elements if None).",
                       .forward = [](OpCall& call) -> absl::StatusOr<std::vector<Tensor>> {
                         const Tensor& x = call.in(0);
                         if (!IsFloating(x.dtype())) {
                           return Error("norm", absl::StrCat("input dtype should be floating point, but got ", DTypeName(x.dtype())));
                         }
                         const double p = call.GetScalar(0).to_double();
                         std::vector<int64_t> dims;
                         if (const auto* given = call.GetInts(1)) dims = *given;
                         const bool keepdim = call.GetBool(2);
                         Tensor a = fn::Call1(OpId::kAbs, {x});
                         if (std::isinf(p)) {
                           return std::vector<Tensor>{fn::Call1(p > 0 ? OpId::kAmax : OpId::kAmin, {a}, {dims, keepdim})};
                         }
                         if (p == 2) {
                           const Tensor w = Widened(x);
                           return std::vector<Tensor>{Narrowed(SafeSqrt(fn::Sum(fn::Mul(w, w), dims, keepdim)), x.dtype())};
                         }
                         if (p == 0) {  // the number of nonzero elements
                           Tensor nz = fn::To(fn::Call1(OpId::kNe, {x, fn::S(Scalar(0))}), x.dtype());
                           return std::vector<Tensor>{fn::Call1(OpId::kDetach, {fn::Sum(nz, dims, keepdim)})};
                         }
                         const Tensor aw = Widened(a);
                         if (p == 1) return std::vector<Tensor>{Narrowed(fn::Sum(aw, dims, keepdim), x.dtype())};
                         Tensor s = fn::Sum(fn::Pow(aw, fn::S(Scalar(p))), dims, keepdim);
                         return std::vector<Tensor>{Narrowed(fn::Pow(s, fn::S(Scalar(1.0 / p))), x.dtype())};
                       },
                       .differentiable_composite = true};
  return d;
}

}  // namespace tensord::engine
