// Reductions (sum mean prod amax amin max min all any argmax argmin) and the
// ops along one dim (softmax, log_softmax, cumsum, cumprod). Mirrors
// engine/cpu/reduce.cc: the same accumulator types (int64 for bool and the
// integers, double for every floating dtype), the same NaN rules, the same
// casts of the result.
//
// Note [Reduce rows]
//   The host glue (engine/cuda/reduce.cc) describes a reduction as `rows`
//   outputs, each reducing a run of `len` input elements (ReduceGeom: the
//   kept dims give a row's base offset, the reduced dims the offsets within
//   its run; any strides). What a reduction does is a functor (ReduceOp,
//   ArgOp below) with
//     Acc Identity(), Acc Load(base, r), Acc Combine(Acc, Acc), Store(row, Acc)
//   where Combine is associative and commutative (argmax breaks ties by the
//   smaller index, so any order finds the first extremum), and the launch
//   decides only the order of the combines:
//     * each row is cut into `chunks` pieces when there are few, long rows
//       (the host's policy, reduce.cc: e.g. a full sum of 1e8 elements); one
//       task per (row, chunk) reduces its piece, into the scratch buffer
//       when chunks > 1, and a second pass combines each row's partials.
//       Tasks are numbered c * rows + row: neighbouring tasks are
//       neighbouring outputs;
//     * on the GPU a task is one block (strided loads, then a shared-memory
//       tree; 32 to 256 threads, at least two elements each) when its run is
//       contiguous (innermost reduced stride 1) with 32 elements or more;
//       otherwise one thread per task: short runs, and column reductions
//       (e.g. a bias gradient, [N, C] summed over N), where neighbouring
//       threads read neighbouring addresses, so that one thread per task is
//       the coalesced layout, and the host cuts the columns into enough
//       pieces to keep the GPU busy;
//     * on the host emulator every task is a plain loop, so the emulator
//       runs the very functors and the two-pass indexing the GPU runs.
//   Floating sums accumulate in double as the CPU does (results agree with
//   the CPU's to the last bit nearly always; reductions are memory-bound, and
//   data-center GPUs run double at half the float rate).
//
// Note [Ops along one dim]
//   softmax/log_softmax and cumsum/cumprod get a contiguous input (their
//   prepare made it so) seen as [outer, n, inner]: outer * inner lines of n
//   elements, `inner` apart. softmax runs one block per line on the GPU when
//   lines are contiguous and have 32 elements or more (max, then sum of exp,
//   by shared-memory trees), one thread per line otherwise (short lines, and
//   lines `inner` apart, where neighbouring threads read neighbours).
//   The cumulative ops run one thread per line, and cut few long lines into
//   chunks the way Note [Reduce rows] does: pass 1 totals each chunk, pass 2
//   turns a line's totals into the carry into each chunk, pass 3 scans each
//   chunk from its carry. All three are plain per-thread loops, so the
//   emulator runs them as the GPU does. Each thread still walks its chunk
//   alone (uncoalesced for contiguous lines; a block scan would do better),
//   and floating sums are reassociated at chunk boundaries (in double: the
//   results round as the CPU's nearly always, but a cumprod that overflows
//   double partway may differ where the CPU's sequential product does not).

#include "engine/cuda/kernels/common.cuh"

namespace tensord::engine::cuda::TENSORD_KERNEL_NS {

namespace {

// ---------------------------------------------------------------- math

TD_HD inline float ExpOf(float x) { return ::expf(x); }
TD_HD inline double ExpOf(double x) { return ::exp(x); }
TD_HD inline float LogOf(float x) { return ::logf(x); }
TD_HD inline double LogOf(double x) { return ::log(x); }

// The CPU's accumulator: int64 for bool and the integers, double for floats.
template <typename T>
using Acc = std::conditional_t<std::is_integral_v<T>, int64_t, double>;

// The first element of chunk c of `chunks` equal pieces of [0, len).
TD_HD inline int64_t ChunkBegin(int64_t len, int64_t chunks, int64_t c) {
  const int64_t q = len / chunks, r = len % chunks;
  return q * c + (c < r ? c : r);
}

// ---------------------------------------------------------------- functors

// sum mean prod amax amin max min all any over T, accumulating in Acc<T>.
template <typename T, int kKind>
struct ReduceOp {
  using A = Acc<T>;
  using AccT = A;
  ReduceGeom g;
  const T* in;
  char* out;
  int out_dtype;
  bool mean;

