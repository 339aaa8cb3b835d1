// The client core's side of the op contract (Note [Client-side meta]).
//
// Note [Client-side meta]
//   Shape(), Dim(), DType() of an op's output are needed by code surprisingly
//   often (nn::functional::Linear asks input.Dim(), a loss asks the target's
//   dtype), and asking the server costs a round trip (Describe) that also
//   ends pipelining. So RunOp runs the op metadata-only through the engine's
//   op contract (tensord_contract, Note [Metadata-only execution] in
//   engine/meta.h) -- the very definitions the server runs, so there is no
//   client copy of any shape rule -- whenever every tensor input's meta is
//   known. A user error the contract finds is thrown at the call site with
//   the server's code and message, and the command is not sent. What the
//   contract cannot decide (shapes that depend on values, autograd state, a
//   device the server has not described, an op newer than this client)
//   leaves the meta unknown and the first query asks the server; value-
//   dependent errors still surface at the next sync point. Strides and
//   offset are known when every input's are (creation, Describe, or
//   inference); otherwise inputs count as contiguous and only dtype, shape
//   and device are kept. tests/parity_test.cc compares the inferred metas of
//   every op-table row with the server's Describe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tensord/tensord.h"
#include "tensord/v1/tensord.pb.h"

namespace tensord::client {

// What the client knows about one tensor (HandleState's cache).
struct MetaCache {
  bool known = false;         // dtype, shape, device
  bool layout_known = false;  // strides and storage_offset too
  DType dtype = DType::kUndefined;
  std::vector<int64_t> shape;
  std::string device;
  std::vector<int64_t> strides;
  int64_t storage_offset = 0;
};

// One op input: a tensor (its cache; null when its meta is unknown), a
// Python-style number, or None.
struct MetaInput {
  enum Kind { kTensor, kScalar, kNone } kind = kNone;
  const MetaCache* meta = nullptr;
  Scalar scalar;
};

// The server's configuration as far as inference needs it (ServerInfo).
struct ServerFacts {
  bool loaded = false;  // false: devices other than cpu are left to the server
  int cuda_devices = 0;
  std::string cuda_status;
  int64_t max_tensor_elements = 0;
};

struct Inference {
  enum Outcome { kKnown, kUnknown, kError } outcome = kUnknown;
  std::vector<MetaCache> outputs;  // kKnown: the op's outputs, or input 0 of an in-place op
  int code = 0;                    // kError: gRPC status code and the server's message
  std::string message;
};

// Infers the outputs of `op` from its inputs and wire attributes (the
// command's attrs, already encoded as the server receives them).
Inference InferOp(std::string_view op, const std::vector<MetaInput>& inputs,
                  const google::protobuf::Map<std::string, v1::AttrValue>& attrs,
                  const ServerFacts& server);

// True for in-place ops that never change their input's meta (add_, ...,
// Note [In-place variants] in engine/ops/op_list.h), even when their outputs
// cannot be inferred.
bool InplaceKeepsMeta(std::string_view op);

// The server's name for a device string ("cuda" -> "cuda:0", "" -> "cpu"),
// or nullopt when only the server can say (or it would refuse it).
std::optional<std::string> CanonicalDevice(std::string_view device, const ServerFacts& server);

// Contiguous strides of a shape (in elements).
std::vector<int64_t> ContiguousStridesOf(const std::vector<int64_t>& shape);

}  // namespace tensord::client
