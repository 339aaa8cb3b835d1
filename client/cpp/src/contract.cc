// The client core's side of the op contract (Note [Client-side meta]).
#include "contract.h"

#include <utility>

#include "engine/meta.h"
#include "engine/tensor.h"
#include "server/convert.h"

namespace tensord::client {

namespace {

engine::MetaOptions OptionsOf(const ServerFacts& server) {
  engine::MetaOptions options;
  if (server.loaded) options.devices = engine::DeviceCatalog{server.cuda_devices, server.cuda_status};
  options.max_tensor_elements = server.max_tensor_elements;
  return options;
}

absl::string_view Absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

engine::Scalar ToEngine(const Scalar& s) {
  return std::visit([](auto v) { return engine::Scalar(v); }, s.value());
}

}  // namespace

std::vector<int64_t> ContiguousStridesOf(const std::vector<int64_t>& shape) {
  engine::Shape s = engine::ContiguousStrides(shape);
  return {s.begin(), s.end()};
}

bool InplaceKeepsMeta(std::string_view op) { return engine::InplaceKeepsMeta(Absl(op)); }

std::optional<std::string> CanonicalDevice(std::string_view device, const ServerFacts& server) {
  if (device.empty() || device == "cpu") return "cpu";
  const engine::MetaOptions options = OptionsOf(server);
  engine::MetaScope scope(options);
  absl::StatusOr<engine::Device> d = engine::Device::Parse(Absl(device));
  if (!d.ok()) return std::nullopt;
  return d->ToString();
}

Inference InferOp(std::string_view op, const std::vector<MetaInput>& inputs,
                  const google::protobuf::Map<std::string, v1::AttrValue>& wire_attrs,
                  const ServerFacts& server) {
  Inference result;
  // The attributes exactly as the server decodes them.
  absl::StatusOr<engine::AttrMap> attrs = server::ToEngineAttrs(Absl(op), wire_attrs);
  if (!attrs.ok()) return result;  // the server will say what is wrong
  const engine::MetaOptions options = OptionsOf(server);
  std::vector<engine::Tensor> tensors;
  tensors.reserve(inputs.size());
  bool layout_known = true;
  {
    engine::MetaScope scope(options);  // a device the server has not described stays unknown
    for (const MetaInput& in : inputs) {
      if (in.kind == MetaInput::kNone) {
        tensors.emplace_back();
      } else if (in.kind == MetaInput::kScalar) {
        tensors.push_back(engine::Tensor::WrappedScalar(ToEngine(in.scalar)));
      } else {
        const MetaCache* m = in.meta;
        if (m == nullptr || !m->known) return result;
        absl::StatusOr<engine::DType> dtype = server::ToEngineDType(Absl(op), static_cast<v1::DType>(m->dtype));
        absl::StatusOr<engine::Device> device = engine::Device::Parse(m->device);
        if (!dtype.ok() || !device.ok()) return result;
        layout_known = layout_known && m->layout_known;
        const std::vector<int64_t> strides = m->layout_known ? m->strides : ContiguousStridesOf(m->shape);
        tensors.push_back(engine::Tensor::Meta(*dtype, m->shape, strides,
                                               m->layout_known ? m->storage_offset : 0, *device));
      }
    }
  }
  absl::StatusOr<engine::InferredMeta> inferred = absl::UnknownError("");
  try {
    inferred = engine::InferMeta(Absl(op), std::move(tensors), *attrs, options);
  } catch (const std::exception&) {
    return result;  // a contract bug must not break the call: the server answers
  }
  if (!inferred.ok()) {
    result.outcome = Inference::kError;
    result.code = static_cast<int>(inferred.status().code());
    result.message = std::string(inferred.status().message());
    return result;
  }
  if (!inferred->known) return result;
  for (const engine::OutputMeta& o : inferred->outputs) {
    MetaCache m;
    m.known = true;
    m.layout_known = layout_known;
    m.dtype = static_cast<DType>(server::ToProtoDType(o.dtype));
    m.shape.assign(o.sizes.begin(), o.sizes.end());
    m.device = o.device.ToString();
    if (layout_known) {
      m.strides.assign(o.strides.begin(), o.strides.end());
      m.storage_offset = o.storage_offset;
    }
    result.outputs.push_back(std::move(m));
  }
  result.outcome = Inference::kKnown;
  return result;
}

}  // namespace tensord::client