  TD_HD A Identity() const {
    if constexpr (kKind == kReduceProd || kKind == kReduceAll) return A(1);
    else if constexpr (kKind == kReduceMax && std::is_integral_v<A>) return INT64_MIN;
    else if constexpr (kKind == kReduceMax) return -INFINITY;
    else if constexpr (kKind == kReduceMin && std::is_integral_v<A>) return INT64_MAX;
    else if constexpr (kKind == kReduceMin) return INFINITY;
    else return A(0);
  }
  TD_HD int64_t Base(int64_t row) const { return StridedOffset(g.outer_ndim, g.outer_sizes, g.outer_strides, row); }
  TD_HD A Load(int64_t base, int64_t r) const {
    return static_cast<A>(ToMath(in[base + StridedOffset(g.inner_ndim, g.inner_sizes, g.inner_strides, r)]));
  }
  // The CPU's Reducer: max/min propagate NaN.
  TD_HD A Combine(A acc, A v) const {
    if constexpr (kKind == kReduceSum) return acc + v;
    else if constexpr (kKind == kReduceProd) return acc * v;
    else if constexpr (kKind == kReduceMax) return (acc != acc || v > acc) ? (acc != acc ? acc : v) : (v != v ? v : acc);
    else if constexpr (kKind == kReduceMin) return (acc != acc || v < acc) ? (acc != acc ? acc : v) : (v != v ? v : acc);
    else if constexpr (kKind == kReduceAll) return (acc != 0 && v != 0) ? A(1) : A(0);
    else return (acc != 0 || v != 0) ? A(1) : A(0);
  }
  // static_cast<O>(static_cast<OpMath<O>>(acc)) as the CPU (StoreWide goes
  // through float for the 16-bit floats), acc / count for mean, acc != 0 for bool.
  TD_HD void Store(int64_t row, A a) const {
    char* p = out + row * ItemSize(out_dtype);
    if (mean) StoreWide(p, out_dtype, Wide{true, static_cast<double>(a) / static_cast<double>(g.len), 0});
    else if constexpr (std::is_integral_v<A>) StoreWide(p, out_dtype, Wide{false, 0.0, a});
    else StoreWide(p, out_dtype, Wide{true, a, 0});
  }
};

// A candidate of argmax/argmin: its value and index (index < 0: none yet).
template <typename M>
struct ArgAcc {
  M v;
  int64_t i;
};

// argmax/argmin: the first extremum; a NaN beats every number (the first NaN).
template <typename T, bool kMax>
struct ArgOp {
  using M = OpMath<T>;
  using AccT = ArgAcc<M>;
  ReduceGeom g;
  const T* in;
  int64_t* out;

  TD_HD AccT Identity() const { return AccT{M(0), -1}; }
  TD_HD int64_t Base(int64_t row) const { return StridedOffset(g.outer_ndim, g.outer_sizes, g.outer_strides, row); }
  TD_HD AccT Load(int64_t base, int64_t r) const {
    return AccT{ToMath(in[base + StridedOffset(g.inner_ndim, g.inner_sizes, g.inner_strides, r)]), r};
  }
  TD_HD AccT Combine(AccT a, AccT b) const {
    if (a.i < 0) return b;
    if (b.i < 0) return a;
    const bool a_nan = a.v != a.v, b_nan = b.v != b.v;
    const AccT& first = a.i < b.i ? a : b;
    if (a_nan || b_nan) return (a_nan && b_nan) ? first : (a_nan ? a : b);
    if (a.v == b.v) return first;
    if constexpr (kMax) return a.v > b.v ? a : b;
    else return a.v < b.v ? a : b;
  }
  TD_HD void Store(int64_t row, AccT a) const { out[row] = a.i; }
};

// ---------------------------------------------------------------- launching rows

#if defined(__CUDACC__)
inline constexpr int kReduceThreads = 256;  // the most threads of a block (shared arrays are this long)

// Threads for a block that combines `n` elements: a power of two (the tree
// halves it) from a warp to kReduceThreads, with at least two elements each.
inline int BlockThreadsFor(int64_t n) {
  int threads = 32;
  while (threads < kReduceThreads && 4 * static_cast<int64_t>(threads) <= n) threads *= 2;
  return threads;
}
inline constexpr int64_t kMaxGrid = 1 << 20;  // blocks beyond loop (block-stride)

// Shared-memory tree over the block: every thread passes its value, every
// thread gets the combination of all. `smem` holds blockDim.x values.
template <typename A, typename F>
__device__ A BlockCombine(A v, A* smem, F combine) {
  smem[threadIdx.x] = v;
  __syncthreads();
  for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) smem[threadIdx.x] = combine(smem[threadIdx.x], smem[threadIdx.x + s]);
    __syncthreads();
  }
  const A r = smem[0];
  __syncthreads();  // smem is reused by the caller's next round
  return r;
}

