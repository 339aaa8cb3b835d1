#include "engine/dtype.h"

#include "absl/strings/string_view.h"

namespace tensord::engine {

bool ParseDType(absl::string_view name, DType* out) {
  if (name.substr(0, 6) == "torch.") name.remove_prefix(6);
  struct Alias { absl::string_view name; DType dtype; };
  static constexpr Alias kAliases[] = {
      {"float", DType::kFloat32}, {"double", DType::kFloat64}, {"half", DType::kFloat16},
      {"long", DType::kInt64},    {"int", DType::kInt32},      {"short", DType::kInt16},
  };
  for (int i = 0; i < kNumDTypes; ++i) {
    if (kDTypeInfo[i].name == name) { *out = static_cast<DType>(i); return true; }
  }
  for (const Alias& a : kAliases) {
    if (a.name == name) { *out = a.dtype; return true; }
  }
  return false;
}

DType PromoteTypes(DType a, DType b) {
  if (a == b) return a;
  // PyTorch's promotion lattice for the real dtypes. Rows/cols in enum order:
  // b1 u1 i1 i2 i4 i8 f2 bf f4 f8. uint8 with int8 -> int16; float16 with
  // bfloat16 -> float32, exactly as torch.promote_types.
  using enum DType;
  static constexpr DType kTable[kNumDTypes][kNumDTypes] = {
      /* b1 */ {kBool, kUInt8, kInt8, kInt16, kInt32, kInt64, kFloat16, kBFloat16, kFloat32, kFloat64},
      /* u1 */ {kUInt8, kUInt8, kInt16, kInt16, kInt32, kInt64, kFloat16, kBFloat16, kFloat32, kFloat64},
      /* i1 */ {kInt8, kInt16, kInt8, kInt16, kInt32, kInt64, kFloat16, kBFloat16, kFloat32, kFloat64},
      /* i2 */ {kInt16, kInt16, kInt16, kInt16, kInt32, kInt64, kFloat16, kBFloat16, kFloat32, kFloat64},
      /* i4 */ {kInt32, kInt32, kInt32, kInt32, kInt32, kInt64, kFloat16, kBFloat16, kFloat32, kFloat64},
      /* i8 */ {kInt64, kInt64, kInt64, kInt64, kInt64, kInt64, kFloat16, kBFloat16, kFloat32, kFloat64},
      /* f2 */ {kFloat16, kFloat16, kFloat16, kFloat16, kFloat16, kFloat16, kFloat16, kFloat32, kFloat32, kFloat64},
      /* bf */ {kBFloat16, kBFloat16, kBFloat16, kBFloat16, kBFloat16, kBFloat16, kFloat32, kBFloat16, kFloat32, kFloat64},
      /* f4 */ {kFloat32, kFloat32, kFloat32, kFloat32, kFloat32, kFloat32, kFloat32, kFloat32, kFloat32, kFloat64},
      /* f8 */ {kFloat64, kFloat64, kFloat64, kFloat64, kFloat64, kFloat64, kFloat64, kFloat64, kFloat64, kFloat64},
  };
  return kTable[static_cast<int>(a)][static_cast<int>(b)];
}

}  // namespace tensord::engine
