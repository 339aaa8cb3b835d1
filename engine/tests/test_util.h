// Shared helpers for engine tests.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/autograd.h"
#include "engine/op.h"
#include "engine/random.h"
#include "engine/tensor.h"

namespace tensord::engine::testing {

MATCHER(IsOk, "") { return arg.ok(); }
MATCHER_P2(StatusIs, code, substr, "") {
  const absl::Status& s = [&]() -> absl::Status {
    if constexpr (requires { arg.status(); }) return arg.status(); else return arg;
  }();
  *result_listener << "status: " << s.ToString();
  return s.code() == code && s.message().find(substr) != absl::string_view::npos;
}

inline Tensor FromVector(const std::vector<double>& v, std::vector<int64_t> shape, DType dtype = DType::kFloat32) {
  Tensor t = Tensor::Empty(shape, dtype);
  DispatchAll(dtype, [&]<typename T>() {
    for (size_t i = 0; i < v.size(); ++i) {
      if constexpr (std::is_same_v<T, bool>) t.data<T>()[i] = v[i] != 0;
      else if constexpr (std::is_integral_v<T> || std::is_floating_point_v<T>) t.data<T>()[i] = static_cast<T>(v[i]);
      else t.data<T>()[i] = T(static_cast<float>(v[i]));  // Half, BFloat16
    }
  });
  return t;
}

// Values as doubles in row-major order (any strides).
inline std::vector<double> Values(const Tensor& t) {
  std::string bytes;
  t.AppendBytes(&bytes);
  std::vector<double> out(t.numel());
  DispatchAll(t.dtype(), [&]<typename T>() {
    const T* p = reinterpret_cast<const T*>(bytes.data());
    for (int64_t i = 0; i < t.numel(); ++i) out[i] = static_cast<double>(p[i]);
  });
  return out;
}

inline Tensor Call1(absl::string_view op, std::vector<Tensor> in, const AttrMap& attrs = {},
                    Generator* gen = nullptr) {
  auto r = CallOp(op, std::move(in), attrs, CallOptions{gen, true});
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() && !r->empty() ? (*r)[0] : Tensor();
}

inline std::vector<int64_t> ShapeOf(const Tensor& t) { return {t.sizes().begin(), t.sizes().end()}; }

// Fixture base of tests that need a cuda device (a GPU, or the emulator of
// Note [CUDA emulator]); without one they are skipped, with the reason.
template <typename Base = ::testing::Test>
class NeedsCuda : public Base {
 protected:
  void SetUp() override {
    if (!Device::Parse("cuda:0").ok()) GTEST_SKIP() << "no cuda device: " << CudaUnavailableReason();
  }
};

// A copy of `t` on `device` (undefined stays undefined).
inline Tensor ToDevice(const Tensor& t, const std::string& device) {
  return t.defined() ? Call1("to", {t}, {{"device", device}}) : Tensor();
}
inline Tensor ToCuda(const Tensor& t) { return ToDevice(t, "cuda:0"); }

// The difference allowed between a CPU result and a GPU one of dtype `d`
// near `expected`: a few ulps of the narrow floats, exact for integers and
// bool; `float64_rel` for float64, whose kernels may reassociate sums.
inline double DeviceTolerance(DType d, double expected, double float64_rel = 1e-12) {
  const double scale = 1 + std::abs(expected);
  switch (d) {
    case DType::kFloat16: return 1e-3 * scale;
    case DType::kBFloat16: return 8e-3 * scale;
    case DType::kFloat32: return 1e-6 * scale;
    case DType::kFloat64: return float64_rel * scale;
    default: return 0;
  }
}

}  // namespace tensord::engine::testing
