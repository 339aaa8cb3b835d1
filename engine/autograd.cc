#include "engine/autograd.h"

#include <algorithm>
#include <atomic>
#include <queue>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "engine/autograd_internal.h"
#include "engine/functional.h"
#include "engine/layout.h"
#include "engine/status.h"

namespace tensord::engine {

namespace {
thread_local bool grad_mode_enabled = true;
std::atomic<uint64_t> next_sequence_nr{0};

std::string TensorTypeString(DType dtype, IntSpan sizes) {
  return absl::StrCat("torch.", ScalarTypeName(dtype), "Tensor ", ShapeToString(sizes));
}

Edge GradientEdge(const Tensor& t) {
  if (!t.defined() || !t.requires_grad()) return {};
  if (const auto& fn = t.grad_fn()) return {fn, t.output_nr()};
  AutogradMeta& meta = t.impl()->mutable_autograd();
  std::shared_ptr<Node> acc = meta.grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<AccumulateGrad>(t);
    meta.grad_accumulator = acc;
  }
  return {acc, 0};
}
}  // namespace

bool GradModeEnabled() { return grad_mode_enabled; }
GradModeGuard::GradModeGuard(bool enabled) : prev_(grad_mode_enabled) { grad_mode_enabled = enabled; }
GradModeGuard::~GradModeGuard() { grad_mode_enabled = prev_; }

// ---------------------------------------------------------------- Node

Node::Node() : sequence_nr_(next_sequence_nr.fetch_add(1, std::memory_order_relaxed)) {}

Node::~Node() {
  // Destroying the last reference to a long chain would recurse once per node
  // and overflow the stack. Instead, the outermost destructor on this thread
  // drains a worklist of edges whose last owner is going away.
  thread_local std::vector<std::shared_ptr<Node>> pending;
  thread_local bool draining = false;
  for (Edge& e : next_edges) {
    if (e.fn) pending.push_back(std::move(e.fn));
  }
  next_edges.clear();
  if (draining) return;
  draining = true;
  while (!pending.empty()) {
    std::shared_ptr<Node> n = std::move(pending.back());
    pending.pop_back();
    n.reset();  // may run ~Node, which appends to `pending` and returns
  }
  draining = false;
}

// ---------------------------------------------------------------- SavedTensor

SavedTensor::SavedTensor(const Tensor& t, bool is_output) : is_output_(is_output), saved_(true) {
  if (!t.defined()) return;
  version_ = t.version();
  const std::shared_ptr<Node>& fn = t.grad_fn();
  if (is_output || fn != nullptr) {
    // Kept without its history, re-attached on unpack: an output's grad_fn is
    // the saving node, and an input's history can lead back to the saving
    // node too (x.add_(f(x[0])): through the view's base), so a strong
    // reference would be a cycle that outlives the session's handles. The
    // saving node's edges keep an input's grad_fn alive.
    data_ = Detach(t);
    grad_fn_ = fn;
    output_nr_ = t.output_nr();
    detached_ = true;
  } else {
    data_ = t;
  }
}

void SavedTensor::Rebind(const Tensor& t) {
  if (!data_.defined()) return;
  data_ = Detach(t);
  version_ = t.version();
}

void SaveResultAsSelf(const Tensor& result, const Tensor& self) {
  auto* node = dynamic_cast<OpNode*>(result.grad_fn().get());
  const uint32_t nr = result.output_nr();
  if (node != nullptr && nr < node->saved_outputs.size()) node->saved_outputs[nr].Rebind(self);
}

Tensor SavedTensor::Unpack(absl::string_view node_name) const {
  if (!data_.defined()) return data_;
  if (data_.version() != version_) {
    throw EngineError(absl::InvalidArgumentError(absl::StrCat(
        "one of the variables needed for gradient computation has been modified by an inplace "
        "operation: [", TensorTypeString(data_.dtype(), data_.sizes()), "], which is ",
        is_output_ ? absl::StrCat("output ", output_nr_, " of ", node_name) : "an input of " + std::string(node_name),
        ", is at version ", data_.version(), "; expected version ", version_,
        " instead. Hint: the backtrace further above shows the operation that failed to compute "
        "its gradient. The variable in question was changed in there or anywhere later. Good luck!")));
  }
  if (detached_) {
    if (std::shared_ptr<Node> fn = grad_fn_.lock()) {
      Tensor t = Detach(data_);
      AutogradMeta& m = t.impl()->mutable_autograd();
      m.grad_fn = std::move(fn);
      m.output_nr = output_nr_;
      return t;
    }
  }
  return data_;
}

