// A Python-style number: float, int or bool. Its kind drives type promotion
// the way a Python scalar does in PyTorch ("wrapped numbers").
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "engine/dtype.h"

namespace tensord::engine {

class Scalar {
 public:
  Scalar() : v_(int64_t{0}) {}
  Scalar(double v) : v_(v) {}            // NOLINT
  Scalar(int64_t v) : v_(v) {}           // NOLINT
  Scalar(int v) : v_(int64_t{v}) {}      // NOLINT
  Scalar(bool v) : v_(v) {}              // NOLINT

  bool is_floating() const { return std::holds_alternative<double>(v_); }
  bool is_integral() const { return std::holds_alternative<int64_t>(v_); }
  bool is_bool() const { return std::holds_alternative<bool>(v_); }
  // The dtype a tensor made from this number gets (float64 / int64 / bool).
  DType dtype() const {
    return is_floating() ? DType::kFloat64 : is_integral() ? DType::kInt64 : DType::kBool;
  }
  double to_double() const {
    return std::visit([](auto x) { return static_cast<double>(x); }, v_);
  }
  int64_t to_int() const {
    return std::visit([](auto x) { return static_cast<int64_t>(x); }, v_);
  }
  template <typename T>
  T to() const {
    if constexpr (std::is_same_v<T, bool>) return to_double() != 0;
    else if constexpr (std::is_integral_v<T>) return static_cast<T>(to_int());
    else if constexpr (std::is_floating_point_v<T>) return static_cast<T>(to_double());
    else return T(static_cast<float>(to_double()));  // Half, BFloat16
  }
  std::string ToString() const;

 private:
  std::variant<double, int64_t, bool> v_;
};

}  // namespace tensord::engine
