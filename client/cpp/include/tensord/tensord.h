// tensord C++ client: a PyTorch-like tensor API whose tensors live on a
// tensord server.
//
//   #include <tensord/tensord.h>
//   tensord::Client client;                      // $TENSORD_ADDRESS or localhost:50051
//   auto x = client.Tensor(std::vector<float>{1, 2, 3}, {3}, {.requires_grad = true});
//   auto y = (x * x + 1.0).Sum();
//   y.Backward();
//   std::vector<float> g = x.Grad().ToVector<float>();   // {2, 4, 6}
//
// Note [Pipelining and sync points]
//   Every op is queued into a batch and sent on the session's bidirectional
//   Stream; nothing waits for the server until a sync point: ToVector, Item,
//   Shape/DType/Info and the other metadata queries, Grad, Client::Synchronize
//   and Client::Session. Errors of pipelined commands (bad shapes, ...) are
//   thrown at the next sync point as a tensord::Error naming the op and the
//   file:line that issued it; the session stays usable afterwards. Shape,
//   Dim and DType are answered locally when the client knows them (tensors it
//   created, and the results of ops, inferred by the server's own op
//   definitions: Note [Client-side meta] in src/contract.h); then they are not
//   sync points. So are an op's user errors (bad shapes, dtypes, dims): they
//   are thrown at the call that issues the op, with the server's message.
//
// Note [Handle lifetime]
//   A Tensor is a reference to a server-side handle, shared by its copies.
//   When the last copy dies the handle is released: the release is queued
//   into the current batch (no RPC of its own). Tensors may outlive their
//   Client; once the client is closed they are inert.
//
// A Client (and its tensors) may be used from several threads, but commands
// are serialized per client; use one Client per thread for parallelism.
//
// Also: <tensord/nn.h> (modules, losses, init) and <tensord/optim.h>
// (optimizers as fused server steps, LR schedulers).
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <source_location>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <variant>
#include <vector>

namespace tensord {

// ------------------------------------------------------------------ dtypes

// Element types; the values are the wire numbers of tensord.v1.DType.
enum class DType : int32_t {
  kUndefined = 0,
  kBool = 1,
  kUInt8 = 2,
  kInt8 = 3,
  kInt16 = 4,
  kInt32 = 5,
  kInt64 = 6,
  kFloat16 = 7,
  kBFloat16 = 8,
  kFloat32 = 9,
  kFloat64 = 10,
};

// PyTorch's name without "torch.": "float32", "int64", ...
std::string_view DTypeName(DType dtype);
// Bytes per element (0 for kUndefined).
size_t ItemSize(DType dtype);
bool IsFloatingPoint(DType dtype);
std::ostream& operator<<(std::ostream& os, DType dtype);

// The C++ element types that map onto a dtype (float16/bfloat16 have no C++
// type here: read them with ToVector<float>()).
template <typename T> struct DTypeOf;
template <> struct DTypeOf<bool> { static constexpr DType value = DType::kBool; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::kUInt8; };
template <> struct DTypeOf<int8_t> { static constexpr DType value = DType::kInt8; };
template <> struct DTypeOf<int16_t> { static constexpr DType value = DType::kInt16; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::kInt32; };
template <> struct DTypeOf<int64_t> { static constexpr DType value = DType::kInt64; };
template <> struct DTypeOf<float> { static constexpr DType value = DType::kFloat32; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::kFloat64; };

template <typename T>
concept Element = requires { DTypeOf<T>::value; };

// ------------------------------------------------------------------ errors

// A failed command or RPC. code() is the numeric gRPC status code
// (3 = INVALID_ARGUMENT, 5 = NOT_FOUND, 14 = UNAVAILABLE, ...); op() the op
// or verb that failed ("matmul", "fetch", "stream"); site() the "file:line"
// of the client call that issued it. what() contains all of them.
class Error : public std::runtime_error {
 public:
  Error(int code, std::string message, std::string op = "",
        std::string site = "", bool poisoned = false);

  int code() const noexcept { return code_; }
  std::string_view code_name() const;
  const std::string& message() const noexcept { return message_; }
  const std::string& op() const noexcept { return op_; }
  const std::string& site() const noexcept { return site_; }
  // True when the failing command only read an input poisoned by an earlier
  // failure; message() is then that original failure.
  bool poisoned() const noexcept { return poisoned_; }
  // The further errors raised at the same sync point (pipelined commands of
  // the same thread that failed too, most of them poisoned()), oldest first.
  const std::vector<Error>& others() const;
  void set_others(std::vector<Error> others);

 private:
  int code_;
  std::string message_;
  std::string op_;
  std::string site_;
  bool poisoned_;
  std::shared_ptr<const std::vector<Error>> others_;
};

// "OK", "INVALID_ARGUMENT", ... for a numeric gRPC status code.
std::string_view StatusCodeName(int code);

// ------------------------------------------------------------------ values

// A Python-style number; its kind (float / int / bool) drives type promotion
// exactly as in PyTorch (`int_tensor * 2.5` is float32, `* 2` stays int).
class Scalar {
 public:
  using Value = std::variant<double, int64_t, bool>;

  Scalar() : value_(int64_t{0}) {}
  template <std::floating_point F>
  Scalar(F v) : value_(static_cast<double>(v)) {}
  template <std::integral I>
    requires(!std::same_as<I, bool>)
  Scalar(I v) : value_(static_cast<int64_t>(v)) {}
  Scalar(bool v) : value_(v) {}

  bool is_floating_point() const { return std::holds_alternative<double>(value_); }
  bool is_integral() const { return std::holds_alternative<int64_t>(value_); }
  bool is_bool() const { return std::holds_alternative<bool>(value_); }
  double ToDouble() const;
  int64_t ToInt() const;
  const Value& value() const { return value_; }

