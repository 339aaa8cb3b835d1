// Host side of kernels/reduce.cu: reductions over a set of dims, argmax and
// argmin, softmax and the cumulative ops. Same contract as engine/cpu/reduce.cc
// (the ops' prepare ran: reduced dims in attrs[kReducedDimsAttr], the dtype
// attr applied, softmax/cum/arg inputs contiguous).
#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/cpu/kernels.h"
#include "engine/cuda/kernels.h"
#include "engine/cuda/runtime.h"
#include "engine/status.h"

namespace tensord::engine::cuda {

namespace {

// Chunk policy (Note [Reduce rows]): few long rows are cut into pieces so
// that the GPU has enough tasks. A contiguous run's task is a block: up to
// kBlockTargetTasks of them, each at least kBlockMinChunk elements (a full
// sum of 1 << 20 elements: 256 blocks of 4096, then one pass over 256
// partials). Otherwise a task is one thread (column reductions, and the
// cumulative ops, Note [Ops along one dim]): up to kThreadTargetTasks of
// them, each at least kThreadMinChunk elements. At most kReduceMaxChunks
// pieces per row, as the pass that combines them walks them in one thread.
constexpr int64_t kBlockTargetTasks = 1024, kBlockMinChunk = 4096;
constexpr int64_t kThreadTargetTasks = 1 << 16, kThreadMinChunk = 256;

int64_t ChunksFor(int64_t rows, int64_t len, int64_t target_tasks, int64_t min_chunk) {
  if (rows == 0 || rows >= target_tasks || len < 2 * min_chunk) return 1;
  return std::max<int64_t>(1, std::min({len / min_chunk, (target_tasks + rows - 1) / rows, kReduceMaxChunks}));
}

struct Dim {
  int64_t size, stride;
};

// Drops size-1 dims and merges neighbours that walk memory as one dim
// (outer dims keep their order: they index the output row-major).
std::vector<Dim> Coalesce(const std::vector<Dim>& dims) {
  std::vector<Dim> out;
  for (const Dim& d : dims) {
    if (d.size == 1) continue;
    if (!out.empty() && out.back().stride == d.size * d.stride) {
      out.back() = Dim{out.back().size * d.size, d.stride};
    } else {
      out.push_back(d);
    }
  }
  return out;
}

// The geometry of reducing `sizes`/`strides` (input element strides) over
// the dims marked in `reduced`.
absl::StatusOr<ReduceGeom> MakeGeom(IntSpan sizes, IntSpan strides, const std::vector<bool>& reduced) {
  std::vector<Dim> outer, inner;
  int64_t rows = 1, len = 1;
  for (size_t d = 0; d < sizes.size(); ++d) {
    (reduced[d] ? inner : outer).push_back(Dim{sizes[d], strides[d]});
    (reduced[d] ? len : rows) *= sizes[d];
  }
  outer = Coalesce(outer);
  // The order within a run is free (the combine is commutative): smallest
  // stride innermost, so a run walks memory forwards and merges best.
  std::stable_sort(inner.begin(), inner.end(), [](const Dim& a, const Dim& b) { return a.stride > b.stride; });
  inner = len == 0 ? std::vector<Dim>{} : Coalesce(inner);
  if (outer.size() > static_cast<size_t>(kMaxDims) || inner.size() > static_cast<size_t>(kMaxDims)) {
    return absl::UnimplementedError(absl::StrCat("reductions of tensors whose strides leave more than ", kMaxDims,
                                                 " dimensions after merging are not supported on cuda"));
  }
  ReduceGeom g;
  g.outer_ndim = static_cast<int>(outer.size());
  for (size_t i = 0; i < outer.size(); ++i) {
    g.outer_sizes[i] = outer[i].size;
    g.outer_strides[i] = outer[i].stride;
  }
  g.inner_ndim = static_cast<int>(inner.size());
  for (size_t i = 0; i < inner.size(); ++i) {
    g.inner_sizes[i] = inner[i].size;
    g.inner_strides[i] = inner[i].stride;
  }
  g.rows = rows;
  g.len = len;
  return g;
}

// Launches `a` (geometry, operands and kind set) with the two-pass scratch
// it needs. The scratch is freed on return, before the kernels run: the
// caching allocator hands it out again only to later work on this stream.
absl::Status LaunchReduce(ReduceArgs& a, const Tensor& like, StreamId stream, const char* what) {
  a.chunks = ReduceRunIsContiguous(a.g) ? ChunksFor(a.g.rows, a.g.len, kBlockTargetTasks, kBlockMinChunk)
                                        : ChunksFor(a.g.rows, a.g.len, kThreadTargetTasks, kThreadMinChunk);
  Tensor scratch;
  if (a.chunks > 1) {
    const int64_t items = a.g.rows * a.chunks * (kReduceScratchItem / 8);
    scratch = Tensor::Empty(Shape{items}, DType::kInt64, like.device());
    a.scratch = scratch.raw_data();
  }
  return Launch(&Launchers::Reduce, a, stream, what);
}

int ReduceKindOf(OpId id) {
  switch (id) {
    case OpId::kProd: return kReduceProd;
    case OpId::kAmax:
    case OpId::kMax: return kReduceMax;
    case OpId::kAmin:
    case OpId::kMin: return kReduceMin;
    case OpId::kAll: return kReduceAll;
    case OpId::kAny: return kReduceAny;
    default: return kReduceSum;  // sum, mean
  }
}

// [outer, n, inner] of a contiguous tensor along `dim` (a 0-dim tensor: one line of 1).
AlongDimArgs LinesAlong(const Tensor& in, const Tensor& out, int64_t dim) {
  AlongDimArgs a;
  a.in = in.raw_data();
  a.out = out.raw_data();
  a.dtype = static_cast<int8_t>(in.dtype());
  if (in.dim() == 0) return a;
  a.n = in.size(dim);
  for (int64_t d = 0; d < dim; ++d) a.outer *= in.size(d);
  for (int64_t d = dim + 1; d < in.dim(); ++d) a.inner *= in.size(d);
  return a;
}

absl::Status CheckDense(const Tensor& t, const char* what) {
  if (t.is_contiguous()) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(what, ": the cuda kernel expects a contiguous tensor"));
}

}  // namespace

