// Reductions over a set of dims, and softmax-style ops along one dim.
// The reduction ops' prepare rule has appended the sorted reduced dims as
// attrs[kReducedDimsAttr].
#include <cmath>
#include <limits>
#include <vector>

#include "engine/cpu/kernels.h"
#include "engine/cpu/loops.h"

namespace tensord::engine::cpu {

namespace {

// Accumulator type: double for floats, int64 for integers and bool.
template <typename T>
using Acc = std::conditional_t<std::is_integral_v<T>, int64_t, double>;

enum class Kind { kSum, kProd, kMax, kMin, kAll, kAny };

template <typename A>
struct Reducer {
  Kind kind;
  A init() const {
    switch (kind) {
      case Kind::kProd:
      case Kind::kAll: return A(1);
      case Kind::kMax: return std::numeric_limits<A>::has_infinity ? -std::numeric_limits<A>::infinity() : std::numeric_limits<A>::lowest();
      case Kind::kMin: return std::numeric_limits<A>::has_infinity ? std::numeric_limits<A>::infinity() : std::numeric_limits<A>::max();
      default: return A(0);
    }
  }
  A operator()(A acc, A v) const {
    switch (kind) {
      case Kind::kSum: return acc + v;
      case Kind::kProd: return acc * v;
      case Kind::kMax: return (acc != acc || v > acc) ? (acc != acc ? acc : v) : (v != v ? v : acc);
      case Kind::kMin: return (acc != acc || v < acc) ? (acc != acc ? acc : v) : (v != v ? v : acc);
      case Kind::kAll: return (acc != 0 && v != 0) ? A(1) : A(0);
      case Kind::kAny: return (acc != 0 || v != 0) ? A(1) : A(0);
    }
    return acc;
  }
};

Kind KindOf(OpId id) {
  switch (id) {
    case OpId::kProd: return Kind::kProd;
    case OpId::kAmax:
    case OpId::kMax: return Kind::kMax;
    case OpId::kAmin:
    case OpId::kMin: return Kind::kMin;
    case OpId::kAll: return Kind::kAll;
    case OpId::kAny: return Kind::kAny;
    default: return Kind::kSum;  // sum, mean
  }
}

}  // namespace

absl::Status ReduceKernel(const OpCall& call, std::vector<Tensor>& outputs) {
  const Tensor& in = call.in(0);
  const Tensor& out = outputs[0];
  const std::vector<int64_t>& dims = *call.GetInts(kReducedDimsAttr);
  const bool mean = call.def->id == OpId::kMean;
  const Kind kind = KindOf(call.def->id);
  std::vector<bool> reduced(in.dim(), false);
  int64_t count = 1;
  for (int64_t d : dims) { reduced[d] = true; count *= in.size(d); }

  DispatchAll(in.dtype(), [&]<typename T>() {
    using A = Acc<T>;
    const Reducer<A> r{kind};
    const int64_t out_numel = out.numel();
    std::vector<A> acc(std::max<int64_t>(out_numel, 1), r.init());
    // The accumulator seen with the input's shape: stride 0 on reduced dims.
    Shape acc_strides(in.dim(), 0);
    int64_t s = 1;
    for (int64_t d = in.dim() - 1; d >= 0; --d) {
      if (!reduced[d]) { acc_strides[d] = s; s *= in.size(d); }
    }
    auto load = [](const char* p) { return static_cast<A>(static_cast<OpMath<T>>(*reinterpret_cast<const T*>(p))); };
    if (out_numel == 1 && in.is_contiguous() && in.numel() >= 2 * kGrainSize) {
      // Parallel partials over a contiguous buffer.
      const char* p = static_cast<const char*>(in.raw_data());
      int64_t n = in.numel(), chunks = std::max<int64_t>(1, n / kGrainSize);
      std::vector<A> partial(chunks, r.init());
      ParallelFor(chunks, 1, [&](int64_t b, int64_t e) {
        for (int64_t c = b; c < e; ++c) {
          A a = r.init();
          for (int64_t i = c * n / chunks, hi = (c + 1) * n / chunks; i < hi; ++i) a = r(a, load(p + i * sizeof(T)));
          partial[c] = a;
        }
      });
      for (A v : partial) acc[0] = r(acc[0], v);
    } else {
      ForEach<2>(in.sizes(), {reinterpret_cast<char*>(acc.data()), static_cast<char*>(in.raw_data())},
                 {IntSpan(acc_strides), in.strides()}, {int(sizeof(A)), int(sizeof(T))},
                 [&](char** ptr, int64_t n, const int64_t* st) {
                   A* a0 = reinterpret_cast<A*>(ptr[0]);
                   if (st[0] == 0) {
                     A a = *a0;
                     for (int64_t i = 0; i < n; ++i) a = r(a, load(ptr[1] + i * st[1]));
                     *a0 = a;
                   } else {
                     for (int64_t i = 0; i < n; ++i) {
                       A* ai = reinterpret_cast<A*>(ptr[0] + i * st[0]);
                       *ai = r(*ai, load(ptr[1] + i * st[1]));
                     }
                   }
                 },
                 /*parallel=*/false);
    }
    DispatchAll(out.dtype(), [&]<typename O>() {
      O* o = out.data<O>();
      for (int64_t i = 0; i < out_numel; ++i) {
        if constexpr (std::is_same_v<O, bool>) {
          o[i] = acc[i] != 0;
        } else if (mean) {
          o[i] = static_cast<O>(static_cast<OpMath<O>>(static_cast<double>(acc[i]) / static_cast<double>(count)));
        } else {
          o[i] = static_cast<O>(static_cast<OpMath<O>>(acc[i]));
        }
      }
    });
  });
  return absl::OkStatus();
}

namespace {

// Calls fn(ptr_in, ptr_out, n, stride) for every 1-D line along `dim` of the
// contiguous tensor `in`; `out` is contiguous of the same shape, or (when
// `reduced_out`) has one element per line.
template <typename F>
void ForEachLine(const Tensor& in, const Tensor& out, int64_t dim, F fn, bool reduced_out = false) {
  int64_t outer = 1, inner = 1, n = in.dim() == 0 ? 1 : in.size(dim);
  for (int64_t d = 0; d < dim; ++d) outer *= in.size(d);
  for (int64_t d = dim + 1; d < in.dim(); ++d) inner *= in.size(d);
  const int item = ItemSize(in.dtype()), out_item = ItemSize(out.dtype());
  const char* pi = static_cast<const char*>(in.raw_data());
  char* po = static_cast<char*>(out.raw_data());
  ParallelFor(outer * inner, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(n, 1)), [&](int64_t b, int64_t e) {
    for (int64_t l = b; l < e; ++l) {
      int64_t o = l / inner, i = l % inner;
      int64_t base = o * n * inner + i;
      fn(pi + base * item, po + (reduced_out ? l : base) * out_item, n, inner);
    }
  });
}

}  // namespace

