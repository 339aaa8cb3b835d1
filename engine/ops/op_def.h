// How an op is defined (internal to engine/). See Note [The op list].
//
// An op is one of two kinds:
//  * a primitive: `prepare` is its shape/dtype rule — the only place user
//    errors arise — and may rewrite its inputs into the form the kernel wants
//    (cast to the compute dtype, broadcast by an explicit expand view; both
//    are ops themselves, so autograd sees them). Outputs are allocated from the
//    returned metas and filled by the kernel in the device's table.
//  * a composite or view: `forward` builds the outputs from other ops or as a
//    view of an input. It needs no kernel.
// Either kind may have a `backward` rule written with engine ops (so it runs
// on every device and can itself be differentiated). A composite without one
// is differentiated through the ops it is made of.
#pragma once

#include <optional>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "engine/op.h"
#include "engine/ops/op_list.h"
#include "engine/tensor.h"

namespace tensord::engine {

// Attribute values resolved against an op's AttrSpecs, in spec order.
using Attrs = absl::InlinedVector<AttrValue, 4>;

struct OpCall {
  const OpDef* def;
  std::vector<Tensor> inputs;
  Attrs attrs;
  // Bit i set: input i arrived as a Python number (Tensor::WrappedScalar),
  // recorded before prepare rewrites the inputs (grad_fn names depend on it).
  uint32_t scalar_inputs = 0;

  const Tensor& in(int i) const { return inputs[i]; }
  bool GetBool(int i) const { return std::get<bool>(attrs[i]); }
  int64_t GetInt(int i) const { return std::get<int64_t>(attrs[i]); }
  double GetFloat(int i) const { return std::get<double>(attrs[i]); }
  const Scalar& GetScalar(int i) const { return std::get<Scalar>(attrs[i]); }
  bool IsNone(int i) const { return std::holds_alternative<std::monostate>(attrs[i]); }
  // nullptr when the attribute is None.
  const std::vector<int64_t>* GetInts(int i) const { return std::get_if<std::vector<int64_t>>(&attrs[i]); }
  std::optional<DType> GetDType(int i) const {
    if (auto* d = std::get_if<DType>(&attrs[i])) return *d;
    return std::nullopt;
  }
  const std::string* GetStr(int i) const { return std::get_if<std::string>(&attrs[i]); }
};

struct TensorMeta {
  DType dtype;
  Shape sizes;
  Device device = kCPU;  // autograd's records; prepare rules leave it (the op's device decides)
  // Dense strides for the output (Note [Memory layouts]); empty: the op's
  // OutputLayout decides (contiguous unless elementwise).
  Shape strides;
};

// Note [Saved for backward]
//   Each op states once, as PyTorch's derivatives.yaml does, which tensors
//   its backward reads for the gradient of which input: per input (and per
//   output) of the op, the mask of inputs whose gradient formulas read it.
//   RecordGraph saves a tensor only when an input in its mask requires grad
//   in this call, so `a * 2` saves nothing of `a` and a later in-place write
//   to `a` is no error, exactly where PyTorch raises none. A backward rule
//   reads ctx.in(i) / ctx.out(i) only when computing a gradient its spec
//   saved them for (elsewhere they are undefined).
using GradMask = uint32_t;
inline constexpr GradMask kSavedNever = 0;
inline constexpr GradMask kSavedForAny = ~GradMask{0};  // whenever the op is recorded
// Saved when input `i`'s gradient is needed (inputs past 31 share bit 31).
constexpr GradMask SavedFor(int i) { return GradMask{1} << (i < 31 ? i : 31); }

struct SaveSpec {
  // Per input / output; positions past the end take the last entry (so
  // {kSavedForAny} saves every input, variadic ones too); empty: none.
  std::vector<GradMask> inputs;
  std::vector<GradMask> outputs;

  // Whether input (output) `i` is saved when the inputs in `wanted` need grad.
  bool SavesInput(size_t i, GradMask wanted) const { return (At(inputs, i) & wanted) != 0; }
  bool SavesOutput(size_t i, GradMask wanted) const { return (At(outputs, i) & wanted) != 0; }

 private:
  static GradMask At(const std::vector<GradMask>& v, size_t i) {
    return v.empty() ? kSavedNever : v[i < v.size() ? i : v.size() - 1];
  }
};
// The common cases: a unary op's backward reads its input, or its result.
inline const SaveSpec kSaveSelf{.inputs = {kSavedForAny}};
inline const SaveSpec kSaveResult{.outputs = {kSavedForAny}};
inline const SaveSpec kSaveSelfAndResult{.inputs = {kSavedForAny}, .outputs = {kSavedForAny}};

struct BackwardCtx {
  std::vector<Tensor> grads;     // one per output; zeros where none arrived
  std::vector<Tensor> inputs;    // one per input: defined where saved (Note [Saved for backward])
  std::vector<Tensor> outputs;   // one per output: defined where saved
  const Attrs* attrs;
  const std::vector<TensorMeta>* input_meta;
  std::vector<bool> needs_input_grad;