 private:
  Value value_;
};

// Explicit None (an optional input or an attribute set to None).
struct None {};
inline constexpr None kNone{};

// A non-tensor op argument (`dim`, `keepdim`, `alpha`, `dtype`, ...). The
// client coerces it to the attribute's declared type from ListOps (an int
// for an "ints" attribute becomes a one-element list, for "scalar" a Scalar).
class AttrValue {
 public:
  using Value = std::variant<None, bool, int64_t, double, std::string,
                             std::vector<int64_t>, DType, Scalar>;

  AttrValue() : value_(None{}) {}
  AttrValue(None) : value_(None{}) {}
  AttrValue(bool v) : value_(v) {}
  template <std::integral I>
    requires(!std::same_as<I, bool>)
  AttrValue(I v) : value_(static_cast<int64_t>(v)) {}
  template <std::floating_point F>
  AttrValue(F v) : value_(static_cast<double>(v)) {}
  AttrValue(std::string v) : value_(std::move(v)) {}
  AttrValue(const char* v) : value_(std::string(v)) {}
  AttrValue(std::vector<int64_t> v) : value_(std::move(v)) {}
  AttrValue(std::initializer_list<int64_t> v) : value_(std::vector<int64_t>(v)) {}
  AttrValue(DType v) : value_(v) {}
  AttrValue(Scalar v) : value_(v) {}

  const Value& value() const { return value_; }

 private:
  Value value_;
};

using Attrs = std::map<std::string, AttrValue, std::less<>>;

// Options of factories and of tensors made from data. An unset dtype means
// PyTorch's default (float32 for float factories; the element type for data).
struct TensorOptions {
  std::optional<DType> dtype{};
  std::string device{};  // "" = the server's default ("cpu")
  bool requires_grad = false;
};

// What Describe reports about a tensor (Tensor::Info).
struct TensorInfo {
  DType dtype = DType::kUndefined;
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;  // in elements
  int64_t storage_offset = 0;
  std::string device;
  bool requires_grad = false;
  bool is_leaf = true;
  std::string grad_fn;  // "AddBackward0", "" if none
  bool has_grad = false;
  bool is_contiguous = true;
  uint64_t storage_id = 0;
  uint64_t version = 0;
};

// What the client knows about a tensor without asking the server
// (Tensor::MetaIfKnown; Note [Client-side meta] in src/contract.h): exactly
// the fields Describe would report.
struct TensorMeta {
  DType dtype = DType::kUndefined;
  std::vector<int64_t> shape;
  std::string device;  // "cpu", "cuda:0"
  // In elements; unset when the layout is not known (e.g. after an op on a
  // tensor whose strides were never reported). storage_offset goes with it.
  std::optional<std::vector<int64_t>> strides;
  int64_t storage_offset = 0;
};

// Client::Session(): the session's usage as the server reports it.
struct SessionInfo {
  std::string session_id;
  uint32_t idle_ttl_seconds = 0;
  int64_t tensors = 0;  // bound handles
  int64_t bytes = 0;    // storage bytes referenced by its handles
  int64_t idle_seconds = 0;
  std::string owner;
  std::string instance;     // the daemon holding the session (its pod name)
  std::string instance_id;  // that daemon's run: "NAME/RANDOM"
};

// One entry of the server's op registry (Client::Ops()).
struct OpInfo {
  struct Attr {
    std::string name;
    std::string type;           // "bool", "int", "float", "str", "ints", "dtype", "scalar"
    std::string default_value;  // Python syntax; "" if required
  };
  std::string name;
  std::vector<std::string> inputs;
  std::vector<bool> optional_inputs;
  bool variadic = false;  // the last input takes one or more tensors (cat)
  std::vector<Attr> attrs;
  int num_outputs = 1;
  bool differentiable = false;
  bool inplace = false;
  std::string doc;
  std::vector<std::string> devices;
};

class Client;
class Operand;
namespace client {
class ClientImpl;
struct HandleState;
class SessionAccess;

// Records `site` ("file.py:12") instead of the C++ caller's file:line as the
// call site of the commands this thread issues while it lives: language
// bindings name their own caller's line in errors this way.
class ScopedCallSite {
 public:
  explicit ScopedCallSite(std::string site);
  ~ScopedCallSite();
  ScopedCallSite(const ScopedCallSite&) = delete;
  ScopedCallSite& operator=(const ScopedCallSite&) = delete;

 private:
  std::string previous_;
  bool had_previous_;
};

// Makes the calls of this thread count as `caller`'s while it lives: their
// deferred errors are raised at `caller`'s sync points (a binding that
// waits on a helper thread passes the thread it waits for).
class ScopedCallerThread {
 public:
  explicit ScopedCallerThread(std::thread::id caller);
  ~ScopedCallerThread();
  ScopedCallerThread(const ScopedCallerThread&) = delete;
  ScopedCallerThread& operator=(const ScopedCallerThread&) = delete;

 private:
  std::thread::id previous_;
};
}  // namespace client

// Shorthand for the call-site default argument of every issuing call.
#define TENSORD_HERE std::source_location loc = std::source_location::current()

// ------------------------------------------------------------------ Tensor

// A tensor that lives on the server (see Note [Handle lifetime]). Copies
// share the handle; a default-constructed Tensor is undefined.
class Tensor {
 public:
  Tensor() = default;

  bool defined() const { return state_ != nullptr; }
  uint64_t handle() const;  // 0 if undefined

  // Metadata (sync points unless known locally: see ShapeIfKnown).
  std::vector<int64_t> Shape(TENSORD_HERE) const;
  int64_t Size(int64_t dim, TENSORD_HERE) const;  // dim may be negative
  int64_t Dim(TENSORD_HERE) const;
  int64_t Numel(TENSORD_HERE) const;
  std::string Device(TENSORD_HERE) const;
  TensorInfo Info(TENSORD_HERE) const;
  // The shape when the client knows it without asking the server (from
  // creation, an earlier query, or inference through the op contract; see
  // Note [Client-side meta] in src/contract.h); never a sync point.
  std::optional<std::vector<int64_t>> ShapeIfKnown() const;
  // dtype, shape, device (and strides when known) on the same terms.
  std::optional<TensorMeta> MetaIfKnown() const;

