#include "engine/tensor.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/autograd_internal.h"
#include "engine/backend.h"
#include "engine/functional.h"
#include "engine/layout.h"
#include "engine/meta.h"
#include "engine/status.h"

namespace tensord::engine {

std::string ShapeToString(IntSpan shape) { return absl::StrCat("[", absl::StrJoin(shape, ", "), "]"); }

int64_t Numel(IntSpan shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

absl::StatusOr<int64_t> CheckedNumel(absl::string_view op, IntSpan shape) {
  int64_t n = 1;
  for (int64_t s : shape) {
    if (s < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "[", op, "] Trying to create tensor with negative dimension ", s, ": ",
          ShapeToString(shape)));
    }
    if (s != 0 && n > INT64_MAX / s) {
      return absl::InvalidArgumentError(
          absl::StrCat("[", op, "] shape ", ShapeToString(shape), " has too many elements"));
    }
    n *= s;
  }
  // A zero-size dimension makes the product 0 even after an "overflowing" prefix.
  return n;
}

Shape ContiguousStrides(IntSpan shape) {
  Shape strides(shape.size());
  int64_t s = 1;
  for (int64_t i = static_cast<int64_t>(shape.size()) - 1; i >= 0; --i) {
    strides[i] = s;
    s *= std::max<int64_t>(shape[i], 1);
  }
  return strides;
}

// ---------------------------------------------------------------- layouts
// Note [Memory layouts] in layout.h.

bool IsNonOverlappingAndDense(IntSpan sizes, IntSpan strides) {
  const size_t n = sizes.size();
  if (n == 1) return sizes[0] < 2 || strides[0] == 1;
  std::vector<size_t> perm(n);
  for (size_t i = 0; i < n; ++i) perm[i] = i;
  std::sort(perm.begin(), perm.end(), [&](size_t a, size_t b) {
    if (sizes[a] < 2) return false;
    if (sizes[b] < 2) return true;
    return strides[a] < strides[b];
  });
  int64_t expected = 1;
  for (size_t d : perm) {
    if (sizes[d] < 2) return true;
    if (strides[d] != expected) return false;
    expected *= sizes[d];
  }
  return true;
}

namespace {

// Dims fastest-first, ordered by the operands' strides as TensorIterator's
// reorder_dimensions does (an insertion sort over ambiguous comparisons).
std::vector<size_t> StridePermutation(IntSpan sizes, const std::vector<Shape>& operand_strides) {
  const size_t n = sizes.size();
  std::vector<size_t> perm(n);
  for (size_t i = 0; i < n; ++i) perm[i] = n - 1 - i;
  // 1: dim0 goes after dim1; -1: before; 0: ambiguous.
  auto should_swap = [&](size_t dim0, size_t dim1) {
    for (const Shape& st : operand_strides) {
      const int64_t s0 = st[dim0], s1 = st[dim1];
      if (s0 == 0 || s1 == 0) continue;
      if (s0 < s1) return -1;
      if (s0 > s1) return 1;
      if (sizes[dim0] > sizes[dim1]) return 1;
    }
    return 0;
  };
  for (size_t i = 1; i < n; ++i) {
    size_t dim1 = i;
    for (size_t k = i; k-- > 0;) {
      const int c = should_swap(perm[k], perm[dim1]);
      if (c > 0) {
        std::swap(perm[k], perm[dim1]);
        dim1 = k;
      } else if (c < 0) {
        break;
      }
    }
  }
  return perm;
}

}  // namespace

Shape PreservedStrides(IntSpan sizes, IntSpan strides) {
  if (IsNonOverlappingAndDense(sizes, strides)) return Shape(strides.begin(), strides.end());
  // PyTorch's infer_dense_strides: size-0/1 dims do not scale later strides.
  const std::vector<size_t> perm = StridePermutation(sizes, {Shape(strides.begin(), strides.end())});
  Shape out(sizes.size());
  int64_t next = 1;
  for (size_t d : perm) {
    out[d] = next;
    if (sizes[d] > 1) next *= sizes[d];
  }
  return out;
}

