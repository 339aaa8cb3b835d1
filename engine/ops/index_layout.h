// The geometry of advanced indexing that every backend's index kernels
// share (engine/cpu/index.cc, engine/cuda/index.cc): prepare (ops/index.cc)
// hands the kernels self, then one broadcast index tensor per indexed dim.
// The result's layout is PyTorch's: the broadcast index shape B replaces the
// indexed dims where they are adjacent, else B comes first.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "engine/ops/op_def.h"
#include "engine/tensor.h"

namespace tensord::engine {

// The index tensors of an index/index_put call (inputs from `first` on).
inline std::vector<Tensor> IndexInputs(const OpCall& call, size_t first) {
  return std::vector<Tensor>(call.inputs.begin() + first, call.inputs.end());
}

// The dims of self not indexed, in order.
inline std::vector<int64_t> RestDims(const Tensor& self, const std::vector<int64_t>& dims) {
  std::vector<int64_t> rest;
  for (int64_t d = 0; d < self.dim(); ++d) {
    if (std::find(dims.begin(), dims.end(), d) == dims.end()) rest.push_back(d);
  }
  return rest;
}

// A view of `res` (the index-result layout) as [B..., rest...]: B (nb_dims
// dims) moved first when the indexed dims were adjacent and not leading.
inline Tensor AsBRest(const Tensor& res, const std::vector<int64_t>& dims, int64_t nb_dims) {
  const bool adjacent = dims.back() - dims.front() + 1 == static_cast<int64_t>(dims.size());
  if (!adjacent || dims.front() == 0) return res;
  std::vector<int64_t> perm;
  for (int64_t i = 0; i < nb_dims; ++i) perm.push_back(dims.front() + i);
  for (int64_t i = 0; i < dims.front(); ++i) perm.push_back(i);
  for (int64_t i = dims.front() + nb_dims; i < res.dim(); ++i) perm.push_back(i);
  Shape sizes, strides;
  for (int64_t p : perm) {
    sizes.push_back(res.size(p));
    strides.push_back(res.strides()[p]);
  }
  return MakeView(res, sizes, strides, res.storage_offset());
}

}  // namespace tensord::engine
