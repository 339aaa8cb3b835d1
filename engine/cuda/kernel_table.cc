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
    set(OpId::kMm, MmKernel);
    set(OpId::kMv, MvKernel);
    set(OpId::kDot, DotKernel);
    set(OpId::kBmm, BmmKernel);
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