Shape ElementwiseStrides(IntSpan sizes, const std::vector<Shape>& operand_strides, bool same_shapes) {
  if (operand_strides.empty() || sizes.empty()) return {};
  // Fast setup: every operand contiguous, or all dense with one layout.
  bool contiguous = true, dense = true, same = true;
  for (const Shape& st : operand_strides) {
    bool c = true;
    int64_t expected = 1;
    for (size_t d = sizes.size(); d-- > 0;) {
      if (sizes[d] == 0) break;
      if (sizes[d] != 1 && st[d] != expected) c = false;
      expected *= sizes[d];
    }
    contiguous = contiguous && c;
    dense = dense && IsNonOverlappingAndDense(sizes, st);
    same = same && st == operand_strides.back();
  }
  if (same_shapes && contiguous) return {};
  if (same_shapes && dense && same) return operand_strides.back();
  // TensorIterator: dense in the operands' dim order, every dim scaling.
  const std::vector<size_t> perm = StridePermutation(sizes, operand_strides);
  bool inverted = true;  // the row-major order: a contiguous result
  for (size_t i = 0; i < perm.size(); ++i) inverted = inverted && perm[i] == perm.size() - 1 - i;
  if (inverted) return {};
  Shape out(sizes.size());
  int64_t next = 1;
  for (size_t d : perm) {
    out[d] = next;
    next *= sizes[d];
  }
  return out;
}

namespace {
std::atomic<uint64_t> next_storage_id{1};
constexpr size_t kAlignment = 64;
}  // namespace

namespace {

// Device memory from the device's backend (Note [Backend registration]);
// the cuda backend charges it to the current context's account and zeroes it
// on its stream (Note [Streams and sessions]).
const Backend& DeviceBackend(Device device) { return *ValueOrThrow(BackendFor(device.type)); }

void* HostAlloc(size_t nbytes) {
  size_t padded = (std::max<size_t>(nbytes, 1) + kAlignment - 1) / kAlignment * kAlignment;
  void* p = std::aligned_alloc(kAlignment, padded);
  if (p == nullptr) throw std::bad_alloc();
  std::memset(p, 0, padded);
  return p;
}

// A new contiguous tensor with bytes, whatever the scope.
Tensor Allocate(IntSpan shape, DType dtype, Device device) {
  auto storage = std::make_shared<Storage>(device, static_cast<size_t>(Numel(shape)) * ItemSize(dtype));
  return Tensor(std::make_shared<TensorImpl>(std::move(storage), dtype, Shape(shape.begin(), shape.end()),
                                             ContiguousStrides(shape), 0));
}

// Host bytes of a meta tensor are not there to read.
void ThrowIfMeta(const Tensor& t, absl::string_view what) {
  if (t.is_meta()) throw EngineError(MetaUnknownError(what, "the values of a meta tensor"));
}

}  // namespace

Storage::Storage(Device device, size_t nbytes)
    : nbytes_(nbytes), device_(device), id_(next_storage_id.fetch_add(1)) {
  // Zero-filled: freshly allocated memory must never show another session's data.
  data_ = device.type == DeviceType::kCPU ? HostAlloc(nbytes) : DeviceBackend(device).allocate(device, nbytes);
}

Storage::Storage(Device device, size_t nbytes, MetaTag)
    : nbytes_(nbytes), device_(device), id_(next_storage_id.fetch_add(1)), meta_(true) {}

Storage::~Storage() {
  if (meta_) return;
  if (device_.type == DeviceType::kCPU) std::free(data_);
  else DeviceBackend(device_).deallocate(device_, data_);
}

