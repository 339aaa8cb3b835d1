// The one table of dtype facts, type promotion, and dtype dispatch.
#pragma once

#include <cstdint>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/half.h"

namespace tensord::engine {

// X(Enum, cpp_type, torch_name, itemsize, kind, scalar_type_name). The enum values are the wire
// values of tensord.v1.DType minus one (the proto reserves 0 for
// UNSPECIFIED; engine/ never includes the proto, server/ maps them).
// Adding a dtype = one row here (+ a promotion-table row below).
#define TENSORD_FORALL_DTYPES(X)                   \
  X(Bool, bool, "bool", 1, kBoolKind, "Bool")               \
  X(UInt8, uint8_t, "uint8", 1, kIntKind, "Byte")           \
  X(Int8, int8_t, "int8", 1, kIntKind, "Char")              \
  X(Int16, int16_t, "int16", 2, kIntKind, "Short")           \
  X(Int32, int32_t, "int32", 4, kIntKind, "Int")           \
  X(Int64, int64_t, "int64", 8, kIntKind, "Long")           \
  X(Float16, Half, "float16", 2, kFloatKind, "Half")        \
  X(BFloat16, BFloat16, "bfloat16", 2, kFloatKind, "BFloat16")  \
  X(Float32, float, "float32", 4, kFloatKind, "Float")       \
  X(Float64, double, "float64", 8, kFloatKind, "Double")

enum class DType : int8_t {
#define TENSORD_DTYPE_ENUM_(name, type, str, size, kind, legacy) k##name,
  TENSORD_FORALL_DTYPES(TENSORD_DTYPE_ENUM_)
#undef TENSORD_DTYPE_ENUM_
};
inline constexpr int kNumDTypes = 0
#define TENSORD_DTYPE_COUNT_(name, type, str, size, kind, legacy) +1
    TENSORD_FORALL_DTYPES(TENSORD_DTYPE_COUNT_);
#undef TENSORD_DTYPE_COUNT_

// Category used by type promotion: bool < integral < floating.
enum DTypeKind : int8_t { kBoolKind = 0, kIntKind = 1, kFloatKind = 2 };

struct DTypeInfo {
  absl::string_view name;  // PyTorch's name without "torch."
  int itemsize;
  DTypeKind kind;
  absl::string_view scalar_type;  // c10::ScalarType name, as PyTorch's messages say it ("Long")
};

inline constexpr DTypeInfo kDTypeInfo[] = {
#define TENSORD_DTYPE_INFO_(name, type, str, size, kind, legacy) {str, size, kind, legacy},
    TENSORD_FORALL_DTYPES(TENSORD_DTYPE_INFO_)
#undef TENSORD_DTYPE_INFO_
};

constexpr const DTypeInfo& Info(DType t) { return kDTypeInfo[static_cast<int>(t)]; }
constexpr absl::string_view DTypeName(DType t) { return Info(t).name; }
constexpr absl::string_view ScalarTypeName(DType t) { return Info(t).scalar_type; }
constexpr int ItemSize(DType t) { return Info(t).itemsize; }
constexpr bool IsFloating(DType t) { return Info(t).kind == kFloatKind; }
constexpr bool IsIntegral(DType t, bool include_bool) {
  return Info(t).kind == kIntKind || (include_bool && t == DType::kBool);
}
// Parses "float32" / "torch.float32" / aliases ("float", "double", "long", ...).
bool ParseDType(absl::string_view name, DType* out);

// PyTorch's promote_types: the smallest dtype both inputs convert to safely.
DType PromoteTypes(DType a, DType b);

// Default dtype for Python floats and float factories (torch.get_default_dtype).
inline constexpr DType kDefaultFloat = DType::kFloat32;

template <DType T> struct CppTypeOf;
#define TENSORD_DTYPE_CPP_(name, cpp, str, size, kind, legacy) \
  template <> struct CppTypeOf<DType::k##name> { using type = cpp; };
TENSORD_FORALL_DTYPES(TENSORD_DTYPE_CPP_)
#undef TENSORD_DTYPE_CPP_

// Dispatch helper: calls fn.template operator()<cpp_type>() for `t`.
//   DispatchAll(t, [&]<typename T>() { ... });
template <typename Fn>
decltype(auto) DispatchAll(DType t, Fn&& fn) {
  switch (t) {
#define TENSORD_DTYPE_CASE_(name, type, str, size, kind, legacy) \
  case DType::k##name:                                   \
    return fn.template operator()<type>();
    TENSORD_FORALL_DTYPES(TENSORD_DTYPE_CASE_)
#undef TENSORD_DTYPE_CASE_
  }
  __builtin_unreachable();
}

// Dispatch over floating dtypes only; others return an error status.
template <typename Fn>
absl::Status DispatchFloating(absl::string_view op, DType t, Fn&& fn) {
  switch (t) {
    case DType::kFloat16: return fn.template operator()<Half>();
    case DType::kBFloat16: return fn.template operator()<BFloat16>();
    case DType::kFloat32: return fn.template operator()<float>();
    case DType::kFloat64: return fn.template operator()<double>();
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "[", op, "] not implemented for '", DTypeName(t), "'"));
  }
}

}  // namespace tensord::engine
