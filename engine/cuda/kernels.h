// The CUDA kernel table and the engine-side glue of the CUDA backend: turns
// an OpCall into kernel arguments (kernel_args.h) and launches on the
// current context's stream (context.h). Mirrors engine/cpu/kernels.h: same
// signature, same contract (validated input; the op's prepare ran).
// Compiled by g++ on every machine; the device code is in kernels/*.cu.
#pragma once

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/cuda/kernel_args.h"
#include "engine/cuda/runtime.h"
#include "engine/ops/op_def.h"
#include "engine/tensor.h"

namespace tensord::engine::cuda {

using KernelFn = absl::Status (*)(const OpCall& call, std::vector<Tensor>& outputs);

// One slot per op, from engine/ops/kernel_list.h (Note [Kernel tables]).
const KernelFn* KernelTable();

// Kernel entry points, grouped by file (the host side of kernels/<file>.cu).
// copy.cc
absl::Status FullKernel(const OpCall&, std::vector<Tensor>&);
absl::Status FillKernel(const OpCall&, std::vector<Tensor>&);
absl::Status ArangeKernel(const OpCall&, std::vector<Tensor>&);
absl::Status CopyKernel(const OpCall&, std::vector<Tensor>&);  // clone, _to_copy
absl::Status CatKernel(const OpCall&, std::vector<Tensor>&);
// elementwise.cc
absl::Status BinaryKernel(const OpCall&, std::vector<Tensor>&);  // arithmetic, comparisons, logical, bitwise
absl::Status UnaryKernel(const OpCall&, std::vector<Tensor>&);   // math, predicates, clamp, nan_to_num
absl::Status WhereKernel(const OpCall&, std::vector<Tensor>&);
// blas.cc
absl::Status MmKernel(const OpCall&, std::vector<Tensor>&);
absl::Status MvKernel(const OpCall&, std::vector<Tensor>&);
absl::Status DotKernel(const OpCall&, std::vector<Tensor>&);
absl::Status BmmKernel(const OpCall&, std::vector<Tensor>&);
// reduce.cc
absl::Status ReduceKernel(const OpCall&, std::vector<Tensor>&);     // sum mean prod amax amin max min all any
absl::Status ArgReduceKernel(const OpCall&, std::vector<Tensor>&);  // argmax argmin
absl::Status SoftmaxKernel(const OpCall&, std::vector<Tensor>&);    // softmax log_softmax
absl::Status CumKernel(const OpCall&, std::vector<Tensor>&);        // cumsum cumprod

// index.cc
absl::Status IndexKernel(const OpCall&, std::vector<Tensor>&);
absl::Status IndexPutKernel(const OpCall&, std::vector<Tensor>&);
absl::Status GatherKernel(const OpCall&, std::vector<Tensor>&);
absl::Status ScatterKernel(const OpCall&, std::vector<Tensor>&);  // scatter, scatter_add
// random.cc
absl::Status RandKernel(const OpCall&, std::vector<Tensor>&);
absl::Status RandnKernel(const OpCall&, std::vector<Tensor>&);
absl::Status RandintKernel(const OpCall&, std::vector<Tensor>&);
absl::Status RandomFillKernel(const OpCall&, std::vector<Tensor>&);  // uniform_ normal_ bernoulli_
absl::Status BernoulliKernel(const OpCall&, std::vector<Tensor>&);
absl::Status RandpermKernel(const OpCall&, std::vector<Tensor>&);
// optim.cc
absl::Status FusedSgdKernel(const OpCall&, std::vector<Tensor>&);
absl::Status FusedAdamKernel(const OpCall&, std::vector<Tensor>&);

// Helpers for the rest of the engine (tensor.cc, autograd, copy_).
// nonzero of a cuda tensor (ops/index.cc): [N, ndim] int64 on self's device.
absl::StatusOr<Tensor> Nonzero(const Tensor& self);
// dst[...] = cast(src[...]): same shape, any strides and dtypes, any devices
// (host <-> device through a contiguous staging copy).
absl::Status CopyCast(const Tensor& src, const Tensor& dst);
// A device tensor's elements as contiguous bytes in host memory at `dst`.
absl::Status CopyToHostContiguous(const Tensor& src, void* dst);
// Uploads `nbytes` of contiguous host bytes into a contiguous device tensor.
absl::Status CopyFromHost(const Tensor& dst, const void* src, size_t nbytes);
// dst += src on a device (same shape and dtype). Gradient accumulation.
absl::Status AddInPlace(const Tensor& dst, const Tensor& src);

// The walk of `operands` (output first) over `shape`, dims coalesced.
// Operands on the CPU must be broadcast scalars (all strides 0: a CPU 0-dim
// tensor or a Python number beside cuda tensors) and pass by value.
absl::StatusOr<Iter> MakeIter(IntSpan shape, absl::Span<const Tensor> operands);
// The stream of the current context on `t`'s device.
absl::StatusOr<StreamId> StreamOf(const Tensor& t);

// Launches one of the backend's kernels (a Launchers member, launchers.h:
// `Launch(&Launchers::Fill, args, stream, "fill")`) on `stream`; a failed
// launch becomes a status naming `what`.
template <typename Args>
absl::Status Launch(int (*Launchers::*kernel)(const Args&, StreamId), const Args& args, StreamId stream,
                    absl::string_view what) {
  Backend& backend = Get();
  return backend.Check((backend.launchers().*kernel)(args, stream), std::string(what).c_str());
}

}  // namespace tensord::engine::cuda
