// float16 and bfloat16 storage types. Arithmetic widens to float and rounds
// back with round-to-nearest-even, as PyTorch's c10::Half / c10::BFloat16 do.
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>

namespace tensord::engine {

namespace detail {
inline uint32_t FloatBits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
inline float BitsFloat(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }
}  // namespace detail

struct BFloat16 {
  uint16_t bits = 0;
  BFloat16() = default;
  BFloat16(float f) {  // NOLINT: implicit like c10::BFloat16
    uint32_t u = detail::FloatBits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) { bits = 0x7fc0; return; }  // NaN
    u += 0x7fffu + ((u >> 16) & 1u);                                 // RNE
    bits = static_cast<uint16_t>(u >> 16);
  }
  operator float() const { return detail::BitsFloat(static_cast<uint32_t>(bits) << 16); }
};

struct Half {
  uint16_t bits = 0;
  Half() = default;
  Half(float f) { bits = FromFloat(f); }  // NOLINT
  operator float() const { return ToFloat(bits); }

  static uint16_t FromFloat(float f) {
    // IEEE binary32 -> binary16, round to nearest even (same as F16C vcvtps2ph).
    uint32_t x = detail::FloatBits(f);
    uint32_t sign = (x >> 16) & 0x8000u;
    x &= 0x7fffffffu;
    if (x >= 0x7f800000u) return static_cast<uint16_t>(sign | (x > 0x7f800000u ? 0x7e00u : 0x7c00u));
    if (x >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // overflow -> inf
    if (x < 0x38800000u) {  // subnormal or zero in half
      float v = detail::BitsFloat(x) + 0.5f;  // align: 0.5 = 2^-1, ulp(half subnormal)=2^-24
      return static_cast<uint16_t>(sign | (detail::FloatBits(v) - 0x3f000000u));
    }
    uint32_t mant_odd = (x >> 13) & 1u;
    x += 0xc8000fffu + mant_odd;  // rebias exponent (-112<<23) and round
    return static_cast<uint16_t>(sign | (x >> 13));
  }
  static float ToFloat(uint16_t h) {
    uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
    if (exp == 0) {
      float v = static_cast<float>(mant) * 5.9604644775390625e-8f;  // 2^-24
      return detail::BitsFloat(detail::FloatBits(v) | sign);
    }
    if (exp == 31) return detail::BitsFloat(sign | 0x7f800000u | (mant << 13));
    return detail::BitsFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }
};

}  // namespace tensord::engine

// numeric_limits for the 16-bit floats (max/lowest, used by nan_to_num).
template <>
struct std::numeric_limits<tensord::engine::Half> {
  static constexpr bool is_specialized = true;
  static tensord::engine::Half max() { return tensord::engine::Half(65504.0f); }
  static tensord::engine::Half lowest() { return tensord::engine::Half(-65504.0f); }
};
template <>
struct std::numeric_limits<tensord::engine::BFloat16> {
  static constexpr bool is_specialized = true;
  static tensord::engine::BFloat16 max() { return tensord::engine::BFloat16(3.38953139e38f); }
  static tensord::engine::BFloat16 lowest() { return tensord::engine::BFloat16(-3.38953139e38f); }
};
