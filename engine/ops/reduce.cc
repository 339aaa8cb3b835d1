// Reductions. Attribute layout: dim, keepdim, dtype; prepare appends the
// normalised, sorted list of reduced dims as attrs[kReducedDims] for the
// kernel and the backward rule.
#include <algorithm>

#include "engine/cpu/kernels.h"
#include "engine/ops/common.h"

namespace tensord::engine {
using namespace ops;

namespace {

constexpr int kDim = 0, kKeepdim = 1, kDTypeAttr = 2, kReducedDims = cpu::kReducedDimsAttr;

template <bool kMean>
absl::StatusOr<std::vector<TensorMeta>> ReducePrepare(OpCall& call) {
  const absl::string_view op = call.def->name;
  const Tensor& x = call.in(0);
  const int64_t nd = x.dim();
  std::vector<int64_t> dims;
  const std::vector<int64_t>* given = call.GetInts(kDim);
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
  std::optional<DType> dtype = call.GetDType(kDTypeAttr);
  DType out_dtype;
  if (dtype) {
    out_dtype = *dtype;
  } else if (kMean) {
    if (!IsFloating(x.dtype())) {
      return Error(op, absl::StrCat("mean(): could not infer output dtype. Input dtype must be either a floating "
                                    "point or complex dtype. Got: ", DTypeName(x.dtype())));
    }
    out_dtype = x.dtype();
  } else {
    out_dtype = IsIntegral(x.dtype(), /*include_bool=*/true) ? DType::kInt64 : x.dtype();
  }
  if (kMean && !IsFloating(out_dtype)) {
    return Error(op, absl::StrCat("mean(): dtype must be floating point, got ", DTypeName(out_dtype)));
  }
  Shape shape;
  const bool keepdim = call.GetBool(kKeepdim);
  for (int64_t d = 0; d < nd; ++d) {
    bool r = std::binary_search(dims.begin(), dims.end(), d);
    if (!r) shape.push_back(x.size(d));
    else if (keepdim) shape.push_back(1);
  }
  if (dtype) call.inputs[0] = CastAndExpand(x, *dtype, x.sizes());
  call.attrs.resize(kReducedDims);
  call.attrs.push_back(dims);
  return std::vector<TensorMeta>{MetaOf(out_dtype, shape)};
}

// The gradient of a reduction, spread back over the reduced dims.
Tensor Unreduce(const BackwardCtx& ctx) {
  const auto& dims = std::get<std::vector<int64_t>>(ctx.attr(kReducedDims));
  Tensor g = ctx.grad();
  if (!std::get<bool>(ctx.attr(kKeepdim))) {
    for (int64_t d : dims) g = fn::Unsqueeze(g, d);
  }
  return fn::Expand(g, ctx.in_sizes(0));
}

int64_t ReducedCount(const BackwardCtx& ctx) {
  int64_t n = 1;
  for (int64_t d : std::get<std::vector<int64_t>>(ctx.attr(kReducedDims))) n *= ctx.in_sizes(0)[d];
  return n;
}

absl::string_view SumName(const OpCall& call) { return call.IsNone(kDim) ? "SumBackward0" : "SumBackward1"; }
absl::string_view MeanName(const OpCall& call) { return call.IsNone(kDim) ? "MeanBackward0" : "MeanBackward1"; }

std::vector<AttrSpec> ReduceAttrs() {
  return {Optional("dim", AttrType::kInts), WithDefault("keepdim", AttrType::kBool, false),
          Optional("dtype", AttrType::kDType)};
}

}  // namespace

const OpDef& SumOp() {
  // d/dx sum(x) = 1, broadcast back over the reduced dims
  static const OpDef d{.id = OpId::kSum, .name = "sum", .inputs = {{"self"}}, .attrs = ReduceAttrs(),
                       .doc = "Sum over `dim` (all dims if None).", .prepare = ReducePrepare<false>,
                       .backward = [](const BackwardCtx& c) { return std::vector<Tensor>{Unreduce(c)}; },
                       .backward_name_fn = SumName};
  return d;
}

const OpDef& MeanOp() {
  // d/dx mean(x) = 1/n over the reduced dims
  static const OpDef d{.id = OpId::kMean, .name = "mean", .inputs = {{"self"}}, .attrs = ReduceAttrs(),
                       .doc = "Mean over `dim` (all dims if None).", .prepare = ReducePrepare<true>,
                       .backward = [](const BackwardCtx& c) {
                         return std::vector<Tensor>{fn::Div(Unreduce(c), Scalar(ReducedCount(c)))};
                       },
                       .backward_name_fn = MeanName};
  return d;
}

}  // namespace tensord::engine