// ---------------------------------------------------------------- OpNode

OpNode::OpNode(const OpDef& def, absl::string_view name, Attrs attrs, std::vector<TensorMeta> input_meta,
               std::vector<TensorMeta> output_meta, std::vector<bool> needs_input_grad)
    : def_(def), name_(name), attrs_(std::move(attrs)), input_meta_(std::move(input_meta)),
      output_meta_(std::move(output_meta)), needs_input_grad_(std::move(needs_input_grad)) {}

void OpNode::ReleaseSaved() {
  // Only a node that saved values can no longer run.
  for (SavedTensor& s : saved_inputs) released_ = released_ || s.saved();
  for (SavedTensor& s : saved_outputs) released_ = released_ || s.saved();
  for (SavedTensor& s : saved_inputs) s.Reset();
  for (SavedTensor& s : saved_outputs) s.Reset();
}

std::vector<Tensor> OpNode::Apply(std::vector<Tensor> grads) {
  if (released_) {
    throw EngineError(absl::FailedPreconditionError(
        "Trying to backward through the graph a second time (or directly access saved tensors "
        "after they have already been freed). Saved intermediate values of the graph are freed "
        "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
        "backward through the graph a second time or if you need to access saved tensors after "
        "calling backward."));
  }
  bool any = false;
  for (const Tensor& g : grads) any = any || g.defined();
  if (!any) return std::vector<Tensor>(input_meta_.size());
  BackwardCtx ctx;
  ctx.grads = std::move(grads);
  ctx.grads.resize(output_meta_.size());
  for (size_t i = 0; i < ctx.grads.size(); ++i) {
    if (!ctx.grads[i].defined()) ctx.grads[i] = fn::Full(output_meta_[i].sizes, Scalar(0), output_meta_[i].dtype, output_meta_[i].device);
  }
  ctx.inputs.resize(input_meta_.size());
  ctx.outputs.resize(output_meta_.size());
  for (size_t i = 0; i < saved_inputs.size(); ++i) ctx.inputs[i] = saved_inputs[i].Unpack(name_);
  for (size_t i = 0; i < saved_outputs.size(); ++i) ctx.outputs[i] = saved_outputs[i].Unpack(name_);
  ctx.attrs = &attrs_;
  ctx.input_meta = &input_meta_;
  ctx.needs_input_grad = needs_input_grad_;
  std::vector<Tensor> result = def_.backward(ctx);
  result.resize(input_meta_.size());
  for (size_t i = 0; i < result.size(); ++i) {  // a wrong shape here is a bug in a backward rule
    if (result[i].defined() && !std::equal(result[i].sizes().begin(), result[i].sizes().end(),
                                           input_meta_[i].sizes.begin(), input_meta_[i].sizes.end())) {
      throw EngineError(absl::InternalError(absl::StrCat(
          "[", name_, "] backward produced a gradient of shape ", ShapeToString(result[i].sizes()),
          " for input ", i, " of shape ", ShapeToString(input_meta_[i].sizes))));
    }
    // Back to the caller's tensor: undo prepare's broadcast (sum) and cast.
    if (result[i].defined() && i < edge_meta.size()) {
      const TensorMeta& m = edge_meta[i];
      if (!std::equal(m.sizes.begin(), m.sizes.end(), result[i].sizes().begin(), result[i].sizes().end())) {
        result[i] = fn::SumToSize(result[i], m.sizes);
      }
      if (result[i].dtype() != m.dtype) result[i] = fn::To(result[i], m.dtype);
      if (result[i].device() != m.device) result[i] = fn::ToDevice(result[i], m.device);
    }
  }
  return result;
}

// ---------------------------------------------------------------- AccumulateGrad

