// Note [Kernel tables]
//   Every device backend exposes the same kernel entry points, each in its
//   own namespace (engine/cpu/kernels.h, engine/cuda/kernels.h), and this one
//   list maps primitives to them: X(CamelOpName, EntryPoint). Each backend's
//   kernel_table.cc expands it with the names resolved in its namespace, so a
//   primitive's kernel is registered once for all devices and a backend that
//   lacks an entry point does not build. Composites and views need no row.
#pragma once

#define TENSORD_FORALL_KERNELS(X)                                                                   \
  /* factories and random fills */                                                                 \
  X(Full, FullKernel) X(Fill, FillKernel) X(Arange, ArangeKernel) X(Rand, RandKernel)               \
  X(Randn, RandnKernel) X(Randint, RandintKernel) X(Uniform_, RandomFillKernel)                     \
  X(Normal_, RandomFillKernel) X(Bernoulli_, RandomFillKernel) X(Bernoulli, BernoulliKernel)        \
  X(Randperm, RandpermKernel)                                                                        \
  /* fused optimizer steps */                                                                        \
  X(FusedSgd_, FusedSgdKernel) X(FusedAdam_, FusedAdamKernel)                                       \
  /* elementwise binary */                                                                           \
  X(Add, BinaryKernel) X(Sub, BinaryKernel) X(Rsub, BinaryKernel) X(Mul, BinaryKernel)              \
  X(Div, BinaryKernel) X(Pow, BinaryKernel) X(Eq, BinaryKernel) X(Ne, BinaryKernel)                 \
  X(Lt, BinaryKernel) X(Le, BinaryKernel) X(Gt, BinaryKernel) X(Ge, BinaryKernel)                   \
  X(Maximum, BinaryKernel) X(Minimum, BinaryKernel) X(Remainder, BinaryKernel)                      \
  X(Fmod, BinaryKernel) X(LogicalAnd, BinaryKernel) X(LogicalOr, BinaryKernel)                      \
  X(LogicalXor, BinaryKernel) X(BitwiseAnd, BinaryKernel) X(BitwiseOr, BinaryKernel)                \
  X(BitwiseXor, BinaryKernel)                                                                        \
  /* elementwise unary */                                                                            \
  X(Neg, UnaryKernel) X(Exp, UnaryKernel) X(Log, UnaryKernel) X(Sin, UnaryKernel)                   \
  X(Cos, UnaryKernel) X(Relu, UnaryKernel) X(Sigmoid, UnaryKernel) X(Abs, UnaryKernel)              \
  X(Sign, UnaryKernel) X(Sqrt, UnaryKernel) X(Rsqrt, UnaryKernel) X(Expm1, UnaryKernel)             \
  X(Log1p, UnaryKernel) X(Log2, UnaryKernel) X(Tan, UnaryKernel) X(Tanh, UnaryKernel)               \
  X(Erf, UnaryKernel) X(Gelu, UnaryKernel) X(Silu, UnaryKernel) X(Softplus, UnaryKernel)            \
  X(Floor, UnaryKernel) X(Ceil, UnaryKernel) X(Round, UnaryKernel) X(Trunc, UnaryKernel)            \
  X(Reciprocal, UnaryKernel) X(Clamp, UnaryKernel) X(LogicalNot, UnaryKernel)                       \
  X(BitwiseNot, UnaryKernel) X(Isnan, UnaryKernel) X(Isinf, UnaryKernel) X(Isfinite, UnaryKernel)   \
  X(NanToNum, UnaryKernel)                                                                           \
  /* reductions and scans */                                                                         \
  X(Sum, ReduceKernel) X(Mean, ReduceKernel) X(Prod, ReduceKernel) X(Amax, ReduceKernel)            \
  X(Amin, ReduceKernel) X(Max, ReduceKernel) X(Min, ReduceKernel) X(All, ReduceKernel)              \
  X(Any, ReduceKernel) X(Argmax, ArgReduceKernel) X(Argmin, ArgReduceKernel)                        \
  X(Softmax, SoftmaxKernel) X(LogSoftmax, SoftmaxKernel) X(Cumsum, CumKernel) X(Cumprod, CumKernel) \
  /* matrix products */                                                                              \
  X(Mm, MmKernel) X(Mv, MvKernel) X(Dot, DotKernel) X(Bmm, BmmKernel)                               \
  /* copies, selection, indexing */                                                                  \
  X(Clone, CopyKernel) X(ToCopy, CopyKernel) X(Where, WhereKernel) X(Cat, CatKernel)                \
  X(Index, IndexKernel) X(IndexPut, IndexPutKernel) X(Gather, GatherKernel)                         \
  X(Scatter, ScatterKernel) X(ScatterAdd, ScatterKernel)

// Builds one backend's table: call inside the backend's namespace, where
// the entry points and KernelFn are declared.
#define TENSORD_DEFINE_KERNEL_TABLE()                                                    \
  const KernelFn* KernelTable() {                                                        \
    static const std::array<KernelFn, kNumOps> table = [] {                              \
      std::array<KernelFn, kNumOps> t{};                                                 \
      TENSORD_FORALL_KERNELS(TENSORD_KERNEL_TABLE_ROW_)                                  \
      return t;                                                                          \
    }();                                                                                 \
    return table.data();                                                                 \
  }
#define TENSORD_KERNEL_TABLE_ROW_(Op, entry) t[static_cast<int>(OpId::k##Op)] = entry;
