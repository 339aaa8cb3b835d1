// Elementwise loop templates shared by the kernel files: each runs on the
// one strided iterator (loops.h) with fast paths for contiguous runs and for
// a stride-0 (scalar) operand.
#pragma once

#include "engine/cpu/loops.h"

namespace tensord::engine::cpu {

template <typename T>
inline T* As(char* p) { return reinterpret_cast<T*>(p); }

// out[i] = f(a[i], b[i]) with fast paths for contiguous and scalar-b runs.
template <typename Out, typename In, typename F>
void BinaryLoop(const Tensor& out, const Tensor& a, const Tensor& b, F f) {
  ForEach<3>(out.sizes(), {static_cast<char*>(out.raw_data()), static_cast<char*>(a.raw_data()),
                           static_cast<char*>(b.raw_data())},
             {out.strides(), a.strides(), b.strides()},
             {int(sizeof(Out)), int(sizeof(In)), int(sizeof(In))},
             [&](char** p, int64_t n, const int64_t* s) {
               Out* o = As<Out>(p[0]);
               const In* x = As<In>(p[1]);
               const In* y = As<In>(p[2]);
               if (s[0] == sizeof(Out) && s[1] == sizeof(In) && s[2] == sizeof(In)) {
                 for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], y[i]);
               } else if (s[0] == sizeof(Out) && s[1] == sizeof(In) && s[2] == 0) {
                 const In yv = *y;
                 for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], yv);
               } else if (s[0] == sizeof(Out) && s[1] == 0 && s[2] == sizeof(In)) {
                 const In xv = *x;
                 for (int64_t i = 0; i < n; ++i) o[i] = f(xv, y[i]);
               } else {
                 for (int64_t i = 0; i < n; ++i) {
                   *As<Out>(p[0] + i * s[0]) = f(*As<In>(p[1] + i * s[1]), *As<In>(p[2] + i * s[2]));
                 }
               }
             });
}

template <typename Out, typename In, typename F>
void UnaryLoop(const Tensor& out, const Tensor& a, F f) {
  ForEach<2>(out.sizes(), {static_cast<char*>(out.raw_data()), static_cast<char*>(a.raw_data())},
             {out.strides(), a.strides()}, {int(sizeof(Out)), int(sizeof(In))},
             [&](char** p, int64_t n, const int64_t* s) {
               if (s[0] == sizeof(Out) && s[1] == sizeof(In)) {
                 Out* o = As<Out>(p[0]);
                 const In* x = As<In>(p[1]);
                 for (int64_t i = 0; i < n; ++i) o[i] = f(x[i]);
               } else {
                 for (int64_t i = 0; i < n; ++i) *As<Out>(p[0] + i * s[0]) = f(*As<In>(p[1] + i * s[1]));
               }
             });
}

template <typename T>
bool HasZero(const Tensor& t) {
  bool zero = false;
  UnaryLoop<bool, T>(Tensor::Empty(t.sizes(), DType::kBool), t, [&](T y) { zero |= y == T(0); return false; });
  return zero;
}

}  // namespace tensord::engine::cpu
