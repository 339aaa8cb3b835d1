// The registry and the one place every op call goes through.
#include <algorithm>
#include <array>
#include <atomic>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/autograd.h"
#include "engine/autograd_internal.h"
#include "engine/backend.h"
#include "engine/functional.h"
#include "engine/layout.h"
#include "engine/meta.h"
#include "engine/ops/kernel_list.h"
#include "engine/ops/op_def.h"
#include "engine/random.h"
#include "engine/status.h"

namespace tensord::engine {

namespace {

// The definition for an id, without going through the registry table (so a
// definition may refer to another op while the table is being built).
const OpDef& DefinitionOf(OpId id) {
  switch (id) {
#define TENSORD_OP_CASE_(name, Camel) \
  case OpId::k##Camel:                \
    return Camel##Op();
    TENSORD_FORALL_OPS(TENSORD_OP_CASE_)
#undef TENSORD_OP_CASE_
  }
  __builtin_unreachable();
}

const std::array<const OpDef*, kNumOps>& OpTable() {
  static const std::array<const OpDef*, kNumOps> table = [] {
    std::array<const OpDef*, kNumOps> t{};
    for (int i = 0; i < kNumOps; ++i) t[i] = &DefinitionOf(static_cast<OpId>(i));
    return t;
  }();
  return table;
}

const absl::flat_hash_map<absl::string_view, const OpDef*>& OpsByName() {
  static const auto* map = [] {
    auto* m = new absl::flat_hash_map<absl::string_view, const OpDef*>();
    for (const OpDef* d : OpTable()) (*m)[d->name] = d;
    return m;
  }();
  return *map;
}

bool AttrMatches(AttrType type, const AttrValue& v) {
  switch (type) {
    case AttrType::kBool: return std::holds_alternative<bool>(v);
    case AttrType::kInt: return std::holds_alternative<int64_t>(v);
    case AttrType::kFloat: return std::holds_alternative<double>(v);
    case AttrType::kStr: return std::holds_alternative<std::string>(v);
    case AttrType::kInts: return std::holds_alternative<std::vector<int64_t>>(v);
    case AttrType::kDType: return std::holds_alternative<DType>(v);
    case AttrType::kScalar: return std::holds_alternative<Scalar>(v);
  }
  return false;
}

// Converts what a caller sent into what the spec asks for, where Python
// would: an int where a float or scalar is wanted, a single int for a list.
std::optional<AttrValue> Coerce(AttrType type, const AttrValue& v) {
  if (AttrMatches(type, v)) return v;
  if (type == AttrType::kFloat && std::holds_alternative<int64_t>(v)) return static_cast<double>(std::get<int64_t>(v));
  if (type == AttrType::kScalar) {
    if (auto* i = std::get_if<int64_t>(&v)) return Scalar(*i);
    if (auto* f = std::get_if<double>(&v)) return Scalar(*f);
    if (auto* b = std::get_if<bool>(&v)) return Scalar(*b);
  }
  if (type == AttrType::kInt) {
    if (auto* s = std::get_if<Scalar>(&v); s && s->is_integral()) return s->to_int();
  }
  if (type == AttrType::kInts) {
    if (auto* i = std::get_if<int64_t>(&v)) return std::vector<int64_t>{*i};
  }
  return std::nullopt;
}

absl::string_view ValueTypeName(const AttrValue& v) {
  static constexpr absl::string_view kNames[] = {"None", "bool", "int", "float", "str", "ints", "dtype", "scalar"};
  return kNames[v.index()];
}

}  // namespace

namespace {
std::atomic<int64_t> max_tensor_elements{int64_t{1} << 31};
}  // namespace

void SetMaxTensorElements(int64_t n) { max_tensor_elements.store(n); }
int64_t MaxTensorElements() {
  if (const MetaOptions* meta = CurrentMetaOptions()) {
    return meta->max_tensor_elements > 0 ? meta->max_tensor_elements : INT64_MAX;
  }
  return max_tensor_elements.load();
}

const OpDef& GetOp(OpId id) { return *OpTable()[static_cast<int>(id)]; }

std::optional<OpId> OpIdByName(absl::string_view name) {
  for (int i = 0; i < kNumOps; ++i) {
    if (kOpNames[i] == name) return static_cast<OpId>(i);
  }
  return std::nullopt;
}

const OpDef& DefinitionOfName(absl::string_view name) { return DefinitionOf(*OpIdByName(name)); }

const OpDef* FindOp(absl::string_view name) {
  auto it = OpsByName().find(name);
  return it == OpsByName().end() ? nullptr : it->second;
}

absl::string_view AttrTypeName(AttrType t) {
  static constexpr absl::string_view kNames[] = {"bool", "int", "float", "str", "ints", "dtype", "scalar"};
  return kNames[static_cast<int>(t)];
}

std::string AttrValueRepr(const AttrValue& v) {
  struct Visitor {
    std::string operator()(std::monostate) const { return "None"; }
    std::string operator()(bool b) const { return b ? "True" : "False"; }
    std::string operator()(int64_t i) const { return absl::StrCat(i); }
    std::string operator()(double f) const { return absl::StrCat(f); }
    std::string operator()(const std::string& s) const { return absl::StrCat("'", s, "'"); }
    std::string operator()(const std::vector<int64_t>& v) const { return absl::StrCat("[", absl::StrJoin(v, ", "), "]"); }
    std::string operator()(DType d) const { return absl::StrCat("torch.", DTypeName(d)); }
    std::string operator()(const Scalar& s) const { return s.ToString(); }
  };
  return std::visit(Visitor{}, v);
}

const std::vector<OpSchema>& ListOps() {
  static const std::vector<OpSchema>* schemas = [] {
    auto* v = new std::vector<OpSchema>();
    for (const OpDef* d : OpTable()) {
      v->push_back({d->name, d->inputs, d->attrs, d->num_outputs,
                    d->backward != nullptr || d->differentiable_composite, d->inplace, d->doc});
    }
    return v;
  }();
  return *schemas;
}

absl::StatusOr<int64_t> WrapDim(absl::string_view op, int64_t dim, int64_t ndim) {
  int64_t lo = ndim == 0 ? -1 : -ndim, hi = ndim == 0 ? 0 : ndim - 1;
  if (dim < lo || dim > hi) {
    return absl::InvalidArgumentError(absl::StrCat("[", op, "] Dimension out of range (expected to be in range of [",
                                                   lo, ", ", hi, "], but got ", dim, ")"));
  }
  return dim < 0 ? dim + std::max<int64_t>(ndim, 1) : dim;
}

absl::StatusOr<Shape> BroadcastShapes(absl::string_view op, IntSpan a, IntSpan b) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "[", op, "] The size of tensor a (", da, ") must match the size of tensor b (", db,
          ") at non-singleton dimension ", i));
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

