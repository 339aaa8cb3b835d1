// The CUDA kernel table: one explicit slot per op (Note [The op list]),
// as engine/cpu/kernel_table.cc. Ops without a slot fail with "no cuda kernel".
#include <array>

#include "engine/cuda/kernels.h"

namespace tensord::engine::cuda {

const KernelFn* KernelTable() {
  static const std::array<KernelFn, kNumOps> table = [] {
    std::array<KernelFn, kNumOps> t{};
    auto set = [&](OpId id, KernelFn fn) { t[static_cast<int>(id)] = fn; };
    set(OpId::kFull, FullKernel);
    set(OpId::kFill, FillKernel);
    set(OpId::kArange, ArangeKernel);
    set(OpId::kClone, CopyKernel);
    set(OpId::kToCopy, CopyKernel);
    set(OpId::kCat, CatKernel);
    for (OpId id : {OpId::kAdd, OpId::kSub, OpId::kRsub, OpId::kMul, OpId::kDiv, OpId::kPow, OpId::kEq, OpId::kNe,
                    OpId::kLt, OpId::kLe, OpId::kGt, OpId::kGe, OpId::kMaximum, OpId::kMinimum, OpId::kRemainder, OpId::kFmod,
                    OpId::kLogicalAnd, OpId::kLogicalOr, OpId::kLogicalXor, OpId::kBitwiseAnd, OpId::kBitwiseOr,
                    OpId::kBitwiseXor}) {
      set(id, BinaryKernel);
    }
    for (OpId id : {OpId::kNeg, OpId::kExp, OpId::kLog, OpId::kSin, OpId::kCos, OpId::kRelu, OpId::kSigmoid,
                    OpId::kAbs, OpId::kSign, OpId::kSqrt, OpId::kRsqrt, OpId::kExpm1, OpId::kLog1p, OpId::kLog2,
                    OpId::kTan, OpId::kTanh, OpId::kErf, OpId::kGelu, OpId::kSilu, OpId::kSoftplus, OpId::kFloor,
                    OpId::kCeil, OpId::kRound, OpId::kTrunc, OpId::kReciprocal, OpId::kClamp, OpId::kLogicalNot,
                    OpId::kBitwiseNot, OpId::kIsnan, OpId::kIsinf, OpId::kIsfinite, OpId::kNanToNum}) {
      set(id, UnaryKernel);
    }
    set(OpId::kWhere, WhereKernel);
    set(OpId::kMm, MmKernel);
    set(OpId::kMv, MvKernel);
    set(OpId::kDot, DotKernel);
    set(OpId::kBmm, BmmKernel);
    for (OpId id : {OpId::kSum, OpId::kMean, OpId::kProd, OpId::kAmax, OpId::kAmin, OpId::kMax, OpId::kMin,
                    OpId::kAll, OpId::kAny}) {
      set(id, ReduceKernel);
    }
    set(OpId::kArgmax, ArgReduceKernel);
    set(OpId::kArgmin, ArgReduceKernel);
    set(OpId::kSoftmax, SoftmaxKernel);
    set(OpId::kLogSoftmax, SoftmaxKernel);
    set(OpId::kCumsum, CumKernel);
    set(OpId::kCumprod, CumKernel);
    set(OpId::kIndex, IndexKernel);
    set(OpId::kIndexPut, IndexPutKernel);
    set(OpId::kGather, GatherKernel);
    set(OpId::kScatter, ScatterKernel);
    set(OpId::kScatterAdd, ScatterKernel);
    set(OpId::kRand, RandKernel);
    set(OpId::kRandn, RandnKernel);
    set(OpId::kRandint, RandintKernel);
    set(OpId::kUniform_, RandomFillKernel);
    set(OpId::kNormal_, RandomFillKernel);
    set(OpId::kBernoulli_, RandomFillKernel);
    set(OpId::kBernoulli, BernoulliKernel);
    set(OpId::kRandperm, RandpermKernel);
    set(OpId::kFusedSgd_, FusedSgdKernel);
    set(OpId::kFusedAdam_, FusedAdamKernel);
    return t;
  }();
  return table.data();
}

}  // namespace tensord::engine::cuda