  // Data out (sync points). T need not match the dtype: values are converted
  // (float16/bfloat16 read as float). Item requires exactly one element.
  template <Element T>
  std::vector<T> ToVector(TENSORD_HERE) const;
  template <Element T>
  T Item(TENSORD_HERE) const;

  // Autograd. RequiresGrad_ is in-place on a leaf (floating dtypes only).
  bool RequiresGrad(TENSORD_HERE) const;
  Tensor& RequiresGrad_(bool requires_grad = true, TENSORD_HERE);
  bool IsLeaf(TENSORD_HERE) const;
  std::string GradFn(TENSORD_HERE) const;  // "" for none
  // The accumulated .grad; undefined Tensor if there is none (sync point).
  Tensor Grad(TENSORD_HERE) const;
  // Backward from a scalar (implicit gradient 1) or with an explicit one
  // (an undefined `gradient` means the implicit 1, so
  // `loss.Backward(Tensor(), /*retain_graph=*/true)` keeps the graph).
  // Accumulates into the .grad of leaves; pipelined (errors surface at the
  // next sync point). See also autograd::Backward and autograd::Grad.
  void Backward(TENSORD_HERE) const;
  void Backward(const Tensor& gradient, bool retain_graph = false,
                bool create_graph = false, TENSORD_HERE) const;

  // Elementwise arithmetic; `other` is a Tensor or a number (broadcasting).
  Tensor Add(const Operand& other, Scalar alpha = 1, TENSORD_HERE) const;
  Tensor Sub(const Operand& other, Scalar alpha = 1, TENSORD_HERE) const;
  Tensor Mul(const Operand& other, TENSORD_HERE) const;
  Tensor Div(const Operand& other, TENSORD_HERE) const;
  Tensor Pow(const Operand& exponent, TENSORD_HERE) const;
  Tensor Neg(TENSORD_HERE) const;
  Tensor Exp(TENSORD_HERE) const;
  Tensor Log(TENSORD_HERE) const;
  Tensor Sin(TENSORD_HERE) const;
  Tensor Cos(TENSORD_HERE) const;
  Tensor Relu(TENSORD_HERE) const;
  Tensor Sigmoid(TENSORD_HERE) const;

  // Reductions; empty `dims` reduces over all dimensions.
  Tensor Sum(TENSORD_HERE) const;
  Tensor Sum(std::vector<int64_t> dims, bool keepdim = false, TENSORD_HERE) const;
  Tensor Mean(TENSORD_HERE) const;
  Tensor Mean(std::vector<int64_t> dims, bool keepdim = false, TENSORD_HERE) const;

  // Linear algebra.
  Tensor Matmul(const Tensor& other, TENSORD_HERE) const;
  Tensor Mm(const Tensor& mat2, TENSORD_HERE) const;
  Tensor Mv(const Tensor& vec, TENSORD_HERE) const;
  Tensor Dot(const Tensor& other, TENSORD_HERE) const;
  Tensor Bmm(const Tensor& mat2, TENSORD_HERE) const;

  // Views and shape ops (views share storage as in PyTorch).
  Tensor Transpose(int64_t dim0, int64_t dim1, TENSORD_HERE) const;
  Tensor T(TENSORD_HERE) const;
  Tensor View(std::vector<int64_t> size, TENSORD_HERE) const;
  Tensor Reshape(std::vector<int64_t> shape, TENSORD_HERE) const;
  Tensor Expand(std::vector<int64_t> size, TENSORD_HERE) const;
  Tensor Contiguous(TENSORD_HERE) const;
  Tensor Detach(TENSORD_HERE) const;
  Tensor Unsqueeze(int64_t dim, TENSORD_HERE) const;
  Tensor Squeeze(TENSORD_HERE) const;
  Tensor Squeeze(std::vector<int64_t> dims, TENSORD_HERE) const;
  Tensor Permute(std::vector<int64_t> dims, TENSORD_HERE) const;
  Tensor Clone(TENSORD_HERE) const;
  Tensor To(tensord::DType dtype, TENSORD_HERE) const;
  // A copy on another device ("cpu", "cuda", "cuda:1"); *this when it is
  // already there, as torch's .to(). Gradients flow back across devices.
  Tensor To(const std::string& device, TENSORD_HERE) const;
  Tensor Cuda(int index = 0, TENSORD_HERE) const;  // To("cuda:<index>")
  Tensor Cpu(TENSORD_HERE) const;                  // To("cpu")

  // More unary math (free functions of the same names exist for the
  // common ones).
  Tensor Abs(TENSORD_HERE) const;
  Tensor Sign(TENSORD_HERE) const;
  Tensor Sqrt(TENSORD_HERE) const;
  Tensor Rsqrt(TENSORD_HERE) const;
  Tensor Expm1(TENSORD_HERE) const;
  Tensor Log1p(TENSORD_HERE) const;
  Tensor Log2(TENSORD_HERE) const;
  Tensor Tan(TENSORD_HERE) const;
  Tensor Tanh(TENSORD_HERE) const;
  Tensor Erf(TENSORD_HERE) const;
  Tensor Silu(TENSORD_HERE) const;
  Tensor Floor(TENSORD_HERE) const;
  Tensor Ceil(TENSORD_HERE) const;
  Tensor Round(TENSORD_HERE) const;
  Tensor Trunc(TENSORD_HERE) const;
  Tensor Reciprocal(TENSORD_HERE) const;
  Tensor Gelu(std::string_view approximate = "none", TENSORD_HERE) const;
  Tensor Softplus(Scalar beta = 1, Scalar threshold = 20, TENSORD_HERE) const;
  Tensor Clamp(std::optional<Scalar> min, std::optional<Scalar> max = std::nullopt,
               TENSORD_HERE) const;
  Tensor NanToNum(std::optional<double> nan = std::nullopt,
                  std::optional<double> posinf = std::nullopt,
                  std::optional<double> neginf = std::nullopt, TENSORD_HERE) const;
  // Division with rounding_mode "trunc" or "floor" ("" = true division).
  Tensor Div(const Operand& other, std::string_view rounding_mode, TENSORD_HERE) const;
  Tensor Remainder(const Operand& other, TENSORD_HERE) const;
  Tensor Fmod(const Operand& other, TENSORD_HERE) const;
  Tensor Maximum(const Tensor& other, TENSORD_HERE) const;
  Tensor Minimum(const Tensor& other, TENSORD_HERE) const;

