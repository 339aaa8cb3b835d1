// Engine ops as plain C++ functions, for composite ops and backward rules.
//
// Note [Errors inside the engine]
//   The public API (CallOp, Backward) returns absl::Status. Inside the engine,
//   composite ops and backward rules are written as math (`fn::Mul(g,
//   fn::Cos(x))`), so a failing inner op throws EngineError carrying its
//   status; CallOp and Backward catch it at the boundary. Nothing user-caused
//   escapes as an exception, and nothing aborts the process.
#pragma once

#include <exception>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "engine/ops/op_def.h"

namespace tensord::engine {

class EngineError : public std::exception {
 public:
  explicit EngineError(absl::Status status) : status_(std::move(status)) {}
  const absl::Status& status() const { return status_; }
  const char* what() const noexcept override { return "tensord engine error"; }

 private:
  absl::Status status_;
};

inline void ThrowIfError(absl::Status s) {
  if (!s.ok()) throw EngineError(std::move(s));
}
template <typename T>
T ValueOrThrow(absl::StatusOr<T> s) {
  if (!s.ok()) throw EngineError(s.status());
  return std::move(s).value();
}

namespace fn {

std::vector<Tensor> Call(OpId id, std::vector<Tensor> inputs, Attrs attrs = {});
inline Tensor Call1(OpId id, std::vector<Tensor> inputs, Attrs attrs = {}) {
  return Call(id, std::move(inputs), std::move(attrs)).at(0);
}
using Ints = std::vector<int64_t>;
inline Tensor S(const Scalar& s) { return Tensor::WrappedScalar(s); }

inline Tensor Add(const Tensor& a, const Tensor& b) { return Call1(OpId::kAdd, {a, b}); }
inline Tensor Sub(const Tensor& a, const Tensor& b) { return Call1(OpId::kSub, {a, b}); }
inline Tensor Mul(const Tensor& a, const Tensor& b) { return Call1(OpId::kMul, {a, b}); }
inline Tensor Div(const Tensor& a, const Tensor& b) { return Call1(OpId::kDiv, {a, b}); }
inline Tensor Pow(const Tensor& a, const Tensor& b) { return Call1(OpId::kPow, {a, b}); }
inline Tensor Mul(const Tensor& a, const Scalar& b) { return Mul(a, S(b)); }
inline Tensor Div(const Tensor& a, const Scalar& b) { return Div(a, S(b)); }
inline Tensor Gt(const Tensor& a, const Scalar& b) { return Call1(OpId::kGt, {a, S(b)}); }
inline Tensor Neg(const Tensor& a) { return Call1(OpId::kNeg, {a}); }
inline Tensor Exp(const Tensor& a) { return Call1(OpId::kExp, {a}); }
inline Tensor Log(const Tensor& a) { return Call1(OpId::kLog, {a}); }
inline Tensor Sin(const Tensor& a) { return Call1(OpId::kSin, {a}); }
inline Tensor Cos(const Tensor& a) { return Call1(OpId::kCos, {a}); }
inline Tensor Sum(const Tensor& a, std::optional<Ints> dims = std::nullopt, bool keepdim = false) {
  Attrs attrs;
  if (dims) attrs.push_back(*dims); else attrs.push_back(std::monostate{});
  attrs.push_back(keepdim);
  return Call1(OpId::kSum, {a}, std::move(attrs));
}
inline Tensor Mm(const Tensor& a, const Tensor& b) { return Call1(OpId::kMm, {a, b}); }
inline Tensor Mv(const Tensor& a, const Tensor& b) { return Call1(OpId::kMv, {a, b}); }
inline Tensor Dot(const Tensor& a, const Tensor& b) { return Call1(OpId::kDot, {a, b}); }
inline Tensor Bmm(const Tensor& a, const Tensor& b) { return Call1(OpId::kBmm, {a, b}); }
inline Tensor View(const Tensor& a, IntSpan size) { return Call1(OpId::kView, {a}, {Ints(size.begin(), size.end())}); }
inline Tensor Reshape(const Tensor& a, IntSpan size) { return Call1(OpId::kReshape, {a}, {Ints(size.begin(), size.end())}); }
inline Tensor Expand(const Tensor& a, IntSpan size) { return Call1(OpId::kExpand, {a}, {Ints(size.begin(), size.end())}); }
inline Tensor SumToSize(const Tensor& a, IntSpan size) { return Call1(OpId::kSumToSize, {a}, {Ints(size.begin(), size.end())}); }
inline Tensor Transpose(const Tensor& a, int64_t d0, int64_t d1) { return Call1(OpId::kTranspose, {a}, {d0, d1}); }
inline Tensor T(const Tensor& a) { return Call1(OpId::kT, {a}); }
inline Tensor Permute(const Tensor& a, Ints dims) { return Call1(OpId::kPermute, {a}, {std::move(dims)}); }
inline Tensor Unsqueeze(const Tensor& a, int64_t d) { return Call1(OpId::kUnsqueeze, {a}, {d}); }
inline Tensor Squeeze(const Tensor& a, int64_t d) { return Call1(OpId::kSqueeze, {a}, {Ints{d}}); }
inline Tensor Contiguous(const Tensor& a) { return Call1(OpId::kContiguous, {a}); }
inline Tensor Clone(const Tensor& a) { return Call1(OpId::kClone, {a}); }
inline Tensor To(const Tensor& a, DType dtype) { return Call1(OpId::kTo, {a}, {dtype}); }
inline Tensor ToDevice(const Tensor& a, Device device) { return Call1(OpId::kTo, {a}, {AttrValue{}, device.ToString()}); }
inline Tensor Full(IntSpan size, const Scalar& value, DType dtype, Device device = kCPU) {
  return Call1(OpId::kFull, {}, {Ints(size.begin(), size.end()), value, dtype, device.ToString()});
}
inline Tensor ZerosLike(const Tensor& a) { return Full(a.sizes(), Scalar(0), a.dtype(), a.device()); }
inline Tensor OnesLike(const Tensor& a) { return Full(a.sizes(), Scalar(1), a.dtype(), a.device()); }

}  // namespace fn
}  // namespace tensord::engine
