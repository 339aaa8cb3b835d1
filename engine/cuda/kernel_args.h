// What the engine hands a CUDA kernel: plain structs of pointers, shapes and
// numbers. No CUDA, Abseil or engine types appear here, so nvcc compiles the
// kernels without parsing the engine's headers, and g++ compiles the very same
// kernel sources for the host emulator (Note [CUDA emulator], runtime.h).
//
// Dtype codes are engine::DType's values (kernel_table.cc checks they agree).
#pragma once

#include <cstdint>

namespace tensord::engine::cuda {

using StreamId = uintptr_t;  // a cudaStream_t as an integer (0: the default stream)

// Dimensions after coalescing (kernel_table.cc merges contiguous dims first);
// a tensor needing more is refused with an error, never truncated.
inline constexpr int kMaxDims = 16;
inline constexpr int kMaxOperands = 4;

enum KDType : int8_t {
  kBool = 0, kUInt8, kInt8, kInt16, kInt32, kInt64, kFloat16, kBFloat16, kFloat32, kFloat64, kNumKDTypes
};

// One operand of an elementwise walk: a device pointer and element strides
// (0 where broadcast), or a host scalar passed by value (data == nullptr:
// CPU 0-dim tensors and Python numbers beside cuda tensors, as PyTorch allows).
struct Operand {
  char* data = nullptr;
  int8_t dtype = kFloat32;
  double scalar_f = 0;    // the scalar when data == nullptr (floating dtypes)
  int64_t scalar_i = 0;   // the scalar when data == nullptr (bool/integral dtypes)
  int64_t strides[kMaxDims] = {};
};

// N operands (output first) walked over one shape, row-major linear index.
struct Iter {
  int ndim = 0;
  int nops = 0;
  int64_t numel = 0;
  int64_t sizes[kMaxDims] = {};
  Operand op[kMaxOperands];
  bool contiguous = false;  // every array operand dense row-major: offset = index
};

// Elementwise math: out = f(in...), `op` an engine OpId value. The inputs
// already have the compute dtype (the op's prepare rule cast them); the
// output's dtype may differ (comparisons write bool). Extra parameters of the
// op (clamp bounds, softplus beta, ...) travel in f[] / i[].
struct ElementwiseArgs {
  Iter it;
  int op = 0;
  double f[4] = {};
  int64_t i[4] = {};
  // Set nonzero by the kernel where an integer op leaves its domain (division
  // by zero, negative powers): Note [Domain errors on the device],
  // kernels/elementwise.cu. nullptr when the host has checked already.
  int32_t* error = nullptr;
};
// div's rounding_mode in ElementwiseArgs::i[0].
enum ElementwiseRounding : int64_t { kRoundNone = 0, kRoundTrunc = 1, kRoundFloor = 2 };

// dst = cast(src), any strides and dtypes (copies, casts, cat, contiguous).
struct CopyArgs {
  Iter it;  // op[0] = dst, op[1] = src
};

// dst[0..n) = pattern: items of 1, 2, 4 or 8 bytes holding one dtype's bits.
struct FillArgs {
  void* dst = nullptr;
  int64_t n = 0;
  int itemsize = 4;
  uint64_t pattern = 0;
};

// out[i] = start + i * step, contiguous, in out's dtype (integral dtypes in
// int64 arithmetic, floating in double, as the CPU kernel).
struct ArangeArgs {
  void* out = nullptr;
  int8_t dtype = kFloat32;
  int64_t n = 0;
  double start_f = 0, step_f = 0;
  int64_t start_i = 0, step_i = 0;
};

// Column-major GEMM in cuBLAS's terms (the engine passes row-major operands
// as their transposes): C = alpha * op(A) * op(B) + beta * C, `batch` times
// with element strides between the matrices (0: shared).
struct GemmArgs {  // (the Gemm launcher: any dtype, used where cuBLAS has none)
  int8_t dtype = kFloat32;  // of A, B and C
  bool trans_a = false, trans_b = false;
  int64_t m = 0, n = 0, k = 0;
  const void* a = nullptr;
  int64_t lda = 0, stride_a = 0;
  const void* b = nullptr;
  int64_t ldb = 0, stride_b = 0;
  void* c = nullptr;
  int64_t ldc = 0, stride_c = 0;
  int64_t batch = 1;
  double alpha = 1, beta = 0;
};

// ---- Indexing, random fills, fused optimizers (kernels/index.cu, random.cu, optim.cu)

// An out-of-range index found on the device: kernels atomically lower *error
// to the smallest bad position (initialised to kNoIndexError); the host reads
// it back after the launch and reports exactly what the CPU kernel reports
// (Note [Index bounds on the device], cuda/index.cc).
inline constexpr unsigned long long kNoIndexError = ~0ull;

// Advanced indexing in its normal form (Note [Advanced indexing],
// ops/index.cc): self, `nidx` int64 index tensors of one shape B (one per
// indexed dim), and `res` viewed as [B..., rest...]. One thread per
// (b, rest element). A bad index is recorded as b * nidx + k.
enum IndexMode : int { kIndexGather = 0, kIndexPut = 1, kIndexAccumulate = 2 };
struct IndexArgs {
  int8_t dtype = kFloat32;  // of self and res
  int mode = kIndexGather;  // res = self[idx] / self[idx] = res / self[idx] += res
  char* self = nullptr;     // self's first element
  char* res = nullptr;      // res's first element
  int nidx = 0;
  const int64_t* idx[kMaxDims] = {};
  int64_t idx_strides[kMaxDims][kMaxDims] = {};  // [k][d]: index k's strides over B
  int64_t dim_size[kMaxDims] = {};                // self.size(dims[k])
  int64_t dim_stride[kMaxDims] = {};              // self.stride(dims[k])
  int nb = 0;                                     // dims of B
  int64_t b_sizes[kMaxDims] = {}, res_b_strides[kMaxDims] = {};
  int nrest = 0;                                  // the dims of self not indexed
  int64_t rest_sizes[kMaxDims] = {}, self_rest_strides[kMaxDims] = {}, res_rest_strides[kMaxDims] = {};
  int64_t numel_b = 0, numel_rest = 0;
  unsigned long long* error = nullptr;
};

// gather / scatter / scatter_add along `dim`, one thread per element of
// `index` (row-major; a bad index is recorded as that position). The side
// that is indexed (gather: src = self, scatter: dst = out) has stride 0 at
// dim and moves by v * dim_stride instead.
enum GatherMode : int { kGather = 0, kScatter = 1, kScatterAdd = 2 };
struct GatherArgs {
  int8_t dtype = kFloat32;  // of dst and src
  int mode = kGather;
  int ndim = 0;
  int64_t numel = 0;
  int64_t sizes[kMaxDims] = {};  // index's shape
  const int64_t* index = nullptr;
  int64_t index_strides[kMaxDims] = {};
  char* dst = nullptr;
  int64_t dst_strides[kMaxDims] = {};
  const char* src = nullptr;  // nullptr (scatter with a value): `value` holds dtype's bits
  int64_t src_strides[kMaxDims] = {};
  uint64_t value = 0;
  int64_t dim_size = 1, dim_stride = 0;
  unsigned long long* error = nullptr;
};

// Random fills from Philox4x32-10 (Note [CUDA random numbers], cuda/random.cc):
// element i (row-major over sizes/strides) draws counter block offset + i
// under key `seed`, so results do not depend on the launch configuration.
enum RandomKind : int { kRandUniform = 0, kRandNormal, kRandBernoulli, kRandBernoulliTensor, kRandInt };
struct RandomArgs {
  int8_t dtype = kFloat32;  // of out
  int kind = kRandUniform;
  char* out = nullptr;
  int ndim = 0;
  int64_t numel = 0;
  int64_t sizes[kMaxDims] = {}, strides[kMaxDims] = {};
  uint64_t seed = 0, offset = 0;
  double a = 0, b = 1;                // uniform [a, b); normal mean a, std b; bernoulli p = a
  const double* probs = nullptr;      // bernoulli(self): contiguous float64 probabilities
  int64_t low = 0;                    // randint: low + draw % range
  uint64_t range = 1;
};

// One fused optimizer step over one parameter (cpu/optim.cc's arithmetic):
// t[0] param, t[1] grad, then SGD: t[2] momentum buffer; Adam: t[2] exp_avg,
// t[3] exp_avg_sq, t[4] max_exp_avg_sq (an unused slot aliases another).
enum OptimKind : int { kOptimSgd = 0, kOptimAdam = 1 };
struct OptimArgs {
  int8_t dtype = kFloat32;
  int kind = kOptimSgd;
  int ndim = 0;
  int64_t numel = 0;
  int64_t sizes[kMaxDims] = {};
  char* t[5] = {};
  int64_t strides[5][kMaxDims] = {};
  // SGD: lr (already negated), momentum, wd, damp (1 - dampening).
  // Adam: w1, b2, w2, decay, wd, bias2, eps, step (-step_size).
  double lr = 0, momentum = 0, damp = 0, wd = 0;
  double w1 = 0, b2 = 0, w2 = 0, decay = 0, bias2 = 0, eps = 0, step = 0;
  bool has_wd = false, has_momentum = false, nesterov = false, maximize = false, first = false;
  bool decoupled = false, amsgrad = false;
};

// Reductions (kernels/reduce.cu, Note [Reduce rows]): `rows` outputs, each
// combining a run of `len` input elements. Row o's run starts at the input
// offset of o walked row-major over the kept dims (outer_*), and element r
// of the run lies at that plus the offset of r over the reduced dims
// (inner_*). Strides are input element strides; size-1 dims are dropped.
struct ReduceGeom {
  int outer_ndim = 0;
  int64_t outer_sizes[kMaxDims] = {};
  int64_t outer_strides[kMaxDims] = {};
  int inner_ndim = 0;
  int64_t inner_sizes[kMaxDims] = {};
  int64_t inner_strides[kMaxDims] = {};
  int64_t rows = 0;
  int64_t len = 0;
};

enum ReduceKindCode : int {
  kReduceSum = 0, kReduceProd, kReduceMax, kReduceMin, kReduceAll, kReduceAny, kReduceArgMax, kReduceArgMin
};

// Bytes of one partial result in the two-pass scratch (the largest
// accumulator: an argmax candidate, value and int64 index).
inline constexpr int kReduceScratchItem = 16;
// The most pieces a row is cut into (the second pass walks them in one thread).
inline constexpr int64_t kReduceMaxChunks = 4096;

// Whether a run walks memory forwards by one element innermost (the GPU then
// reduces it with a block; otherwise one thread per task). The host's chunk
// policy (reduce.cc) and the launcher (kernels/reduce.cu) both ask this.
inline bool ReduceRunIsContiguous(const ReduceGeom& g) {
  return g.inner_ndim > 0 && g.inner_strides[g.inner_ndim - 1] == 1;
}

// sum mean prod amax amin max min all any (out: `rows` elements of
// out_dtype) and argmax argmin (out: int64), contiguous output.
struct ReduceArgs {
  ReduceGeom g;
  const void* in = nullptr;
  int8_t in_dtype = kFloat32;
  void* out = nullptr;
  int8_t out_dtype = kFloat32;
  int kind = kReduceSum;
  bool mean = false;        // sum / len
  int64_t chunks = 1;       // > 1: each row in `chunks` pieces, then their partials
  void* scratch = nullptr;  // rows * chunks * kReduceScratchItem bytes when chunks > 1
};

// An op along one dim of a contiguous tensor seen as [outer, n, inner]
// (softmax/log_softmax, cumsum/cumprod): in and out contiguous, same dtype.
// op: 0 softmax / cumsum, 1 log_softmax / cumprod. The cumulative ops cut
// few long lines into `chunks` pieces (three passes through `scratch`:
// outer * inner * chunks 8-byte carries), softmax ignores both.
struct AlongDimArgs {
  const void* in = nullptr;
  void* out = nullptr;
  int8_t dtype = kFloat32;
  int64_t outer = 1, n = 1, inner = 1;
  int op = 0;
  int64_t chunks = 1;
  void* scratch = nullptr;
};

}  // namespace tensord::engine::cuda