DType ResultType(absl::Span<const Tensor> tensors) {
  // PyTorch's three priority classes: tensors with dims, zero-dim tensors,
  // wrapped Python numbers. A lower class only matters when it is of a higher
  // kind (bool < integral < floating) than every higher class.
  std::optional<DType> dim_result, zero_result, wrapped_result;
  auto update = [](std::optional<DType>& r, DType t) { r = r ? PromoteTypes(*r, t) : t; };
  for (const Tensor& t : tensors) {
    if (!t.defined()) continue;
    if (t.is_wrapped_number()) {
      DType d = IsFloating(t.dtype()) ? kDefaultFloat : t.dtype();
      update(wrapped_result, d);
    } else if (t.dim() == 0) {
      update(zero_result, t.dtype());
    } else {
      update(dim_result, t.dtype());
    }
  }
  auto combine = [](std::optional<DType> higher, std::optional<DType> lower) -> std::optional<DType> {
    if (!higher) return lower;
    if (!lower) return higher;
    if (IsFloating(*higher)) return higher;
    if (*higher == DType::kBool || IsFloating(*lower)) return PromoteTypes(*higher, *lower);
    return higher;
  };
  return combine(dim_result, combine(zero_result, wrapped_result)).value_or(kDefaultFloat);
}

absl::StatusOr<Device> CommonDevice(absl::string_view op, absl::Span<const Tensor> inputs) {
  std::optional<Device> device;
  for (const Tensor& t : inputs) {
    if (!t.defined() || t.is_wrapped_number()) continue;
    // A CPU scalar may join any device: a 0-dim tensor, or one broadcast
    // from it (all strides 0; prepare rules and saved inputs make those).
    if (t.device() == kCPU && std::all_of(t.strides().begin(), t.strides().end(), [](int64_t s) { return s == 0; })) {
      continue;
    }
    if (!device) {
      device = t.device();
    } else if (*device != t.device()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "[", op, "] Expected all tensors to be on the same device, but found at least two devices, ",
          device->ToString(), " and ", t.device().ToString(), "!"));
    }
  }
  return device.value_or(kCPU);
}

namespace {
// The backend that moves bytes between two tensors: cuda's when either is there.
absl::StatusOr<const Backend*> BackendBetween(const Tensor& a, const Tensor& b) {
  const bool cuda = a.device().type == DeviceType::kCUDA || b.device().type == DeviceType::kCUDA;
  return BackendFor(cuda ? DeviceType::kCUDA : DeviceType::kCPU);
}
}  // namespace