  // Comparisons and logic (bool results; the operators < <= > >= too).
  Tensor Eq(const Operand& other, TENSORD_HERE) const;
  Tensor Ne(const Operand& other, TENSORD_HERE) const;
  Tensor Lt(const Operand& other, TENSORD_HERE) const;
  Tensor Le(const Operand& other, TENSORD_HERE) const;
  Tensor Gt(const Operand& other, TENSORD_HERE) const;
  Tensor Ge(const Operand& other, TENSORD_HERE) const;
  Tensor LogicalAnd(const Operand& other, TENSORD_HERE) const;
  Tensor LogicalOr(const Operand& other, TENSORD_HERE) const;
  Tensor LogicalXor(const Operand& other, TENSORD_HERE) const;
  Tensor LogicalNot(TENSORD_HERE) const;
  Tensor BitwiseAnd(const Operand& other, TENSORD_HERE) const;
  Tensor BitwiseOr(const Operand& other, TENSORD_HERE) const;
  Tensor BitwiseXor(const Operand& other, TENSORD_HERE) const;
  Tensor BitwiseNot(TENSORD_HERE) const;
  Tensor Isnan(TENSORD_HERE) const;
  Tensor Isinf(TENSORD_HERE) const;
  Tensor Isfinite(TENSORD_HERE) const;

  // More reductions. `dims` empty = all dimensions; `dim` unset = flattened.
  Tensor Prod(std::vector<int64_t> dims = {}, bool keepdim = false, TENSORD_HERE) const;
  Tensor Amax(std::vector<int64_t> dims = {}, bool keepdim = false, TENSORD_HERE) const;
  Tensor Amin(std::vector<int64_t> dims = {}, bool keepdim = false, TENSORD_HERE) const;
  Tensor Max(TENSORD_HERE) const;  // of all elements (per-dim: Amax + Argmax)
  Tensor Min(TENSORD_HERE) const;
  Tensor All(std::vector<int64_t> dims = {}, bool keepdim = false, TENSORD_HERE) const;
  Tensor Any(std::vector<int64_t> dims = {}, bool keepdim = false, TENSORD_HERE) const;
  Tensor Argmax(std::optional<int64_t> dim = std::nullopt, bool keepdim = false,
                TENSORD_HERE) const;
  Tensor Argmin(std::optional<int64_t> dim = std::nullopt, bool keepdim = false,
                TENSORD_HERE) const;
  // correction = 1 is the unbiased estimate (torch's default), 0 the population one.
  Tensor Var(std::vector<int64_t> dims = {}, Scalar correction = 1, bool keepdim = false,
             TENSORD_HERE) const;
  Tensor Std(std::vector<int64_t> dims = {}, Scalar correction = 1, bool keepdim = false,
             TENSORD_HERE) const;
  Tensor Logsumexp(std::vector<int64_t> dims, bool keepdim = false, TENSORD_HERE) const;
  Tensor Norm(Scalar p = 2, std::vector<int64_t> dims = {}, bool keepdim = false,
              TENSORD_HERE) const;
  Tensor Softmax(int64_t dim, TENSORD_HERE) const;
  Tensor LogSoftmax(int64_t dim, TENSORD_HERE) const;
  Tensor Cumsum(int64_t dim, TENSORD_HERE) const;
  Tensor Cumprod(int64_t dim, TENSORD_HERE) const;

  // More linear algebra: beta * self + alpha * (mat1 @ mat2), batched for Baddbmm.
  Tensor Outer(const Tensor& vec2, TENSORD_HERE) const;
  Tensor Addmm(const Tensor& mat1, const Tensor& mat2, Scalar beta = 1, Scalar alpha = 1,
               TENSORD_HERE) const;
  Tensor Baddbmm(const Tensor& batch1, const Tensor& batch2, Scalar beta = 1,
                 Scalar alpha = 1, TENSORD_HERE) const;

  // Slicing and indexing. Slice's end defaults to the end of the dimension;
  // Index takes one index tensor (or None) per leading dimension, as t[i, j].
  Tensor Select(int64_t dim, int64_t index, TENSORD_HERE) const;
  Tensor Slice(int64_t dim, std::optional<int64_t> start = std::nullopt,
               std::optional<int64_t> end = std::nullopt, int64_t step = 1,
               TENSORD_HERE) const;
  Tensor Narrow(int64_t dim, int64_t start, int64_t length, TENSORD_HERE) const;
  Tensor Flatten(int64_t start_dim = 0, int64_t end_dim = -1, TENSORD_HERE) const;
  Tensor SumToSize(std::vector<int64_t> size, TENSORD_HERE) const;
  Tensor Index(std::vector<Operand> indices, TENSORD_HERE) const;
  Tensor IndexPut(std::vector<Operand> indices, const Operand& values,
                  bool accumulate = false, TENSORD_HERE) const;
  Tensor IndexSelect(int64_t dim, const Tensor& index, TENSORD_HERE) const;
  Tensor Gather(int64_t dim, const Tensor& index, TENSORD_HERE) const;
  Tensor Scatter(int64_t dim, const Tensor& index, const Operand& src, TENSORD_HERE) const;
  Tensor ScatterAdd(int64_t dim, const Tensor& index, const Tensor& src, TENSORD_HERE) const;
  Tensor MaskedFill(const Tensor& mask, Scalar value, TENSORD_HERE) const;
  Tensor Nonzero(TENSORD_HERE) const;
  Tensor Bernoulli(TENSORD_HERE) const;  // draws 0/1 with probabilities self

