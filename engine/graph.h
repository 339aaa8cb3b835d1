// Read-only views of the autograd graph, for pictures of it (tensord.viz,
// `tensorctl graph`). See Note [Autograd graph] in autograd.h.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/dtype.h"
#include "engine/tensor.h"

namespace tensord::engine {

// A tensor a graph node refers to: a leaf (AccumulateGrad's variable) or a
// tensor saved for backward.
struct GraphTensorInfo {
  std::string name;     // saved tensors: the op's input name ("self", "mat2") or "result"
  Tensor tensor;        // undefined when freed or modified in place (see flags)
  bool freed = false;   // released by a backward without retain_graph
  bool modified = false;  // modified in place since it was saved
};

// One grad_fn (PyTorch's Node).
struct GraphNodeInfo {
  std::string name;  // "AddBackward0", "AccumulateGrad"
  // next_functions in PyTorch's order; node == -1 is None (needs no gradient).
  struct Next {
    int64_t node = -1;  // index into GraphInfo::nodes
    uint32_t input_nr = 0;
  };
  std::vector<Next> next;
  Tensor variable;                     // AccumulateGrad: the leaf; else undefined
  std::vector<GraphTensorInfo> saved;  // only when asked for
  // The op's attributes as Python writes them ("dim" -> "(0,)"); when asked for.
  std::vector<std::pair<std::string, std::string>> attrs;
};

struct GraphInfo {
  // Each root's grad_fn (node -1 for leaves and tensors outside the graph;
  // input_nr is the root's output_nr).
  std::vector<GraphNodeInfo::Next> roots;
  // The roots' grad_fns and every node reachable from them through
  // next_functions, each once, in depth-first preorder from each root in turn.
  std::vector<GraphNodeInfo> nodes;
};

struct GraphOptions {
  bool saved_tensors = false;  // fill GraphNodeInfo::saved
  bool attributes = false;     // fill GraphNodeInfo::attrs
  int64_t max_nodes = 1000000;
};

// The autograd graph behind `roots`. Never modifies the graph; iterative, so
// deep chains are fine. RESOURCE_EXHAUSTED above `options.max_nodes` nodes.
absl::StatusOr<GraphInfo> AutogradGraphOf(absl::Span<const Tensor> roots, const GraphOptions& options);

}  // namespace tensord::engine
