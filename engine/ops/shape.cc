// Views (share storage; Note [Views and versions]), shape changes and copies.
#include <algorithm>

#include "engine/autograd.h"
#include "engine/layout.h"
#include "engine/ops/common.h"

namespace tensord::engine {
using namespace ops;

namespace {

const std::vector<InputSpec> kSelf = {{"self"}};

std::vector<Tensor> One(Tensor t) { return {std::move(t)}; }

// Resolves a single -1 and checks the element count (view/reshape).
absl::StatusOr<Shape> InferSize(absl::string_view op, IntSpan size, int64_t numel) {
  Shape out(size.begin(), size.end());
  int64_t infer = -1, known = 1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      if (infer >= 0) return Error(op, "only one dimension can be inferred");
      infer = static_cast<int64_t>(i);
    } else if (out[i] < 0) {
      return Error(op, absl::StrCat("invalid shape dimension ", out[i]));
    } else {
      if (out[i] != 0 && known > INT64_MAX / out[i]) return Error(op, "shape is too large");
      known *= out[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || numel % known != 0) {
      return Error(op, absl::StrCat("shape '", ShapeToString(size), "' is invalid for input of size ", numel));
    }
    out[infer] = numel / known;
  } else if (known != numel) {
    return Error(op, absl::StrCat("shape '", ShapeToString(size), "' is invalid for input of size ", numel));
  }
  return out;
}

// Strides for viewing (sizes, strides) as `shape` without a copy, if possible
// (the algorithm of PyTorch's computeStride: split and merge only within
// runs of dimensions that are contiguous with each other).
std::optional<Shape> ViewStrides(IntSpan sizes, IntSpan strides, IntSpan shape) {
  Shape out(shape.size());
  if (sizes.empty()) {  // 0-dim: all strides 1
    std::fill(out.begin(), out.end(), 1);
    return out;
  }
  if (Numel(sizes) == 0) return ContiguousStrides(shape);
  int64_t view_d = static_cast<int64_t>(shape.size()) - 1;
  int64_t chunk_base_stride = strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t d = static_cast<int64_t>(sizes.size()) - 1; d >= 0; --d) {
    tensor_numel *= sizes[d];
    if (d == 0 || (sizes[d - 1] != 1 && strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        out[view_d] = view_numel * chunk_base_stride;
        view_numel *= shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        chunk_base_stride = strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return out;
}

Tensor ViewAs(const Tensor& t, IntSpan shape, IntSpan strides) {
  return MakeView(t, ToShape(shape), ToShape(strides), t.storage_offset());
}

absl::StatusOr<std::vector<Tensor>> ViewForward(OpCall& call) {
  const Tensor& x = call.in(0);
  TENSORD_ASSIGN_OR_RETURN(Shape shape, InferSize("view", *call.GetInts(0), x.numel()));
  std::optional<Shape> strides = ViewStrides(x.sizes(), x.strides(), shape);
  if (!strides) {
    return Error("view", "view size is not compatible with input tensor's size and stride (at least one dimension "
                         "spans across two contiguous subspaces). Use .reshape(...) instead.");
  }
  return One(ViewAs(x, shape, *strides));
}

absl::StatusOr<std::vector<Tensor>> ReshapeForward(OpCall& call) {
  const Tensor& x = call.in(0);
  TENSORD_ASSIGN_OR_RETURN(Shape shape, InferSize("reshape", *call.GetInts(0), x.numel()));
  if (ViewStrides(x.sizes(), x.strides(), shape)) return One(fn::View(x, shape));
  return One(fn::View(fn::Call1(OpId::kClone, {x}, {std::string("contiguous_format")}), shape));
}

absl::StatusOr<std::vector<Tensor>> ExpandForward(OpCall& call) {
  const Tensor& x = call.in(0);
  const std::vector<int64_t>& size = *call.GetInts(0);
  const int64_t nd = x.dim(), n = static_cast<int64_t>(size.size());
  if (n < nd) {
    return Error("expand", absl::StrCat("the number of sizes provided (", n, ") must be greater or equal to the "
                                        "number of dimensions in the tensor (", nd, ")"));
  }
  Shape sizes(n), strides(n);
  for (int64_t i = n - 1; i >= 0; --i) {
    int64_t d = i - (n - nd);
    int64_t target = size[i];
    if (d < 0) {
      if (target < 0) return Error("expand", absl::StrCat("The expanded size of the tensor (", target, ") isn't allowed in a leading, non-existing dimension ", i));
      sizes[i] = target;
      strides[i] = 0;
      continue;
    }
    int64_t cur = x.size(d);
    if (target == -1) target = cur;
    if (cur != target) {
      if (cur != 1 || target < 0) {
        return Error("expand", absl::StrCat("The expanded size of the tensor (", target,
                                            ") must match the existing size (", cur, ") at non-singleton dimension ",
                                            i, ".  Target sizes: ", ShapeToString(size), ".  Tensor sizes: ",
                                            ShapeToString(x.sizes())));
      }
      sizes[i] = target;
      strides[i] = 0;
    } else {
      sizes[i] = cur;
      strides[i] = x.strides()[d];
    }
  }
  return One(MakeView(x, sizes, strides, x.storage_offset()));
}

// Sums `self` down to `size` (the inverse of expand): leading dims and dims
// that `size` has as 1.
absl::StatusOr<std::vector<Tensor>> SumToSizeForward(OpCall& call) {
  const Tensor& x = call.in(0);
  const std::vector<int64_t>& size = *call.GetInts(0);
  const int64_t lead = x.dim() - static_cast<int64_t>(size.size());
  bool expandable = lead >= 0;
  for (size_t i = 0; expandable && i < size.size(); ++i) {
    expandable = size[i] == x.size(lead + i) || size[i] == 1;
  }
  if (!expandable) {
    return Error("sum_to_size", absl::StrCat("size {", absl::StrJoin(size, ", "), "} is not expandable to size {",
                                             absl::StrJoin(x.sizes(), ", "), "}."));
  }
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < lead; ++d) dims.push_back(d);
  for (size_t i = 0; i < size.size(); ++i) {
    if (size[i] == 1 && x.size(lead + i) != 1) dims.push_back(lead + i);
  }
  if (dims.empty()) return One(x);
  Tensor r = fn::Sum(x, dims, /*keepdim=*/true);
  return One(lead > 0 ? fn::View(r, size) : r);
}

absl::StatusOr<std::vector<Tensor>> TransposeForward(OpCall& call) {
  const Tensor& x = call.in(0);
  TENSORD_ASSIGN_OR_RETURN(int64_t d0, WrapDim("transpose", call.GetInt(0), x.dim()));
  TENSORD_ASSIGN_OR_RETURN(int64_t d1, WrapDim("transpose", call.GetInt(1), x.dim()));
  Shape sizes = ToShape(x.sizes()), strides = ToShape(x.strides());
  if (x.dim() > 0) {
    std::swap(sizes[d0], sizes[d1]);
    std::swap(strides[d0], strides[d1]);
  }
  return One(MakeView(x, sizes, strides, x.storage_offset()));
}

absl::StatusOr<std::vector<Tensor>> TForward(OpCall& call) {
  const Tensor& x = call.in(0);
  if (x.dim() > 2) return Error("t", absl::StrCat("t() expects a tensor with <= 2 dimensions, but self is ", x.dim(), "D"));
  if (x.dim() < 2) return One(ViewAs(x, x.sizes(), x.strides()));
  return One(MakeView(x, {x.size(1), x.size(0)}, {x.strides()[1], x.strides()[0]}, x.storage_offset()));
}

absl::StatusOr<std::vector<Tensor>> PermuteForward(OpCall& call) {
  const Tensor& x = call.in(0);
  const std::vector<int64_t>& dims = *call.GetInts(0);
  if (static_cast<int64_t>(dims.size()) != x.dim()) {
    return Error("permute", absl::StrCat("number of dimensions in the tensor input does not match the length of the "
                                         "desired ordering of dimensions i.e. input.dim() = ", x.dim(),
                                         " is not equal to len(dims) = ", dims.size()));
  }
  Shape sizes(dims.size()), strides(dims.size());
  std::vector<bool> seen(dims.size(), false);
  for (size_t i = 0; i < dims.size(); ++i) {
    TENSORD_ASSIGN_OR_RETURN(int64_t d, WrapDim("permute", dims[i], x.dim()));
    if (seen[d]) return Error("permute", "duplicate dims are not allowed.");
    seen[d] = true;
    sizes[i] = x.size(d);
    strides[i] = x.strides()[d];
  }
  return One(MakeView(x, sizes, strides, x.storage_offset()));
}

absl::StatusOr<std::vector<Tensor>> UnsqueezeForward(OpCall& call) {
  const Tensor& x = call.in(0);
  TENSORD_ASSIGN_OR_RETURN(int64_t d, WrapDim("unsqueeze", call.GetInt(0), x.dim() + 1));
  Shape sizes = ToShape(x.sizes()), strides = ToShape(x.strides());
  int64_t stride = d >= x.dim() ? 1 : sizes[d] * strides[d];
  sizes.insert(sizes.begin() + d, 1);
  strides.insert(strides.begin() + d, stride);
  return One(MakeView(x, sizes, strides, x.storage_offset()));
}

absl::StatusOr<std::vector<Tensor>> SqueezeForward(OpCall& call) {
  const Tensor& x = call.in(0);
  std::vector<bool> drop(x.dim(), false);
  if (const std::vector<int64_t>* dims = call.GetInts(0)) {
    for (int64_t d : *dims) {
      TENSORD_ASSIGN_OR_RETURN(int64_t w, WrapDim("squeeze", d, x.dim()));
      if (x.dim() > 0 && x.size(w) == 1) drop[w] = true;
    }
  } else {
    for (int64_t d = 0; d < x.dim(); ++d) drop[d] = x.size(d) == 1;
  }
  Shape sizes, strides;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (drop[d]) continue;
    sizes.push_back(x.size(d));
    strides.push_back(x.strides()[d]);
  }
  return One(MakeView(x, sizes, strides, x.storage_offset()));
}

absl::string_view SqueezeName(const OpCall& call) {
  if (call.IsNone(0)) return "SqueezeBackward0";
  return call.GetInts(0)->size() == 1 ? "SqueezeBackward1" : "SqueezeBackward2";
}

absl::StatusOr<std::vector<TensorMeta>> ToCopyPrepare(OpCall& call) {
  const Tensor& x = call.in(0);
  if (const std::string* dev = call.GetStr(1)) TENSORD_RETURN_IF_ERROR(Device::Parse(*dev).status());
  return std::vector<TensorMeta>{
      {call.GetDType(0).value_or(x.dtype()), ToShape(x.sizes()), kCPU, PreservedStrides(x.sizes(), x.strides())}};
}

// clone(memory_format): preserve_format keeps a dense layout (Note [Memory layouts]).
absl::StatusOr<std::vector<TensorMeta>> ClonePrepare(OpCall& call) {
  const Tensor& x = call.in(0);
  const std::string& format = *call.GetStr(0);
  Shape strides;
  if (format == "preserve_format") {
    strides = PreservedStrides(x.sizes(), x.strides());
  } else if (format != "contiguous_format") {
    return Error("clone", absl::StrCat("memory_format must be 'preserve_format' or 'contiguous_format', not '",
                                       format, "'"));
  }
  return std::vector<TensorMeta>{{x.dtype(), ToShape(x.sizes()), kCPU, std::move(strides)}};
}

absl::StatusOr<std::vector<Tensor>> ToForward(OpCall& call) {
  const Tensor& x = call.in(0);
  AttrValue device;  // None: stays where it is
  if (const std::string* dev = call.GetStr(1)) {
    TENSORD_ASSIGN_OR_RETURN(Device d, Device::Parse(*dev));
    if (d != x.device()) device = d.ToString();
  }
  AttrValue dtype;
  if (std::optional<DType> d = call.GetDType(0); d && *d != x.dtype()) dtype = *d;
  if (std::holds_alternative<std::monostate>(dtype) && std::holds_alternative<std::monostate>(device)) {
    return One(x);  // PyTorch returns self
  }
  return fn::Call(OpId::kToCopy, {x}, {dtype, device});
}

Tensor ReshapeGradTo(const BackwardCtx& c) { return fn::Reshape(c.grad(), c.in_sizes(0)); }

}  // namespace

