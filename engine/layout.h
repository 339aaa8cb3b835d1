// Memory layouts of new tensors (implemented in tensor.cc).
#pragma once

#include <vector>

#include "engine/tensor.h"

namespace tensord::engine {

// Note [Memory layouts]
//   New tensors take PyTorch's layouts, so strides, is_contiguous() and
//   view-vs-reshape agree with it. preserve_format (clone, _to_copy, the
//   *_like factories): a non-overlapping, dense input keeps its strides; any
//   other input gets dense strides ordering its dims as it does. Elementwise
//   results (TensorIterator): same-shape, non-overlapping dense inputs of one
//   layout give that layout; otherwise the dims are ordered by the inputs'
//   strides (the first input decides, broadcast dims defer to later ones) and
//   the result is dense in that order; contiguous inputs give a contiguous
//   result. Reductions, matmuls and index results are contiguous.
// PyTorch's is_non_overlapping_and_dense: the elements tile their span exactly.
bool IsNonOverlappingAndDense(IntSpan sizes, IntSpan strides);
// preserve_format strides for a new tensor like (sizes, strides).
Shape PreservedStrides(IntSpan sizes, IntSpan strides);
// TensorIterator's output strides for operands viewed at the result's shape
// (broadcast dims carry stride 0); `same_shapes`: the caller's operands all
// had that shape (only then the fast layouts apply). Empty: contiguous.
Shape ElementwiseStrides(IntSpan sizes, const std::vector<Shape>& operand_strides, bool same_shapes = true);
// New zero-filled tensor with the given dense strides (a permutation of
// contiguous ones); empty strides: contiguous.
Tensor EmptyStrided(IntSpan shape, IntSpan strides, DType dtype, Device device = kCPU);

}  // namespace tensord::engine