template <typename Op>
struct CombineOf {
  const Op* op;
  __device__ typename Op::AccT operator()(typename Op::AccT a, typename Op::AccT b) const { return op->Combine(a, b); }
};

// One block per task (row, chunk): strided loads, then the tree.
template <typename Op>
__global__ void ReduceBlocksKernel(Op op, int64_t rows, int64_t len, int64_t chunks, typename Op::AccT* partial) {
  using A = typename Op::AccT;
  __shared__ A smem[kReduceThreads];
  const int64_t tasks = rows * chunks;
  for (int64_t task = blockIdx.x; task < tasks; task += gridDim.x) {
    const int64_t row = task % rows, c = task / rows;
    const int64_t begin = ChunkBegin(len, chunks, c), end = ChunkBegin(len, chunks, c + 1);
    const int64_t base = op.Base(row);
    A a = op.Identity();
    for (int64_t r = begin + threadIdx.x; r < end; r += blockDim.x) a = op.Combine(a, op.Load(base, r));
    a = BlockCombine(a, smem, CombineOf<Op>{&op});
    if (threadIdx.x == 0) {
      if (partial != nullptr) partial[task] = a;
      else op.Store(row, a);
    }
  }
}
#endif

// Pass 1 (Note [Reduce rows]): task c * rows + row reduces chunk c of `row`;
// with chunks == 1 it stores the row's result, else its partial.
template <typename Op>
int ReduceTasks(const Op& op, const ReduceArgs& a, typename Op::AccT* partial, StreamId stream) {
  using A = typename Op::AccT;
  const int64_t rows = a.g.rows, len = a.g.len, chunks = a.chunks, tasks = rows * chunks;
#if defined(__CUDACC__)
  const int64_t piece = len / chunks;
  if (ReduceRunIsContiguous(a.g) && piece >= 32) {
    const unsigned grid = static_cast<unsigned>(tasks < kMaxGrid ? tasks : kMaxGrid);
    const cudaStream_t st = reinterpret_cast<cudaStream_t>(stream);
    ReduceBlocksKernel<<<grid, BlockThreadsFor(piece), 0, st>>>(op, rows, len, chunks, partial);
    return static_cast<int>(cudaGetLastError());
  }
#endif
  return ParallelFor(tasks, stream, [=] TD_HD(int64_t task) {
    const int64_t row = task % rows, c = task / rows;
    const int64_t end = ChunkBegin(len, chunks, c + 1);
    const int64_t base = op.Base(row);
    A acc = op.Identity();
    for (int64_t r = ChunkBegin(len, chunks, c); r < end; ++r) acc = op.Combine(acc, op.Load(base, r));
    if (partial != nullptr) partial[task] = acc;
    else op.Store(row, acc);
  });
}

template <typename Op>
int ReduceRows(const Op& op, const ReduceArgs& a, StreamId stream) {
  using A = typename Op::AccT;
  if (a.g.rows == 0) return 0;
  if (a.chunks <= 1) return ReduceTasks<Op>(op, a, nullptr, stream);
  if (a.scratch == nullptr) return 1;  // cudaErrorInvalidValue: two passes need the scratch buffer
  static_assert(sizeof(A) <= kReduceScratchItem, "ReduceArgs::scratch holds kReduceScratchItem bytes per partial");
  A* partial = static_cast<A*>(a.scratch);
  const int64_t rows = a.g.rows, chunks = a.chunks;
  int err = ReduceTasks<Op>(op, a, partial, stream);
  if (err != 0) return err;
  // Pass 2: a row's chunk partials, in chunk order (at most kReduceMaxChunks).
  return ParallelFor(rows, stream, [=] TD_HD(int64_t row) {
    A acc = op.Identity();
    for (int64_t c = 0; c < chunks; ++c) acc = op.Combine(acc, partial[c * rows + row]);
    op.Store(row, acc);
  });
}

template <typename T, int kKind>
int ReduceWithKind(const ReduceArgs& a, StreamId stream) {
  const ReduceOp<T, kKind> op{a.g, static_cast<const T*>(a.in), static_cast<char*>(a.out), a.out_dtype, a.mean};
  return ReduceRows(op, a, stream);
}

