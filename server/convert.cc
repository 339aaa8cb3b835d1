#include "server/convert.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "engine/status.h"

namespace tensord::server {

static_assert(v1::DType_ARRAYSIZE == engine::kNumDTypes + 1,
              "tensord.v1.DType and engine::DType must list the same dtypes");

absl::StatusOr<engine::DType> ToEngineDType(absl::string_view op, v1::DType dtype) {
  const int v = static_cast<int>(dtype);
  if (v == v1::DTYPE_UNSPECIFIED) {
    return absl::InvalidArgumentError(absl::StrCat("[", op, "] dtype is unspecified"));
  }
  if (v < 1 || v > engine::kNumDTypes) {
    return absl::InvalidArgumentError(absl::StrCat("[", op, "] unknown dtype enum value ", v));
  }
  return static_cast<engine::DType>(v - 1);
}

v1::DType ToProtoDType(engine::DType dtype) {
  return static_cast<v1::DType>(static_cast<int>(dtype) + 1);
}

absl::StatusOr<engine::Scalar> ToEngineScalar(absl::string_view op, const v1::Scalar& s) {
  switch (s.value_case()) {
    case v1::Scalar::kF: return engine::Scalar(s.f());
    case v1::Scalar::kI: return engine::Scalar(static_cast<int64_t>(s.i()));
    case v1::Scalar::kB: return engine::Scalar(s.b());
    case v1::Scalar::VALUE_NOT_SET: break;
  }
  return absl::InvalidArgumentError(absl::StrCat("[", op, "] scalar has no value"));
}

namespace {

absl::StatusOr<engine::AttrValue> ToEngineAttr(absl::string_view op, const std::string& name,
                                               const v1::AttrValue& a) {
  switch (a.value_case()) {
    case v1::AttrValue::kB: return engine::AttrValue(a.b());
    case v1::AttrValue::kI: return engine::AttrValue(static_cast<int64_t>(a.i()));
    case v1::AttrValue::kF: return engine::AttrValue(a.f());
    case v1::AttrValue::kS: return engine::AttrValue(a.s());
    case v1::AttrValue::kInts:
      return engine::AttrValue(
          std::vector<int64_t>(a.ints().values().begin(), a.ints().values().end()));
    case v1::AttrValue::kDtype: {
      const int v = static_cast<int>(a.dtype());
      if (v < 1 || v > engine::kNumDTypes) {
        return absl::InvalidArgumentError(
            absl::StrCat("[", op, "] attribute '", name, "': ", v,
                         " is not a dtype (send AttrValue.none for None)"));
      }
      return engine::AttrValue(static_cast<engine::DType>(v - 1));
    }
    case v1::AttrValue::kScalar: {
      TENSORD_ASSIGN_OR_RETURN(engine::Scalar s, ToEngineScalar(op, a.scalar()));
      return engine::AttrValue(s);
    }
    case v1::AttrValue::kNone: return engine::AttrValue(std::monostate{});
    case v1::AttrValue::VALUE_NOT_SET: break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("[", op, "] attribute '", name, "' has no value"));
}

}  // namespace

absl::StatusOr<engine::AttrMap> ToEngineAttrs(
    absl::string_view op, const google::protobuf::Map<std::string, v1::AttrValue>& attrs) {
  engine::AttrMap out;
  out.reserve(attrs.size());
  for (const auto& [name, value] : attrs) {
    TENSORD_ASSIGN_OR_RETURN(engine::AttrValue v, ToEngineAttr(op, name, value));
    out.emplace_back(name, std::move(v));
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

v1::OpSchema ToProtoSchema(const engine::OpSchema& schema) {
  v1::OpSchema out;
  out.set_name(std::string(schema.name));
  for (const engine::InputSpec& in : schema.inputs) {
    v1::OpSchema::Input* i = out.add_inputs();
    i->set_name(std::string(in.name));
    i->set_optional(in.optional);
    i->set_variadic(in.variadic);
  }
  for (const engine::AttrSpec& attr : schema.attrs) {
    v1::OpSchema::Attr* a = out.add_attrs();
    a->set_name(std::string(attr.name));
    a->set_type(std::string(engine::AttrTypeName(attr.type)));
    if (!attr.required) a->set_default_value(engine::AttrValueRepr(attr.default_value));
  }
  out.set_num_outputs(schema.num_outputs);
  out.set_differentiable(schema.differentiable);
  out.set_inplace(schema.inplace);
  out.set_doc(std::string(schema.doc));
  return out;
}

v1::TensorInfo ToTensorInfo(uint64_t handle, const engine::Tensor& t) {
  v1::TensorInfo info;
  info.set_handle(handle);
  info.set_dtype(ToProtoDType(t.dtype()));
  for (int64_t s : t.sizes()) info.add_shape(s);
  for (int64_t s : t.strides()) info.add_strides(s);
  info.set_storage_offset(t.storage_offset());
  info.set_device(t.device().ToString());
  info.set_requires_grad(t.requires_grad());
  info.set_is_leaf(t.is_leaf());
  info.set_grad_fn(t.grad_fn_name());
  info.set_has_grad(t.grad().defined());
  info.set_is_contiguous(t.is_contiguous());
  if (t.storage() != nullptr) info.set_storage_id(t.storage()->id());
  info.set_version(t.version());
  return info;
}

v1::TensorData ToTensorData(const engine::Tensor& t) {
  v1::TensorData data;
  data.set_dtype(ToProtoDType(t.dtype()));
  for (int64_t s : t.sizes()) data.add_shape(s);
  std::string* bytes = data.mutable_data();
  bytes->reserve(t.nbytes());
  t.AppendBytes(bytes);
  return data;
}

namespace {

void SetGraphTensor(const engine::Tensor& t, v1::GraphTensor* out) {
  if (!t.defined()) return;
  out->set_dtype(ToProtoDType(t.dtype()));
  for (int64_t s : t.sizes()) out->add_shape(s);
}

void SetGraphEdge(const engine::GraphNodeInfo::Next& next, v1::GraphEdge* e) {
  if (next.node < 0) {
    e->set_none(true);
  } else {
    e->set_node(static_cast<uint32_t>(next.node));
    e->set_input_nr(next.input_nr);
  }
}

}  // namespace

v1::AutogradGraph ToProtoGraph(const engine::GraphInfo& graph, absl::Span<const uint64_t> handles,
                               absl::Span<const engine::Tensor> roots,
                               const absl::flat_hash_map<const engine::TensorImpl*, uint64_t>& leaves) {
  v1::AutogradGraph out;
  for (size_t i = 0; i < roots.size(); ++i) {
    v1::GraphTensor* r = out.add_roots();
    SetGraphTensor(roots[i], r);
    r->set_handle(handles[i]);
    SetGraphEdge(graph.roots[i], r->mutable_grad_fn());
  }
  out.mutable_nodes()->Reserve(static_cast<int>(graph.nodes.size()));
  for (const engine::GraphNodeInfo& node : graph.nodes) {
    v1::GraphNode* n = out.add_nodes();
    n->set_name(node.name);
    for (const engine::GraphNodeInfo::Next& next : node.next) SetGraphEdge(next, n->add_next());
    if (node.variable.defined()) {
      SetGraphTensor(node.variable, n->mutable_variable());
      auto it = leaves.find(node.variable.impl());
      if (it != leaves.end()) n->mutable_variable()->set_handle(it->second);
    }
    for (const engine::GraphTensorInfo& saved : node.saved) {
      v1::GraphTensor* s = n->add_saved();
      s->set_name(saved.name);
      SetGraphTensor(saved.tensor, s);
      s->set_freed(saved.freed);
      s->set_modified(saved.modified);
    }
    for (const auto& [name, value] : node.attrs) {
      v1::GraphAttr* a = n->add_attrs();
      a->set_name(name);
      a->set_value(value);
    }
  }
  return out;
}

}  // namespace tensord::server
