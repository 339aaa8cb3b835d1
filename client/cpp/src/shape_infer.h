// Client-side shape/dtype rules for common ops (Note [Client-side meta]).
//
// Note [Client-side meta]
//   Shape(), Dim(), DType() of an op's output are needed by code surprisingly
//   often (nn::functional::Linear asks input.Dim(), a loss asks the target's
//   dtype), and asking the server costs a round trip (Describe) that also
//   ends pipelining. So RunOp infers the output's dtype, shape and device
//   here when every tensor input's meta is known and the op's rule is simple
//   and unconditional (the Python client's _shapes.py does the same). An op
//   without a rule, or a rule that declines (mixed dtypes, shapes that do not
//   fit), leaves the meta unknown and the first query asks the server:
//   correct over clever. Rules never judge validity: a command that fails on
//   the server still fails at the next sync point. Rules mirror the engine's
//   (engine/ops/*.cc); tests/parity_test.cc compares inferred metas with the
//   server's Describe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tensord/tensord.h"

namespace tensord::client {

// What the client knows about one op input.
struct InputMeta {
  enum Kind { kTensor, kScalar, kNone } kind = kNone;
  bool known = false;  // tensors: meta cached
  DType dtype = DType::kUndefined;
  std::vector<int64_t> shape;
  std::string device;
  Scalar scalar;  // kScalar
};

struct OutputMeta {
  DType dtype = DType::kUndefined;
  std::vector<int64_t> shape;
  std::string device;
};

// The meta of the single output of `op`, or nullopt when not inferable.
std::optional<OutputMeta> InferMeta(std::string_view op, const std::vector<InputMeta>& inputs,
                                    const Attrs& attrs);

// True for "" (the server's default, cpu), "cpu" and "kind:index": device
// names the server reports unchanged ("cuda" alone becomes "cuda:0").
bool IsCanonicalDevice(std::string_view device);

// True for in-place ops that may change their input's shape (resize_, t_).
bool InplaceChangesShape(std::string_view op);

}  // namespace tensord::client