std::vector<Tensor> AccumulateGrad::Apply(std::vector<Tensor> grads) {
  Tensor& g = grads[0];
  if (!g.defined()) return {};
  AutogradMeta& meta = variable_.impl()->mutable_autograd();
  if (!meta.grad.defined()) {
    // A fresh tensor: the incoming gradient may be a view or shared elsewhere.
    // PyTorch's gradient layout contract: a dense leaf's .grad has its
    // strides, any other leaf's is contiguous.
    if (GradModeEnabled()) {
      meta.grad = g;
    } else {
      const Tensor& v = variable_;
      meta.grad = EmptyStrided(g.sizes(), IsNonOverlappingAndDense(v.sizes(), v.strides()) ? v.strides() : IntSpan(),
                                       g.dtype(), g.device());
      ThrowIfError(CopyInto(g, meta.grad));
    }
  } else if (GradModeEnabled()) {
    meta.grad = fn::Add(meta.grad, g);  // create_graph: keep the graph, out of place
  } else {
    ThrowIfError(AddInto(meta.grad, g));
    meta.grad.storage()->BumpVersion();
  }
  return {};
}

// ---------------------------------------------------------------- views and in-place
// Note [In-place on views] in autograd.h.

namespace {

// Calls f(flat index, storage offset) for each element of a geometry, row-major.
template <typename F>
void ForEachOffset(IntSpan sizes, IntSpan strides, int64_t offset, F f) {
  const int64_t n = Numel(sizes);
  if (n == 0) return;
  const size_t nd = sizes.size();
  std::vector<int64_t> idx(nd, 0);
  int64_t off = offset;
  for (int64_t i = 0; i < n; ++i) {
    f(i, off);
    for (size_t d = nd; d-- > 0;) {
      if (++idx[d] < sizes[d]) {
        off += strides[d];
        break;
      }
      off -= (sizes[d] - 1) * strides[d];
      idx[d] = 0;
    }
  }
}

// For each element of `view`, the row-major index of the element of `base`
// it aliases (an int64 tensor of the view's shape). A base is a fresh,
// non-overlapping tensor (possibly transposed in place by t_), so an offset
// splits into base indices by taking its dims in decreasing stride order.
absl::StatusOr<Tensor> ViewPositions(absl::string_view op, const Tensor& base, const Tensor& view) {
  std::vector<int64_t> order;  // size-1 dims take index 0 whatever their stride
  for (int64_t d = 0; d < base.dim(); ++d) {
    if (base.size(d) > 1) order.push_back(d);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t x, int64_t y) { return base.strides()[x] > base.strides()[y]; });
  const Shape row_major = ContiguousStrides(base.sizes());
  Tensor pos = Tensor::Empty(view.sizes(), DType::kInt64);
  int64_t* out = pos.data<int64_t>();
  bool inside = true;
  ForEachOffset(view.sizes(), view.strides(), view.storage_offset() - base.storage_offset(),
                [&](int64_t i, int64_t off) {
                  int64_t e = 0;
                  for (int64_t d : order) {
                    const int64_t stride = base.strides()[d], size = base.size(d);
                    const int64_t k = stride == 0 ? 0 : off / stride;
                    if (k < 0 || k >= size) { inside = false; break; }
                    off -= k * stride;
                    e += k * row_major[d];
                  }
                  inside = inside && off == 0;
                  out[i] = e;
                });
  if (!inside) {
    return absl::FailedPreconditionError(absl::StrCat(
        "[", op, "] this view no longer lies inside its base (was the base resized?); clone() it first"));
  }
  return pos;
}

}  // namespace

std::vector<Tensor> CopySlices::Apply(std::vector<Tensor> grads) {
  const Tensor& g = grads[0];
  std::vector<Tensor> out(2);
  if (!g.defined()) return out;
  Tensor flat = fn::Reshape(g, {-1});
  if (next_edges[0].fn) {  // the base's old values survive outside the view
    Tensor kept = fn::Call1(OpId::kIndexPut, {flat, fn::Full({}, Scalar(0), g.dtype()), positions_}, {false});
    out[0] = fn::View(kept, base_sizes_);
  }
  if (next_edges[1].fn) out[1] = fn::Call1(OpId::kIndex, {flat, positions_});  // the view's new values
  return out;
}

std::vector<Tensor> AsStridedBackward::Apply(std::vector<Tensor> grads) {
  const Tensor& g = grads[0];
  if (!g.defined()) return {Tensor()};
  Tensor zeros = fn::Full({Numel(base_sizes_)}, Scalar(0), g.dtype(), g.device());
  // accumulate: a view may show one base element several times (expand)
  Tensor flat = fn::Call1(OpId::kIndexPut, {zeros, g, positions_}, {true});
  return {fn::View(flat, base_sizes_)};
}

