// Conversions between tensord.v1 messages and engine values.
#pragma once


#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "engine/graph.h"
#include "engine/op.h"
#include "engine/scalar.h"
#include "engine/tensor.h"
#include "tensord/v1/tensord.pb.h"

namespace tensord::server {

// Wire dtypes are the engine's plus one (0 is DTYPE_UNSPECIFIED).
// INVALID_ARGUMENT "[op] ..." for unspecified or out-of-range values.
absl::StatusOr<engine::DType> ToEngineDType(absl::string_view op, v1::DType dtype);
v1::DType ToProtoDType(engine::DType dtype);

// INVALID_ARGUMENT for a Scalar with no value set.
absl::StatusOr<engine::Scalar> ToEngineScalar(absl::string_view op, const v1::Scalar& s);

// Attributes sorted by name (proto maps have no order).
absl::StatusOr<engine::AttrMap> ToEngineAttrs(
    absl::string_view op, const google::protobuf::Map<std::string, v1::AttrValue>& attrs);

v1::OpSchema ToProtoSchema(const engine::OpSchema& schema);

// Describe's view of a tensor.
v1::TensorInfo ToTensorInfo(uint64_t handle, const engine::Tensor& t);

// The tensor's contiguous little-endian payload with its dtype and shape.
v1::TensorData ToTensorData(const engine::Tensor& t);

// The graph of the `roots` bound to `handles` (GraphCommand). `leaves` maps
// the TensorImpl of each leaf to recognise to its handle.
v1::AutogradGraph ToProtoGraph(const engine::GraphInfo& graph, absl::Span<const uint64_t> handles,
                               absl::Span<const engine::Tensor> roots,
                               const absl::flat_hash_map<const engine::TensorImpl*, uint64_t>& leaves);

}  // namespace tensord::server
