// Matrix products: OpenBLAS for float32/float64, a plain loop otherwise.
// float16/bfloat16 products round like PyTorch's CPU gemm (Note [Reduced
// precision gemm]).
// Transposed views reach BLAS as a transpose flag plus leading dimension,
// never as a copy (Note [BLAS layouts]).
#include <cblas.h>

#include <vector>

#include "engine/cpu/kernels.h"
#include "engine/cpu/loops.h"

namespace tensord::engine::cpu {

namespace {

// Note [BLAS layouts]
//   A row-major (rows x cols) matrix with strides (rs, cs) is usable by BLAS
//   as-is when cs == 1 (NoTrans, ld = rs) or, read as its transpose, when
//   rs == 1 (Trans, ld = cs). Anything else (e.g. a stepped slice) is copied
//   to a contiguous temporary first.
struct MatLayout {
  CBLAS_TRANSPOSE trans;
  int64_t ld;
  const void* data;
  Tensor keep_alive;  // the contiguous copy when one was needed
};

MatLayout Layout(const Tensor& m, int64_t rows, int64_t cols, int64_t rs, int64_t cs, const void* data) {
  if (cs == 1 && (rs >= std::max<int64_t>(1, cols) || rows == 1)) {
    return {CblasNoTrans, std::max<int64_t>({rs, cols, 1}), data, {}};
  }
  if (rs == 1 && (cs >= std::max<int64_t>(1, rows) || cols == 1)) {
    return {CblasTrans, std::max<int64_t>({cs, rows, 1}), data, {}};
  }
  return {CblasNoTrans, std::max<int64_t>(cols, 1), nullptr, {}};  // caller copies
}

// C[m,n] = A[m,k] @ B[k,n]; A and B are 2-D views (any strides), C contiguous.
// in_dtype: float16/bfloat16 accumulate in the dtype whatever the layouts
// (PyTorch's small-bmm kernel), see Note [Reduced precision gemm].
template <typename T>
void Gemm(const Tensor& a, const Tensor& b, T* c, bool in_dtype = false) {
  const int64_t m = a.size(0), k = a.size(1), n = b.size(1);
  if (m == 0 || n == 0) return;
  if (k == 0) { std::fill(c, c + m * n, T(0)); return; }
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    Tensor ac = a, bc = b;
    MatLayout la = Layout(a, m, k, a.strides()[0], a.strides()[1], a.raw_data());
    if (la.data == nullptr) { ac = Tensor::Empty(a.sizes(), a.dtype()); CopyCast(a, ac); la = {CblasNoTrans, k, ac.raw_data(), ac}; }
    MatLayout lb = Layout(b, k, n, b.strides()[0], b.strides()[1], b.raw_data());
    if (lb.data == nullptr) { bc = Tensor::Empty(b.sizes(), b.dtype()); CopyCast(b, bc); lb = {CblasNoTrans, n, bc.raw_data(), bc}; }
    if constexpr (std::is_same_v<T, float>) {
      cblas_sgemm(CblasRowMajor, la.trans, lb.trans, m, n, k, 1.0f, static_cast<const float*>(la.data), la.ld,
                  static_cast<const float*>(lb.data), lb.ld, 0.0f, c, n);
    } else {
      cblas_dgemm(CblasRowMajor, la.trans, lb.trans, m, n, k, 1.0, static_cast<const double*>(la.data), la.ld,
                  static_cast<const double*>(lb.data), lb.ld, 0.0, c, n);
    }
  } else if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
    // Note [Reduced precision gemm]
    //   PyTorch's CPU gemm for float16/bfloat16 (cpublas gemm_notrans_, also
    //   behind mv, bmm and matmul) accumulates in the dtype itself: for k in
    //   order, c = T(c + T(a * b)), every product and partial sum rounded.
    //   Doing the same gives PyTorch's values bit for bit. The exception is a
    //   row-major A times a column-major B (e.g. x @ w.t()), which PyTorch
    //   runs as dot products accumulated in float and rounded once. bmm with
    //   k*m*n < 400 always accumulates in the dtype (baddbmm_cpu_kernel).
    using M = OpMath<T>;
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    const int64_t as0 = a.strides()[0], as1 = a.strides()[1], bs0 = b.strides()[0], bs1 = b.strides()[1];
    const bool dot_products = !in_dtype && as1 == 1 && bs0 == 1 && bs1 != 1 && n > 1;
    ParallelFor(m, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, n * k)), [&](int64_t r0, int64_t r1) {
      for (int64_t i = r0; i < r1; ++i) {
        if (dot_products) {
          for (int64_t j = 0; j < n; ++j) {
            M acc = M(0);
            for (int64_t p = 0; p < k; ++p) acc += static_cast<M>(pa[i * as0 + p]) * static_cast<M>(pb[p + j * bs1]);
            c[i * n + j] = static_cast<T>(acc);
          }
          continue;
        }
        for (int64_t j = 0; j < n; ++j) c[i * n + j] = T(M(0));
        for (int64_t p = 0; p < k; ++p) {
          const M av = static_cast<M>(pa[i * as0 + p * as1]);
          for (int64_t j = 0; j < n; ++j) {
            const T prod = static_cast<T>(av * static_cast<M>(pb[p * bs0 + j * bs1]));
            c[i * n + j] = static_cast<T>(static_cast<M>(c[i * n + j]) + static_cast<M>(prod));
          }
        }
      }
    });
  } else {
    using A = std::conditional_t<std::is_integral_v<T>, int64_t, double>;
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    const int64_t as0 = a.strides()[0], as1 = a.strides()[1], bs0 = b.strides()[0], bs1 = b.strides()[1];
    ParallelFor(m, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, n * k)), [&](int64_t r0, int64_t r1) {
      std::vector<A> row(n);
      for (int64_t i = r0; i < r1; ++i) {
        std::fill(row.begin(), row.end(), A(0));
        for (int64_t p = 0; p < k; ++p) {
          A av = static_cast<A>(static_cast<OpMath<T>>(pa[i * as0 + p * as1]));
          for (int64_t j = 0; j < n; ++j) row[j] += av * static_cast<A>(static_cast<OpMath<T>>(pb[p * bs0 + j * bs1]));
        }
        for (int64_t j = 0; j < n; ++j) {
          if constexpr (std::is_same_v<T, bool>) c[i * n + j] = row[j] != 0;
          else c[i * n + j] = static_cast<T>(static_cast<OpMath<T>>(row[j]));
        }
      }
    });
  }
}