const OpDef& ViewOp() {
  // view backward: reshape the gradient back
  static const OpDef d{.id = OpId::kView, .name = "view", .inputs = kSelf, .attrs = {Required("size", AttrType::kInts)},
                       .doc = "A view with another shape (no copy; -1 infers one dim).", .forward = ViewForward,
                       .backward = [](const BackwardCtx& c) { return One(ReshapeGradTo(c)); },
                       .backward_name = "ViewBackward0"};
  return d;
}
const OpDef& ReshapeOp() {
  static const OpDef d{.id = OpId::kReshape, .name = "reshape", .inputs = kSelf,
                       .attrs = {Required("shape", AttrType::kInts)},
                       .doc = "view when the strides allow, else a contiguous copy.", .forward = ReshapeForward,
                       .differentiable_composite = true};
  return d;
}
const OpDef& ExpandOp() {
  // The one place broadcasting is undone: d expand = sum back to the input size.
  static const OpDef d{.id = OpId::kExpand, .name = "expand", .inputs = kSelf, .attrs = {Required("size", AttrType::kInts)},
                       .doc = "Broadcast view (stride 0) to `size`; -1 keeps a dim.", .forward = ExpandForward,
                       .backward = [](const BackwardCtx& c) { return One(fn::SumToSize(c.grad(), c.in_sizes(0))); },
                       .backward_name = "ExpandBackward0"};
  return d;
}
const OpDef& SumToSizeOp() {
  static const OpDef d{.id = OpId::kSumToSize, .name = "sum_to_size", .inputs = kSelf,
                       .attrs = {Required("size", AttrType::kInts)},
                       .doc = "Sum to a shape `self` was broadcast from.", .forward = SumToSizeForward,
                       .differentiable_composite = true};
  return d;
}
const OpDef& TransposeOp() {
  static const OpDef d{.id = OpId::kTranspose, .name = "transpose", .inputs = kSelf,
                       .attrs = {Required("dim0", AttrType::kInt), Required("dim1", AttrType::kInt)},
                       .doc = "View with dim0 and dim1 swapped.", .forward = TransposeForward,
                       .backward = [](const BackwardCtx& c) {
                         return One(fn::Transpose(c.grad(), std::get<int64_t>(c.attr(0)), std::get<int64_t>(c.attr(1))));
                       },
                       .backward_name = "TransposeBackward0"};
  return d;
}
const OpDef& TOp() {
  static const OpDef d{.id = OpId::kT, .name = "t", .inputs = kSelf, .doc = "Transpose of a <= 2-D tensor (view).",
                       .forward = TForward, .backward = [](const BackwardCtx& c) { return One(fn::T(c.grad())); },
                       .backward_name = "TBackward0"};
  return d;
}
const OpDef& PermuteOp() {
  static const OpDef d{.id = OpId::kPermute, .name = "permute", .inputs = kSelf,
                       .attrs = {Required("dims", AttrType::kInts)}, .doc = "View with dims reordered.",
                       .forward = PermuteForward,
                       .backward = [](const BackwardCtx& c) {
                         const auto& dims = std::get<std::vector<int64_t>>(c.attr(0));
                         const int64_t n = static_cast<int64_t>(dims.size());
                         std::vector<int64_t> inverse(n);
                         for (int64_t i = 0; i < n; ++i) inverse[(dims[i] % n + n) % n] = i;
                         return One(fn::Permute(c.grad(), inverse));
                       },
                       .backward_name = "PermuteBackward0"};
  return d;
}
const OpDef& UnsqueezeOp() {
  static const OpDef d{.id = OpId::kUnsqueeze, .name = "unsqueeze", .inputs = kSelf,
                       .attrs = {Required("dim", AttrType::kInt)}, .doc = "View with a size-1 dim inserted.",
                       .forward = UnsqueezeForward,
                       .backward = [](const BackwardCtx& c) { return One(ReshapeGradTo(c)); },
                       .backward_name = "UnsqueezeBackward0"};
  return d;
}
const OpDef& SqueezeOp() {
  static const OpDef d{.id = OpId::kSqueeze, .name = "squeeze", .inputs = kSelf,
                       .attrs = {Optional("dim", AttrType::kInts)},
                       .doc = "View without size-1 dims (all, or those in `dim`).", .forward = SqueezeForward,
                       .backward = [](const BackwardCtx& c) { return One(ReshapeGradTo(c)); },
                       .backward_name_fn = SqueezeName};
  return d;
}
const OpDef& ContiguousOp() {
  static const OpDef d{.id = OpId::kContiguous, .name = "contiguous", .inputs = kSelf,
                       .doc = "self if already contiguous, else a contiguous copy.",
                       .forward = [](OpCall& call) -> absl::StatusOr<std::vector<Tensor>> {
                         const Tensor& x = call.in(0);
                         return x.is_contiguous() ? One(x) : fn::Call(OpId::kClone, {x}, {std::string("contiguous_format")});
                       },
                       .differentiable_composite = true};
  return d;
}
const OpDef& CloneOp() {
  static const OpDef d{.id = OpId::kClone, .name = "clone", .inputs = kSelf,
                       .attrs = {WithDefault("memory_format", AttrType::kStr, std::string("preserve_format"))},
                       .doc = "A copy; preserve_format keeps a dense layout, contiguous_format is row-major.",
                       .prepare = ClonePrepare,
                       .backward = [](const BackwardCtx& c) { return One(c.grad()); },
                       .backward_name = "CloneBackward0"};
  return d;
}
const OpDef& DetachOp() {
  static const OpDef d{.id = OpId::kDetach, .name = "detach", .inputs = kSelf,
                       .doc = "A view outside the autograd graph (shares storage and version).",
                       .forward = [](OpCall& call) -> absl::StatusOr<std::vector<Tensor>> { return One(Detach(call.in(0))); }};
  return d;
}
const OpDef& ToOp() {
  static const OpDef d{.id = OpId::kTo, .name = "to", .inputs = kSelf,
                       .attrs = {Optional("dtype", AttrType::kDType), Optional("device", AttrType::kStr)},
                       .doc = "Converted to dtype/device; self when nothing changes.", .forward = ToForward,
                       .differentiable_composite = true};
  return d;
}
const OpDef& ToCopyOp() {
  // d cast = cast the gradient back
  static const OpDef d{.id = OpId::kToCopy, .name = "_to_copy", .inputs = kSelf,
                       .attrs = {Optional("dtype", AttrType::kDType), Optional("device", AttrType::kStr)},
                       .doc = "A converted copy (dtype and/or device).", .prepare = ToCopyPrepare,
                       .backward = [](const BackwardCtx& c) {
                         Tensor g = c.grad();
                         if (g.device() != c.in_device(0)) g = fn::ToDevice(g, c.in_device(0));
                         return One(fn::To(g, c.in_dtype(0)));
                       },
                       .backward_name = "ToCopyBackward0"};
  return d;
}

}  // namespace tensord::engine