void MarkView(const Tensor& view, const Tensor& source) {
  if (view.impl() == source.impl()) return;
  const AutogradMeta* sm = source.impl()->autograd();
  const bool source_is_view = sm != nullptr && sm->view_base.defined();
  AutogradMeta& m = view.impl()->mutable_autograd();
  m.view_base = source_is_view ? sm->view_base : source;
  m.view_made_in_no_grad = !GradModeEnabled() || (source_is_view && sm->view_made_in_no_grad);
  m.view_version = view.storage()->version();
}

void RefreshViewGradFn(const Tensor& view) {
  AutogradMeta& m = view.impl()->mutable_autograd();
  m.view_version = view.storage()->version();
  const Tensor& base = m.view_base;
  if (!base.requires_grad()) return;
  absl::StatusOr<Tensor> pos = ViewPositions("autograd", base, view);
  if (!pos.ok()) return;  // a view outside its resized base keeps its old history
  auto node = std::make_shared<AsStridedBackward>(*std::move(pos), Shape(base.sizes().begin(), base.sizes().end()));
  node->next_edges.push_back(GradientEdge(base));
  m.grad_fn = std::move(node);
  m.output_nr = 0;
}

absl::Status CheckInplace(absl::string_view op, const Tensor& self) {
  const AutogradMeta* m = self.impl()->autograd();
  if (m != nullptr && m->view_base.defined()) {
    if (m->view_made_in_no_grad) {
      return absl::InvalidArgumentError(absl::StrCat(
          "[", op, "] A view was created in no_grad mode and is being modified inplace with grad mode enabled. "
          "Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by "
          "moving both the view and the inplace either both inside the no_grad block (if you don't want the "
          "inplace to be tracked) or both outside (if you want the inplace to be tracked)."));
    }
    if (self.requires_grad() && m->view_base.is_leaf()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "[", op, "] a view of a leaf Variable that requires grad is being used in an in-place operation."));
    }
  }
  if (self.requires_grad() && self.is_leaf()) {
    return absl::InvalidArgumentError(
        absl::StrCat("[", op, "] a leaf Variable that requires grad is being used in an in-place operation."));
  }
  return absl::OkStatus();
}

absl::Status RebaseHistory(absl::string_view op, const Tensor& self, const Tensor& result) {
  const AutogradMeta* sm = self.impl()->autograd();
  if (sm == nullptr || !sm->view_base.defined()) {
    if (result.requires_grad()) {
      AutogradMeta& m = self.impl()->mutable_autograd();
      bool retained = false;
      if (m.grad_fn != nullptr) {  // retain_grad() follows the tensor onto its new history
        auto& list = m.grad_fn->retained_grads;
        auto it = std::find_if(list.begin(), list.end(), [&](const auto& r) { return r.first.lock().get() == self.impl(); });
        if (it != list.end()) {
          retained = true;
          list.erase(it);
        }
      }
      m.grad_fn = result.grad_fn();
      m.output_nr = result.output_nr();
      if (retained) m.grad_fn->retained_grads.emplace_back(self.shared_impl(), m.output_nr);
    }
    return absl::OkStatus();
  }
  if (!result.requires_grad() && !self.requires_grad()) return absl::OkStatus();
  const Tensor base = sm->view_base;
  TENSORD_ASSIGN_OR_RETURN(Tensor pos, ViewPositions(op, base, self));
  Tensor value = result;
  try {
    if (value.dtype() != self.dtype()) value = fn::To(value, self.dtype());
  } catch (const EngineError& e) {
    return e.status();
  }
  auto node = std::make_shared<CopySlices>(std::move(pos), Shape(base.sizes().begin(), base.sizes().end()));
  node->next_edges = {GradientEdge(base), GradientEdge(value)};
  AutogradMeta& bm = base.impl()->mutable_autograd();
  bm.grad_fn = std::move(node);
  bm.output_nr = 0;
  return absl::OkStatus();
}

// ---------------------------------------------------------------- recording