absl::Status CopyInto(const Tensor& src, const Tensor& dst) {
  if (src.is_meta() || dst.is_meta()) return absl::OkStatus();  // Note [Metadata-only execution]
  TENSORD_ASSIGN_OR_RETURN(const Backend* backend, BackendBetween(src, dst));
  return backend->copy_cast(src, dst);
}

absl::Status AddInto(const Tensor& dst, const Tensor& src) {
  if (src.is_meta() || dst.is_meta()) return absl::OkStatus();
  TENSORD_ASSIGN_OR_RETURN(const Backend* backend, BackendBetween(dst, src));
  return backend->add_in_place(dst, src);
}

absl::StatusOr<Tensor> Nonzero(const Tensor& self) {
  TENSORD_ASSIGN_OR_RETURN(const Backend* backend, BackendFor(self.device().type));
  return backend->nonzero(self);
}

absl::Status CatInto(const OpCall& call, const Tensor& out) {
  if (out.dim() == 1 && out.numel() == 0) return absl::OkStatus();
  const int64_t d = call.GetInt(0);
  int64_t offset = 0;
  for (const Tensor& t : call.inputs) {
    if (t.dim() == 1 && t.size(0) == 0 && out.dim() != 1) continue;  // legacy empty inputs
    Shape sizes(out.sizes().begin(), out.sizes().end());
    sizes[d] = t.size(d);
    Tensor part = MakeView(out, sizes, Shape(out.strides().begin(), out.strides().end()),
                           out.storage_offset() + offset * out.strides()[d]);
    TENSORD_RETURN_IF_ERROR(CopyInto(t, part));
    offset += t.size(d);
  }
  return absl::OkStatus();
}

namespace {

// Which primitives have kernels: one list for every backend (Note [Kernel
// tables]), so metadata-only execution refuses exactly what the server does.
const std::array<bool, kNumOps>& HasKernel() {
  static const std::array<bool, kNumOps> table = [] {
    std::array<bool, kNumOps> t{};
#define TENSORD_HAS_KERNEL_(Op, entry) t[static_cast<int>(OpId::k##Op)] = true;
    TENSORD_FORALL_KERNELS(TENSORD_HAS_KERNEL_)
#undef TENSORD_HAS_KERNEL_
    return t;
  }();
  return table;
}

// Note [Device routing]
//   A primitive runs on its inputs' common device (CommonDevice), or for a
//   factory on its `device` attribute; _to_copy allocates on the device it
//   is asked for and runs on the CUDA side whenever either end is a GPU.
//   The kernel comes from that device's table; a primitive without a kernel
//   there fails with a clear error, never silently on another device.
absl::StatusOr<Device> OpDevice(const OpCall& call) {
  const bool has_tensor = std::any_of(call.inputs.begin(), call.inputs.end(),
                                      [](const Tensor& t) { return t.defined() && !t.is_wrapped_number(); });
  for (size_t i = 0; i < call.def->attrs.size(); ++i) {
    if (call.def->attrs[i].name != "device") continue;
    if (const std::string* s = call.GetStr(static_cast<int>(i)); s != nullptr) return Device::Parse(*s);
    break;
  }
  if (!has_tensor) return kCPU;
  if (call.def->cross_device) return call.in(0).device();
  return CommonDevice(call.def->name, call.inputs);
}

// An elementwise primitive's output strides (Note [Memory layouts]); empty: contiguous.
Shape OutputStrides(const OpCall& call, const std::vector<TensorMeta>& metas, bool same_shapes) {
  if (metas.empty() || call.def->layout != OutputLayout::kElementwise) return {};
  const Shape& sizes = metas[0].sizes;
  std::vector<Shape> operands;
  for (const Tensor& t : call.inputs) {
    if (t.defined() && t.sizes() == IntSpan(sizes)) operands.emplace_back(t.strides().begin(), t.strides().end());
  }
  return ElementwiseStrides(sizes, operands, same_shapes);
}

}  // namespace