template <typename T>
int ReduceAs(const ReduceArgs& a, StreamId stream) {
  switch (a.kind) {
    case kReduceSum: return ReduceWithKind<T, kReduceSum>(a, stream);
    case kReduceProd: return ReduceWithKind<T, kReduceProd>(a, stream);
    case kReduceMax: return ReduceWithKind<T, kReduceMax>(a, stream);
    case kReduceMin: return ReduceWithKind<T, kReduceMin>(a, stream);
    case kReduceAll: return ReduceWithKind<T, kReduceAll>(a, stream);
    case kReduceAny: return ReduceWithKind<T, kReduceAny>(a, stream);
    case kReduceArgMax: return ReduceRows(ArgOp<T, true>{a.g, static_cast<const T*>(a.in), static_cast<int64_t*>(a.out)}, a, stream);
    case kReduceArgMin: return ReduceRows(ArgOp<T, false>{a.g, static_cast<const T*>(a.in), static_cast<int64_t*>(a.out)}, a, stream);
    default: return 1;  // cudaErrorInvalidValue
  }
}

// ---------------------------------------------------------------- softmax

// The CPU's order of operations in M (float, or double for double):
// mx = max (std::max: a NaN never becomes the max), s = sum exp(x - mx),
// then x - mx - log(s) or exp(x - mx) / s.
template <typename T>
using SoftmaxMath = std::conditional_t<std::is_same_v<T, double>, double, float>;

// `t` is log(s) for log_softmax, s for softmax.
template <typename T>
TD_HD inline void SoftmaxWrite(const T* x, T* y, int64_t k, int64_t stride, SoftmaxMath<T> mx, SoftmaxMath<T> t,
                               bool log) {
  using M = SoftmaxMath<T>;
  const M v = static_cast<M>(ToMath(x[k * stride]));
  y[k * stride] = FromMath<T>(static_cast<OpMath<T>>(log ? v - mx - t : ExpOf(v - mx) / t));
}

#if defined(__CUDACC__)
template <typename M>
struct MaxIgnoringNaN {  // std::max(a, b) as the CPU calls it, b the new value
  __device__ M operator()(M a, M b) const { return a < b ? b : a; }
};
template <typename M>
struct Plus {
  __device__ M operator()(M a, M b) const { return a + b; }
};

// One block per contiguous line.
template <typename T>
__global__ void SoftmaxBlocksKernel(const T* in, T* out, int64_t lines, int64_t n, bool log) {
  using M = SoftmaxMath<T>;
  __shared__ M smem[kReduceThreads];
  for (int64_t line = blockIdx.x; line < lines; line += gridDim.x) {
    const T* x = in + line * n;
    T* y = out + line * n;
    M mx = M(-INFINITY);
    for (int64_t k = threadIdx.x; k < n; k += blockDim.x) mx = MaxIgnoringNaN<M>{}(mx, static_cast<M>(ToMath(x[k])));
    mx = BlockCombine(mx, smem, MaxIgnoringNaN<M>{});
    M s = 0;
    for (int64_t k = threadIdx.x; k < n; k += blockDim.x) s += ExpOf(static_cast<M>(ToMath(x[k])) - mx);
    s = BlockCombine(s, smem, Plus<M>{});
    const M t = log ? LogOf(s) : s;
    for (int64_t k = threadIdx.x; k < n; k += blockDim.x) SoftmaxWrite(x, y, k, 1, mx, t, log);
  }
}
#endif

template <typename T>
int SoftmaxAs(const AlongDimArgs& a, StreamId stream) {
  using M = SoftmaxMath<T>;
  const T* in = static_cast<const T*>(a.in);
  T* out = static_cast<T*>(a.out);
  const int64_t n = a.n, inner = a.inner, lines = a.outer * a.inner;
  const bool log = a.op != 0;
#if defined(__CUDACC__)
  if (inner == 1 && n >= 32 && lines > 0) {  // (a grid of 0 blocks is a launch error)
    const unsigned grid = static_cast<unsigned>(lines < kMaxGrid ? lines : kMaxGrid);
    SoftmaxBlocksKernel<T><<<grid, BlockThreadsFor(n), 0, reinterpret_cast<cudaStream_t>(stream)>>>(in, out, lines, n, log);
    return static_cast<int>(cudaGetLastError());
  }
#endif
  return ParallelFor(lines, stream, [=] TD_HD(int64_t l) {
    const int64_t base = (l / inner) * n * inner + l % inner;
    const T* x = in + base;
    T* y = out + base;
    M mx = M(-INFINITY);
    for (int64_t k = 0; k < n; ++k) {
      const M v = static_cast<M>(ToMath(x[k * inner]));
      mx = mx < v ? v : mx;
    }
    M s = 0;
    for (int64_t k = 0; k < n; ++k) s += ExpOf(static_cast<M>(ToMath(x[k * inner])) - mx);
    const M t = log ? LogOf(s) : s;
    for (int64_t k = 0; k < n; ++k) SoftmaxWrite(x, y, k, inner, mx, t, log);
  });
}

