// Note [The op list]
//   The one list that names every op, once: X(torch_name, CamelName). It
//   drives OpId, the registry (ListOps), the per-device kernel tables and the
//   op test table. Adding an op = one row here, its definition in the ops/*.cc
//   file of its family (a function `const OpDef& CamelNameOp()`), a kernel if
//   it is a new primitive, and a row in engine/tests/op_table_test.cc.
//
//   Files an op touches, counted (a new elementwise primitive, e.g. exp2):
//     1. engine/ops/op_list.h          X(exp2, Exp2)
//     2. engine/ops/elementwise.cc     Exp2Op(): shape/dtype rule, backward
//     3. engine/ops/kernel_list.h      X(Exp2, UnaryKernel)
//     4. engine/cpu/unary.cc           its CPU loop body
//     5. engine/cuda/elementwise.cc    its case in the launcher's dtype switch
//     6. engine/cuda/kernels/elementwise.cu  its CUDA body (also the emulator's)
//     7. engine/tests/op_table_test.cc one row: forward, gradient, CUDA-vs-CPU,
//                                      in-place twin, metadata-only parity
//   Seven files, all in engine/. A composite or view: 1, 2 and 7 only. An
//   in-place twin: one row in TENSORD_FORALL_INPLACE_OPS. Nothing in the
//   clients: the server lists the op (ListOps), Client::Call / Tensor::Call
//   run it by name, and its output metadata and user errors are inferred by
//   this very definition, linked into the client core as tensord_contract
//   (Note [Metadata-only execution], engine/meta.h). A named method in a
//   client's public API (tensord.h + src/ops.cc, the Python Tensor class) is
//   surface, not rules. An op whose output shape depends on values says so
//   in its OpDef (values_decide_shape); clients then ask the server.
#pragma once

#include <cstdint>

#define TENSORD_FORALL_OPS(X)                                                    \
  /* factories (ops/factory.cc) */                                               \
  X(full, Full) X(zeros, Zeros) X(ones, Ones) X(empty, Empty) X(arange, Arange)   \
  X(linspace, Linspace) X(eye, Eye)                                              \
  X(rand, Rand) X(randn, Randn) X(randint, Randint) X(randperm, Randperm)         \
  X(uniform_, Uniform_) X(normal_, Normal_) X(bernoulli, Bernoulli)               \
  X(bernoulli_, Bernoulli_)                                                      \
  /* optimizers, fused (ops/optim.cc) */                                         \
  X(_fused_sgd_, FusedSgd_) X(_fused_adam_, FusedAdam_)                           \
  /* elementwise binary (ops/elementwise.cc) */                                  \
  X(add, Add) X(sub, Sub) X(rsub, Rsub) X(mul, Mul) X(div, Div) X(pow, Pow)                     \
  X(eq, Eq) X(ne, Ne) X(lt, Lt) X(le, Le) X(gt, Gt) X(ge, Ge)                     \
  X(remainder, Remainder) X(fmod, Fmod) X(logical_and, LogicalAnd)                \
  X(logical_or, LogicalOr) X(logical_xor, LogicalXor) X(bitwise_and, BitwiseAnd)  \
  X(bitwise_or, BitwiseOr) X(bitwise_xor, BitwiseXor) X(logical_not, LogicalNot)  \
  X(bitwise_not, BitwiseNot) X(isnan, Isnan) X(isinf, Isinf) X(isfinite, Isfinite) \
  X(nan_to_num, NanToNum)                                                        \
  /* elementwise unary (ops/elementwise.cc) */                                   \
  X(neg, Neg) X(exp, Exp) X(log, Log) X(sin, Sin) X(cos, Cos) X(relu, Relu)       \
  X(threshold_backward, ThresholdBackward)                                       \
  X(sigmoid, Sigmoid) X(abs, Abs) X(sign, Sign) X(sqrt, Sqrt) X(rsqrt, Rsqrt)     \
  X(expm1, Expm1) X(log1p, Log1p) X(log2, Log2) X(tan, Tan) X(tanh, Tanh)         \
  X(erf, Erf) X(gelu, Gelu) X(silu, Silu) X(softplus, Softplus) X(floor, Floor)   \
  X(ceil, Ceil) X(round, Round) X(trunc, Trunc) X(reciprocal, Reciprocal)         \
  /* reductions (ops/reduce.cc) */                                               \
  X(sum, Sum) X(mean, Mean) X(prod, Prod) X(amax, Amax) X(amin, Amin) X(max, Max) \
  X(min, Min) X(all, All) X(any, Any) X(argmax, Argmax) X(argmin, Argmin)         \
  X(max_dim, MaxDim) X(min_dim, MinDim)                                          \
  X(softmax, Softmax) X(log_softmax, LogSoftmax) X(cumsum, Cumsum)                \
  X(cumprod, Cumprod) X(var, Var) X(std, Std) X(logsumexp, Logsumexp)             \
  X(norm, Norm)                                                                  \
  /* linear algebra (ops/linalg.cc) */                                           \
  X(mm, Mm) X(mv, Mv) X(dot, Dot) X(bmm, Bmm) X(matmul, Matmul)                   \
  X(outer, Outer) X(addmm, Addmm) X(baddbmm, Baddbmm) X(einsum, Einsum)            \
  /* views, shape and copies (ops/shape.cc) */                                   \
  X(view, View) X(reshape, Reshape) X(expand, Expand) X(sum_to_size, SumToSize)   \
  X(transpose, Transpose) X(t, T) X(permute, Permute) X(unsqueeze, Unsqueeze)     \
  X(squeeze, Squeeze) X(contiguous, Contiguous) X(clone, Clone)                   \
  X(detach, Detach) X(to, To) X(_to_copy, ToCopy) X(select, Select)               \
  X(slice, Slice) X(narrow, Narrow) X(cat, Cat) X(stack, Stack)                   \
  /* selection and clamping (ops/select.cc) */                                   \
  X(where, Where) X(masked_fill, MaskedFill) X(maximum, Maximum)                  \
  X(minimum, Minimum) X(clamp, Clamp)                                            \
  /* indexing (ops/index.cc) */                                                  \
  X(index, Index) X(index_put, IndexPut) X(index_select, IndexSelect)             \
  X(gather, Gather) X(scatter, Scatter) X(scatter_add, ScatterAdd)                \
  X(nonzero, Nonzero)                                                            \
  X(fill, Fill) X(_overwrite, Overwrite)                                         \
  /* autograd accessors (ops/autograd_ops.cc) */                                 \
  X(requires_grad_, RequiresGrad) X(grad, Grad) X(set_grad_, SetGrad_)            \
  X(retain_grad, RetainGrad)                                                     \
  /* in-place (ops/inplace.cc) */                                                \
  X(zero_, Zero_) X(copy_, Copy_) X(t_, T_) X(resize_, Resize_)                                       \
  TENSORD_FORALL_INPLACE_OPS(X)

