// Advanced indexing (tensor indices and masks), gather/scatter, nonzero.
//
// Note [Advanced indexing]
//   index(self, indices...) follows NumPy/PyTorch: indices line up with
//   self's leading dims (None = the whole dim); a bool mask stands for the
//   long indices of its true elements (nonzero) over as many dims as it has;
//   the long index tensors broadcast to one shape B. The result is
//   self.shape[before] + B + self.shape[after] when the indexed dims are
//   adjacent, else B + the remaining dims. prepare normalises the call to
//   (self, one int64 index per indexed dim, all of shape B) and appends the
//   indexed dims as attribute kIndexedDims; the kernels and index_put use
//   the same normal form.
//
//   As in PyTorch, index tensors may live on the CPU when self is on a GPU
//   (x_cuda[torch.tensor([0, 2])]): index and index_put are cross_device and
//   prepare moves such indices (and masks' positions) to self's device. An
//   index on another GPU, or on a GPU for a CPU self, is an error.
#include <numeric>

#include "absl/strings/match.h"
#include "engine/layout.h"
#include "engine/ops/common.h"

namespace tensord::engine {
using namespace ops;

namespace {

std::vector<Tensor> One(Tensor t) { return {std::move(t)}; }

// Expands masks, checks dtypes, broadcasts. `first` is the input position of
// the first index. Returns the indexed dims; rewrites the index inputs.
absl::StatusOr<std::vector<int64_t>> NormalizeIndices(absl::string_view op, OpCall& call, size_t first) {
  const Tensor& self = call.in(0);
  std::vector<Tensor> indices;
  std::vector<int64_t> dims;
  int64_t dim = 0;
  for (size_t i = first; i < call.inputs.size(); ++i) {
    const Tensor& t = call.inputs[i];
    if (!t.defined()) { ++dim; continue; }
    if (t.dtype() == DType::kBool || t.dtype() == DType::kUInt8) {
      if (dim + t.dim() > self.dim()) {
        return Error(op, absl::StrCat("too many indices for tensor of dimension ", self.dim()));
      }
      for (int64_t k = 0; k < t.dim(); ++k) {
        if (t.size(k) != self.size(dim + k)) {
          return Error(op, absl::StrCat("The shape of the mask ", ShapeToString(t.sizes()), " at index ", k,
                                        " does not match the shape of the indexed tensor ", ShapeToString(self.sizes()),
                                        " at index ", dim + k));
        }
      }
      Tensor nz = fn::Call1(OpId::kNonzero, {fn::To(t, DType::kBool)});  // [N, t.dim()]
      for (int64_t k = 0; k < t.dim(); ++k) {
        indices.push_back(fn::Call1(OpId::kSelect, {nz}, {int64_t{1}, k}));
        dims.push_back(dim++);
      }
      continue;
    }
    if (!IsIntegral(t.dtype(), false)) {
      return Error(op, "tensors used as indices must be long, int, byte or bool tensors");
    }
    if (dim >= self.dim()) return Error(op, absl::StrCat("too many indices for tensor of dimension ", self.dim()));
    indices.push_back(t.dtype() == DType::kInt64 ? t : fn::To(t, DType::kInt64));
    dims.push_back(dim++);
  }
  if (indices.empty()) return Error(op, "at least one index must be a tensor");
  for (Tensor& t : indices) {
    if (t.device() == self.device()) continue;
    if (t.device() != kCPU) {
      return Error(op, absl::StrCat("indices should be either on cpu or on the same device as the indexed tensor (",
                                    self.device().ToString(), ")"));
    }
    t = fn::ToDevice(t, self.device());
  }
  Shape b = ToShape(indices[0].sizes());
  for (size_t k = 1; k < indices.size(); ++k) {
    auto s = BroadcastShapes(op, b, indices[k].sizes());
    if (!s.ok()) {
      return Error(op, absl::StrCat("shape mismatch: indexing tensors could not be broadcast together with shapes ",
                                    ShapeToString(b), ", ", ShapeToString(indices[k].sizes())));
    }
    b = *s;
  }
  for (Tensor& t : indices) t = fn::Expand(t, b);
  call.inputs.resize(first);
  for (Tensor& t : indices) call.inputs.push_back(std::move(t));
  return dims;
}

// The result shape of index() for the normal form.
Shape IndexResultShape(const Tensor& self, const std::vector<int64_t>& dims, IntSpan b) {
  bool adjacent = dims.back() - dims.front() + 1 == static_cast<int64_t>(dims.size());
  Shape out;
  if (!adjacent) out.assign(b.begin(), b.end());
  for (int64_t d = 0; d < self.dim(); ++d) {
    if (adjacent && d == dims.front()) out.insert(out.end(), b.begin(), b.end());
    if (std::find(dims.begin(), dims.end(), d) == dims.end()) out.push_back(self.size(d));
  }
  return out;
}

constexpr int kIndexedDims = 0;  // index: the normalised dims attribute

// The result's strides (Note [Memory layouts]): PyTorch's index kernel is a
// TensorIterator over self with the indexed dims restrided to 0 and the
// indices spread over the result's dims, so the result follows self's layout.
Shape IndexResultStrides(const OpCall& call, const std::vector<int64_t>& dims, IntSpan out) {
  const Tensor& self = call.in(0);
  const int64_t nb = call.in(1).dim();
  const bool adjacent = dims.back() - dims.front() + 1 == static_cast<int64_t>(dims.size());
  const int64_t b0 = adjacent ? dims.front() : 0;  // where B's dims start in the result
  std::vector<Shape> operands(1 + dims.size(), Shape(out.size(), 0));
  int64_t r = 0;
  for (int64_t d = 0; d < self.dim(); ++d) {
    if (r == b0) r += nb;
    if (std::find(dims.begin(), dims.end(), d) == dims.end()) operands[0][r++] = self.strides()[d];
  }
  for (size_t k = 0; k < dims.size(); ++k) {
    for (int64_t j = 0; j < nb; ++j) operands[1 + k][b0 + j] = call.in(1 + k).strides()[j];
  }
  return ElementwiseStrides(out, operands);
}

absl::StatusOr<std::vector<TensorMeta>> IndexPrepare(OpCall& call) {
  TENSORD_ASSIGN_OR_RETURN(std::vector<int64_t> dims, NormalizeIndices("index", call, 1));
  call.attrs = {dims};
  TensorMeta meta = MetaOf(call.in(0).dtype(), IndexResultShape(call.in(0), dims, call.in(1).sizes()));
  meta.strides = IndexResultStrides(call, dims, meta.sizes);
  return std::vector<TensorMeta>{std::move(meta)};
}

// index_put(self, values, indices...; accumulate): attrs accumulate, then dims.
absl::StatusOr<std::vector<TensorMeta>> IndexPutPrepare(OpCall& call) {
  TENSORD_ASSIGN_OR_RETURN(std::vector<int64_t> dims, NormalizeIndices("index_put", call, 2));
  const Tensor& self = call.in(0);
  Shape target = IndexResultShape(self, dims, call.in(2).sizes());
  // Values follow the same-device rule (a CPU 0-dim tensor may join a cuda
  // self); only the indices may cross devices.
  TENSORD_RETURN_IF_ERROR(CommonDevice("index_put", {self, call.in(1)}).status());
  if (call.in(1).device() != self.device()) call.inputs[1] = fn::ToDevice(call.in(1), self.device());
  const Tensor& values = call.in(1);
  if (values.dtype() != self.dtype() && values.dim() > 0) {
    return Error("index_put", absl::StrCat("Index put requires the source and destination dtypes match, got ",
                                           ScalarTypeName(self.dtype()), " for the destination and ",
                                           ScalarTypeName(values.dtype()), " for the source."));
  }
  auto shape = BroadcastShapes("index_put", target, values.sizes());
  if (!shape.ok() || !std::equal(shape->begin(), shape->end(), target.begin(), target.end())) {
    return Error("index_put", absl::StrCat("shape mismatch: value tensor of shape ", ShapeToString(values.sizes()),
                                           " cannot be broadcast to indexing result of shape ", ShapeToString(target)));
  }
  call.inputs[1] = CastAndExpand(values, self.dtype(), target);
  call.attrs.resize(1);
  call.attrs.push_back(dims);
  return std::vector<TensorMeta>{MetaOf(self.dtype(), self.sizes())};
}

// The saved normal-form indices back in call layout: None for the dims
// between them (so the dims line up again when index/index_put re-normalise).
std::vector<Tensor> IndexInputs(const BackwardCtx& c, size_t first, int dims_attr) {
  const auto& dims = std::get<std::vector<int64_t>>(c.attr(dims_attr));
  std::vector<Tensor> out(dims.back() + 1);
  for (size_t k = 0; k < dims.size(); ++k) out[dims[k]] = c.inputs[first + k];
  return out;
}

// `t` zero-padded at the end of each dim up to `shape` (t fits inside it).
Tensor PadTo(const Tensor& t, IntSpan shape) {
  if (std::equal(shape.begin(), shape.end(), t.sizes().begin(), t.sizes().end())) return t;
  Tensor z = fn::Full(shape, Scalar(0), t.dtype(), t.device());
  Tensor view = z;
  for (int64_t d = 0; d < t.dim(); ++d) view = fn::Call1(OpId::kNarrow, {view}, {d, int64_t{0}, t.size(d)});
  ThrowIfError(Invoke(Copy_Op(), {view, t}, {}).status());
  return z;
}

// d index = scatter-add of g into zeros at the same positions
std::vector<Tensor> IndexBackward(const BackwardCtx& c) {
  std::vector<Tensor> in{fn::Full(c.in_sizes(0), Scalar(0), c.grad().dtype(), c.grad().device()), c.grad()};
  for (const Tensor& t : IndexInputs(c, 1, kIndexedDims)) in.push_back(t);
  std::vector<Tensor> grads(c.needs_input_grad.size());
  grads[0] = fn::Call1(OpId::kIndexPut, std::move(in), {true});
  return grads;
}

// d index_put = (g with the written positions zeroed (or g when
// accumulating), g at those positions)
std::vector<Tensor> IndexPutBackward(const BackwardCtx& c) {
  const bool accumulate = std::get<bool>(c.attr(0));
  std::vector<Tensor> idx = IndexInputs(c, 2, 1);
  std::vector<Tensor> grads(c.needs_input_grad.size());
  if (c.needs_input_grad[0]) {
    if (accumulate) {
      grads[0] = c.grad();
    } else {
      std::vector<Tensor> in{c.grad(), fn::Full({}, Scalar(0), c.grad().dtype())};
      in.insert(in.end(), idx.begin(), idx.end());
      grads[0] = fn::Call1(OpId::kIndexPut, std::move(in), {false});
    }
  }
  if (c.needs_input_grad[1]) {
    std::vector<Tensor> in{c.grad()};
    in.insert(in.end(), idx.begin(), idx.end());
    grads[1] = fn::Call1(OpId::kIndex, std::move(in));
  }
  return grads;
}

absl::Status CheckGatherShapes(absl::string_view op, const Tensor& self, int64_t dim, const Tensor& index) {
  if (index.dtype() != DType::kInt64) return Error(op, absl::StrCat(op, "(): Expected dtype int64 for index"));
  if (index.dim() != self.dim() && !(index.dim() <= 1 && self.dim() <= 1)) {
    return Error(op, "Index tensor must have the same number of dimensions as input tensor");
  }
  for (int64_t d = 0; d < index.dim(); ++d) {
    if (d != dim && index.size(d) > self.size(d)) {
      return Error(op, absl::StrCat("Size does not match at dimension ", d, " expected index ", ShapeToString(index.sizes()),
                                    " to be smaller than self ", ShapeToString(self.sizes()), " apart from dimension ", dim));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<TensorMeta>> GatherPrepare(OpCall& call) {
  const Tensor& self = call.in(0);
  TENSORD_ASSIGN_OR_RETURN(int64_t dim, WrapDim("gather", call.GetInt(0), self.dim()));
  call.attrs[0] = dim;
  TENSORD_RETURN_IF_ERROR(CheckGatherShapes("gather", self, dim, call.in(1)));
  return std::vector<TensorMeta>{MetaOf(self.dtype(), call.in(1).sizes())};
}

// scatter(self, index, src?; dim, value?) and scatter_add(self, index, src; dim)
absl::StatusOr<std::vector<TensorMeta>> ScatterPrepare(OpCall& call) {
  const absl::string_view op = call.def->name;
  const Tensor& self = call.in(0);
  TENSORD_ASSIGN_OR_RETURN(int64_t dim, WrapDim(op, call.GetInt(0), self.dim()));
  call.attrs[0] = dim;
  TENSORD_RETURN_IF_ERROR(CheckGatherShapes(op, self, dim, call.in(1)));
  const bool has_src = call.inputs.size() > 2 && call.in(2).defined();
  if (has_src == (call.def->id == OpId::kScatter && !call.IsNone(1))) {
    return Error(op, "expects exactly one of a src tensor or a value");
  }
  if (has_src) {
    const Tensor& src = call.in(2);
    if (src.dim() != call.in(1).dim()) {
      return Error(op, "Index tensor must have the same number of dimensions as src tensor");
    }
    for (int64_t d = 0; d < call.in(1).dim(); ++d) {
      if (call.in(1).size(d) > src.size(d)) {
        return Error(op, absl::StrCat("Expected index ", ShapeToString(call.in(1).sizes()),
                                      " to be smaller than src ", ShapeToString(src.sizes())));
      }
    }
    call.inputs[2] = CastAndExpand(src, self.dtype(), src.sizes());
  }
  return std::vector<TensorMeta>{MetaOf(self.dtype(), self.sizes())};
}

Tensor GatherOf(const Tensor& t, int64_t dim, const Tensor& index) { return fn::Call1(OpId::kGather, {t, index}, {dim}); }

}  // namespace

const OpDef& IndexOp() {
  static const OpDef d{.id = OpId::kIndex, .name = "index",
                       .inputs = {{"self"}, {"indices", true, true}},
                       .doc = "Advanced indexing self[indices] (Note [Advanced indexing]); None = a whole dim.",
                       .prepare = IndexPrepare, .backward = IndexBackward, .backward_name = "IndexBackward0",
                       .saves = {.inputs = {kSavedNever, kSavedForAny}}, .cross_device = true};
  return d;
}
const OpDef& IndexPutOp() {
  static const OpDef d{.id = OpId::kIndexPut, .name = "index_put",
                       .inputs = {{"self"}, {"values"}, {"indices", true, true}},
                       .attrs = {WithDefault("accumulate", AttrType::kBool, false)},
                       .doc = "self with self[indices] = values (+= when accumulate).",
                       .prepare = IndexPutPrepare, .backward = IndexPutBackward,
                       .backward_name = "IndexPutBackward0",
                       .saves = {.inputs = {kSavedNever, kSavedNever, kSavedForAny}}, .cross_device = true};
  return d;
}
const OpDef& IndexSelectOp() {
  static const OpDef d{.id = OpId::kIndexSelect, .name = "index_select", .inputs = {{"self"}, {"index"}},
                       .attrs = {Required("dim", AttrType::kInt)},
                       .doc = "Entries index (1-D) along dim.",
                       .forward = [](OpCall& call) -> absl::StatusOr<std::vector<Tensor>> {
                         const Tensor& self = call.in(0);
                         TENSORD_ASSIGN_OR_RETURN(int64_t dim, WrapDim("index_select", call.GetInt(0), self.dim()));
                         if (call.in(1).dim() > 1) return Error("index_select", "Index is supposed to be a vector");
                         if (!call.in(1).is_meta()) {  // unlike indexing, index_select takes no negative indices (checked on the host)
                           const Tensor idx = fn::Contiguous(
                               call.in(1).device() == kCPU ? call.in(1) : fn::ToDevice(call.in(1), kCPU));
                           bool negative = false;
                           if (idx.dtype() == DType::kInt64) {
                             for (int64_t i = 0; i < idx.numel(); ++i) negative |= idx.data<int64_t>()[i] < 0;
                           } else if (idx.dtype() == DType::kInt32) {
                             for (int64_t i = 0; i < idx.numel(); ++i) negative |= idx.data<int32_t>()[i] < 0;
                           }
                           if (negative) return Error("index_select", "index out of range in self");
                         }
                         std::vector<Tensor> in{self};
                         for (int64_t d = 0; d < dim; ++d) in.push_back(Tensor());
                         in.push_back(fn::Reshape(call.in(1), {-1}));
                         try {  // errors of the index op it delegates to name index_select
                           Tensor r = fn::Call1(OpId::kIndex, std::move(in));
                           // PyTorch's index_select result is contiguous whatever self's layout
                           if (!r.is_contiguous()) r = fn::Call1(OpId::kClone, {r}, {std::string("contiguous_format")});
                           return std::vector<Tensor>{r};
                         } catch (const EngineError& e) {
                           const absl::Status& s = e.status();
                           if (!absl::StartsWith(s.message(), "[index] ")) throw;
                           return absl::Status(s.code(), absl::StrCat("[index_select] ", s.message().substr(8)));
                         }
                       },
                       .differentiable_composite = true};
  return d;
}
const OpDef& GatherOp() {
  // d gather = scatter_add of g into zeros
  static const OpDef d{.id = OpId::kGather, .name = "gather", .inputs = {{"self"}, {"index"}},
                       .attrs = {Required("dim", AttrType::kInt)},
                       .doc = "out[i][j] = self[index[i][j]][j] (dim 0), etc.", .prepare = GatherPrepare,
                       .backward = [](const BackwardCtx& c) {
                         const int64_t dim = std::get<int64_t>(c.attr(0));
                         Tensor z = fn::Full(c.in_sizes(0), Scalar(0), c.grad().dtype(), c.grad().device());
                         return std::vector<Tensor>{fn::Call1(OpId::kScatterAdd, {z, c.in(1), c.grad()}, {dim}), Tensor()};
                       },
                       .backward_name = "GatherBackward0", .saves = {.inputs = {kSavedNever, kSavedForAny}}};
  return d;
}
const OpDef& ScatterOp() {
  // d scatter = (g with the written positions zeroed, g gathered there)
  static const OpDef d{.id = OpId::kScatter, .name = "scatter", .inputs = {{"self"}, {"index"}, {"src", true}},
                       .attrs = {Required("dim", AttrType::kInt), Optional("value", AttrType::kScalar)},
                       .doc = "self with self[index[i][j]][j] = src[i][j] (dim 0) or = value.",
                       .prepare = ScatterPrepare,
                       .backward = [](const BackwardCtx& c) {
                         const int64_t dim = std::get<int64_t>(c.attr(0));
                         std::vector<Tensor> g(3);
                         if (c.needs_input_grad[0]) {
                           g[0] = fn::Call1(OpId::kScatter, {c.grad(), c.in(1), Tensor()}, {dim, Scalar(0)});
                         }
                         if (c.needs_input_grad.size() > 2 && c.needs_input_grad[2]) {
                           g[2] = PadTo(GatherOf(c.grad(), dim, c.in(1)), c.in_sizes(2));
                         }
                         return g;
                       },
                       .backward_name = "ScatterBackward0",
                       .saves = {.inputs = {kSavedNever, kSavedForAny, kSavedNever}}};
  return d;
}
const OpDef& ScatterAddOp() {
  // d scatter_add = (g, g gathered at the index)
  static const OpDef d{.id = OpId::kScatterAdd, .name = "scatter_add", .inputs = {{"self"}, {"index"}, {"src"}},
                       .attrs = {Required("dim", AttrType::kInt)},
                       .doc = "self with self[index[i][j]][j] += src[i][j] (dim 0).", .prepare = ScatterPrepare,
                       .backward = [](const BackwardCtx& c) {
                         const int64_t dim = std::get<int64_t>(c.attr(0));
                         return std::vector<Tensor>{c.grad(), Tensor(),
                                                    c.needs_input_grad[2] ? PadTo(GatherOf(c.grad(), dim, c.in(1)), c.in_sizes(2)) : Tensor()};
                       },
                       .backward_name = "ScatterAddBackward0",
                       .saves = {.inputs = {kSavedNever, kSavedForAny, kSavedNever}}};
  return d;
}
const OpDef& NonzeroOp() {
  static const OpDef d{.id = OpId::kNonzero, .name = "nonzero", .inputs = {{"self"}},
                       .doc = "Indices [N, ndim] of the nonzero elements, in row-major order.",
                       .forward = [](OpCall& call) -> absl::StatusOr<std::vector<Tensor>> {
                         TENSORD_ASSIGN_OR_RETURN(Tensor found, Nonzero(call.in(0)));
                         return One(std::move(found));
                       },
                       .values_decide_shape = true};
  return d;
}

}  // namespace tensord::engine
