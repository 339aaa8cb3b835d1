// Metadata-only execution: an op's output dtypes, shapes, strides and
// devices, and its user errors, computed by the op's own definition without
// touching device memory. What a client links to know what the server will
// compute (DESIGN.md, Layout: the op contract).
//
// Note [Metadata-only execution]
//   A meta tensor has a storage without bytes that still names a device
//   ("cpu", "cuda:0"), as PyTorch's FakeTensor keeps a device over a meta
//   tensor. Inside a MetaScope every op runs through the one dispatch path
//   (CallOp): the same `prepare` rules, the same composites and views, the
//   same casts and expands, so the metas and the errors are the server's by
//   construction; only the kernels are skipped and new tensors get meta
//   storage. Wrapped Python numbers stay real host scalars (prepare rules read
//   them: `int ** -1`). What the contract cannot decide without values or
//   without the server is "unknown", never a guess and never an error:
//   ops whose output shape depends on values declare it in their OpDef
//   (values_decide_shape: nonzero, and boolean-mask indexing through it),
//   a "cuda" device when the caller does not pass the server's catalog, and
//   reading a meta tensor's values. Value-dependent errors (an index out of
//   range, integer division by zero) still come from the server. Grad mode is
//   off: meta tensors never require grad, so no graph is recorded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/backend.h"
#include "engine/op.h"
#include "engine/tensor.h"

namespace tensord::engine {

// What the server's configuration decides, as the caller knows it.
struct MetaOptions {
  std::optional<DeviceCatalog> devices;  // unset: a "cuda" device is unknown
  int64_t max_tensor_elements = 0;       // 0: no limit known (not checked)
};

// One output (or, for an in-place op, its input 0 after the call).
struct OutputMeta {
  DType dtype = DType::kFloat32;
  Shape sizes;
  Shape strides;  // in elements
  int64_t storage_offset = 0;
  Device device;
};

struct InferredMeta {
  bool known = false;
  std::string why_unknown;          // when !known, for logs and tests
  std::vector<OutputMeta> outputs;  // CallOp's outputs, or input 0 of an in-place op
};

// Runs op `name` metadata-only. `inputs` are meta tensors (Tensor::Meta),
// wrapped numbers (Tensor::WrappedScalar) or undefined (None), as for CallOp.
// User errors are the statuses CallOp would return on the server.
absl::StatusOr<InferredMeta> InferMeta(absl::string_view name, std::vector<Tensor> inputs, const AttrMap& attrs,
                                       const MetaOptions& options);

// True for in-place variants (Note [In-place variants], op_list.h): they
// never change their input's dtype, sizes or strides, whatever the values.
bool InplaceKeepsMeta(absl::string_view name);

// Metadata-only execution on this thread while alive (InferMeta opens one).
class MetaScope {
 public:
  explicit MetaScope(const MetaOptions& options);
  ~MetaScope();
  MetaScope(const MetaScope&) = delete;
  MetaScope& operator=(const MetaScope&) = delete;

 private:
  const MetaOptions* prev_;
};
// The options of the innermost MetaScope on this thread, or null.
const MetaOptions* CurrentMetaOptions();
inline bool MetaModeEnabled() { return CurrentMetaOptions() != nullptr; }

// "Cannot be decided without values or the server": InferMeta reports it as
// unknown, never as a user error.
absl::Status MetaUnknownError(absl::string_view op, absl::string_view why);
bool IsMetaUnknown(const absl::Status& status);

}  // namespace tensord::engine