// Note [In-place variants]
//   `name_` is `name` computed out of place and written back into its first
//   input (ops/inplace.cc): one generic rule covers shape, dtype, leaf and
//   version-counter semantics, so a variant is just this row.
#define TENSORD_FORALL_INPLACE_OPS(X)                                            \
  X(add_, Add_) X(sub_, Sub_) X(mul_, Mul_) X(div_, Div_) X(pow_, Pow_)           \
  X(neg_, Neg_) X(exp_, Exp_) X(log_, Log_) X(sin_, Sin_) X(cos_, Cos_)           \
  X(relu_, Relu_) X(sigmoid_, Sigmoid_) X(abs_, Abs_) X(sign_, Sign_)             \
  X(sqrt_, Sqrt_) X(rsqrt_, Rsqrt_) X(expm1_, Expm1_) X(log1p_, Log1p_)           \
  X(log2_, Log2_) X(tan_, Tan_) X(tanh_, Tanh_) X(erf_, Erf_) X(floor_, Floor_)   \
  X(ceil_, Ceil_) X(round_, Round_) X(trunc_, Trunc_)                             \
  X(reciprocal_, Reciprocal_) X(fill_, Fill_) X(clamp_, Clamp_)                  \
  X(remainder_, Remainder_) X(fmod_, Fmod_) X(logical_not_, LogicalNot_)          \
  X(bitwise_and_, BitwiseAnd_) X(bitwise_or_, BitwiseOr_) X(bitwise_xor_, BitwiseXor_) \
  X(nan_to_num_, NanToNum_)                                                      \
  X(masked_fill_, MaskedFill_) X(index_put_, IndexPut_) X(scatter_, Scatter_)    \
  X(scatter_add_, ScatterAdd_)

namespace tensord::engine {

enum class OpId : int16_t {
#define TENSORD_OP_ENUM_(name, Camel) k##Camel,
  TENSORD_FORALL_OPS(TENSORD_OP_ENUM_)
#undef TENSORD_OP_ENUM_
};

inline constexpr int kNumOps = 0
#define TENSORD_OP_COUNT_(name, Camel) +1
    TENSORD_FORALL_OPS(TENSORD_OP_COUNT_);
#undef TENSORD_OP_COUNT_

// Names in op-list order (usable before any OpDef exists).
inline constexpr const char* kOpNames[] = {
#define TENSORD_OP_NAME_(name, Camel) #name,
    TENSORD_FORALL_OPS(TENSORD_OP_NAME_)
#undef TENSORD_OP_NAME_
};

struct OpDef;
#define TENSORD_OP_DECL_(name, Camel) const OpDef& Camel##Op();
TENSORD_FORALL_OPS(TENSORD_OP_DECL_)
#undef TENSORD_OP_DECL_

}  // namespace tensord::engine