absl::StatusOr<std::vector<Tensor>> Invoke(const OpDef& def, std::vector<Tensor> inputs, Attrs attrs) {
  for (size_t i = attrs.size(); i < def.attrs.size(); ++i) attrs.push_back(def.attrs[i].default_value);
  OpCall call{&def, std::move(inputs), std::move(attrs)};
  for (size_t i = 0; i < call.inputs.size(); ++i) {
    if (call.inputs[i].defined() && call.inputs[i].is_wrapped_number()) call.scalar_inputs |= 1u << i;
  }
  const bool meta = MetaModeEnabled();
  if (meta && def.values_decide_shape) {
    return MetaUnknownError(def.name, "its output shape depends on the values");
  }
  std::vector<Tensor> outputs;
  // Note [Transparent prepare]
  //   A prepare rule casts and broadcasts inputs with engine ops (To,
  //   Expand), which autograd records. The op's own node, though, connects
  //   to the caller's tensors, as PyTorch's does (its AddBackward0 leads
  //   straight to the AccumulateGrad of a broadcast bias), and the engine
  //   sums and casts each gradient back to that tensor's shape and dtype
  //   (PyTorch's validate_outputs). The recorded To/Expand nodes stay
  //   reachable only through the saved inputs, for double backward. index
  //   and index_put regroup their inputs, so they keep the prepared edges.
  std::vector<Tensor> callers_inputs;
  const bool transparent = def.prepare != nullptr && def.backward != nullptr && def.id != OpId::kIndex &&
                           def.id != OpId::kIndexPut && GradModeEnabled() && AnyRequiresGrad(call.inputs);
  if (transparent) callers_inputs = call.inputs;
  if (def.prepare != nullptr) {
    // Decided on the caller's tensors: prepare may broadcast a CPU scalar.
    TENSORD_ASSIGN_OR_RETURN(const Device device, OpDevice(call));
    // PyTorch's all_ops_same_shape_, on the caller's tensors (Note [Memory layouts])
    bool same_shapes = true;
    const Tensor* first = nullptr;
    for (const Tensor& t : call.inputs) {
      if (!t.defined()) continue;
      if (first == nullptr) first = &t;
      same_shapes = same_shapes && t.sizes() == first->sizes();
    }
    TENSORD_ASSIGN_OR_RETURN(std::vector<TensorMeta> metas, def.prepare(call));
    if (transparent && call.inputs.size() != callers_inputs.size()) callers_inputs.clear();
    if (transparent && def.id == OpId::kRsub && callers_inputs.size() == 2) {
      std::swap(callers_inputs[0], callers_inputs[1]);  // prepare swapped them: other - alpha * self
    }
    const bool on_cuda = device.type == DeviceType::kCUDA ||
                         (!call.inputs.empty() && call.in(0).defined() && call.in(0).device().type == DeviceType::kCUDA);
    if (!HasKernel()[static_cast<int>(def.id)]) {
      return absl::UnimplementedError(
          absl::StrCat("[", def.name, "] is not implemented for ", on_cuda ? "cuda" : "cpu", " tensors yet"));
    }
    KernelFn kernel = nullptr;
    if (!meta) {
      TENSORD_ASSIGN_OR_RETURN(const Backend* backend, BackendFor(on_cuda ? DeviceType::kCUDA : DeviceType::kCPU));
      kernel = backend->kernels[static_cast<int>(def.id)];
    }
    for (const TensorMeta& m : metas) {
      if (Numel(m.sizes) > MaxTensorElements()) {
        return absl::ResourceExhaustedError(absl::StrCat(
            "[", def.name, "] output of shape ", ShapeToString(m.sizes), " exceeds the limit of ",
            MaxTensorElements(), " elements per tensor"));
      }
    }
    const Shape elementwise = OutputStrides(call, metas, same_shapes);
    for (const TensorMeta& m : metas) {
      const Shape& strides = !m.strides.empty() || m.sizes != metas[0].sizes ? m.strides : elementwise;
      outputs.push_back(EmptyStrided(m.sizes, strides, m.dtype, device));
    }
    if (!meta) TENSORD_RETURN_IF_ERROR(kernel(call, outputs));
    // Note [Random fills under autograd]
    //   uniform_/normal_/bernoulli_ of a non-leaf that requires grad (their
    //   prepare refused leaves) overwrite values the graph may still route
    //   gradients through. As PyTorch (NormalBackward0 & co.), the tensor's
    //   history moves onto a node giving its old values zero gradient: a
    //   copy_ of the filled values onto themselves records exactly that
    //   (CopyBackwards, through CopySlices when it is a view).
    if (def.overwrites_self && GradModeEnabled() && call.in(0).requires_grad()) {
      const Tensor self = call.in(0);
      TENSORD_RETURN_IF_ERROR(Invoke(GetOp(OpId::kCopy_), {self, Detach(self)}, {}).status());
    }
  } else {
    // A differentiable forward records itself below, not the ops inside it.
    GradModeGuard guard(def.backward == nullptr && GradModeEnabled());
    TENSORD_ASSIGN_OR_RETURN(outputs, def.forward(call));
    // A differentiable composite's output that views only its own
    // intermediates (max_dim's values, squeezed out of a gather made under
    // the guard) is a fresh tensor to the caller, as PyTorch's is: it must
    // not count as a view made under no_grad.
    for (const Tensor& t : outputs) {
      const AutogradMeta* m = t.defined() && def.backward != nullptr ? t.impl()->autograd() : nullptr;
      if (m == nullptr || !m->view_base.defined()) continue;
      const bool aliases_input = std::any_of(call.inputs.begin(), call.inputs.end(), [&](const Tensor& in) {
        return in.defined() && in.storage() == t.storage();
      });
      if (!aliases_input) t.impl()->mutable_autograd().view_base = Tensor();
    }
  }
  // Only floating results join the graph (x.long() does not require grad).
  if (def.backward != nullptr && GradModeEnabled() && AnyRequiresGrad(call.inputs) &&
      std::any_of(outputs.begin(), outputs.end(), [](const Tensor& t) { return IsFloating(t.dtype()); })) {
    RecordGraph(call, def.backward_name_fn ? def.backward_name_fn(call) : def.backward_name, outputs,
                callers_inputs.empty() ? nullptr : &callers_inputs);
  }
  // A differentiable composite whose output aliases its input is a view op
  // (Note [In-place on views]).
  if (def.forward != nullptr && def.backward != nullptr && outputs.size() == 1 && !call.inputs.empty() &&
      call.in(0).defined() && outputs[0].defined() && outputs[0].storage() == call.in(0).storage()) {
    MarkView(outputs[0], call.in(0));
  }
  return outputs;
}

