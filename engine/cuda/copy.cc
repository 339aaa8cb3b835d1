// Host side of kernels/copy.cu: operand walks, fills, copies across dtypes
// and devices, cat.
#include <algorithm>
#include <cstring>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "engine/autograd.h"
#include "engine/cpu/kernels.h"
#include "engine/cuda/context.h"
#include "engine/cuda/kernels.h"
#include "engine/cuda/runtime.h"
#include "engine/functional.h"
#include "engine/status.h"

namespace tensord::engine::cuda {

static_assert(static_cast<int>(DType::kBool) == kBool && static_cast<int>(DType::kUInt8) == kUInt8 &&
              static_cast<int>(DType::kInt8) == kInt8 && static_cast<int>(DType::kInt16) == kInt16 &&
              static_cast<int>(DType::kInt32) == kInt32 && static_cast<int>(DType::kInt64) == kInt64 &&
              static_cast<int>(DType::kFloat16) == kFloat16 && static_cast<int>(DType::kBFloat16) == kBFloat16 &&
              static_cast<int>(DType::kFloat32) == kFloat32 && static_cast<int>(DType::kFloat64) == kFloat64 &&
              kNumKDTypes == kNumDTypes,
              "kernel dtype codes must equal engine::DType values");

absl::StatusOr<StreamId> StreamOf(const Tensor& t) { return CurrentStream(t.device().index); }

absl::StatusOr<Iter> MakeIter(IntSpan shape, absl::Span<const Tensor> operands) {
  Iter it;
  it.nops = static_cast<int>(operands.size());
  it.numel = Numel(shape);
  const int64_t nd = static_cast<int64_t>(shape.size());
  // Element strides of each operand, right-aligned to `shape`.
  std::vector<Shape> strides(operands.size(), Shape(nd, 0));
  for (size_t k = 0; k < operands.size(); ++k) {
    const Tensor& t = operands[k];
    Operand& o = it.op[k];
    o.dtype = static_cast<int8_t>(t.dtype());
    if (t.device().type == DeviceType::kCPU) {
      for (int64_t s : t.strides()) {
        if (s != 0 && t.numel() > 1) {
          return absl::InvalidArgumentError(absl::StrCat(
              "Expected all tensors to be on the same device, but found at least two devices, cpu and cuda"));
        }
      }
      const Scalar v = t.item();
      if (IsFloating(t.dtype())) o.scalar_f = v.to_double();
      else o.scalar_i = v.to_int();
      continue;
    }
    o.data = static_cast<char*>(t.raw_data());
    const int64_t off = nd - t.dim();
    for (int64_t d = 0; d < t.dim(); ++d) strides[k][off + d] = t.size(d) == 1 ? 0 : t.strides()[d];
  }
  // Keep dims of size != 1, outermost first by the output's strides, then
  // merge neighbours every array operand walks as one.
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < nd; ++d) {
    if (shape[d] != 1) dims.push_back(d);
  }
  std::stable_sort(dims.begin(), dims.end(), [&](int64_t a, int64_t b) {
    for (size_t k = 0; k < operands.size(); ++k) {
      if (it.op[k].data == nullptr) continue;
      const int64_t sa = strides[k][a], sb = strides[k][b];
      if (sa == 0 || sb == 0 || sa == sb) continue;
      return sa > sb;
    }
    return a < b;
  });
  std::vector<int64_t> sizes;
  std::vector<Shape> merged(operands.size());
  for (int64_t d : dims) {
    bool merge = !sizes.empty();
    for (size_t k = 0; merge && k < operands.size(); ++k) {
      if (it.op[k].data != nullptr && merged[k].back() != strides[k][d] * shape[d]) merge = false;
    }
    if (merge) {
      sizes.back() *= shape[d];
      for (size_t k = 0; k < operands.size(); ++k) merged[k].back() = strides[k][d];
    } else {
      sizes.push_back(shape[d]);
      for (size_t k = 0; k < operands.size(); ++k) merged[k].push_back(strides[k][d]);
    }
  }
  if (sizes.size() > static_cast<size_t>(kMaxDims)) {
    return absl::UnimplementedError(absl::StrCat("tensors whose strides leave more than ", kMaxDims,
                                                 " dimensions after merging are not supported on cuda"));
  }
  it.ndim = static_cast<int>(sizes.size());
  it.contiguous = true;
  for (int d = 0; d < it.ndim; ++d) it.sizes[d] = sizes[d];
  for (size_t k = 0; k < operands.size(); ++k) {
    for (int d = 0; d < it.ndim; ++d) it.op[k].strides[d] = merged[k][d];
    if (it.op[k].data != nullptr && !(it.ndim == 0 || (it.ndim == 1 && merged[k][0] == 1))) it.contiguous = false;
  }
  return it;
}