  // In-place ops (torch's `x.add_(...)`): modify this tensor, return it.
  Tensor& Add_(const Operand& other, Scalar alpha = 1, TENSORD_HERE);
  Tensor& Sub_(const Operand& other, Scalar alpha = 1, TENSORD_HERE);
  Tensor& Mul_(const Operand& other, TENSORD_HERE);
  Tensor& Div_(const Operand& other, TENSORD_HERE);
  Tensor& Pow_(const Operand& exponent, TENSORD_HERE);
  Tensor& Neg_(TENSORD_HERE);
  Tensor& Exp_(TENSORD_HERE);
  Tensor& Log_(TENSORD_HERE);
  Tensor& Sqrt_(TENSORD_HERE);
  Tensor& Abs_(TENSORD_HERE);
  Tensor& Relu_(TENSORD_HERE);
  Tensor& Sigmoid_(TENSORD_HERE);
  Tensor& Tanh_(TENSORD_HERE);
  Tensor& Clamp_(std::optional<Scalar> min, std::optional<Scalar> max = std::nullopt,
                 TENSORD_HERE);
  Tensor& Zero_(TENSORD_HERE);
  Tensor& Fill_(Scalar value, TENSORD_HERE);
  Tensor& Copy_(const Tensor& src, TENSORD_HERE);
  Tensor& MaskedFill_(const Tensor& mask, Scalar value, TENSORD_HERE);
  Tensor& IndexPut_(std::vector<Operand> indices, const Operand& values,
                    bool accumulate = false, TENSORD_HERE);
  // Random fills from the session generator (same numbers as torch's CPU
  // generator after the same ManualSeed).
  Tensor& Uniform_(double from = 0, double to = 1, TENSORD_HERE);
  Tensor& Normal_(double mean = 0, double std = 1, TENSORD_HERE);
  Tensor& Bernoulli_(double p = 0.5, TENSORD_HERE);

  // Replaces .grad (torch's `t.grad = g`); an undefined `grad` drops it
  // (`t.grad = None`).
  void SetGrad(const Tensor& grad, TENSORD_HERE);
  // A non-leaf keeps its gradient in .grad at the next backward (torch's
  // retain_grad; a no-op on leaves, an error without requires_grad).
  void RetainGrad(TENSORD_HERE) const;

  // Any registered op with this tensor as its first input (see ListOps).
  std::vector<Tensor> Call(std::string_view op, std::vector<Operand> more_inputs,
                           Attrs attrs = {}, TENSORD_HERE) const;

  // Declared last: inside the class it hides the type name `DType`.
  tensord::DType DType(TENSORD_HERE) const;

 private:
  friend class Client;
  friend class client::ClientImpl;
  friend class client::SessionAccess;
  friend class Operand;
  explicit Tensor(std::shared_ptr<client::HandleState> state) : state_(std::move(state)) {}
  struct Fetched;
  Fetched FetchBytes(std::source_location loc) const;
  client::ClientImpl& impl() const;

  std::shared_ptr<client::HandleState> state_;
};

// A tensor input of an op: a Tensor, a number, or None.
class Operand {
 public:
  Operand() : value_(None{}) {}
  Operand(None) : value_(None{}) {}
  Operand(const Tensor& t) : value_(t) {}
  Operand(Tensor&& t) : value_(std::move(t)) {}
  Operand(Scalar s) : value_(s) {}
  template <std::floating_point F>
  Operand(F v) : value_(Scalar(v)) {}
  template <std::integral I>
  Operand(I v) : value_(Scalar(v)) {}

  bool is_tensor() const { return std::holds_alternative<tensord::Tensor>(value_); }
  const std::variant<None, Scalar, tensord::Tensor>& value() const { return value_; }

 private:
  std::variant<None, Scalar, tensord::Tensor> value_;
};

// ------------------------------------------------------------------ Client

// A connection plus a server session (created in the constructor, closed in
// the destructor). Move-only.
class Client {
 public:
  struct Options {
    // "host:port" or "unix:PATH"; "" = $TENSORD_ADDRESS, else localhost:50051.
    std::string address;
    // Bearer token sent as `authorization`; "" = $TENSORD_TOKEN if set.
    std::string token;
    // TLS: on when `tls` is true or any TLS file is given (here or in
    // $TENSORD_TLS_CA / $TENSORD_TLS_CERT / $TENSORD_TLS_KEY, or $TENSORD_TLS=1).
    // tls_ca_file: roots that sign the server certificate ("" = system roots);
    // tls_cert_file + tls_key_file: a client certificate (mTLS);
    // tls_server_name: the name to expect in the server certificate.
    bool tls = false;
    std::string tls_ca_file;
    std::string tls_cert_file;
    std::string tls_key_file;
    std::string tls_server_name;
    // Proposed session id (32 lowercase hex); "" = a random one.
    std::string session_id;
    uint32_t idle_ttl_seconds = 0;  // 0 = server default
    // Seconds the connection and session creation may take.
    double connect_timeout_seconds = 10;
    // A batch is sent once it holds this many commands or payload bytes,
    // even before a sync point.
    size_t max_batch_commands = 1024;
    size_t max_batch_bytes = 1 << 20;
    // Tensors with more payload bytes than this use the chunked Upload /
    // Fetch RPCs instead of the stream.
    size_t inline_payload_limit = 4 << 20;
    // At each sync point the server also sends the values of the small
    // tensors (at most this many elements) the synced batch named, and later
    // reads of them (Item, ToVector, Info, Grad) are answered locally until a
    // command may change them (Note [Prefetched values] in tensord.proto).
    // 0 turns it off.
    uint32_t prefetch_max_elements = 16;
    // A user error the op contract finds before sending (a shape, dtype or
    // dim error: Note [Client-side meta]) is thrown at the call. False queues
    // the command anyway and the error surfaces at the next sync point, as
    // errors the server finds do (the Python package's documented behaviour).
    bool errors_at_call = true;
    // A server that stops answering (frozen, or its host gone) fails the
    // waiting call after about keepalive_seconds + keepalive_timeout_seconds:
    // the connection is pinged when idle that long. The server accepts pings
    // every 10 s, so smaller values are raised to 10.
    double keepalive_seconds = 30;
    double keepalive_timeout_seconds = 10;
  };