absl::StatusOr<std::vector<Tensor>> CallOp(absl::string_view name, std::vector<Tensor> inputs,
                                           const AttrMap& attr_map, const CallOptions& options) {
  const OpDef* def = FindOp(name);
  if (def == nullptr) return absl::NotFoundError(absl::StrCat("unknown op '", name, "' (see ListOps)"));
  const bool variadic = !def->inputs.empty() && def->inputs.back().variadic;
  if (variadic ? inputs.size() < def->inputs.size() : inputs.size() != def->inputs.size()) {
    return absl::InvalidArgumentError(absl::StrCat("[", name, "] takes ", variadic ? "at least " : "",
                                                   def->inputs.size(), " tensor inputs but ", inputs.size(),
                                                   " were given"));
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    const InputSpec& spec = def->inputs[std::min(i, def->inputs.size() - 1)];
    if (!inputs[i].defined() && !spec.optional) {
      return absl::InvalidArgumentError(absl::StrCat("[", name, "] input '", spec.name, "' must be a tensor, not None"));
    }
  }
  Attrs attrs(def->attrs.size());
  std::vector<bool> given(def->attrs.size(), false);
  for (const auto& [key, value] : attr_map) {
    auto it = std::find_if(def->attrs.begin(), def->attrs.end(), [&](const AttrSpec& s) { return s.name == key; });
    if (it == def->attrs.end()) {
      return absl::InvalidArgumentError(absl::StrCat("[", name, "] got an unexpected keyword argument '", key, "'"));
    }
    size_t i = it - def->attrs.begin();
    if (std::holds_alternative<std::monostate>(value)) {
      if (!it->nullable) {
        return absl::InvalidArgumentError(absl::StrCat("[", name, "] argument '", key, "' must not be None"));
      }
      attrs[i] = value;
    } else if (std::optional<AttrValue> v = Coerce(it->type, value)) {
      attrs[i] = *std::move(v);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("[", name, "] argument '", key, "' must be ",
                                                     AttrTypeName(it->type), ", not ", ValueTypeName(value)));
    }
    given[i] = true;
  }
  for (size_t i = 0; i < def->attrs.size(); ++i) {
    if (given[i]) continue;
    if (def->attrs[i].required) {
      return absl::InvalidArgumentError(absl::StrCat("[", name, "] missing required argument '", def->attrs[i].name, "'"));
    }
    attrs[i] = def->attrs[i].default_value;
  }
  GeneratorScope generator_scope(options.generator);
  GradModeGuard grad_mode(options.grad_enabled);
  try {
    return Invoke(*def, std::move(inputs), std::move(attrs));
  } catch (const EngineError& e) {
    return e.status();
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(absl::StrCat("[", name, "] out of memory"));
  }
}

namespace fn {
std::vector<Tensor> Call(OpId id, std::vector<Tensor> inputs, Attrs attrs) {
  return ValueOrThrow(Invoke(GetOp(id), std::move(inputs), std::move(attrs)));
}
}  // namespace fn

}  // namespace tensord::engine
