// A plain GEMM for every dtype: the emulator's matmul, and the GPU's for the
// dtypes cuBLAS has no routine for (integers, bool). Float dtypes on a real
// GPU go to cuBLAS (runtime.cc). One thread per element of C, accumulating in
// OpMath (float for the 16-bit floats), column-major like cuBLAS.
#include "engine/cuda/kernels/common.cuh"

namespace tensord::engine::cuda::TENSORD_KERNEL_NS {

namespace {

template <typename T>
int GemmAs(const GemmArgs& g, StreamId stream) {
  using M = OpMath<T>;
  const T* A = static_cast<const T*>(g.a);
  const T* B = static_cast<const T*>(g.b);
  T* C = static_cast<T*>(g.c);
  const int64_t m = g.m, n = g.n, k = g.k, lda = g.lda, ldb = g.ldb, ldc = g.ldc;
  const int64_t sa = g.stride_a, sb = g.stride_b, sc = g.stride_c;
  const bool ta = g.trans_a, tb = g.trans_b;
  const M alpha = static_cast<M>(g.alpha), beta = static_cast<M>(g.beta);
  return ParallelFor(g.batch * m * n, stream, [=] TD_HD(int64_t linear) {
    const M al = alpha, be = beta;  // captured here: nvcc refuses first captures inside `if constexpr`
    const int64_t batch = linear / (m * n), rest = linear % (m * n);
    const int64_t col = rest / m, row = rest % m;  // column-major C
    const T* a = A + batch * sa;
    const T* b = B + batch * sb;
    M acc = M(0);
    for (int64_t p = 0; p < k; ++p) {
      const M x = ToMath(ta ? a[p + row * lda] : a[row + p * lda]);
      const M y = ToMath(tb ? b[col + p * ldb] : b[p + col * ldb]);
      if constexpr (std::is_same_v<T, bool>) acc = acc || (x && y);
      else acc += x * y;
    }
    T* c = C + batch * sc + row + col * ldc;
    if constexpr (std::is_same_v<T, bool>) {
      *c = (al && acc) || (be && *c);
    } else {
      *c = FromMath<T>(be == M(0) ? al * acc : al * acc + be * ToMath(*c));
    }
  });
}

}  // namespace

int Gemm(const GemmArgs& g, StreamId stream) {
  int err = 0;
  TD_DISPATCH_ALL(g.dtype, err = GemmAs<TD_T_>(g, stream);)
  return err;
}

}  // namespace tensord::engine::cuda::TENSORD_KERNEL_NS
