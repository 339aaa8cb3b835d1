// CPU kernels: plain functions, one entry point per kernel family, in the
// table built from engine/ops/kernel_list.h (Note [Kernel tables]).
// Kernels assume validated input (the op's prepare rule ran); they may only
// fail for value-dependent reasons (e.g. integer division by zero).
#pragma once

#include <vector>

#include "absl/status/status.h"
#include "engine/ops/op_def.h"
#include "engine/tensor.h"

namespace tensord::engine::cpu {

using KernelFn = absl::Status (*)(const OpCall& call, std::vector<Tensor>& outputs);

// One slot per op (nullptr: no kernel — composites and views need none).
const KernelFn* KernelTable();

// Kernel entry points, grouped by file.
// copy.cc, binary.cc, unary.cc
absl::Status FullKernel(const OpCall&, std::vector<Tensor>&);
absl::Status FillKernel(const OpCall&, std::vector<Tensor>&);
absl::Status ArangeKernel(const OpCall&, std::vector<Tensor>&);
absl::Status BinaryKernel(const OpCall&, std::vector<Tensor>&);   // add sub mul div pow, comparisons
absl::Status UnaryKernel(const OpCall&, std::vector<Tensor>&);    // neg exp log sin cos relu sigmoid
absl::Status CopyKernel(const OpCall&, std::vector<Tensor>&);     // clone, _to_copy
absl::Status WhereKernel(const OpCall&, std::vector<Tensor>&);
absl::Status CatKernel(const OpCall&, std::vector<Tensor>&);
// reduce.cc. The reduction ops' prepare appends the sorted reduced dims as
// this attribute index (ops/reduce.cc).
inline constexpr int kReducedDimsAttr = 3;
absl::Status ReduceKernel(const OpCall&, std::vector<Tensor>&);   // sum mean prod amax amin max min all any
absl::Status ArgReduceKernel(const OpCall&, std::vector<Tensor>&);  // argmax argmin
absl::Status SoftmaxKernel(const OpCall&, std::vector<Tensor>&);    // softmax log_softmax
absl::Status CumKernel(const OpCall&, std::vector<Tensor>&);        // cumsum cumprod
// blas.cc
absl::Status MmKernel(const OpCall&, std::vector<Tensor>&);
absl::Status MvKernel(const OpCall&, std::vector<Tensor>&);
absl::Status DotKernel(const OpCall&, std::vector<Tensor>&);
absl::Status BmmKernel(const OpCall&, std::vector<Tensor>&);
// index.cc
absl::Status IndexKernel(const OpCall&, std::vector<Tensor>&);
absl::Status IndexPutKernel(const OpCall&, std::vector<Tensor>&);
absl::Status GatherKernel(const OpCall&, std::vector<Tensor>&);
absl::Status ScatterKernel(const OpCall&, std::vector<Tensor>&);   // scatter, scatter_add
// Row-major indices [N, ndim] of the nonzero elements (data-dependent shape).
Tensor Nonzero(const Tensor& self);
// random.cc
absl::Status RandKernel(const OpCall&, std::vector<Tensor>&);
absl::Status RandnKernel(const OpCall&, std::vector<Tensor>&);
absl::Status RandintKernel(const OpCall&, std::vector<Tensor>&);
absl::Status RandomFillKernel(const OpCall&, std::vector<Tensor>&);  // uniform_ normal_ bernoulli_ (in place)
absl::Status BernoulliKernel(const OpCall&, std::vector<Tensor>&);
absl::Status RandpermKernel(const OpCall&, std::vector<Tensor>&);
// optim.cc: fused optimizer steps (in place on params and state)
absl::Status FusedSgdKernel(const OpCall&, std::vector<Tensor>&);
absl::Status FusedAdamKernel(const OpCall&, std::vector<Tensor>&);

// Helpers used outside the kernel table.
// Copies `src` (any strides) into contiguous memory at `dst`, same dtype.
void CopyToContiguous(const Tensor& src, void* dst);
// dst[...] = cast(src[...]); same shape, any strides and dtypes.
void CopyCast(const Tensor& src, const Tensor& dst);
// dst += src (same shape and dtype; dst may be any strides). Gradient accumulation.
void AddInPlace(const Tensor& dst, const Tensor& src);

// Intra-op parallelism shared by all kernels (see parallel.cc).
int NumThreads();
void SetNumThreads(int n);

}  // namespace tensord::engine::cpu