absl::Status ArgReduceKernel(const OpCall& call, std::vector<Tensor>& outputs) {
  // prepare made the input contiguous and wrote the dim (or -1: flattened).
  const Tensor& in = call.in(0);
  const int64_t dim = call.GetInt(kReducedDimsAttr);
  const bool is_max = call.def->id == OpId::kArgmax;
  Tensor src = dim < 0 ? MakeView(in, Shape{in.numel()}, Shape{1}, in.storage_offset()) : in;
  DispatchAll(in.dtype(), [&]<typename T>() {
    using M = OpMath<T>;
    ForEachLine(src, outputs[0], std::max<int64_t>(dim, 0), [&](const char* p, char* o, int64_t n, int64_t stride) {
      const T* x = reinterpret_cast<const T*>(p);
      int64_t best = 0;
      M bv = M(x[0]);
      for (int64_t k = 1; k < n; ++k) {
        M v = M(x[k * stride]);
        if (bv != bv) break;  // NaN wins, first one
        if (v != v || (is_max ? v > bv : v < bv)) { best = k; bv = v; }
      }
      *reinterpret_cast<int64_t*>(o) = best;
    }, /*reduced_out=*/true);
  });
  return absl::OkStatus();
}

absl::Status SoftmaxKernel(const OpCall& call, std::vector<Tensor>& outputs) {
  const Tensor& in = call.in(0);  // contiguous (prepare)
  const int64_t dim = call.GetInt(0);
  const bool log = call.def->id == OpId::kLogSoftmax;
  DispatchFloating("softmax", in.dtype(), [&]<typename T>() {
    using M = std::conditional_t<std::is_same_v<T, double>, double, float>;
    ForEachLine(in, outputs[0], dim, [&](const char* p, char* o, int64_t n, int64_t stride) {
      const T* x = reinterpret_cast<const T*>(p);
      T* y = reinterpret_cast<T*>(o);
      M mx = -std::numeric_limits<M>::infinity();
      for (int64_t k = 0; k < n; ++k) mx = std::max(mx, M(x[k * stride]));
      M sum = 0;
      for (int64_t k = 0; k < n; ++k) sum += std::exp(M(x[k * stride]) - mx);
      if (log) {
        M lse = std::log(sum);
        for (int64_t k = 0; k < n; ++k) y[k * stride] = static_cast<T>(M(x[k * stride]) - mx - lse);
      } else {
        for (int64_t k = 0; k < n; ++k) y[k * stride] = static_cast<T>(std::exp(M(x[k * stride]) - mx) / sum);
      }
    });
    return absl::OkStatus();
  }).IgnoreError();
  return absl::OkStatus();
}

absl::Status CumKernel(const OpCall& call, std::vector<Tensor>& outputs) {
  const Tensor& in = call.in(0);  // contiguous, already in the output dtype (prepare)
  const int64_t dim = call.GetInt(0);
  const bool prod = call.def->id == OpId::kCumprod;
  DispatchAll(in.dtype(), [&]<typename T>() {
    using A = Acc<T>;
    ForEachLine(in, outputs[0], dim, [&](const char* p, char* o, int64_t n, int64_t stride) {
      const T* x = reinterpret_cast<const T*>(p);
      T* y = reinterpret_cast<T*>(o);
      A a = prod ? A(1) : A(0);
      for (int64_t k = 0; k < n; ++k) {
        A v = static_cast<A>(static_cast<OpMath<T>>(x[k * stride]));
        a = prod ? a * v : a + v;
        if constexpr (std::is_same_v<T, bool>) y[k * stride] = a != 0;
        else y[k * stride] = static_cast<T>(static_cast<OpMath<T>>(a));
      }
    });
  });
  return absl::OkStatus();
}

}  // namespace tensord::engine::cpu