void Storage::Grow(size_t nbytes) {
  if (nbytes <= nbytes_) return;
  if (meta_) {
    nbytes_ = nbytes;
    return;
  }
  void* fresh;
  if (device_.type == DeviceType::kCPU) {
    fresh = HostAlloc(nbytes);
    if (nbytes_ > 0) std::memcpy(fresh, data_, nbytes_);
    std::free(data_);
  } else {
    const Backend& backend = DeviceBackend(device_);
    fresh = backend.allocate(device_, nbytes);
    if (absl::Status s = backend.copy_on_device(device_, fresh, data_, nbytes_); !s.ok()) {
      backend.deallocate(device_, fresh);
      throw EngineError(s);
    }
    backend.deallocate(device_, data_);
  }
  data_ = fresh;
  nbytes_ = nbytes;
}

Tensor Tensor::Empty(IntSpan shape, DType dtype, Device device) {
  if (MetaModeEnabled()) return Meta(dtype, shape, ContiguousStrides(shape), 0, device);
  return Allocate(shape, dtype, device);
}

Tensor Tensor::Meta(DType dtype, IntSpan sizes, IntSpan strides, int64_t storage_offset, Device device) {
  // The bytes the geometry spans (none when a size is 0), for resize_ and accounting.
  int64_t extent = 1;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] == 0) extent = 0;
  }
  if (extent != 0) {
    for (size_t i = 0; i < sizes.size(); ++i) extent += (sizes[i] - 1) * std::abs(strides[i]);
  }
  auto storage = std::make_shared<Storage>(
      device, static_cast<size_t>(storage_offset + extent) * ItemSize(dtype), Storage::MetaTag{});
  return Tensor(std::make_shared<TensorImpl>(std::move(storage), dtype, Shape(sizes.begin(), sizes.end()),
                                             Shape(strides.begin(), strides.end()), storage_offset));
}

Tensor EmptyStrided(IntSpan shape, IntSpan strides, DType dtype, Device device) {
  if (strides.empty()) return Tensor::Empty(shape, dtype, device);
  if (MetaModeEnabled()) return Tensor::Meta(dtype, shape, strides, 0, device);  // Note [Metadata-only execution]
  auto storage = std::make_shared<Storage>(device, static_cast<size_t>(Numel(shape)) * ItemSize(dtype));
  return Tensor(std::make_shared<TensorImpl>(std::move(storage), dtype, Shape(shape.begin(), shape.end()),
                                             Shape(strides.begin(), strides.end()), 0));
}

Tensor Tensor::WrappedScalar(const Scalar& s) {
  Tensor t = Allocate({}, s.dtype(), kCPU);
  DispatchAll(t.dtype(), [&]<typename T>() { *t.data<T>() = s.to<T>(); });
  t.impl()->wrapped_number = true;
  return t;
}

absl::StatusOr<Tensor> Tensor::FromBytes(DType dtype, IntSpan shape, const void* data, size_t nbytes,
                                         Device device) {
  TENSORD_ASSIGN_OR_RETURN(int64_t numel, CheckedNumel("tensor", shape));
  if (numel > INT64_MAX / 8 || static_cast<size_t>(numel) * ItemSize(dtype) != nbytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "[tensor] data has ", nbytes, " bytes but shape ", ShapeToString(shape), " of ",
        DTypeName(dtype), " needs ", numel * ItemSize(dtype)));
  }
  if (device != kCPU) {
    Tensor host = Allocate(shape, dtype, kCPU);
    if (nbytes > 0) std::memcpy(host.raw_data(), data, nbytes);
    if (dtype == DType::kBool) {
      auto* p = host.data<uint8_t>();
      for (int64_t i = 0; i < numel; ++i) p[i] = p[i] != 0;
    }
    try {
      Tensor t = Allocate(shape, dtype, device);
      TENSORD_RETURN_IF_ERROR(DeviceBackend(device).from_host(t, host.raw_data(), nbytes));
      return t;
    } catch (const EngineError& e) {
      return e.status();
    }
  }
  Tensor t = Allocate(shape, dtype, device);
  if (nbytes > 0) std::memcpy(t.raw_data(), data, nbytes);
  if (dtype == DType::kBool) {  // normalise: any nonzero byte is true
    auto* p = t.data<uint8_t>();
    for (int64_t i = 0; i < numel; ++i) p[i] = p[i] != 0;
  }
  return t;
}