bool AnyRequiresGrad(const std::vector<Tensor>& inputs) {
  for (const Tensor& t : inputs) {
    if (t.defined() && t.requires_grad()) return true;
  }
  return false;
}

void RecordGraph(const OpCall& call, absl::string_view name, const std::vector<Tensor>& outputs,
                 const std::vector<Tensor>* callers_inputs) {
  const OpDef& def = *call.def;
  const std::vector<Tensor>& edge_to = callers_inputs ? *callers_inputs : call.inputs;
  auto meta = [](const Tensor& t) {
    return t.defined() ? TensorMeta{t.dtype(), Shape(t.sizes().begin(), t.sizes().end()), t.device()}
                       : TensorMeta{DType::kFloat32, {}};
  };
  std::vector<TensorMeta> in_meta, out_meta, edge_meta;
  std::vector<bool> needs;
  bool edges_differ = false;
  for (size_t i = 0; i < call.inputs.size(); ++i) {
    const Tensor& to = edge_to[i];
    in_meta.push_back(meta(call.inputs[i]));
    edge_meta.push_back(meta(to));
    edges_differ = edges_differ || edge_meta.back().dtype != in_meta.back().dtype ||
                   edge_meta.back().sizes != in_meta.back().sizes ||
                   (to.defined() && !outputs.empty() && to.device() != outputs[0].device());
    needs.push_back(to.defined() && to.requires_grad());
  }
  for (const Tensor& t : outputs) out_meta.push_back(meta(t));
  auto node = std::make_shared<OpNode>(def, name, call.attrs, std::move(in_meta), std::move(out_meta), needs);
  for (const Tensor& t : edge_to) node->next_edges.push_back(GradientEdge(t));
  if (edges_differ) node->edge_meta = std::move(edge_meta);
  for (size_t i = 0; callers_inputs != nullptr && i < call.inputs.size(); ++i) {
    const Tensor& t = call.inputs[i];
    if (t.defined() && t.impl() != edge_to[i].impl() && t.grad_fn() != nullptr) {
      node->prepared_history.push_back(t.grad_fn());
    }
  }
  // Note [Saved for backward] (op_def.h): only what this call's gradients read.
  GradMask wanted = 0;
  for (size_t i = 0; i < needs.size(); ++i) {
    if (needs[i]) wanted |= SavedFor(static_cast<int>(i));
  }
  bool saves_input = false;
  for (size_t i = 0; i < call.inputs.size(); ++i) saves_input = saves_input || def.saves.SavesInput(i, wanted);
  if (saves_input) {
    // A Python number is saved as a plain 0-dim tensor: a backward rule that
    // computes with it (pow's b - 1) must not promote it like a Python number.
    // A CPU scalar that a prepare rule broadcast into an op on a GPU (all
    // strides 0) is saved as its 0-dim self, so what backward computes from
    // it (b - 1) stays a scalar that may join the GPU tensors.
    const bool on_device = !outputs.empty() && outputs[0].defined() && outputs[0].device() != kCPU;
    node->saved_inputs.resize(call.inputs.size());
    for (size_t i = 0; i < call.inputs.size(); ++i) {
      const Tensor& t = call.inputs[i];
      if (!def.saves.SavesInput(i, wanted)) continue;
      if (t.defined() && t.is_wrapped_number()) {
        node->saved_inputs[i] = SavedTensor(Detach(t), false);
      } else if (on_device && t.defined() && t.device() == kCPU && t.dim() > 0 &&
                 std::all_of(t.strides().begin(), t.strides().end(), [](int64_t s) { return s == 0; })) {
        node->saved_inputs[i] = SavedTensor(MakeView(t, {}, {}, t.storage_offset()), false);
      } else {
        node->saved_inputs[i] = SavedTensor(t, false);
      }
    }
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (!IsFloating(outputs[i].dtype())) continue;
    AutogradMeta& m = outputs[i].impl()->mutable_autograd();
    m.grad_fn = node;
    m.output_nr = static_cast<uint32_t>(i);
  }
  bool saves_output = false;
  for (size_t i = 0; i < outputs.size(); ++i) saves_output = saves_output || def.saves.SavesOutput(i, wanted);
  if (saves_output) {
    node->saved_outputs.resize(outputs.size());
    for (size_t i = 0; i < outputs.size(); ++i) {
      if (def.saves.SavesOutput(i, wanted)) node->saved_outputs[i] = SavedTensor(outputs[i], true);
    }
  }
}

