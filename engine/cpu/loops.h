// The one strided iterator every elementwise and reduction kernel runs on.
//
// ForEach<N> walks N operands of one shape (any strides, stride 0 for
// broadcast) and calls `inner(ptrs, n, byte_strides)` once per innermost run.
// Dimensions are first sorted and coalesced, so contiguous operands become a
// single run the inner loop can vectorise; kernels test the strides for their
// fast paths (all contiguous, or a stride-0 scalar operand).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>

#include "absl/container/inlined_vector.h"
#include "engine/cpu/parallel.h"
#include "engine/tensor.h"

namespace tensord::engine::cpu {

// float math for the 16-bit floats, the type itself otherwise.
template <typename T> struct OpMathT { using type = T; };
template <> struct OpMathT<Half> { using type = float; };
template <> struct OpMathT<BFloat16> { using type = float; };
template <typename T> using OpMath = typename OpMathT<T>::type;

inline constexpr int64_t kGrainSize = 32768;

template <int N>
struct Geometry {
  absl::InlinedVector<int64_t, 6> sizes;                     // innermost last
  std::array<absl::InlinedVector<int64_t, 6>, N> strides;    // bytes
};

// Byte strides, size-1 dims dropped, dims ordered by operand 0's strides
// (output first), adjacent dims merged when every operand allows it.
template <int N>
Geometry<N> MakeGeometry(IntSpan shape, const std::array<IntSpan, N>& elem_strides,
                         const std::array<int, N>& itemsizes) {
  const int64_t nd = static_cast<int64_t>(shape.size());
  absl::InlinedVector<int64_t, 6> dims;
  for (int64_t d = 0; d < nd; ++d) {
    if (shape[d] != 1) dims.push_back(d);
  }
  // Innermost = smallest stride of operand 0 (stable: keeps row-major order on ties).
  std::stable_sort(dims.begin(), dims.end(), [&](int64_t a, int64_t b) {
    for (int k = 0; k < N; ++k) {
      int64_t sa = elem_strides[k][a], sb = elem_strides[k][b];
      if (sa == 0 || sb == 0) continue;
      return sa > sb;
    }
    return a < b;
  });
  Geometry<N> g;
  for (int64_t d : dims) {
    bool merged = false;
    if (!g.sizes.empty()) {
      merged = true;
      for (int k = 0; k < N; ++k) {
        if (g.strides[k].back() != elem_strides[k][d] * itemsizes[k] * shape[d]) { merged = false; break; }
      }
    }
    if (merged) {
      g.sizes.back() *= shape[d];
      for (int k = 0; k < N; ++k) g.strides[k].back() = elem_strides[k][d] * itemsizes[k];
    } else {
      g.sizes.push_back(shape[d]);
      for (int k = 0; k < N; ++k) g.strides[k].push_back(elem_strides[k][d] * itemsizes[k]);
    }
  }
  if (g.sizes.empty()) {  // 0-dim or all-ones: one element
    g.sizes.push_back(1);
    for (int k = 0; k < N; ++k) g.strides[k].push_back(0);
  }
  return g;
}

// Walks outer indices [begin, end) of the geometry (outer = all but innermost).
template <int N, typename F>
void WalkRange(const Geometry<N>& g, std::array<char*, N> base, int64_t begin, int64_t end, F& inner) {
  const int64_t nd = static_cast<int64_t>(g.sizes.size());
  const int64_t n = g.sizes[nd - 1];
  std::array<int64_t, N> inner_strides;
  for (int k = 0; k < N; ++k) inner_strides[k] = g.strides[k][nd - 1];
  absl::InlinedVector<int64_t, 6> idx(std::max<int64_t>(nd - 1, 0), 0);
  // Position at `begin`.
  int64_t rem = begin;
  for (int64_t d = nd - 2; d >= 0; --d) {
    idx[d] = rem % g.sizes[d];
    rem /= g.sizes[d];
  }
  std::array<char*, N> ptrs;
  for (int k = 0; k < N; ++k) {
    ptrs[k] = base[k];
    for (int64_t d = 0; d < nd - 1; ++d) ptrs[k] += idx[d] * g.strides[k][d];
  }
  for (int64_t it = begin; it < end; ++it) {
    inner(ptrs.data(), n, inner_strides.data());
    for (int64_t d = nd - 2; d >= 0; --d) {  // odometer increment
      ++idx[d];
      for (int k = 0; k < N; ++k) ptrs[k] += g.strides[k][d];
      if (idx[d] < g.sizes[d]) break;
      for (int k = 0; k < N; ++k) ptrs[k] -= g.strides[k][d] * g.sizes[d];
      idx[d] = 0;
    }
  }
}

// `parallel` must be false when operand 0 is written with stride 0 (reductions).
template <int N, typename F>
void ForEach(IntSpan shape, std::array<char*, N> base, const std::array<IntSpan, N>& strides,
             const std::array<int, N>& itemsizes, F&& inner, bool parallel = true) {
  if (Numel(shape) == 0) return;
  Geometry<N> g = MakeGeometry<N>(shape, strides, itemsizes);
  const int64_t n = g.sizes.back();
  int64_t outer = 1;
  for (size_t d = 0; d + 1 < g.sizes.size(); ++d) outer *= g.sizes[d];
  if (!parallel || outer * n < 2 * kGrainSize) {
    WalkRange<N>(g, base, 0, outer, inner);
    return;
  }
  if (outer == 1) {  // one long run: split it
    std::array<int64_t, N> st;
    for (int k = 0; k < N; ++k) st[k] = g.strides[k][0];
    ParallelFor(n, kGrainSize, [&](int64_t b, int64_t e) {
      std::array<char*, N> p;
      for (int k = 0; k < N; ++k) p[k] = base[k] + b * st[k];
      inner(p.data(), e - b, st.data());
    });
    return;
  }
  int64_t grain = std::max<int64_t>(1, kGrainSize / n);
  ParallelFor(outer, grain, [&](int64_t b, int64_t e) { WalkRange<N>(g, base, b, e, inner); });
}

}  // namespace tensord::engine::cpu