  // Counters of the session's command stream (tests and benchmarks read them).
  struct Stats {
    int64_t batches = 0;           // StreamRequests sent
    int64_t commands = 0;          // commands in them
    int64_t round_trips = 0;       // waits for a reply
    int64_t uploads = 0;           // tensors sent by the chunked Upload RPC
    int64_t streamed_fetches = 0;  // tensors read by the chunked Fetch RPC
  };

  Client();
  explicit Client(std::string address);
  explicit Client(Options options);
  ~Client();
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const std::string& address() const;
  const std::string& session_id() const;

  // Tensors from host data. `shape` must match data.size(); without a shape
  // the tensor is 1-D. opts.dtype converts on the server when it differs.
  template <Element T>
  tensord::Tensor Tensor(const std::vector<T>& data, std::vector<int64_t> shape,
                         TensorOptions opts = {}, TENSORD_HERE);
  template <Element T>
  tensord::Tensor Tensor(const std::vector<T>& data, TENSORD_HERE);
  // The same with a braced shape; `{}` makes a 0-d tensor from one value.
  template <Element T>
  tensord::Tensor Tensor(const std::vector<T>& data, std::initializer_list<int64_t> shape,
                         TensorOptions opts = {}, TENSORD_HERE);
  template <Element T>
  tensord::Tensor Tensor(std::initializer_list<T> data, std::vector<int64_t> shape,
                         TensorOptions opts = {}, TENSORD_HERE);
  // From raw little-endian row-major bytes.
  tensord::Tensor FromBytes(tensord::DType dtype, std::vector<int64_t> shape,
                            const void* data, size_t nbytes,
                            TensorOptions opts = {}, TENSORD_HERE);

  // Factories (torch.zeros, ...).
  tensord::Tensor Zeros(std::vector<int64_t> size, TensorOptions opts = {}, TENSORD_HERE);
  tensord::Tensor Ones(std::vector<int64_t> size, TensorOptions opts = {}, TENSORD_HERE);
  tensord::Tensor Empty(std::vector<int64_t> size, TensorOptions opts = {}, TENSORD_HERE);
  tensord::Tensor Full(std::vector<int64_t> size, Scalar fill_value,
                       TensorOptions opts = {}, TENSORD_HERE);
  tensord::Tensor Arange(Scalar end, TensorOptions opts = {}, TENSORD_HERE);
  tensord::Tensor Arange(Scalar start, Scalar end, Scalar step = 1,
                         TensorOptions opts = {}, TENSORD_HERE);
  tensord::Tensor Rand(std::vector<int64_t> size, TensorOptions opts = {}, TENSORD_HERE);
  tensord::Tensor Randn(std::vector<int64_t> size, TensorOptions opts = {}, TENSORD_HERE);
  // Integers uniform in [low, high); int64 unless opts.dtype says otherwise.
  tensord::Tensor Randint(int64_t low, int64_t high, std::vector<int64_t> size,
                          TensorOptions opts = {}, TENSORD_HERE);
  tensord::Tensor Randint(int64_t high, std::vector<int64_t> size,
                          TensorOptions opts = {}, TENSORD_HERE);
  // torch.randperm: a random permutation of 0..n-1 (int64 by default).
  tensord::Tensor Randperm(int64_t n, TensorOptions opts = {}, TENSORD_HERE);
  // torch.linspace: `steps` evenly spaced values from start to end.
  tensord::Tensor Linspace(Scalar start, Scalar end, int64_t steps, TensorOptions opts = {},
                           TENSORD_HERE);
  // torch.eye: an n x m identity matrix (m defaults to n).
  tensord::Tensor Eye(int64_t n, std::optional<int64_t> m = std::nullopt,
                      TensorOptions opts = {}, TENSORD_HERE);
  // Seeds the session's generator (torch.manual_seed). Every random factory
  // and fill (Rand, Randn, Randint, Randperm, Uniform_, Normal_, Bernoulli,
  // nn::Linear's init) then draws what PyTorch's CPU generator draws.
  void ManualSeed(uint64_t seed, TENSORD_HERE);

  // Runs any registered op; returns its outputs (none for in-place ops).
  std::vector<tensord::Tensor> Call(std::string_view op, std::vector<Operand> inputs,
                                    Attrs attrs = {}, TENSORD_HERE);

  // Sends queued commands without waiting.
  void Flush();
  // Waits until every queued command ran; throws the first deferred error.
  void Synchronize(TENSORD_HERE);
  // Synchronizes, then reports the session's usage (KeepAlive).
  SessionInfo Session(TENSORD_HERE);
  // The server's op registry (ListOps, fetched once per connection).
  std::vector<OpInfo> Ops();

  // Closes the session now (the destructor does it otherwise).
  void Close();
  bool closed() const;

  Stats GetStats() const;
  // Interrupts what another thread waits for on this client (Ctrl-C in a
  // binding): the stream in flight is cancelled, which cancels the commands
  // the server has not finished, and the waiter gets a CANCELLED error. The
  // session stays usable. Thread-safe; never blocks.
  void Cancel();

 private:
  friend class tensord::Tensor;
  friend class client::SessionAccess;
  explicit Client(std::shared_ptr<client::ClientImpl> impl) : impl_(std::move(impl)) {}
  tensord::Tensor CreateFromBytes(tensord::DType dtype, std::vector<int64_t> shape,
                                  const void* data, size_t nbytes,
                                  const TensorOptions& opts, std::source_location loc);

  std::shared_ptr<client::ClientImpl> impl_;
};

// Disables gradient recording on this thread for its lifetime (torch.no_grad).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};
// Sets grad mode on this thread for its lifetime, restoring the previous
// mode after (torch.set_grad_enabled / enable_grad inside no_grad).
class GradModeGuard {
 public:
  explicit GradModeGuard(bool enabled);
  ~GradModeGuard();
  GradModeGuard(const GradModeGuard&) = delete;
  GradModeGuard& operator=(const GradModeGuard&) = delete;