  const Tensor& grad() const { return grads[0]; }
  const Tensor& in(int i) const { return inputs[i]; }
  const Tensor& out(int i = 0) const { return outputs[i]; }
  IntSpan in_sizes(int i) const { return (*input_meta)[i].sizes; }
  DType in_dtype(int i) const { return (*input_meta)[i].dtype; }
  Device in_device(int i) const { return (*input_meta)[i].device; }
  const AttrValue& attr(int i) const { return (*attrs)[i]; }
};

using PrepareFn = absl::StatusOr<std::vector<TensorMeta>> (*)(OpCall& call);
// A primitive's kernel on one device (Note [Kernel tables]): fills `outputs`.
using KernelFn = absl::Status (*)(const OpCall& call, std::vector<Tensor>& outputs);
using ForwardFn = absl::StatusOr<std::vector<Tensor>> (*)(OpCall& call);
// Returns one gradient per input (undefined where not needed). May throw
// EngineError (see functional.h).
using BackwardFn = std::vector<Tensor> (*)(const BackwardCtx& ctx);
using BackwardNameFn = absl::string_view (*)(const OpCall& call);

// How a primitive's outputs are laid out (Note [Memory layouts], tensor.h).
enum class OutputLayout : int8_t {
  kContiguous,
  kElementwise,  // TensorIterator's rule over the prepared inputs
};

struct OpDef {
  OpId id;
  absl::string_view name;
  std::vector<InputSpec> inputs;
  std::vector<AttrSpec> attrs;
  absl::string_view doc;
  int num_outputs = 1;
  bool inplace = false;

  PrepareFn prepare = nullptr;  // primitive
  OutputLayout layout = OutputLayout::kContiguous;  // where a prepare rule sets no strides
  ForwardFn forward = nullptr;  // composite / view

  BackwardFn backward = nullptr;
  absl::string_view backward_name;            // "AddBackward0"
  BackwardNameFn backward_name_fn = nullptr;  // when the name depends on the call
  SaveSpec saves;  // what backward reads (Note [Saved for backward])
  // A composite differentiated through the ops it is made of (ListOps only).
  bool differentiable_composite = false;
  // In-place variants: the out-of-place op they write back (Note [In-place variants]).
  const OpDef* inplace_of = nullptr;
  // An in-place primitive whose new values do not depend on the old ones
  // (random fills): under autograd the old values get zero gradient (Note
  // [Random fills under autograd], dispatch.cc).
  bool overwrites_self = false;
  // Inputs may live on different devices (index's CPU indices, _to_copy):
  // the prepare rule or kernel moves what it needs (Note [Device routing]).
  bool cross_device = false;
  // The output shape depends on the input values (nonzero): metadata-only
  // execution reports it unknown (Note [Metadata-only execution], meta.h).
  bool values_decide_shape = false;
};

// The op for an id / a name (nullptr if unknown).
const OpDef& GetOp(OpId id);
const OpDef* FindOp(absl::string_view name);
// For definitions built from other definitions (in-place variants): safe
// while the registry itself is being built. The name must exist.
const OpDef& DefinitionOfName(absl::string_view name);

// Runs an op with resolved attributes (missing trailing attrs take defaults).
absl::StatusOr<std::vector<Tensor>> Invoke(const OpDef& def, std::vector<Tensor> inputs, Attrs attrs);

// Shared validation helpers for shape rules.
// Wraps a possibly negative dim into [0, ndim). ndim 0 accepts -1 and 0.
absl::StatusOr<int64_t> WrapDim(absl::string_view op, int64_t dim, int64_t ndim);
// NumPy/PyTorch broadcast of two shapes.
absl::StatusOr<Shape> BroadcastShapes(absl::string_view op, IntSpan a, IntSpan b);
// The device tensors share: PyTorch's rule that all are on one device,
// except CPU scalars (0-dim tensors, broadcasts of one, Python numbers),
// which may join cuda tensors and reach kernels by value.
absl::StatusOr<Device> CommonDevice(absl::string_view op, absl::Span<const Tensor> inputs);
// dst[...] = cast(src[...]) for tensors on any devices (same shape).
absl::Status CopyInto(const Tensor& src, const Tensor& dst);
// dst += src (same shape and dtype, one device). Gradient accumulation.
absl::Status AddInto(const Tensor& dst, const Tensor& src);
// Row-major indices [N, ndim] of self's nonzero elements, on self's device.
absl::StatusOr<Tensor> Nonzero(const Tensor& self);
// cat's kernel on every device: each input copied (CopyInto) into its slice of out.
absl::Status CatInto(const OpCall& call, const Tensor& out);
// PyTorch's result_type over tensors, honouring dim-0 and wrapped numbers.
DType ResultType(absl::Span<const Tensor> tensors);

}  // namespace tensord::engine