namespace {

absl::Status FillValue(const Tensor& out, const Scalar& value) {
  if (out.numel() == 0) return absl::OkStatus();
  TENSORD_ASSIGN_OR_RETURN(StreamId stream, StreamOf(out));
  FillArgs a;
  a.dst = out.raw_data();
  a.n = out.numel();
  a.itemsize = ItemSize(out.dtype());
  DispatchAll(out.dtype(), [&]<typename T>() {
    const T v = value.to<T>();
    std::memcpy(&a.pattern, &v, sizeof(T));
  });
  return Launch(&Launchers::Fill, a, stream, "fill");
}

// Device -> device copy with cast (same device).
absl::Status CopyOnDevice(const Tensor& src, const Tensor& dst) {
  if (dst.numel() == 0) return absl::OkStatus();
  TENSORD_ASSIGN_OR_RETURN(StreamId stream, StreamOf(dst));
  if (src.dtype() == dst.dtype() && src.is_contiguous() && dst.is_contiguous()) {
    return Get().CopyOnDevice(dst.device().index, dst.raw_data(), src.raw_data(), dst.nbytes(), stream);
  }
  CopyArgs a;
  TENSORD_ASSIGN_OR_RETURN(a.it, MakeIter(dst.sizes(), {dst, src}));
  if (a.it.op[1].data == nullptr) {  // a CPU scalar broadcast into dst
    Scalar v = src.item();
    return FillValue(dst, v);
  }
  return Launch(&Launchers::Copy, a, stream, "copy");
}

}  // namespace

absl::Status CopyToHostContiguous(const Tensor& src, void* dst) {
  if (src.numel() == 0) return absl::OkStatus();
  Tensor dense = src;
  if (!src.is_contiguous()) {
    dense = Tensor::Empty(src.sizes(), src.dtype(), src.device());
    TENSORD_RETURN_IF_ERROR(CopyOnDevice(src, dense));
  }
  TENSORD_ASSIGN_OR_RETURN(StreamId stream, StreamOf(src));
  return Get().CopyToHost(src.device().index, dst, dense.raw_data(), dense.nbytes(), stream);
}

absl::Status CopyFromHost(const Tensor& dst, const void* src, size_t nbytes) {
  TENSORD_ASSIGN_OR_RETURN(StreamId stream, StreamOf(dst));
  return Get().CopyToDevice(dst.device().index, dst.raw_data(), src, nbytes, stream);
}

absl::Status CopyCast(const Tensor& src, const Tensor& dst) {
  const Device sd = src.device(), dd = dst.device();
  if (sd == dd && dd.type == DeviceType::kCUDA) return CopyOnDevice(src, dst);
  if (dst.numel() == 0) return absl::OkStatus();
  if (dd.type == DeviceType::kCUDA && sd.type == DeviceType::kCPU) {
    // Cast on the host, upload contiguous, then place into dst's layout.
    Tensor host = Tensor::Empty(dst.sizes(), dst.dtype());
    cpu::CopyCast(src, host);
    if (dst.is_contiguous()) return CopyFromHost(dst, host.raw_data(), host.nbytes());
    Tensor staged = Tensor::Empty(dst.sizes(), dst.dtype(), dd);
    TENSORD_RETURN_IF_ERROR(CopyFromHost(staged, host.raw_data(), host.nbytes()));
    return CopyOnDevice(staged, dst);
  }
  if (dd.type == DeviceType::kCPU && sd.type == DeviceType::kCUDA) {
    Tensor host = Tensor::Empty(src.sizes(), src.dtype());
    TENSORD_RETURN_IF_ERROR(CopyToHostContiguous(src, host.raw_data()));
    cpu::CopyCast(host, dst);
    return absl::OkStatus();
  }
  // cuda:i -> cuda:j: through the host (no peer access assumed).
  Tensor host = Tensor::Empty(src.sizes(), src.dtype());
  TENSORD_RETURN_IF_ERROR(CopyToHostContiguous(src, host.raw_data()));
  return CopyCast(host, dst);
}

absl::Status AddInPlace(const Tensor& dst, const Tensor& src) {
  GradModeGuard no_grad(false);
  TENSORD_ASSIGN_OR_RETURN(std::vector<Tensor> sum, Invoke(GetOp(OpId::kAdd), {dst, src}, {}));
  return CopyCast(sum[0], dst);
}

absl::Status FullKernel(const OpCall& call, std::vector<Tensor>& out) { return FillValue(out[0], call.GetScalar(1)); }
absl::Status FillKernel(const OpCall& call, std::vector<Tensor>& out) { return FillValue(out[0], call.GetScalar(0)); }

absl::Status ArangeKernel(const OpCall& call, std::vector<Tensor>& out) {
  TENSORD_ASSIGN_OR_RETURN(StreamId stream, StreamOf(out[0]));
  ArangeArgs a;
  a.out = out[0].raw_data();
  a.dtype = static_cast<int8_t>(out[0].dtype());
  a.n = out[0].numel();
  const Scalar& start = call.GetScalar(0);
  const Scalar& step = call.GetScalar(2);
  if (IsFloating(out[0].dtype())) {
    a.start_f = start.to_double();
    a.step_f = step.to_double();
  } else {
    a.start_i = start.to_int();
    a.step_i = step.to_int();
  }
  return Launch(&Launchers::Arange, a, stream, "arange");
}

absl::Status CopyKernel(const OpCall& call, std::vector<Tensor>& out) { return CopyCast(call.in(0), out[0]); }

absl::Status CatKernel(const OpCall& call, std::vector<Tensor>& outputs) { return CatInto(call, outputs[0]); }

}  // namespace tensord::engine::cuda
