// Host side of kernels/index.cu: advanced indexing (index, index_put),
// gather, scatter, scatter_add and nonzero on cuda tensors, mirroring
// engine/cpu/index.cc (same normal form, same errors).
//
// Note [Index bounds on the device]
//   Index values live on the device, so bounds are checked there: a thread
//   whose index is out of range writes nothing and lowers a device word to
//   its position (IndexArgs/GatherArgs::error). After the launch the host
//   reads that word back (8 bytes; the copy waits for the kernel), and when
//   it was lowered reads the offending index value and returns the CPU
//   kernel's INVALID_ARGUMENT error, naming the first bad index in the CPU's
//   order (row-major over the index shape, then index tensor). Checking on
//   the host instead would copy every index tensor down before the launch;
//   both cost a synchronisation (PyTorch's device-side assert does not, but
//   leaves the context unusable: here the session goes on). Memory is never
//   touched out of bounds either way. index_put's and scatter's partial
//   writes land in the fresh output tensor only, which the error discards.
#include <algorithm>
#include <cstring>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "engine/cpu/kernels.h"
#include "engine/cuda/context.h"
#include "engine/cuda/kernels.h"
#include "engine/ops/index_layout.h"
#include "engine/cuda/runtime.h"
#include "engine/status.h"

namespace tensord::engine::cuda {

namespace {

// A device word holding kNoIndexError until a kernel lowers it.
struct ErrorWord {
  Tensor word;
  unsigned long long* ptr() const { return static_cast<unsigned long long*>(word.raw_data()); }
};

absl::StatusOr<ErrorWord> NewErrorWord(Device device, StreamId stream) {
  ErrorWord e{Tensor::Empty({1}, DType::kInt64, device)};
  FillArgs f{e.word.raw_data(), 1, 8, kNoIndexError};
  TENSORD_RETURN_IF_ERROR(Launch(&Launchers::Fill, f, stream, "index bounds word"));
  return e;
}

// One 8-byte value from device memory (waits for the work queued before it).
absl::StatusOr<uint64_t> ReadWord(Device device, const void* p, StreamId stream) {
  uint64_t v = 0;
  TENSORD_RETURN_IF_ERROR(Get().CopyToHost(device.index, &v, p, sizeof(v), stream));
  return v;
}

absl::Status OutOfBounds(absl::string_view op, int64_t v, int64_t dim, int64_t size) {
  return absl::InvalidArgumentError(
      absl::StrCat("[", op, "] index ", v, " is out of bounds for dimension ", dim, " with size ", size));
}

// Element offset of row-major position `linear` of `sizes` under `strides`.
int64_t OffsetOf(IntSpan sizes, IntSpan strides, int64_t linear) {
  int64_t off = 0;
  for (int64_t d = static_cast<int64_t>(sizes.size()) - 1; d >= 0; --d) {
    off += (linear % sizes[d]) * strides[d];
    linear /= sizes[d];
  }
  return off;
}

absl::Status CheckDims(absl::string_view op, size_t n) {
  if (n > static_cast<size_t>(kMaxDims)) {
    return absl::UnimplementedError(absl::StrCat("[", op, "] more than ", kMaxDims, " dimensions are not supported on cuda"));
  }
  return absl::OkStatus();
}

// Copies (mode) between self at the indexed positions and res ([B, rest]).
absl::Status IndexCopy(absl::string_view op, const Tensor& self, const std::vector<Tensor>& idx,
                       const std::vector<int64_t>& dims, const Tensor& res, IndexMode mode) {
  const std::vector<int64_t> rest = RestDims(self, dims);
  const IntSpan b_shape = idx[0].sizes();
  TENSORD_RETURN_IF_ERROR(CheckDims(op, std::max({idx.size(), b_shape.size(), rest.size()})));
  IndexArgs a;
  a.dtype = static_cast<int8_t>(self.dtype());
  a.mode = mode;
  a.self = static_cast<char*>(self.raw_data());
  a.res = static_cast<char*>(res.raw_data());
  a.nidx = static_cast<int>(idx.size());
  for (size_t k = 0; k < idx.size(); ++k) {
    if (idx[k].device() != self.device()) {
      return absl::InternalError(absl::StrCat("[", op, "] index tensors must be on ", self.device().ToString(),
                                              " (prepare moves them)"));
    }
    a.idx[k] = idx[k].data<int64_t>();
    for (size_t d = 0; d < b_shape.size(); ++d) a.idx_strides[k][d] = idx[k].strides()[d];
    a.dim_size[k] = self.size(dims[k]);
    a.dim_stride[k] = self.strides()[dims[k]];
  }
  a.nb = static_cast<int>(b_shape.size());
  for (size_t d = 0; d < b_shape.size(); ++d) {
    a.b_sizes[d] = b_shape[d];
    a.res_b_strides[d] = res.strides()[d];
  }
  a.nrest = static_cast<int>(rest.size());
  for (size_t i = 0; i < rest.size(); ++i) {
    a.rest_sizes[i] = self.size(rest[i]);
    a.self_rest_strides[i] = self.strides()[rest[i]];
    a.res_rest_strides[i] = res.strides()[b_shape.size() + i];
  }
  a.numel_b = Numel(b_shape);
  a.numel_rest = 1;
  for (int64_t d : rest) a.numel_rest *= self.size(d);
  if (a.numel_b == 0) return absl::OkStatus();
  TENSORD_ASSIGN_OR_RETURN(StreamId stream, StreamOf(self));
  TENSORD_ASSIGN_OR_RETURN(ErrorWord error, NewErrorWord(self.device(), stream));
  a.error = error.ptr();
  TENSORD_RETURN_IF_ERROR(Launch(&Launchers::IndexCopy, a, stream, op));
  TENSORD_ASSIGN_OR_RETURN(uint64_t pos, ReadWord(self.device(), error.ptr(), stream));
  if (pos == kNoIndexError) return absl::OkStatus();
  const int64_t b = static_cast<int64_t>(pos / idx.size()), k = static_cast<int64_t>(pos % idx.size());
  const int64_t* at = idx[k].data<int64_t>() + OffsetOf(b_shape, idx[k].strides(), b);
  TENSORD_ASSIGN_OR_RETURN(uint64_t v, ReadWord(self.device(), at, stream));
  return OutOfBounds(op, static_cast<int64_t>(v), dims[k], self.size(dims[k]));
}

// `strides` (of a tensor with `ndim` dims) over index's `n` dims, with 0 at
// `dim` (the indexed side moves by the index value instead) and past ndim.
void IndexedSideStrides(IntSpan strides, int64_t dim, int64_t n, int64_t* out) {
  for (int64_t d = 0; d < n; ++d) {
    out[d] = d < static_cast<int64_t>(strides.size()) && d != dim ? strides[d] : 0;
  }
}

// Launches a gather/scatter and turns a recorded bad index into the CPU's error.
absl::Status RunGather(absl::string_view op, GatherArgs& a, const Tensor& index, int64_t dim, Device device) {
  if (a.numel == 0) return absl::OkStatus();
  TENSORD_ASSIGN_OR_RETURN(StreamId stream, CurrentStream(device.index));
  TENSORD_ASSIGN_OR_RETURN(ErrorWord error, NewErrorWord(device, stream));
  a.error = error.ptr();
  TENSORD_RETURN_IF_ERROR(Launch(&Launchers::GatherScatter, a, stream, op));
  TENSORD_ASSIGN_OR_RETURN(uint64_t pos, ReadWord(device, error.ptr(), stream));
  if (pos == kNoIndexError) return absl::OkStatus();
  const int64_t* at = index.data<int64_t>() + OffsetOf(index.sizes(), index.strides(), static_cast<int64_t>(pos));
  TENSORD_ASSIGN_OR_RETURN(uint64_t v, ReadWord(device, at, stream));
  return OutOfBounds(op, static_cast<int64_t>(v), dim, a.dim_size);
}

}  // namespace

absl::Status IndexKernel(const OpCall& call, std::vector<Tensor>& out) {
  const auto& dims = *call.GetInts(0);
  std::vector<Tensor> idx = IndexInputs(call, 1);
  return IndexCopy("index", call.in(0), idx, dims, AsBRest(out[0], dims, idx[0].dim()), kIndexGather);
}

absl::Status IndexPutKernel(const OpCall& call, std::vector<Tensor>& out) {
  const auto& dims = *call.GetInts(1);
  std::vector<Tensor> idx = IndexInputs(call, 2);
  TENSORD_RETURN_IF_ERROR(CopyCast(call.in(0), out[0]));
  return IndexCopy("index_put", out[0], idx, dims, AsBRest(call.in(1), dims, idx[0].dim()),
                   call.GetBool(0) ? kIndexAccumulate : kIndexPut);
}

absl::Status GatherKernel(const OpCall& call, std::vector<Tensor>& out) {
  const Tensor& self = call.in(0);
  const Tensor& index = call.in(1);
  const int64_t dim = call.GetInt(0);
  TENSORD_RETURN_IF_ERROR(CheckDims("gather", index.dim()));
  GatherArgs a;
  a.dtype = static_cast<int8_t>(self.dtype());
  a.mode = kGather;
  a.ndim = static_cast<int>(index.dim());
  a.numel = index.numel();
  for (int64_t d = 0; d < index.dim(); ++d) {
    a.sizes[d] = index.size(d);
    a.index_strides[d] = index.strides()[d];
    a.dst_strides[d] = out[0].strides()[d];
  }
  a.index = index.data<int64_t>();
  a.dst = static_cast<char*>(out[0].raw_data());
  a.src = static_cast<const char*>(self.raw_data());
  IndexedSideStrides(self.strides(), self.dim() == 0 ? -1 : dim, index.dim(), a.src_strides);
  a.dim_size = self.dim() == 0 ? 1 : self.size(dim);
  a.dim_stride = self.dim() == 0 ? 0 : self.strides()[dim];
  return RunGather("gather", a, index, dim, self.device());
}

absl::Status ScatterKernel(const OpCall& call, std::vector<Tensor>& out) {
  const Tensor& index = call.in(1);
  const bool has_src = call.inputs.size() > 2 && call.in(2).defined();
  const int64_t dim = call.GetInt(0);
  TENSORD_RETURN_IF_ERROR(CheckDims(call.def->name, index.dim()));
  TENSORD_RETURN_IF_ERROR(CopyCast(call.in(0), out[0]));
  const Tensor& o = out[0];
  GatherArgs a;
  a.dtype = static_cast<int8_t>(o.dtype());
  a.mode = call.def->id == OpId::kScatterAdd ? kScatterAdd : kScatter;
  a.ndim = static_cast<int>(index.dim());
  a.numel = index.numel();
  for (int64_t d = 0; d < index.dim(); ++d) {
    a.sizes[d] = index.size(d);
    a.index_strides[d] = index.strides()[d];
  }
  a.index = index.data<int64_t>();
  a.dst = static_cast<char*>(o.raw_data());
  IndexedSideStrides(o.strides(), o.dim() == 0 ? -1 : dim, index.dim(), a.dst_strides);
  if (has_src) {
    const Tensor& src = call.in(2);  // prepare cast it to self's dtype
    a.src = static_cast<const char*>(src.raw_data());
    for (int64_t d = 0; d < index.dim(); ++d) a.src_strides[d] = src.strides()[d];
  } else {  // the value, cast to the output's dtype as the CPU kernel casts it
    Tensor value = Tensor::Empty({}, o.dtype());
    cpu::CopyCast(Tensor::WrappedScalar(call.GetScalar(1)), value);
    std::memcpy(&a.value, value.raw_data(), ItemSize(o.dtype()));
  }
  a.dim_size = o.dim() == 0 ? 1 : o.size(dim);
  a.dim_stride = o.dim() == 0 ? 0 : o.strides()[dim];
  return RunGather(call.def->name, a, index, dim, o.device());
}

absl::StatusOr<Tensor> Nonzero(const Tensor& self) {
  // The count decides the output's shape, so the host needs the mask anyway
  // (PyTorch's nonzero synchronises too): copy down, run the CPU kernel,
  // copy the [N, ndim] result up.
  Tensor host = Tensor::Empty(self.sizes(), self.dtype());
  TENSORD_RETURN_IF_ERROR(CopyCast(self, host));
  const Tensor found = cpu::Nonzero(host);
  Tensor out = Tensor::Empty(found.sizes(), DType::kInt64, self.device());
  if (found.numel() > 0) TENSORD_RETURN_IF_ERROR(CopyFromHost(out, found.raw_data(), found.nbytes()));
  return out;
}

}  // namespace tensord::engine::cuda
