// Reductions over a set of dims (sum, mean). The op's prepare rule has
// normalised attrs[0] to the sorted list of reduced dims.
#include <vector>

#include "engine/cpu/kernels.h"
#include "engine/cpu/loops.h"

namespace tensord::engine::cpu {

namespace {
// Accumulator type: double for floats, int64 for integers and bool.
template <typename T>
using Acc = std::conditional_t<std::is_integral_v<T>, int64_t, double>;
}  // namespace

absl::Status ReduceKernel(const OpCall& call, std::vector<Tensor>& outputs) {
  const Tensor& in = call.in(0);
  const Tensor& out = outputs[0];
  const std::vector<int64_t>& dims = *call.GetInts(kReducedDimsAttr);
  const bool mean = call.def->id == OpId::kMean;
  std::vector<bool> reduced(in.dim(), false);
  int64_t count = 1;
  for (int64_t d : dims) { reduced[d] = true; count *= in.size(d); }

  DispatchAll(in.dtype(), [&]<typename T>() {
    using A = Acc<T>;
    const int64_t out_numel = out.numel();
    std::vector<A> acc(std::max<int64_t>(out_numel, 1), A(0));
    // The accumulator seen with the input's shape: stride 0 on reduced dims.
    Shape acc_strides(in.dim(), 0);
    int64_t s = 1;
    for (int64_t d = in.dim() - 1; d >= 0; --d) {
      if (!reduced[d]) { acc_strides[d] = s; s *= in.size(d); }
    }
    const bool full = out_numel == 1;
    if (full && in.is_contiguous() && in.numel() >= 2 * kGrainSize) {
      // Parallel partial sums over a contiguous buffer.
      const T* p = in.data<T>();
      int64_t n = in.numel(), chunks = std::max<int64_t>(1, n / kGrainSize);
      std::vector<A> partial(chunks, A(0));
      ParallelFor(chunks, 1, [&](int64_t b, int64_t e) {
        for (int64_t c = b; c < e; ++c) {
          int64_t lo = c * n / chunks, hi = (c + 1) * n / chunks;
          A sum = 0;
          for (int64_t i = lo; i < hi; ++i) sum += static_cast<A>(static_cast<OpMath<T>>(p[i]));
          partial[c] = sum;
        }
      });
      for (A v : partial) acc[0] += v;
    } else {
      ForEach<2>(in.sizes(), {reinterpret_cast<char*>(acc.data()), static_cast<char*>(in.raw_data())},
                 {IntSpan(acc_strides), in.strides()}, {int(sizeof(A)), int(sizeof(T))},
                 [&](char** ptr, int64_t n, const int64_t* st) {
                   if (st[0] == 0) {
                     A sum = 0;
                     for (int64_t i = 0; i < n; ++i) sum += static_cast<A>(static_cast<OpMath<T>>(*reinterpret_cast<T*>(ptr[1] + i * st[1])));
                     *reinterpret_cast<A*>(ptr[0]) += sum;
                   } else {
                     for (int64_t i = 0; i < n; ++i) {
                       *reinterpret_cast<A*>(ptr[0] + i * st[0]) +=
                           static_cast<A>(static_cast<OpMath<T>>(*reinterpret_cast<T*>(ptr[1] + i * st[1])));
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

}  // namespace tensord::engine::cpu