Tensor Detach(const Tensor& t) {
  return MakeView(t, Shape(t.sizes().begin(), t.sizes().end()), Shape(t.strides().begin(), t.strides().end()),
                  t.storage_offset());
}

absl::Status RetainGrad(const Tensor& t) {
  if (!t.requires_grad()) {
    return absl::FailedPreconditionError("[retain_grad] can't retain_grad on Tensor that has requires_grad=False");
  }
  const std::shared_ptr<Node>& fn = t.grad_fn();
  if (fn == nullptr) return absl::OkStatus();  // a leaf's .grad is kept anyway
  for (const auto& [impl, nr] : fn->retained_grads) {
    if (impl.lock().get() == t.impl()) return absl::OkStatus();
  }
  fn->retained_grads.emplace_back(t.shared_impl(), t.output_nr());
  return absl::OkStatus();
}

absl::Status SetRequiresGrad(const Tensor& t, bool requires_grad) {
  if (!t.is_leaf()) {
    if (!requires_grad) {
      return absl::InvalidArgumentError(
          "[requires_grad_] you can only change requires_grad flags of leaf variables. If you want "
          "to use a computed variable in a subgraph that doesn't require differentiation use "
          "var_no_grad = var.detach().");
    }
    return absl::OkStatus();
  }
  if (requires_grad && !IsFloating(t.dtype())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "[requires_grad_] only Tensors of floating point dtype can require gradients (got ",
        DTypeName(t.dtype()), ")"));
  }
  t.impl()->mutable_autograd().requires_grad = requires_grad;
  return absl::OkStatus();
}

// ---------------------------------------------------------------- the engine