// ---------------------------------------------------------------- select, slice, cat

namespace tensord::engine {
namespace {

// Gradient of a view that picks part of the input: zeros with the picked
// part set to the incoming gradient.
template <typename ViewFn>
Tensor ScatterIntoZeros(const BackwardCtx& c, ViewFn view_of) {
  Tensor z = fn::Full(c.in_sizes(0), Scalar(0), c.grad().dtype(), c.grad().device());
  ThrowIfError(Invoke(Copy_Op(), {view_of(z), c.grad()}, {}).status());
  return z;
}

absl::StatusOr<std::vector<Tensor>> SelectForward(OpCall& call) {
  const Tensor& x = call.in(0);
  if (x.dim() == 0) return Error("select", "select() cannot be applied to a 0-dim tensor.");
  TENSORD_ASSIGN_OR_RETURN(int64_t d, WrapDim("select", call.GetInt(0), x.dim()));
  int64_t index = call.GetInt(1), size = x.size(d);
  if (index < -size || index >= size) {
    return Error("select", absl::StrCat("index ", index, " is out of bounds for dimension ", d, " with size ", size));
  }
  if (index < 0) index += size;
  Shape sizes = ToShape(x.sizes()), strides = ToShape(x.strides());
  int64_t offset = x.storage_offset() + index * strides[d];
  sizes.erase(sizes.begin() + d);
  strides.erase(strides.begin() + d);
  return One(MakeView(x, sizes, strides, offset));
}

// Python slice bounds: negative from the end, clamped into [0, size].
int64_t ClampIndex(const OpCall& call, int attr, int64_t size, int64_t fallback) {
  if (call.IsNone(attr)) return fallback;
  int64_t v = call.GetInt(attr);
  if (v < 0) v += size;
  return std::clamp<int64_t>(v, 0, size);
}

absl::StatusOr<std::vector<Tensor>> SliceForward(OpCall& call) {
  const Tensor& x = call.in(0);
  if (x.dim() == 0) return Error("slice", "slice() cannot be applied to a 0-dim tensor.");
  TENSORD_ASSIGN_OR_RETURN(int64_t d, WrapDim("slice", call.GetInt(0), x.dim()));
  const int64_t step = call.GetInt(3), size = x.size(d);
  if (step <= 0) return Error("slice", "slice step must be positive");
  int64_t start = ClampIndex(call, 1, size, 0), end = ClampIndex(call, 2, size, size);
  if (end < start) end = start;
  Shape sizes = ToShape(x.sizes()), strides = ToShape(x.strides());
  int64_t offset = x.storage_offset() + start * strides[d];
  sizes[d] = (end - start + step - 1) / step;
  strides[d] *= step;
  return One(MakeView(x, sizes, strides, offset));
}

absl::StatusOr<std::vector<Tensor>> NarrowForward(OpCall& call) {
  const Tensor& x = call.in(0);
  if (x.dim() == 0) return Error("narrow", "narrow() cannot be applied to a 0-dim tensor.");
  TENSORD_ASSIGN_OR_RETURN(int64_t d, WrapDim("narrow", call.GetInt(0), x.dim()));
  int64_t start = call.GetInt(1), length = call.GetInt(2), size = x.size(d);
  if (start < -size || start > size) {
    return Error("narrow", absl::StrCat("start out of range (expected to be in range of [", -size, ", ", size,
                                        "], but got ", start, ")"));
  }
  if (start < 0) start += size;
  if (length < 0 || start + length > size) {
    return Error("narrow", absl::StrCat("start (", start, ") + length (", length, ") exceeds dimension size (", size, ")."));
  }
  return fn::Call(OpId::kSlice, {x}, {d, start, start + length, int64_t{1}});
}

// cat skips legacy 1-D empty tensors (shape [0]), as PyTorch does.
bool SkippedInCat(const Tensor& t) { return t.dim() == 1 && t.size(0) == 0; }

absl::StatusOr<std::vector<TensorMeta>> CatPrepare(OpCall& call) {
  const Tensor* ref = nullptr;
  for (const Tensor& t : call.inputs) {
    if (!SkippedInCat(t)) { ref = &t; break; }
  }
  DType dtype = ResultType(call.inputs);
  if (ref == nullptr) return std::vector<TensorMeta>{MetaOf(dtype, {0})};
  if (ref->dim() == 0) return Error("cat", "zero-dimensional tensor (at position 0) cannot be concatenated");
  TENSORD_ASSIGN_OR_RETURN(int64_t d, WrapDim("cat", call.GetInt(0), ref->dim()));
  Shape shape = ToShape(ref->sizes());
  shape[d] = 0;
  for (size_t i = 0; i < call.inputs.size(); ++i) {
    const Tensor& t = call.inputs[i];
    if (SkippedInCat(t)) continue;
    if (t.dim() != ref->dim()) {
      return Error("cat", absl::StrCat("Tensors must have same number of dimensions: got ", ref->dim(), " and ", t.dim()));
    }
    for (int64_t k = 0; k < t.dim(); ++k) {
      if (k != d && t.size(k) != ref->size(k)) {
        return Error("cat", absl::StrCat("Sizes of tensors must match except in dimension ", d, ". Expected size ",
                                         ref->size(k), " but got size ", t.size(k), " for tensor number ", i,
                                         " in the list."));
      }
    }
    shape[d] += t.size(d);
  }
  for (Tensor& t : call.inputs) t = CastAndExpand(t, dtype, t.sizes());
  call.attrs[0] = d;
  return std::vector<TensorMeta>{MetaOf(dtype, shape)};
}

// d cat = the gradient cut back into the inputs' pieces
std::vector<Tensor> CatBackward(const BackwardCtx& c) {
  const int64_t d = std::get<int64_t>(c.attr(0));
  std::vector<Tensor> grads;
  int64_t offset = 0;
  for (size_t i = 0; i < c.needs_input_grad.size(); ++i) {
    IntSpan sizes = c.in_sizes(i);
    if (sizes.size() == 1 && sizes[0] == 0 && c.grad().dim() != 1) {
      grads.push_back(c.needs_input_grad[i] ? fn::Full(sizes, Scalar(0), c.grad().dtype(), c.grad().device()) : Tensor());
      continue;
    }
    int64_t n = sizes[d];
    grads.push_back(c.needs_input_grad[i] ? fn::Call1(OpId::kNarrow, {c.grad()}, {d, offset, n}) : Tensor());
    offset += n;
  }
  return grads;
}

absl::StatusOr<std::vector<Tensor>> StackForward(OpCall& call) {
  const Tensor& first = call.in(0);
  for (size_t i = 1; i < call.inputs.size(); ++i) {
    if (!std::equal(first.sizes().begin(), first.sizes().end(), call.inputs[i].sizes().begin(),
                    call.inputs[i].sizes().end())) {
      return Error("stack", absl::StrCat("stack expects each tensor to be equal size, but got ",
                                         ShapeToString(first.sizes()), " at entry 0 and ",
                                         ShapeToString(call.inputs[i].sizes()), " at entry ", i));
    }
  }
  TENSORD_ASSIGN_OR_RETURN(int64_t d, WrapDim("stack", call.GetInt(0), first.dim() + 1));
  std::vector<Tensor> parts;
  for (const Tensor& t : call.inputs) parts.push_back(fn::Unsqueeze(t, d));
  return fn::Call(OpId::kCat, std::move(parts), {d});
}

}  // namespace

const OpDef& SelectOp() {
  static const OpDef d{.id = OpId::kSelect, .name = "select", .inputs = {{"self"}},
                       .attrs = {Required("dim", AttrType::kInt), Required("index", AttrType::kInt)},
                       .doc = "View of one index along dim (the dim is removed): x[i].", .forward = SelectForward,
                       .backward = [](const BackwardCtx& c) {
                         return std::vector<Tensor>{ScatterIntoZeros(c, [&](const Tensor& z) {
                           return fn::Call1(OpId::kSelect, {z}, {c.attr(0), c.attr(1)});
                         })};
                       },
                       .backward_name = "SelectBackward0"};
  return d;
}
const OpDef& SliceOp() {
  static const OpDef d{.id = OpId::kSlice, .name = "slice", .inputs = {{"self"}},
                       .attrs = {WithDefault("dim", AttrType::kInt, int64_t{0}), Optional("start", AttrType::kInt),
                                 Optional("end", AttrType::kInt), WithDefault("step", AttrType::kInt, int64_t{1})},
                       .doc = "View of start:end:step along dim (Python slice rules).", .forward = SliceForward,
                       .backward = [](const BackwardCtx& c) {
                         return std::vector<Tensor>{ScatterIntoZeros(c, [&](const Tensor& z) {
                           return fn::Call1(OpId::kSlice, {z}, {c.attr(0), c.attr(1), c.attr(2), c.attr(3)});
                         })};
                       },
                       .backward_name = "SliceBackward0"};
  return d;
}
const OpDef& NarrowOp() {
  static const OpDef d{.id = OpId::kNarrow, .name = "narrow", .inputs = {{"self"}},
                       .attrs = {Required("dim", AttrType::kInt), Required("start", AttrType::kInt),
                                 Required("length", AttrType::kInt)},
                       .doc = "View of length elements from start along dim.", .forward = NarrowForward,
                       .differentiable_composite = true};
  return d;
}
const OpDef& CatOp() {
  static const OpDef d{.id = OpId::kCat, .name = "cat", .inputs = {{"tensors", false, true}},
                       .attrs = {WithDefault("dim", AttrType::kInt, int64_t{0})},
                       .doc = "Concatenation along dim (types promote).", .prepare = CatPrepare,
                       .backward = CatBackward, .backward_name = "CatBackward0"};
  return d;
}
const OpDef& StackOp() {
  static const OpDef d{.id = OpId::kStack, .name = "stack", .inputs = {{"tensors", false, true}},
                       .attrs = {WithDefault("dim", AttrType::kInt, int64_t{0})},
                       .doc = "Equal-size tensors joined along a new dim.", .forward = StackForward,
                       .differentiable_composite = true};
  return d;
}

}  // namespace tensord::engine
