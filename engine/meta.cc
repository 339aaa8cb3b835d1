// Metadata-only execution (Note [Metadata-only execution], meta.h).
#include "engine/meta.h"

#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "engine/ops/op_def.h"

namespace tensord::engine {

namespace {

thread_local const MetaOptions* current_meta = nullptr;
constexpr absl::string_view kMetaUnknownPayload = "tensord.engine/meta-unknown";

}  // namespace

MetaScope::MetaScope(const MetaOptions& options) : prev_(current_meta) { current_meta = &options; }
MetaScope::~MetaScope() { current_meta = prev_; }
const MetaOptions* CurrentMetaOptions() { return current_meta; }

absl::Status MetaUnknownError(absl::string_view op, absl::string_view why) {
  absl::Status s = absl::UnavailableError(absl::StrCat("[", op, "] not known without the server: ", why));
  s.SetPayload(kMetaUnknownPayload, absl::Cord("1"));
  return s;
}

bool IsMetaUnknown(const absl::Status& status) { return status.GetPayload(kMetaUnknownPayload).has_value(); }

bool InplaceKeepsMeta(absl::string_view name) {
  const OpDef* def = FindOp(name);
  return def != nullptr && def->inplace_of != nullptr;
}

absl::StatusOr<InferredMeta> InferMeta(absl::string_view name, std::vector<Tensor> inputs, const AttrMap& attrs,
                                       const MetaOptions& options) {
  MetaScope scope(options);
  const Tensor self = inputs.empty() ? Tensor() : inputs[0];
  CallOptions call_options;
  call_options.grad_enabled = false;  // meta tensors never require grad
  absl::StatusOr<std::vector<Tensor>> out = CallOp(name, std::move(inputs), attrs, call_options);
  InferredMeta result;
  if (!out.ok()) {
    // What the caller cannot decide: values, the server's devices, autograd
    // state (FAILED_PRECONDITION: "tensor has no .grad"), or an op this
    // contract does not know (a newer server).
    const absl::StatusCode code = out.status().code();
    if (!IsMetaUnknown(out.status()) && code != absl::StatusCode::kFailedPrecondition &&
        code != absl::StatusCode::kNotFound) {
      return out.status();
    }
    result.why_unknown = std::string(out.status().message());
    return result;
  }
  std::vector<Tensor> tensors = *std::move(out);
  if (tensors.empty() && FindOp(name)->inplace && self.defined()) tensors.push_back(self);
  for (const Tensor& t : tensors) {
    if (!t.defined()) {
      result.why_unknown = absl::StrCat("[", name, "] returns a tensor only the server has (or None)");
      result.outputs.clear();
      return result;
    }
    result.outputs.push_back({t.dtype(), Shape(t.sizes().begin(), t.sizes().end()),
                              Shape(t.strides().begin(), t.strides().end()), t.storage_offset(), t.device()});
  }
  result.known = true;
  return result;
}

}  // namespace tensord::engine