 private:
  bool previous_;
};
bool IsGradEnabled();

namespace autograd {
// torch.autograd.backward: backward from several roots at once.
// grad_tensors[i] is the gradient of tensors[i] (undefined or missing: the
// implicit 1 of a one-element root). retain_graph defaults to create_graph.
void Backward(const std::vector<Tensor>& tensors, const std::vector<Tensor>& grad_tensors = {},
              std::optional<bool> retain_graph = std::nullopt, bool create_graph = false,
              TENSORD_HERE);
// torch.autograd.grad: d(outputs)/d(inputs), one result per input; nothing
// accumulates into .grad. With create_graph the results are differentiable
// (double backward). An input the outputs do not depend on is an error, or,
// with allow_unused, an undefined Tensor. A sync point.
std::vector<Tensor> Grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {},
                         std::optional<bool> retain_graph = std::nullopt,
                         bool create_graph = false, bool allow_unused = false, TENSORD_HERE);
}  // namespace autograd

// ------------------------------------------------------------------ free functions

Tensor Add(const Operand& self, const Operand& other, Scalar alpha = 1, TENSORD_HERE);
Tensor Sub(const Operand& self, const Operand& other, Scalar alpha = 1, TENSORD_HERE);
Tensor Mul(const Operand& self, const Operand& other, TENSORD_HERE);
Tensor Div(const Operand& self, const Operand& other, TENSORD_HERE);
Tensor Pow(const Operand& self, const Operand& exponent, TENSORD_HERE);
Tensor Neg(const Tensor& x, TENSORD_HERE);
Tensor Exp(const Tensor& x, TENSORD_HERE);
Tensor Log(const Tensor& x, TENSORD_HERE);
Tensor Sin(const Tensor& x, TENSORD_HERE);
Tensor Cos(const Tensor& x, TENSORD_HERE);
Tensor Relu(const Tensor& x, TENSORD_HERE);
Tensor Sigmoid(const Tensor& x, TENSORD_HERE);
Tensor Sum(const Tensor& x, std::vector<int64_t> dims = {}, bool keepdim = false, TENSORD_HERE);
Tensor Mean(const Tensor& x, std::vector<int64_t> dims = {}, bool keepdim = false, TENSORD_HERE);
Tensor Matmul(const Tensor& a, const Tensor& b, TENSORD_HERE);
Tensor Mm(const Tensor& a, const Tensor& b, TENSORD_HERE);
Tensor Mv(const Tensor& a, const Tensor& v, TENSORD_HERE);
Tensor Dot(const Tensor& a, const Tensor& b, TENSORD_HERE);
Tensor Bmm(const Tensor& a, const Tensor& b, TENSORD_HERE);
Tensor Transpose(const Tensor& x, int64_t dim0, int64_t dim1, TENSORD_HERE);
Tensor Reshape(const Tensor& x, std::vector<int64_t> shape, TENSORD_HERE);
Tensor Permute(const Tensor& x, std::vector<int64_t> dims, TENSORD_HERE);
Tensor Unsqueeze(const Tensor& x, int64_t dim, TENSORD_HERE);
Tensor Squeeze(const Tensor& x, TENSORD_HERE);
Tensor Clone(const Tensor& x, TENSORD_HERE);
Tensor Detach(const Tensor& x, TENSORD_HERE);
Tensor Tanh(const Tensor& x, TENSORD_HERE);
Tensor Abs(const Tensor& x, TENSORD_HERE);
Tensor Sqrt(const Tensor& x, TENSORD_HERE);
Tensor Softmax(const Tensor& x, int64_t dim, TENSORD_HERE);
Tensor LogSoftmax(const Tensor& x, int64_t dim, TENSORD_HERE);
Tensor Maximum(const Tensor& a, const Tensor& b, TENSORD_HERE);
Tensor Minimum(const Tensor& a, const Tensor& b, TENSORD_HERE);
Tensor Outer(const Tensor& a, const Tensor& b, TENSORD_HERE);
Tensor Addmm(const Tensor& input, const Tensor& mat1, const Tensor& mat2, Scalar beta = 1,
             Scalar alpha = 1, TENSORD_HERE);
// torch.where(condition, self, other): self where condition, else other.
Tensor Where(const Tensor& condition, const Operand& self, const Operand& other, TENSORD_HERE);
Tensor Cat(const std::vector<Tensor>& tensors, int64_t dim = 0, TENSORD_HERE);
Tensor Stack(const std::vector<Tensor>& tensors, int64_t dim = 0, TENSORD_HERE);
Tensor Einsum(std::string_view equation, const std::vector<Tensor>& operands, TENSORD_HERE);

// Factories shaped like `t` (its dtype and device unless opts say otherwise;
// a sync point when t's shape is not yet known to the client).
Tensor ZerosLike(const Tensor& t, TensorOptions opts = {}, TENSORD_HERE);
Tensor OnesLike(const Tensor& t, TensorOptions opts = {}, TENSORD_HERE);
Tensor EmptyLike(const Tensor& t, TensorOptions opts = {}, TENSORD_HERE);
Tensor FullLike(const Tensor& t, Scalar fill_value, TensorOptions opts = {}, TENSORD_HERE);
Tensor RandLike(const Tensor& t, TensorOptions opts = {}, TENSORD_HERE);
Tensor RandnLike(const Tensor& t, TensorOptions opts = {}, TENSORD_HERE);
Tensor RandintLike(const Tensor& t, int64_t low, int64_t high, TensorOptions opts = {},
                   TENSORD_HERE);

// Runs any registered op on the client of its first tensor input (for ops
// without a named function here; factories need Client::Call).
std::vector<Tensor> Call(std::string_view op, std::vector<Operand> inputs, Attrs attrs = {},
                         TENSORD_HERE);

// ------------------------------------------------------------------ operators

