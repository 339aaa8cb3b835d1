// Building blocks shared by the op definition files.
#pragma once

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/functional.h"
#include "engine/ops/op_def.h"
#include "engine/status.h"

namespace tensord::engine::ops {

inline AttrSpec Required(absl::string_view name, AttrType type) { return {name, type, std::monostate{}, true, false}; }
inline AttrSpec Optional(absl::string_view name, AttrType type) { return {name, type, std::monostate{}, false, true}; }
inline AttrSpec WithDefault(absl::string_view name, AttrType type, AttrValue v) { return {name, type, std::move(v), false, false}; }

inline absl::Status Error(absl::string_view op, absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat("[", op, "] ", msg));
}

// `t` cast to `dtype` and broadcast to `shape`, through autograd-visible ops.
inline Tensor CastAndExpand(const Tensor& t, DType dtype, IntSpan shape) {
  Tensor r = t.dtype() == dtype ? t : fn::To(t, dtype);
  if (!std::equal(r.sizes().begin(), r.sizes().end(), shape.begin(), shape.end())) r = fn::Expand(r, shape);
  return r;
}

inline Shape ToShape(IntSpan s) { return Shape(s.begin(), s.end()); }
inline std::vector<int64_t> ToVec(IntSpan s) { return std::vector<int64_t>(s.begin(), s.end()); }
inline TensorMeta MetaOf(DType dtype, IntSpan shape) { return {dtype, ToShape(shape)}; }
inline std::string SizeStr(IntSpan s) { return absl::StrJoin(s, "x"); }

}  // namespace tensord::engine::ops
