#include "engine/graph.h"

#include <charconv>
#include <cmath>
#include <memory>
#include <variant>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/autograd_internal.h"
#include "engine/functional.h"
#include "engine/status.h"

namespace tensord::engine {
namespace {

GraphTensorInfo DescribeSaved(const SavedTensor& s, std::string name, absl::string_view node_name) {
  GraphTensorInfo info;
  info.name = std::move(name);
  if (!s.defined()) {
    info.freed = true;
    return info;
  }
  try {
    info.tensor = s.Unpack(node_name);
  } catch (const EngineError&) {
    info.modified = true;  // its version moved on: backward through it would fail
  }
  return info;
}

std::vector<GraphTensorInfo> SavedOf(const OpNode& node) {
  std::vector<GraphTensorInfo> out;
  const OpDef& def = node.def();
  for (size_t i = 0; i < node.saved_inputs.size(); ++i) {
    if (!node.saved_inputs[i].saved()) continue;  // not read by this call's gradients
    std::string name;
    if (i < def.inputs.size() && !def.inputs[i].variadic) {
      name = std::string(def.inputs[i].name);
    } else if (!def.inputs.empty() && def.inputs.back().variadic) {
      name = absl::StrCat(def.inputs.back().name, "[", i + 1 - def.inputs.size(), "]");
    } else {
      name = absl::StrCat("input", i);
    }
    out.push_back(DescribeSaved(node.saved_inputs[i], std::move(name), node.name()));
  }
  for (size_t i = 0; i < node.saved_outputs.size(); ++i) {
    if (!node.saved_outputs[i].saved()) continue;
    std::string name = i == 0 ? "result" : absl::StrCat("result", i);
    out.push_back(DescribeSaved(node.saved_outputs[i], std::move(name), node.name()));
  }
  return out;
}

// Python's spelling of an attribute value, as PyTorch prints saved values.
std::string AttrText(const AttrValue& v) {
  struct Visitor {
    std::string operator()(std::monostate) const { return "None"; }
    std::string operator()(bool b) const { return b ? "True" : "False"; }
    std::string operator()(int64_t i) const { return absl::StrCat(i); }
    std::string operator()(double d) const {
      if (std::isnan(d)) return "nan";
      if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
      char buf[32];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
      std::string out(buf, end);
      if (out.find_first_of(".e") == std::string::npos) out += ".0";
      return out;
    }
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(const std::vector<int64_t>& v) const {
      return absl::StrCat("(", absl::StrJoin(v, ", "), v.size() == 1 ? ",)" : ")");
    }
    std::string operator()(DType t) const { return absl::StrCat("torch.", DTypeName(t)); }
    std::string operator()(const Scalar& s) const {
      if (s.is_bool()) return (*this)(s.to_int() != 0);
      if (s.is_integral()) return (*this)(s.to_int());
      return (*this)(s.to_double());
    }
  };
  return std::visit(Visitor{}, v);
}

std::vector<std::pair<std::string, std::string>> AttrsOf(const OpNode& node) {
  std::vector<std::pair<std::string, std::string>> out;
  const OpDef& def = node.def();
  const Attrs& attrs = node.attrs();
  for (size_t i = 0; i < attrs.size() && i < def.attrs.size(); ++i) {
    out.emplace_back(std::string(def.attrs[i].name), AttrText(attrs[i]));
  }
  return out;
}

}  // namespace

absl::StatusOr<GraphInfo> AutogradGraphOf(absl::Span<const Tensor> roots, const GraphOptions& options) {
  const int64_t max_nodes = options.max_nodes;
  GraphInfo graph;
  absl::flat_hash_map<const Node*, int64_t> index;
  // Explicit stack of (node, next edge to visit): preorder DFS without recursion.
  struct Frame {
    const Node* node;
    int64_t id;
    size_t edge = 0;
  };
  std::vector<Frame> stack;
  auto visit = [&](const Node* node) -> absl::StatusOr<int64_t> {
    auto [it, inserted] = index.try_emplace(node, static_cast<int64_t>(graph.nodes.size()));
    if (!inserted) return it->second;
    if (static_cast<int64_t>(graph.nodes.size()) >= max_nodes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("[graph] the autograd graph has more than ", max_nodes, " nodes"));
    }
    GraphNodeInfo info;
    info.name = std::string(node->name());
    if (const auto* acc = dynamic_cast<const AccumulateGrad*>(node)) info.variable = acc->variable();
    if (const auto* op = dynamic_cast<const OpNode*>(node)) {
      if (options.saved_tensors) info.saved = SavedOf(*op);
      if (options.attributes) info.attrs = AttrsOf(*op);
    }
    info.next.resize(node->next_edges.size());
    graph.nodes.push_back(std::move(info));
    stack.push_back({node, it->second});
    return it->second;
  };
  for (const Tensor& t : roots) {
    GraphNodeInfo::Next& root = graph.roots.emplace_back();
    if (!t.defined() || !t.grad_fn()) continue;
    TENSORD_ASSIGN_OR_RETURN(root.node, visit(t.grad_fn().get()));
    root.input_nr = t.output_nr();
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.edge == f.node->next_edges.size()) {
        stack.pop_back();
        continue;
      }
      const size_t e = f.edge++;
      const int64_t id = f.id;
      const Edge& edge = f.node->next_edges[e];
      if (!edge.fn) continue;  // stays None
      // visit() may grow `stack` (invalidating f), so copy what we need first.
      TENSORD_ASSIGN_OR_RETURN(int64_t child, visit(edge.fn.get()));
      graph.nodes[id].next[e] = {child, edge.input_nr};
    }
  }
  return graph;
}

}  // namespace tensord::engine
