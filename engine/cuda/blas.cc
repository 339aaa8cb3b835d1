// Host side of the matrix products: cuBLAS (runtime.cc) for the float dtypes,
// kernels/gemm.cu for the rest.
//
// Note [cuBLAS layouts]
//   cuBLAS is column-major. A row-major C = A @ B is the column-major
//   C^T = B^T @ A^T, so B goes first. A row-major matrix with strides (rs, cs)
//   is, read column-major, its transpose with ld = rs when cs == 1, or itself
//   with ld = cs (a transpose flag) when rs == 1; transposed views reach
//   cuBLAS as flags, never copies. Any other strides are copied first.
#include <algorithm>

#include "engine/cuda/kernels.h"
#include "engine/cuda/runtime.h"
#include "engine/status.h"

namespace tensord::engine::cuda {

namespace {

struct Operand2D {
  bool trans;
  int64_t ld;
  const void* data;
  int64_t batch_stride;
  Tensor keep_alive;  // the contiguous copy when one was needed
};

// `t` is a (batch x) rows x cols view; returns op(X) == t^T in column-major terms.
absl::StatusOr<Operand2D> Layout(const Tensor& t, int64_t rows, int64_t cols) {
  const int64_t nd = t.dim();
  const int64_t rs = t.strides()[nd - 2], cs = t.strides()[nd - 1];
  const int64_t bs = nd == 3 ? t.strides()[0] : 0;
  // A single row or column has a free stride: any value cuBLAS accepts.
  if (cs == 1 && (rs >= std::max<int64_t>(1, cols) || rows == 1)) {
    return Operand2D{false, rows == 1 ? std::max<int64_t>(1, cols) : rs, t.raw_data(), bs, {}};
  }
  if (rs == 1 && (cs >= std::max<int64_t>(1, rows) || cols == 1)) {
    return Operand2D{true, cols == 1 ? std::max<int64_t>(1, rows) : cs, t.raw_data(), bs, {}};
  }
  if (rows == 1 && cs >= 1) return Operand2D{true, cs, t.raw_data(), bs, {}};
  if (cols == 1 && rs >= 1) return Operand2D{false, rs, t.raw_data(), bs, {}};
  Tensor dense = Tensor::Empty(t.sizes(), t.dtype(), t.device());
  TENSORD_RETURN_IF_ERROR(CopyCast(t, dense));
  return Operand2D{false, std::max<int64_t>(cols, 1), dense.raw_data(), nd == 3 ? rows * cols : 0, dense};
}

// out[(b,) m, n] (contiguous) = a[(b,) m, k] @ b[(b,) k, n].
absl::Status Product(const Tensor& a, const Tensor& b, const Tensor& out, int64_t batch, int64_t m, int64_t k,
                     int64_t n) {
  if (out.numel() == 0) return absl::OkStatus();
  TENSORD_ASSIGN_OR_RETURN(StreamId stream, StreamOf(out));
  Backend& backend = Get();
  if (k == 0) {
    FillArgs f{out.raw_data(), out.numel(), ItemSize(out.dtype()), 0};
    return Launch(&Launchers::Fill, f, stream, "mm");
  }
  TENSORD_ASSIGN_OR_RETURN(Operand2D x, Layout(b, k, n));
  TENSORD_ASSIGN_OR_RETURN(Operand2D y, Layout(a, m, k));
  GemmArgs g;
  g.dtype = static_cast<int8_t>(out.dtype());
  g.m = n;
  g.n = m;
  g.k = k;
  g.trans_a = x.trans;
  g.a = x.data;
  g.lda = x.ld;
  g.stride_a = x.batch_stride;
  g.trans_b = y.trans;
  g.b = y.data;
  g.ldb = y.ld;
  g.stride_b = y.batch_stride;
  g.c = out.raw_data();
  g.ldc = n;
  g.stride_c = m * n;
  g.batch = batch;
  return backend.Gemm(out.device().index, g, stream);
}

Tensor AsColumn(const Tensor& v) {  // [k] -> [k, 1]
  return MakeView(v, Shape{v.size(0), 1}, Shape{v.strides()[0], 1}, v.storage_offset());
}

}  // namespace

absl::Status MmKernel(const OpCall& call, std::vector<Tensor>& out) {
  const Tensor &a = call.in(0), &b = call.in(1);
  return Product(a, b, out[0], 1, a.size(0), a.size(1), b.size(1));
}

absl::Status MvKernel(const OpCall& call, std::vector<Tensor>& out) {
  const Tensor& a = call.in(0);
  return Product(a, AsColumn(call.in(1)), out[0], 1, a.size(0), a.size(1), 1);
}

absl::Status DotKernel(const OpCall& call, std::vector<Tensor>& out) {
  const Tensor& v = call.in(0);
  Tensor row = MakeView(v, Shape{1, v.size(0)}, Shape{1, v.strides()[0]}, v.storage_offset());
  return Product(row, AsColumn(call.in(1)), out[0], 1, 1, v.size(0), 1);
}

absl::Status BmmKernel(const OpCall& call, std::vector<Tensor>& out) {
  const Tensor &a = call.in(0), &b = call.in(1);
  return Product(a, b, out[0], a.size(0), a.size(1), a.size(2), b.size(2));
}

}  // namespace tensord::engine::cuda