namespace {

// The engine behind backward() and grad(). With `inputs`, the gradients
// arriving at those tensors are returned instead of accumulated into leaves.
absl::StatusOr<std::vector<Tensor>> RunBackward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grads,
                                                bool retain_graph, bool create_graph,
                                                const std::vector<Tensor>* inputs, bool allow_unused) {
  if (!grads.empty() && grads.size() != roots.size()) {
    return absl::InvalidArgumentError(absl::StrCat("[backward] got ", grads.size(),
                                                   " gradients for ", roots.size(), " tensors"));
  }
  std::vector<Tensor> captured;
  try {
    GradModeGuard grad_mode(create_graph);
    // Root gradients.
    std::vector<std::pair<Edge, Tensor>> root_inputs;
    for (size_t i = 0; i < roots.size(); ++i) {
      const Tensor& root = roots[i];
      if (!root.defined() || !root.requires_grad()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "[backward] element ", i, " of tensors does not require grad and does not have a grad_fn"));
      }
      Tensor g = i < grads.size() ? grads[i] : Tensor();
      if (!g.defined()) {
        if (root.numel() != 1) {
          return absl::InvalidArgumentError("[backward] grad can be implicitly created only for scalar outputs");
        }
        g = fn::OnesLike(root);
      } else {
        if (!std::equal(g.sizes().begin(), g.sizes().end(), root.sizes().begin(), root.sizes().end())) {
          return absl::InvalidArgumentError(absl::StrCat(
              "[backward] Mismatch in shape: grad_output[", i, "] has a shape of torch.Size(",
              ShapeToString(g.sizes()), ") and output[", i, "] has a shape of torch.Size(",
              ShapeToString(root.sizes()), ")."));
        }
        if (g.dtype() != root.dtype()) g = fn::To(g, root.dtype());
      }
      root_inputs.emplace_back(GradientEdge(root), std::move(g));
    }

    // Dependency counts over the reachable graph (iterative DFS).
    absl::flat_hash_map<Node*, int> deps;
    absl::flat_hash_set<Node*> seen;
    std::vector<Node*> stack;
    for (auto& [edge, g] : root_inputs) {
      if (seen.insert(edge.fn.get()).second) stack.push_back(edge.fn.get());
    }
    while (!stack.empty()) {
      Node* n = stack.back();
      stack.pop_back();
      for (const Edge& e : n->next_edges) {
        if (!e.fn) continue;
        ++deps[e.fn.get()];
        if (seen.insert(e.fn.get()).second) stack.push_back(e.fn.get());
      }
    }

    // Input buffers: gradients arriving at each node, summed per input.
    absl::flat_hash_map<Node*, std::vector<Tensor>> buffers;
    auto accumulate = [&](const Edge& e, Tensor g) {
      std::vector<Tensor>& buf = buffers[e.fn.get()];
      if (buf.size() <= e.input_nr) buf.resize(e.input_nr + 1);
      Tensor& slot = buf[e.input_nr];
      slot = slot.defined() ? fn::Add(slot, g) : std::move(g);
    };
    auto later_first = [](const std::shared_ptr<Node>& a, const std::shared_ptr<Node>& b) {
      return a->sequence_nr() < b->sequence_nr();
    };
    std::priority_queue<std::shared_ptr<Node>, std::vector<std::shared_ptr<Node>>, decltype(later_first)>
        ready(later_first);
    absl::flat_hash_set<Node*> queued;
    for (auto& [edge, g] : root_inputs) accumulate(edge, std::move(g));
    for (auto& [edge, g] : root_inputs) {
      if (deps[edge.fn.get()] == 0 && queued.insert(edge.fn.get()).second) ready.push(edge.fn);
    }
    // grad(): where each input's gradient arrives.
    std::vector<Edge> input_edges;
    if (inputs != nullptr) {
      for (size_t i = 0; i < inputs->size(); ++i) {
        const Tensor& t = (*inputs)[i];
        if (!t.defined() || !t.requires_grad()) {
          return absl::InvalidArgumentError(absl::StrCat("[grad] input ", i, " does not require grad"));
        }
        input_edges.push_back(GradientEdge(t));
      }
      captured.resize(inputs->size());
    }
    while (!ready.empty()) {
      std::shared_ptr<Node> node = ready.top();
      ready.pop();
      std::vector<Tensor> in = std::move(buffers[node.get()]);
      buffers.erase(node.get());
      for (size_t i = 0; i < input_edges.size(); ++i) {
        if (input_edges[i].fn == node && input_edges[i].input_nr < in.size()) captured[i] = in[input_edges[i].input_nr];
      }
      if (inputs != nullptr && dynamic_cast<AccumulateGrad*>(node.get()) != nullptr) continue;  // no .grad writes
      if (inputs == nullptr) {
        for (const auto& [weak, nr] : node->retained_grads) {
          std::shared_ptr<TensorImpl> impl = weak.lock();
          if (impl == nullptr || nr >= in.size() || !in[nr].defined()) continue;
          AutogradMeta& meta = impl->mutable_autograd();
          meta.grad = meta.grad.defined() ? fn::Add(meta.grad, in[nr])
                                          : fn::Call1(OpId::kClone, {in[nr]}, {std::string("contiguous_format")});
        }
      }
      std::vector<Tensor> out = node->Apply(std::move(in));
      if (!retain_graph) node->ReleaseSaved();
      for (size_t i = 0; i < node->next_edges.size(); ++i) {
        const Edge& e = node->next_edges[i];
        if (!e.fn) continue;
        if (i < out.size() && out[i].defined()) accumulate(e, std::move(out[i]));
        if (--deps[e.fn.get()] == 0) ready.push(e.fn);
      }
    }
  } catch (const EngineError& e) {
    return e.status();
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError("[backward] out of memory");
  }
  for (size_t i = 0; i < captured.size(); ++i) {
    if (!captured[i].defined() && !allow_unused) {
      return absl::InvalidArgumentError(absl::StrCat(
          "[grad] One of the differentiated Tensors (input ", i, ") appears to not have been used in the graph. "
          "Set allow_unused=True if this is the desired behavior."));
    }
  }
  return captured;
}

}  // namespace

absl::Status Backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grads, bool retain_graph,
                      bool create_graph) {
  return RunBackward(roots, grads, retain_graph, create_graph, nullptr, false).status();
}

absl::StatusOr<std::vector<Tensor>> Grad(const std::vector<Tensor>& roots, const std::vector<Tensor>& grads,
                                         const std::vector<Tensor>& inputs, bool retain_graph, bool create_graph,
                                         bool allow_unused) {
  return RunBackward(roots, grads, retain_graph, create_graph, &inputs, allow_unused);
}

}  // namespace tensord::engine
