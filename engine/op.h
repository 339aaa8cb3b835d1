// The op registry's public face: op schemas, attributes, and CallOp.
//
// Every op is declared once (engine/ops/op_list.h names them; each op's
// definition lives in engine/ops/*.cc). Everything that enumerates ops —
// ids, kernel tables, ListOps, the test table — derives from that list.
#pragma once

#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/tensor.h"

namespace tensord::engine {

class Generator;

enum class AttrType : int8_t { kBool, kInt, kFloat, kStr, kInts, kDType, kScalar };
absl::string_view AttrTypeName(AttrType t);  // "bool", "int", "float", "str", "ints", "dtype", "scalar"

// std::monostate is Python's None.
using AttrValue = std::variant<std::monostate, bool, int64_t, double, std::string,
                               std::vector<int64_t>, DType, Scalar>;
// Attributes as sent by a caller: name -> value; unnamed ones take defaults.
using AttrMap = std::vector<std::pair<std::string, AttrValue>>;

struct InputSpec {
  absl::string_view name;
  bool optional = false;  // may be an undefined Tensor (None)
  bool variadic = false;  // last input only: takes one or more tensors (cat)
};

struct AttrSpec {
  absl::string_view name;
  AttrType type;
  AttrValue default_value;  // used when the caller omits it
  bool required = false;    // no default: the caller must pass it
  bool nullable = false;    // None is a legal value
};

struct OpDef;  // engine/ops/op_def.h

// Introspection view of one op (ListOps).
struct OpSchema {
  absl::string_view name;
  absl::Span<const InputSpec> inputs;
  absl::Span<const AttrSpec> attrs;
  int num_outputs;
  bool differentiable;
  bool inplace;
  absl::string_view doc;
};

// All ops, in op-list order.
const std::vector<OpSchema>& ListOps();
std::string AttrValueRepr(const AttrValue& v);  // Python syntax: "None", "True", "[0, 1]"

// How an op call runs: the session's generator and grad mode.
struct CallOptions {
  Generator* generator = nullptr;  // required by random ops
  bool grad_enabled = true;        // false under torch.no_grad()
};

// Largest tensor (in elements) an op may allocate; larger outputs fail with
// RESOURCE_EXHAUSTED before any memory is touched. Process-wide setting.
void SetMaxTensorElements(int64_t n);
int64_t MaxTensorElements();

// Runs op `name`. `inputs` follow the op's declared inputs (undefined Tensor =
// None; use Tensor::WrappedScalar for Python numbers). Validation errors are
// INVALID_ARGUMENT with "[name] ..." messages; unknown ops are NOT_FOUND.
// In-place ops return an empty vector. Never aborts on bad input.
absl::StatusOr<std::vector<Tensor>> CallOp(absl::string_view name, std::vector<Tensor> inputs,
                                           const AttrMap& attrs, const CallOptions& options);

}  // namespace tensord::engine
