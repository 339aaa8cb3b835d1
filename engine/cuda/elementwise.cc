// Host side of kernels/elementwise.cu: binary arithmetic, comparisons,
// logical and bitwise ops, unary math and predicates, clamp and where.
// Mirrors engine/cpu/binary.cc, engine/cpu/unary.cc and cpu::WhereKernel:
// the attrs are turned into the very values the CPU kernels compute with
// (alpha, clamp bounds, ... in the compute dtype's math type), and the
// CPU's errors are raised here, before a launch where the CPU raises them
// before computing, or from the kernel's domain flag (Note [Domain errors on
// the device], kernels/elementwise.cu).
#include <limits>

#include "absl/strings/str_cat.h"
#include "engine/cpu/loops.h"
#include "engine/cuda/kernels.h"
#include "engine/cuda/runtime.h"
#include "engine/status.h"

namespace tensord::engine::cuda {

namespace {

// True if `t` is one value broadcast everywhere (cpu/binary.cc's rule for
// pow's exact special cases).
bool IsBroadcastScalar(const Tensor& t) {
  for (int64_t s : t.strides()) {
    if (s != 0) return false;
  }
  return true;
}

// What an integer op requires of its second input.
enum class Domain { kAny, kNonzero, kNonnegative };

// Launches `args` on out's stream. With `flagged`, the kernel gets a device
// flag for domain errors (Note [Domain errors on the device]) and the result
// says whether it was raised; reading it back waits for the launch.
absl::StatusOr<bool> Launch(ElementwiseArgs& args, const Tensor& out, bool flagged, const char* what) {
  TENSORD_ASSIGN_OR_RETURN(StreamId stream, StreamOf(out));
  const int device = out.device().index;
  Tensor flag;
  if (flagged) {
    flag = Tensor::Empty({}, DType::kInt32, out.device());
    TENSORD_RETURN_IF_ERROR(Get().Zero(device, flag.raw_data(), sizeof(int32_t), stream));
    args.error = static_cast<int32_t*>(flag.raw_data());
  }
  TENSORD_RETURN_IF_ERROR(Launch(&Launchers::Elementwise, args, stream, what));
  if (!flagged) return false;
  int32_t raised = 0;
  TENSORD_RETURN_IF_ERROR(Get().CopyToHost(device, &raised, flag.raw_data(), sizeof(raised), stream));
  return raised != 0;
}

// A CPU attr scalar in the compute dtype's math type (cpu::OpMath), stored
// where the kernel reads it: f[k] for floating dtypes, i[k] otherwise.
void SetParam(ElementwiseArgs& args, int k, DType dtype, const Scalar& s) {
  DispatchAll(dtype, [&]<typename T>() {
    using M = cpu::OpMath<T>;
    const M v = s.to<M>();
    if constexpr (std::is_floating_point_v<M>) args.f[k] = static_cast<double>(v);
    else args.i[k] = static_cast<int64_t>(v);
  });
}

}  // namespace

absl::Status BinaryKernel(const OpCall& call, std::vector<Tensor>& outputs) {
  const Tensor& out = outputs[0];
  const Tensor& a = call.in(0);
  const Tensor& b = call.in(1);
  const OpId id = call.def->id;
  const DType dtype = a.dtype();
  const bool is_bool = dtype == DType::kBool, floating = IsFloating(dtype), integral = !is_bool && !floating;
  ElementwiseArgs args;
  args.op = static_cast<int>(id);
  Domain domain = Domain::kAny;
  switch (id) {
    case OpId::kAdd:
    case OpId::kSub:
    case OpId::kRsub:  // rsub's inputs arrive swapped
      DispatchAll(dtype, [&]<typename T>() {
        using M = cpu::OpMath<T>;
        M alpha = call.GetScalar(0).to<M>();
        if constexpr (!std::is_same_v<T, bool>) {
          if (id != OpId::kAdd) alpha = static_cast<M>(-alpha);
        }
        if constexpr (std::is_floating_point_v<M>) args.f[0] = static_cast<double>(alpha);
        else args.i[0] = static_cast<int64_t>(alpha);
      });
      break;
    case OpId::kDiv: {
      const std::string* mode = call.GetStr(0);
      if (mode == nullptr) {
        if (!floating) return absl::InternalError("[div] true division reached the kernel with integer inputs");
        args.i[0] = kRoundNone;
        break;
      }
      if (is_bool) return absl::InvalidArgumentError("[div] rounding division is not supported for bool");
      args.i[0] = *mode == "floor" ? kRoundFloor : kRoundTrunc;
      if (integral) domain = Domain::kNonzero;
      break;
    }
    case OpId::kRemainder:
    case OpId::kFmod:
      if (is_bool) return absl::InvalidArgumentError(absl::StrCat("[", call.def->name, "] not implemented for 'Bool'"));
      if (integral) domain = Domain::kNonzero;
      break;
    case OpId::kPow:
      args.i[0] = IsBroadcastScalar(b);
      if (integral) domain = Domain::kNonnegative;
      break;
    case OpId::kBitwiseAnd:
    case OpId::kBitwiseOr:
    case OpId::kBitwiseXor:
      if (floating) return absl::InternalError(absl::StrCat("[", call.def->name, "] reached the kernel with floats"));
      break;
    case OpId::kMul:
    case OpId::kMaximum:
    case OpId::kMinimum:
    case OpId::kEq:
    case OpId::kNe:
    case OpId::kLt:
    case OpId::kLe:
    case OpId::kGt:
    case OpId::kGe:
    case OpId::kLogicalAnd:
    case OpId::kLogicalOr:
    case OpId::kLogicalXor:
      break;
    default:
      return absl::InternalError(absl::StrCat("[", call.def->name, "] is not a binary kernel op"));
  }
  if (out.numel() == 0) return absl::OkStatus();
  const std::string domain_error = domain == Domain::kNonnegative
                                       ? std::string("[pow] Integers to negative integer powers are not allowed.")
                                       : absl::StrCat("[", call.def->name, "] ZeroDivisionError");
  bool flagged = false;
  if (domain != Domain::kAny) {
    if (b.device().type == DeviceType::kCPU) {  // a by-value scalar: check it here, as the CPU does first
      const int64_t v = b.item().to_int();
      if (domain == Domain::kNonzero ? v == 0 : v < 0) return absl::InvalidArgumentError(domain_error);
    } else {
      flagged = true;
    }
  }
  TENSORD_ASSIGN_OR_RETURN(args.it, MakeIter(out.sizes(), {out, a, b}));
  TENSORD_ASSIGN_OR_RETURN(const bool raised, Launch(args, out, flagged, "elementwise binary"));
  if (raised) return absl::InvalidArgumentError(domain_error);
  return absl::OkStatus();
}

absl::Status UnaryKernel(const OpCall& call, std::vector<Tensor>& outputs) {
  const Tensor& out = outputs[0];
  const Tensor& a = call.in(0);
  const OpId id = call.def->id;
  const DType dtype = a.dtype();
  const bool is_bool = dtype == DType::kBool, floating = IsFloating(dtype);
  ElementwiseArgs args;
  args.op = static_cast<int>(id);
  switch (id) {  // defined for every dtype
    case OpId::kLogicalNot:
    case OpId::kIsnan:
    case OpId::kIsinf:
    case OpId::kIsfinite:
      break;
    case OpId::kBitwiseNot:
      if (floating) return absl::InternalError("[bitwise_not] reached the kernel with floats");
      break;
    case OpId::kNanToNum:
      if (!floating) break;  // the identity on integers and bool
      DispatchAll(dtype, [&]<typename T>() {
        using M = cpu::OpMath<T>;
        if constexpr (std::is_floating_point_v<M>) {
          args.f[0] = static_cast<M>(call.GetFloat(0));
          args.f[1] = call.IsNone(1) ? static_cast<M>(std::numeric_limits<T>::max()) : static_cast<M>(call.GetFloat(1));
          args.f[2] = call.IsNone(2) ? static_cast<M>(std::numeric_limits<T>::lowest()) : static_cast<M>(call.GetFloat(2));
        }
      });
      break;
    case OpId::kSign:
      break;
    default:
      if (is_bool) return absl::InternalError("unary kernel on bool");  // prepare rejects the others
      switch (id) {
        case OpId::kClamp:  // NaN stays NaN; min > max gives max, as in PyTorch
          args.i[0] = !call.IsNone(0);
          args.i[1] = !call.IsNone(1);
          for (int k = 0; k < 2; ++k) {
            if (!call.IsNone(k)) SetParam(args, floating ? k : 2 + k, dtype, call.GetScalar(k));
          }
          break;
        case OpId::kNeg:
        case OpId::kRelu:
        case OpId::kAbs:
        case OpId::kFloor:
        case OpId::kCeil:
        case OpId::kRound:
        case OpId::kTrunc:
          break;
        case OpId::kGelu:
        case OpId::kSoftplus:
        case OpId::kExp:
        case OpId::kLog:
        case OpId::kSin:
        case OpId::kCos:
        case OpId::kSigmoid:
        case OpId::kSqrt:
        case OpId::kRsqrt:
        case OpId::kExpm1:
        case OpId::kLog1p:
        case OpId::kLog2:
        case OpId::kTan:
        case OpId::kTanh:
        case OpId::kErf:
        case OpId::kSilu:
        case OpId::kReciprocal:
          if (!floating) return absl::InternalError("integral unary kernel");  // prepare casts to float
          if (id == OpId::kGelu) args.i[0] = *call.GetStr(0) == "tanh";
          if (id == OpId::kSoftplus) {
            SetParam(args, 0, dtype, call.GetScalar(0));  // beta
            SetParam(args, 1, dtype, call.GetScalar(1));  // threshold
          }
          break;
        default:
          return absl::InternalError(absl::StrCat("[", call.def->name, "] is not a unary kernel op"));
      }
  }
  if (out.numel() == 0) return absl::OkStatus();
  TENSORD_ASSIGN_OR_RETURN(args.it, MakeIter(out.sizes(), {out, a}));
  return Launch(args, out, false, "elementwise unary").status();
}

absl::Status WhereKernel(const OpCall& call, std::vector<Tensor>& outputs) {
  const Tensor& out = outputs[0];
  if (out.numel() == 0) return absl::OkStatus();
  ElementwiseArgs args;
  args.op = static_cast<int>(OpId::kWhere);
  TENSORD_ASSIGN_OR_RETURN(args.it, MakeIter(out.sizes(), {out, call.in(0), call.in(1), call.in(2)}));
  return Launch(args, out, false, "where").status();
}

}  // namespace tensord::engine::cuda