absl::Status ReduceKernel(const OpCall& call, std::vector<Tensor>& outputs) {
  const Tensor& in = call.in(0);
  const Tensor& out = outputs[0];
  if (out.numel() == 0) return absl::OkStatus();
  TENSORD_RETURN_IF_ERROR(CheckDense(out, "reduce"));
  std::vector<bool> reduced(in.dim(), false);
  for (int64_t d : *call.GetInts(cpu::kReducedDimsAttr)) reduced[d] = true;
  ReduceArgs a;
  TENSORD_ASSIGN_OR_RETURN(a.g, MakeGeom(in.sizes(), in.strides(), reduced));
  a.in = in.raw_data();
  a.in_dtype = static_cast<int8_t>(in.dtype());
  a.out = out.raw_data();
  a.out_dtype = static_cast<int8_t>(out.dtype());
  a.kind = ReduceKindOf(call.def->id);
  a.mean = call.def->id == OpId::kMean;
  TENSORD_ASSIGN_OR_RETURN(StreamId stream, StreamOf(out));
  return LaunchReduce(a, out, stream, "reduce");
}

absl::Status ArgReduceKernel(const OpCall& call, std::vector<Tensor>& outputs) {
  // prepare made the input contiguous and wrote the dim (or -1: flattened).
  const Tensor& in = call.in(0);
  const Tensor& out = outputs[0];
  if (out.numel() == 0) return absl::OkStatus();
  TENSORD_RETURN_IF_ERROR(CheckDense(in, "argmax"));
  TENSORD_RETURN_IF_ERROR(CheckDense(out, "argmax"));
  const int64_t dim = call.GetInt(cpu::kReducedDimsAttr);
  AlongDimArgs lines = dim < 0 ? AlongDimArgs{} : LinesAlong(in, out, dim);
  if (dim < 0) lines.n = in.numel();
  // [outer, n, inner] with n reduced.
  const Shape sizes{lines.outer, lines.n, lines.inner};
  const Shape strides{lines.n * lines.inner, lines.inner, 1};
  ReduceArgs a;
  TENSORD_ASSIGN_OR_RETURN(a.g, MakeGeom(sizes, strides, {false, true, false}));
  a.in = in.raw_data();
  a.in_dtype = static_cast<int8_t>(in.dtype());
  a.out = out.raw_data();
  a.out_dtype = static_cast<int8_t>(DType::kInt64);
  a.kind = call.def->id == OpId::kArgmax ? kReduceArgMax : kReduceArgMin;
  TENSORD_ASSIGN_OR_RETURN(StreamId stream, StreamOf(out));
  return LaunchReduce(a, out, stream, call.def->id == OpId::kArgmax ? "argmax" : "argmin");
}

absl::Status SoftmaxKernel(const OpCall& call, std::vector<Tensor>& outputs) {
  const Tensor& in = call.in(0);  // contiguous, floating (prepare)
  const Tensor& out = outputs[0];
  if (out.numel() == 0) return absl::OkStatus();
  TENSORD_RETURN_IF_ERROR(CheckDense(in, "softmax"));
  TENSORD_RETURN_IF_ERROR(CheckDense(out, "softmax"));
  AlongDimArgs a = LinesAlong(in, out, call.GetInt(0));
  a.op = call.def->id == OpId::kLogSoftmax ? 1 : 0;
  TENSORD_ASSIGN_OR_RETURN(StreamId stream, StreamOf(out));
  return Launch(&Launchers::Softmax, a, stream, a.op == 1 ? "log_softmax" : "softmax");
}

absl::Status CumKernel(const OpCall& call, std::vector<Tensor>& outputs) {
  const Tensor& in = call.in(0);  // contiguous, already in the output dtype (prepare)
  const Tensor& out = outputs[0];
  if (out.numel() == 0) return absl::OkStatus();
  TENSORD_RETURN_IF_ERROR(CheckDense(in, "cumsum"));
  TENSORD_RETURN_IF_ERROR(CheckDense(out, "cumsum"));
  AlongDimArgs a = LinesAlong(in, out, call.GetInt(0));
  a.op = call.def->id == OpId::kCumprod ? 1 : 0;
  const int64_t lines = a.outer * a.inner;
  a.chunks = ChunksFor(lines, a.n, kThreadTargetTasks, kThreadMinChunk);
  Tensor scratch;  // freed before the kernels run: see LaunchReduce
  if (a.chunks > 1) {
    scratch = Tensor::Empty(Shape{lines * a.chunks}, DType::kInt64, out.device());
    a.scratch = scratch.raw_data();
  }
  TENSORD_ASSIGN_OR_RETURN(StreamId stream, StreamOf(out));
  return Launch(&Launchers::Cumulative, a, stream, a.op == 1 ? "cumprod" : "cumsum");
}

}  // namespace tensord::engine::cuda