namespace client {
// Operator operands that also capture the call site (operators cannot take a
// source_location argument of their own).
struct SitedOperand {
  Operand operand;
  std::source_location loc;
  SitedOperand(const tensord::Tensor& t, TENSORD_HERE) : operand(t), loc(loc) {}
  template <std::floating_point F>
  SitedOperand(F v, TENSORD_HERE) : operand(Scalar(v)), loc(loc) {}
  template <std::integral I>
  SitedOperand(I v, TENSORD_HERE) : operand(Scalar(v)), loc(loc) {}
};
struct SitedScalar {
  Scalar value;
  std::source_location loc;
  template <std::floating_point F>
  SitedScalar(F v, TENSORD_HERE) : value(v), loc(loc) {}
  template <std::integral I>
  SitedScalar(I v, TENSORD_HERE) : value(v), loc(loc) {}
};
}  // namespace client

Tensor operator+(const Tensor& a, client::SitedOperand b);
Tensor operator-(const Tensor& a, client::SitedOperand b);
Tensor operator*(const Tensor& a, client::SitedOperand b);
Tensor operator/(const Tensor& a, client::SitedOperand b);
Tensor operator+(client::SitedScalar a, const Tensor& b);
Tensor operator-(client::SitedScalar a, const Tensor& b);
Tensor operator*(client::SitedScalar a, const Tensor& b);
Tensor operator/(client::SitedScalar a, const Tensor& b);
Tensor operator-(const Tensor& a);
Tensor operator%(const Tensor& a, client::SitedOperand b);  // remainder
// Comparisons give bool tensors (== and != are left to identity semantics;
// use Eq / Ne).
Tensor operator<(const Tensor& a, client::SitedOperand b);
Tensor operator<=(const Tensor& a, client::SitedOperand b);
Tensor operator>(const Tensor& a, client::SitedOperand b);
Tensor operator>=(const Tensor& a, client::SitedOperand b);
// In place (torch's `x += y` is x.add_(y)).
Tensor& operator+=(Tensor& a, client::SitedOperand b);
Tensor& operator-=(Tensor& a, client::SitedOperand b);
Tensor& operator*=(Tensor& a, client::SitedOperand b);
Tensor& operator/=(Tensor& a, client::SitedOperand b);

// Prints like torch's repr (a sync point): tensor([[1., 2.],
//         [3., 4.]], requires_grad=True), with torch's number formats,
// line wrapping and `...` summaries (only the edges are fetched); the dtype
// suffix reads `dtype=tensord.float64`.
std::ostream& operator<<(std::ostream& os, const Tensor& t);

// torch.set_printoptions (process-wide; set it before printing from threads).
struct PrintOptions {
  int precision = 4;            // decimals in fixed and scientific notation
  double threshold = 1000;      // more elements than this are summarized
  int64_t edgeitems = 3;        // items kept at each end of a summarized dim
  int64_t linewidth = 80;       // characters per line
  std::optional<bool> sci_mode; // force (true) or forbid (false) scientific
};
void SetPrintOptions(const PrintOptions& options);
const PrintOptions& GetPrintOptions();

// ------------------------------------------------------------------ templates

namespace client {
// Converts `count` little-endian elements of `dtype` at `data` to T.
template <Element T>
std::vector<T> ConvertElements(DType dtype, const void* data, size_t count);
#define TENSORD_DECLARE_CONVERT_(T) \
  extern template std::vector<T> ConvertElements<T>(DType, const void*, size_t);
TENSORD_DECLARE_CONVERT_(bool)
TENSORD_DECLARE_CONVERT_(uint8_t)
TENSORD_DECLARE_CONVERT_(int8_t)
TENSORD_DECLARE_CONVERT_(int16_t)
TENSORD_DECLARE_CONVERT_(int32_t)
TENSORD_DECLARE_CONVERT_(int64_t)
TENSORD_DECLARE_CONVERT_(float)
TENSORD_DECLARE_CONVERT_(double)
#undef TENSORD_DECLARE_CONVERT_
// Throws the error Item() raises for a tensor that is not one element.
[[noreturn]] void ThrowNotOneElement(size_t numel, const std::source_location& loc);
}  // namespace client

struct Tensor::Fetched {
  tensord::DType dtype;
  std::vector<int64_t> shape;
  std::string bytes;
};

template <Element T>
std::vector<T> Tensor::ToVector(std::source_location loc) const {
  Fetched f = FetchBytes(loc);
  size_t n = f.bytes.size() / std::max<size_t>(1, ItemSize(f.dtype));
  return client::ConvertElements<T>(f.dtype, f.bytes.data(), n);
}

template <Element T>
T Tensor::Item(std::source_location loc) const {
  Fetched f = FetchBytes(loc);
  size_t n = f.bytes.size() / std::max<size_t>(1, ItemSize(f.dtype));
  if (n != 1) client::ThrowNotOneElement(n, loc);
  return client::ConvertElements<T>(f.dtype, f.bytes.data(), 1)[0];
}

template <Element T>
Tensor Client::Tensor(const std::vector<T>& data, std::vector<int64_t> shape,
                      TensorOptions opts, std::source_location loc) {
  if constexpr (std::is_same_v<T, bool>) {
    std::vector<uint8_t> bytes(data.begin(), data.end());
    return CreateFromBytes(DType::kBool, std::move(shape), bytes.data(), bytes.size(),
                           opts, loc);
  } else {
    return CreateFromBytes(DTypeOf<T>::value, std::move(shape), data.data(),
                           data.size() * sizeof(T), opts, loc);
  }
}

template <Element T>
Tensor Client::Tensor(const std::vector<T>& data, std::source_location loc) {
  return Tensor(data, {static_cast<int64_t>(data.size())}, {}, loc);
}

template <Element T>
Tensor Client::Tensor(const std::vector<T>& data, std::initializer_list<int64_t> shape,
                      TensorOptions opts, std::source_location loc) {
  return Tensor(data, std::vector<int64_t>(shape), std::move(opts), loc);
}

template <Element T>
Tensor Client::Tensor(std::initializer_list<T> data, std::vector<int64_t> shape,
                      TensorOptions opts, std::source_location loc) {
  return Tensor(std::vector<T>(data), std::move(shape), std::move(opts), loc);
}

#undef TENSORD_HERE

}  // namespace tensord