DType Tensor::dtype() const { return impl_->dtype(); }
Device Tensor::device() const { return impl_->storage()->device(); }
IntSpan Tensor::sizes() const { return impl_->sizes(); }
IntSpan Tensor::strides() const { return impl_->strides(); }
int64_t Tensor::size(int64_t d) const { return impl_->sizes()[d < 0 ? d + dim() : d]; }
int64_t Tensor::dim() const { return static_cast<int64_t>(impl_->sizes().size()); }
int64_t Tensor::numel() const { return Numel(impl_->sizes()); }
int64_t Tensor::storage_offset() const { return impl_->offset(); }
bool Tensor::is_wrapped_number() const { return impl_->wrapped_number; }
bool Tensor::is_meta() const { return impl_->storage()->is_meta(); }
const std::shared_ptr<Storage>& Tensor::storage() const { return impl_->storage(); }
uint64_t Tensor::version() const { return impl_->storage()->version(); }

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (int64_t i = dim() - 1; i >= 0; --i) {
    int64_t s = impl_->sizes()[i];
    if (s == 0) return true;
    if (s != 1 && impl_->strides()[i] != expected) return false;
    expected *= s;
  }
  return true;
}

void* Tensor::raw_data() const {
  return static_cast<char*>(impl_->storage()->data()) + impl_->offset() * ItemSize(dtype());
}

void Tensor::AppendBytes(std::string* out) const {
  size_t old = out->size();
  out->resize(old + nbytes());
  if (nbytes() == 0) return;
  ThrowIfMeta(*this, "fetch");
  if (device().type == DeviceType::kCPU && is_contiguous()) {
    std::memcpy(out->data() + old, raw_data(), nbytes());
  } else {
    ThrowIfError(DeviceBackend(device()).to_host_contiguous(*this, out->data() + old));
  }
}

Scalar Tensor::item() const {
  ThrowIfMeta(*this, "item");
  return DispatchAll(dtype(), [&]<typename T>() -> Scalar {
    T v;
    if (device().type == DeviceType::kCUDA) {
      const Tensor one = MakeView(*this, {}, {}, storage_offset());
      ThrowIfError(DeviceBackend(device()).to_host_contiguous(one, &v));
    } else {
      v = *data<T>();
    }
    if constexpr (std::is_same_v<T, bool>) return Scalar(v);
    else if constexpr (std::is_integral_v<T>) return Scalar(static_cast<int64_t>(v));
    else return Scalar(static_cast<double>(v));
  });
}

bool Tensor::requires_grad() const {
  const AutogradMeta* m = impl_->autograd();
  return m != nullptr && (m->requires_grad || grad_fn() != nullptr ||
                          (m->view_base.defined() && m->view_base.requires_grad()));
}
bool Tensor::is_leaf() const {
  const AutogradMeta* m = impl_->autograd();
  return m == nullptr || grad_fn() == nullptr;
}
Tensor Tensor::grad() const {
  const AutogradMeta* m = impl_->autograd();
  return m ? m->grad : Tensor();
}
const std::shared_ptr<Node>& Tensor::grad_fn() const {
  static const std::shared_ptr<Node> kNone;
  const AutogradMeta* m = impl_->autograd();
  if (m == nullptr) return kNone;
  if (m->view_base.defined() && m->view_version != storage()->version()) RefreshViewGradFn(*this);
  return m->grad_fn;
}
uint32_t Tensor::output_nr() const {
  const AutogradMeta* m = impl_->autograd();
  return m ? m->output_nr : 0;
}
std::string Tensor::grad_fn_name() const {
  const auto& fn = grad_fn();
  return fn ? std::string(fn->name()) : std::string();
}

Tensor MakeView(const Tensor& base, Shape sizes, Shape strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>(base.storage(), base.dtype(), std::move(sizes), std::move(strides), offset);
  impl->is_view = true;
  return Tensor(std::move(impl));
}

}  // namespace tensord::engine
