// Autograd graph nodes (internal). See Note [Autograd graph] in autograd.h.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "engine/ops/op_def.h"
#include "engine/tensor.h"

namespace tensord::engine {

class Node;

struct Edge {
  std::shared_ptr<Node> fn;  // null: this input needs no gradient
  uint32_t input_nr = 0;     // which input of fn the gradient feeds
};

class Node {
 public:
  Node();
  virtual ~Node();  // releases edges iteratively (deep graphs must not recurse)
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  virtual absl::string_view name() const = 0;
  // Gradients of this node's inputs from gradients of its outputs. Throws
  // EngineError.
  virtual std::vector<Tensor> Apply(std::vector<Tensor> grads) = 0;
  // Frees saved tensors (backward without retain_graph).
  virtual void ReleaseSaved() {}

  uint64_t sequence_nr() const { return sequence_nr_; }
  std::vector<Edge> next_edges;
  // Outputs of this node that retain_grad(): backward() accumulates the
  // gradient arriving at output `second` into that tensor's .grad.
  std::vector<std::pair<std::weak_ptr<TensorImpl>, uint32_t>> retained_grads;

 private:
  uint64_t sequence_nr_;
};

// A tensor saved for backward, with the version it had when saved.
class SavedTensor {
 public:
  SavedTensor() = default;
  SavedTensor(const Tensor& t, bool is_output);
  // The saved tensor; throws if it was modified in place since saving.
  Tensor Unpack(absl::string_view node_name) const;
  void Reset() { data_ = Tensor(); }
  bool defined() const { return data_.defined(); }
  // Whether anything was saved here (a slot the op's SaveSpec skipped was not).
  bool saved() const { return saved_; }
  // Keeps the history but saves `t`'s values and current version instead
  // (an in-place op's result is self after the write).
  void Rebind(const Tensor& t);

 private:
  Tensor data_;  // outputs and non-leaves are saved detached (no cycle through grad_fn) ...
  std::weak_ptr<Node> grad_fn_;  // ... and re-attached on unpack
  uint32_t output_nr_ = 0;
  uint64_t version_ = 0;
  bool is_output_ = false;
  bool detached_ = false;
  bool saved_ = false;
};

// The grad_fn of one recorded op.
class OpNode : public Node {
 public:
  OpNode(const OpDef& def, absl::string_view name, Attrs attrs, std::vector<TensorMeta> input_meta,
         std::vector<TensorMeta> output_meta, std::vector<bool> needs_input_grad);
  absl::string_view name() const override { return name_; }
  std::vector<Tensor> Apply(std::vector<Tensor> grads) override;
  void ReleaseSaved() override;
  const OpDef& def() const { return def_; }
  const Attrs& attrs() const { return attrs_; }  // in def().attrs order

  std::vector<SavedTensor> saved_inputs;
  std::vector<SavedTensor> saved_outputs;
  // Shape and dtype of the tensor each edge leads to, where it differs from
  // the input the rule saw (Note [Transparent prepare]); empty if none does.
  std::vector<TensorMeta> edge_meta;
  // The To/Expand history of those prepared inputs: the edges bypass it, so
  // this keeps it alive for saved inputs to re-attach (double backward).
  std::vector<std::shared_ptr<Node>> prepared_history;

 private:
  const OpDef& def_;
  absl::string_view name_;
  Attrs attrs_;
  std::vector<TensorMeta> input_meta_;
  std::vector<TensorMeta> output_meta_;
  std::vector<bool> needs_input_grad_;
  bool released_ = false;
};

// Sums incoming gradients into a leaf's .grad.
class AccumulateGrad : public Node {
 public:
  explicit AccumulateGrad(Tensor variable) : variable_(std::move(variable)) {}
  absl::string_view name() const override { return "AccumulateGrad"; }
  std::vector<Tensor> Apply(std::vector<Tensor> grads) override;
  const Tensor& variable() const { return variable_; }  // the leaf (PyTorch's .variable)

 private:
  Tensor variable_;
};

// The grad_fn of a base after an in-place op on one of its views (Note
// [In-place on views]). Inputs: the base's previous history, the op's result.
class CopySlices : public Node {
 public:
  CopySlices(Tensor positions, Shape base_sizes) : positions_(std::move(positions)), base_sizes_(std::move(base_sizes)) {}
  absl::string_view name() const override { return "CopySlices"; }
  std::vector<Tensor> Apply(std::vector<Tensor> grads) override;

 private:
  Tensor positions_;  // int64, the view's shape: base element of each view element
  Shape base_sizes_;
};

// The grad_fn of a view whose base changed in place: the view's elements
// picked out of the base's current history.
class AsStridedBackward : public Node {
 public:
  AsStridedBackward(Tensor positions, Shape base_sizes)
      : positions_(std::move(positions)), base_sizes_(std::move(base_sizes)) {}
  absl::string_view name() const override { return "AsStridedBackward0"; }
  std::vector<Tensor> Apply(std::vector<Tensor> grads) override;

 private:
  Tensor positions_;
  Shape base_sizes_;
};

// Marks `view`, the output of a view op on `source`, as a differentiable view
// of source's root base.
void MarkView(const Tensor& view, const Tensor& source);
// Errors for an in-place op on `self` while autograd records: a leaf that
// requires grad, a view of one, a view made under no_grad.
absl::Status CheckInplace(absl::string_view op, const Tensor& self);
// Before `result` (self's shape) is written into `self` while autograd
// records: moves the history onto the result (self is not a view) or rebases
// self's base onto CopySlices (self is a view; its grad_fn is regenerated when
// next used, since the write bumps the version).
absl::Status RebaseHistory(absl::string_view op, const Tensor& self, const Tensor& result);

// Records `call` producing `outputs` in the graph (grad mode on, some input
// requires grad, def.backward set).
// Records `call` (inputs as its rule saw them) as one node producing
// `outputs`. `callers_inputs`, when given, are the tensors the caller passed
// before the op's prepare rule cast or broadcast them (Note [Transparent
// prepare]): the node's edges lead to those, and gradients are summed and
// cast back to their shapes and dtypes.
void RecordGraph(const OpCall& call, absl::string_view name, const std::vector<Tensor>& outputs,
                 const std::vector<Tensor>* callers_inputs = nullptr);
bool AnyRequiresGrad(const std::vector<Tensor>& inputs);
// After an in-place op wrote `result` into `self`: what result's node saved
// of it now refers to self, so later writes to self make backward fail, as
// PyTorch's saved `result` of exp_ / relu_ / sigmoid_ does.
void SaveResultAsSelf(const Tensor& result, const Tensor& self);

}  // namespace tensord::engine
