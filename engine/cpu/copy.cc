// Fills, copies and casts, where, cat.
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "engine/cpu/elementwise_loops.h"
#include "engine/cpu/kernels.h"

namespace tensord::engine::cpu {

void FillContiguous(const Tensor& out, const Scalar& value) {
  DispatchAll(out.dtype(), [&]<typename T>() {
    T v = value.to<T>();
    T* p = out.data<T>();
    ParallelFor(out.numel(), kGrainSize, [&](int64_t b, int64_t e) { std::fill(p + b, p + e, v); });
  });
}

absl::Status FullKernel(const OpCall& call, std::vector<Tensor>& out) {
  FillContiguous(out[0], call.GetScalar(1));
  return absl::OkStatus();
}

absl::Status FillKernel(const OpCall& call, std::vector<Tensor>& out) {
  FillContiguous(out[0], call.GetScalar(0));
  return absl::OkStatus();
}

absl::Status ArangeKernel(const OpCall& call, std::vector<Tensor>& out) {
  const Scalar& start = call.GetScalar(0);
  const Scalar& step = call.GetScalar(2);
  DispatchAll(out[0].dtype(), [&]<typename T>() {
    T* p = out[0].data<T>();
    const int64_t n = out[0].numel();
    if constexpr (std::is_integral_v<T>) {
      int64_t s0 = start.to_int(), st = step.to_int();
      for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(s0 + i * st);
    } else {
      double s0 = start.to_double(), st = step.to_double();
      for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(s0 + static_cast<double>(i) * st);
    }
  });
  return absl::OkStatus();
}

absl::Status WhereKernel(const OpCall& call, std::vector<Tensor>& outputs) {
  const Tensor& out = outputs[0];
  const Tensor& c = call.in(0);
  const Tensor& a = call.in(1);
  const Tensor& b = call.in(2);
  DispatchAll(out.dtype(), [&]<typename T>() {
    ForEach<4>(out.sizes(),
               {static_cast<char*>(out.raw_data()), static_cast<char*>(c.raw_data()),
                static_cast<char*>(a.raw_data()), static_cast<char*>(b.raw_data())},
               {out.strides(), c.strides(), a.strides(), b.strides()},
               {int(sizeof(T)), 1, int(sizeof(T)), int(sizeof(T))},
               [&](char** p, int64_t n, const int64_t* s) {
                 for (int64_t i = 0; i < n; ++i) {
                   *As<T>(p[0] + i * s[0]) = *As<bool>(p[1] + i * s[1]) ? *As<T>(p[2] + i * s[2]) : *As<T>(p[3] + i * s[3]);
                 }
               });
  });
  return absl::OkStatus();
}

absl::Status CatKernel(const OpCall& call, std::vector<Tensor>& outputs) { return CatInto(call, outputs[0]); }

void CopyCast(const Tensor& src, const Tensor& dst) {
  DispatchAll(dst.dtype(), [&]<typename D>() {
    DispatchAll(src.dtype(), [&]<typename S>() {
      if constexpr (std::is_same_v<D, S>) {
        UnaryLoop<D, S>(dst, src, [](S x) { return x; });
      } else if constexpr (std::is_same_v<D, bool>) {
        UnaryLoop<D, S>(dst, src, [](S x) { return static_cast<OpMath<S>>(x) != OpMath<S>(0); });
      } else {
        UnaryLoop<D, S>(dst, src, [](S x) { return static_cast<D>(static_cast<OpMath<D>>(static_cast<OpMath<S>>(x))); });
      }
    });
  });
}

void CopyToContiguous(const Tensor& src, void* dst) {
  const Shape dst_strides = ContiguousStrides(src.sizes());
  const int item = ItemSize(src.dtype());
  ForEach<2>(src.sizes(), {static_cast<char*>(dst), static_cast<char*>(src.raw_data())},
             {IntSpan(dst_strides), src.strides()}, {item, item},
             [&](char** p, int64_t n, const int64_t* s) {
               if (s[0] == item && s[1] == item) {
                 std::memcpy(p[0], p[1], n * item);
               } else {
                 for (int64_t i = 0; i < n; ++i) std::memcpy(p[0] + i * s[0], p[1] + i * s[1], item);
               }
             });
}

absl::Status CopyKernel(const OpCall& call, std::vector<Tensor>& outputs) {
  CopyCast(call.in(0), outputs[0]);
  return absl::OkStatus();
}

}  // namespace tensord::engine::cpu