template <typename T>
int SoftmaxDispatch(const AlongDimArgs& a, StreamId stream) {
  if constexpr (kIsFloating<T>) return SoftmaxAs<T>(a, stream);
  else return 1;  // cudaErrorInvalidValue: prepare admits floating dtypes only
}

// ---------------------------------------------------------------- cumsum, cumprod

template <typename T>
int CumAs(const AlongDimArgs& a, StreamId stream) {
  using A = Acc<T>;
  const T* in = static_cast<const T*>(a.in);
  T* out = static_cast<T*>(a.out);
  const int64_t n = a.n, inner = a.inner, lines = a.outer * a.inner;
  const int64_t chunks = a.chunks > 1 ? a.chunks : 1;
  const bool prod = a.op != 0;
  static_assert(sizeof(A) == 8, "AlongDimArgs::scratch holds 8-byte carries");
  A* carries = static_cast<A*>(a.scratch);
  if (chunks > 1 && carries == nullptr) return 1;  // cudaErrorInvalidValue: three passes need the scratch buffer
  if (chunks > 1) {
    // Pass 1: each chunk's total.
    int err = ParallelFor(lines * chunks, stream, [=] TD_HD(int64_t task) {
      const int64_t l = task % lines, c = task / lines;
      const T* x = in + (l / inner) * n * inner + l % inner;
      const int64_t end = ChunkBegin(n, chunks, c + 1);
      A acc = prod ? A(1) : A(0);
      for (int64_t k = ChunkBegin(n, chunks, c); k < end; ++k) {
        const A v = static_cast<A>(ToMath(x[k * inner]));
        acc = prod ? acc * v : acc + v;
      }
      carries[task] = acc;
    });
    if (err != 0) return err;
    // Pass 2: a line's totals become the carries into its chunks (exclusive scan).
    err = ParallelFor(lines, stream, [=] TD_HD(int64_t l) {
      A running = prod ? A(1) : A(0);
      for (int64_t c = 0; c < chunks; ++c) {
        const A total = carries[c * lines + l];
        carries[c * lines + l] = running;
        running = prod ? running * total : running + total;
      }
    });
    if (err != 0) return err;
  }
  // Tasks are c * lines + l (neighbouring threads: neighbouring lines, which
  // for inner > 1 are neighbouring addresses). The scan of each (line, chunk) from its carry (pass 3; the whole job when chunks == 1).
  return ParallelFor(lines * chunks, stream, [=] TD_HD(int64_t task) {
    const int64_t l = task % lines, c = task / lines;
    const int64_t base = (l / inner) * n * inner + l % inner;
    const T* x = in + base;
    T* y = out + base;  // captured here: nvcc refuses first captures inside `if constexpr`
    const int64_t end = ChunkBegin(n, chunks, c + 1);
    A acc = chunks > 1 ? carries[task] : (prod ? A(1) : A(0));
    for (int64_t k = ChunkBegin(n, chunks, c); k < end; ++k) {
      const A v = static_cast<A>(ToMath(x[k * inner]));
      acc = prod ? acc * v : acc + v;
      if constexpr (std::is_same_v<T, bool>) y[k * inner] = acc != 0;
      else y[k * inner] = FromMath<T>(static_cast<OpMath<T>>(acc));
    }
  });
}

}  // namespace

int Reduce(const ReduceArgs& a, StreamId stream) {
  int err = 1;
  TD_DISPATCH_ALL(a.in_dtype, err = ReduceAs<TD_T_>(a, stream);)
  return err;
}

int Softmax(const AlongDimArgs& a, StreamId stream) {
  int err = 1;
  TD_DISPATCH_ALL(a.dtype, err = SoftmaxDispatch<TD_T_>(a, stream);)
  return err;
}

int Cumulative(const AlongDimArgs& a, StreamId stream) {
  int err = 1;
  TD_DISPATCH_ALL(a.dtype, err = CumAs<TD_T_>(a, stream);)
  return err;
}

}  // namespace tensord::engine::cuda::TENSORD_KERNEL_NS
