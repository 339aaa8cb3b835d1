// Tensor = refcounted storage + dtype + sizes + strides + offset (+ autograd
// metadata). Views share storage; see Note [Views and versions].
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/device.h"
#include "engine/dtype.h"
#include "engine/scalar.h"

namespace tensord::engine {

using Shape = absl::InlinedVector<int64_t, 6>;
using IntSpan = absl::Span<const int64_t>;

std::string ShapeToString(IntSpan shape);  // "[2, 3]"
// Product of sizes; caller must have checked for overflow (CheckedNumel).
int64_t Numel(IntSpan shape);
// Numel with validation: negative sizes or int64 overflow are INVALID_ARGUMENT.
absl::StatusOr<int64_t> CheckedNumel(absl::string_view op, IntSpan shape);
Shape ContiguousStrides(IntSpan shape);

// Note [Views and versions]
//   A Storage is a refcounted byte buffer on one device. Every tensor is a
//   window onto a storage (sizes, strides in elements, offset in elements).
//   View ops (view, transpose, expand, detach, ...) make a new TensorImpl over
//   the same Storage. The in-place version counter lives in the Storage, so a
//   tensor and all its views share it, as in PyTorch: autograd records the
//   version of every tensor it saves and refuses to use it if it changed.
class Storage {
 public:
  Storage(Device device, size_t nbytes);  // zero-initialised
  // A storage of `nbytes` without bytes (Note [Metadata-only execution], meta.h).
  struct MetaTag {};
  Storage(Device device, size_t nbytes, MetaTag);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }
  uint64_t id() const { return id_; }
  bool is_meta() const { return meta_; }
  uint64_t version() const { return version_.load(std::memory_order_relaxed); }
  void BumpVersion() { version_.fetch_add(1, std::memory_order_relaxed); }
  // Enlarges the buffer (resize_), keeping the bytes and zeroing the rest.
  // Every tensor on this storage sees the new buffer.
  void Grow(size_t nbytes);

 private:
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  Device device_;
  uint64_t id_;
  bool meta_ = false;
  std::atomic<uint64_t> version_{0};
};

class Node;
class TensorImpl;

// A value handle to a TensorImpl (cheap to copy; may be undefined).
class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // New contiguous tensor, zero-filled; a meta tensor inside a MetaScope.
  static Tensor Empty(IntSpan shape, DType dtype, Device device = kCPU);
  // A tensor of this geometry over a storage without bytes (engine/meta.h).
  static Tensor Meta(DType dtype, IntSpan sizes, IntSpan strides, int64_t storage_offset, Device device);
  // 0-dim tensor holding a Python number, flagged as a wrapped number for
  // type promotion (PyTorch's is_wrapped_number).
  static Tensor WrappedScalar(const Scalar& s);
  // Contiguous tensor copied from little-endian row-major bytes.
  static absl::StatusOr<Tensor> FromBytes(DType dtype, IntSpan shape, const void* data,
                                          size_t nbytes, Device device = kCPU);

  bool defined() const { return impl_ != nullptr; }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& shared_impl() const { return impl_; }

  DType dtype() const;
  Device device() const;
  IntSpan sizes() const;
  IntSpan strides() const;
  int64_t size(int64_t dim) const;  // dim may be negative; must be valid
  int64_t dim() const;
  int64_t numel() const;
  int64_t storage_offset() const;
  bool is_contiguous() const;
  bool is_wrapped_number() const;
  bool is_meta() const;  // no bytes: values cannot be read
  const std::shared_ptr<Storage>& storage() const;
  size_t nbytes() const { return static_cast<size_t>(numel()) * ItemSize(dtype()); }

  // Typed pointer to element [0,...,0] (storage data + offset): host memory
  // for CPU tensors, device memory for cuda ones (never dereferenced here).
  template <typename T>
  T* data() const { return static_cast<T*>(raw_data()); }
  void* raw_data() const;

  // Copies the elements out as contiguous little-endian bytes (appends).
  // Device tensors are copied to the host first; a device failure throws
  // EngineError (functional.h), as do the device paths of item().
  void AppendBytes(std::string* out) const;
  // First element converted to a Scalar of this dtype's kind (.item()).
  Scalar item() const;

  // Autograd state. See engine/autograd.h.
  bool requires_grad() const;
  bool is_leaf() const;
  Tensor grad() const;
  const std::shared_ptr<Node>& grad_fn() const;
  uint32_t output_nr() const;
  std::string grad_fn_name() const;  // "" if none
  uint64_t version() const;

 private:
  std::shared_ptr<TensorImpl> impl_;
};

// Autograd metadata of a tensor (absent for plain tensors).
struct AutogradMeta {
  bool requires_grad = false;
  Tensor grad;                        // accumulated .grad of a leaf
  std::shared_ptr<Node> grad_fn;      // null for leaves
  uint32_t output_nr = 0;             // which output of grad_fn this is
  std::weak_ptr<Node> grad_accumulator;  // leaves: the AccumulateGrad node
  // Differentiable views (Note [In-place on views], engine/autograd.h): the
  // root base a view op's output aliases, whether grad mode was off when the
  // view was made, and the storage version its grad_fn was last valid for.
  Tensor view_base;
  bool view_made_in_no_grad = false;
  uint64_t view_version = 0;
};

// A view whose storage changed since its grad_fn was set gets its grad_fn
// regenerated from its base (engine/autograd.cc).
void RefreshViewGradFn(const Tensor& view);

class TensorImpl {
 public:
  TensorImpl(std::shared_ptr<Storage> storage, DType dtype, Shape sizes, Shape strides,
             int64_t offset)
      : storage_(std::move(storage)), dtype_(dtype), sizes_(std::move(sizes)),
        strides_(std::move(strides)), offset_(offset) {}

  const std::shared_ptr<Storage>& storage() const { return storage_; }
  DType dtype() const { return dtype_; }
  const Shape& sizes() const { return sizes_; }
  const Shape& strides() const { return strides_; }
  int64_t offset() const { return offset_; }
  bool wrapped_number = false;
  bool is_view = false;  // made by a view op: shares another tensor's storage

  // Changes geometry in place (t_, resize_). The caller keeps it in bounds.
  void SetGeometry(Shape sizes, Shape strides, int64_t offset) {
    sizes_ = std::move(sizes);
    strides_ = std::move(strides);
    offset_ = offset;
  }

  AutogradMeta* autograd() const { return autograd_.get(); }
  AutogradMeta& mutable_autograd() {
    if (!autograd_) autograd_ = std::make_unique<AutogradMeta>();
    return *autograd_;
  }

 private:
  std::shared_ptr<Storage> storage_;
  DType dtype_;
  Shape sizes_;
  Shape strides_;
  int64_t offset_;
  std::unique_ptr<AutogradMeta> autograd_;
};

// A new tensor viewing `base`'s storage with other geometry (no autograd meta).
Tensor MakeView(const Tensor& base, Shape sizes, Shape strides, int64_t offset);

}  // namespace tensord::engine