Tensor Matrix(const Tensor& t, int64_t rows, int64_t cols, int64_t rs, int64_t cs, int64_t offset) {
  return MakeView(t, Shape{rows, cols}, Shape{rs, cs}, offset);
}

}  // namespace

absl::Status MmKernel(const OpCall& call, std::vector<Tensor>& out) {
  DispatchAll(out[0].dtype(), [&]<typename T>() { Gemm<T>(call.in(0), call.in(1), out[0].data<T>()); });
  return absl::OkStatus();
}

absl::Status MvKernel(const OpCall& call, std::vector<Tensor>& out) {
  // mv(A[m,k], x[k]) = A @ x[k,1].
  const Tensor& v = call.in(1);
  Tensor col = MakeView(v, Shape{v.size(0), 1}, Shape{v.strides()[0], 1}, v.storage_offset());
  DispatchAll(out[0].dtype(), [&]<typename T>() { Gemm<T>(call.in(0), col, out[0].data<T>()); });
  return absl::OkStatus();
}

absl::Status DotKernel(const OpCall& call, std::vector<Tensor>& out) {
  const Tensor& a = call.in(0);
  const Tensor& b = call.in(1);
  const int64_t n = a.size(0);
  DispatchAll(out[0].dtype(), [&]<typename T>() {
    if constexpr (std::is_same_v<T, float>) {
      *out[0].data<T>() = cblas_sdot(n, a.data<T>(), a.strides()[0], b.data<T>(), b.strides()[0]);
    } else if constexpr (std::is_same_v<T, double>) {
      *out[0].data<T>() = cblas_ddot(n, a.data<T>(), a.strides()[0], b.data<T>(), b.strides()[0]);
    } else {
      Tensor row = MakeView(a, Shape{1, n}, Shape{1, a.strides()[0]}, a.storage_offset());
      Tensor col = MakeView(b, Shape{n, 1}, Shape{b.strides()[0], 1}, b.storage_offset());
      Gemm<T>(row, col, out[0].data<T>());
    }
  });
  return absl::OkStatus();
}

absl::Status BmmKernel(const OpCall& call, std::vector<Tensor>& out) {
  const Tensor& a = call.in(0);
  const Tensor& b = call.in(1);
  const int64_t batch = a.size(0), m = a.size(1), k = a.size(2), n = b.size(2);
  const bool small = k * m * n < 400;  // PyTorch's threshold for its own bmm loop
  DispatchAll(out[0].dtype(), [&]<typename T>() {
    T* c = out[0].data<T>();
    for (int64_t i = 0; i < batch; ++i) {
      Tensor ai = Matrix(a, m, k, a.strides()[1], a.strides()[2], a.storage_offset() + i * a.strides()[0]);
      Tensor bi = Matrix(b, k, n, b.strides()[1], b.strides()[2], b.storage_offset() + i * b.strides()[0]);
      Gemm<T>(ai, bi, c + i * m * n, small);
    }
  });
  return absl::OkStatus();
}

}  // namespace tensord::engine::cpu
